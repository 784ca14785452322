"""The error tree: every failure fastjson raises, declared once, below every other module.

::

    TypeError
    └── EncodeError                      a value has no JSON form (.path says where)
        └── EncodeValueError (+ValueError)   the type is fine, this value is not
            ├── NonFiniteError           NaN or infinity under nan="error"
            ├── CircularReferenceError   a container holds itself
            ├── NestingTooDeepError      more than MAX_DEPTH levels
            └── DuplicateKeyError        a frame's labels would collide as object keys
    ValueError
    └── DecodeError                      input that ``loads`` refuses

``EncodeError`` subclasses ``TypeError`` as orjson's and ``json``'s errors do,
so existing ``except TypeError`` blocks keep working; the value errors are
also ``ValueError`` because ``json`` raises ``ValueError`` for those cases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from decimal import Decimal

__all__ = (
    "CircularReferenceError",
    "DecodeError",
    "DuplicateKeyError",
    "EncodeError",
    "EncodeValueError",
    "NestingTooDeepError",
    "NonFiniteError",
    "abbreviated",
    "format_path",
    "member",
    "qualname",
    "rebased",
)


class EncodeError(TypeError):
    """A value has no JSON representation.

    ``path`` says where the value sat, relative to the object handed to the
    call that raised: ``$`` is that object itself, ``$.rows[3].x`` a value
    inside it (JSONPath-like, as msgspec writes it). An encoder that encodes
    sub-values re-raises their errors with :meth:`within`, so the error that
    reaches the caller always carries the full path.
    """

    def __init__(self, reason: str, path: str = "$") -> None:
        super().__init__(reason, path)
        self.reason = reason
        self.path = path

    def __str__(self) -> str:
        return f"{self.reason} at {abbreviated(self.path)}"

    def within(self, prefix: str) -> Self:
        """The same error, seen from ``prefix`` (a path ending where this one starts)."""
        return self.at(prefix + self.path[1:])

    def at(self, path: str) -> Self:
        """The same error at another ``path``."""
        clone = self._copy(path)
        clone.__cause__ = self.__cause__
        return clone

    def _copy(self, path: str) -> Self:
        return type(self)(self.reason, path)


class EncodeValueError(EncodeError, ValueError):
    """The value's type is encodable, but this value is not (also a ``ValueError``)."""


class NonFiniteError(EncodeValueError):
    """NaN or an infinity under ``nan="error"``. ``value`` is the offending float
    (or ``Decimal``, whose ``NaN``, ``sNaN`` and infinities follow the same rule)."""

    def __init__(self, value: float | Decimal, path: str = "$") -> None:
        shown = f"float {value!r}" if isinstance(value, float) else repr(value)
        super().__init__(f"non-finite {shown} is not allowed (nan='error')", path)
        self.args = (value, path)
        self.value = value

    def _copy(self, path: str) -> Self:
        return type(self)(self.value, path)


class CircularReferenceError(EncodeValueError):
    """A container holds itself, directly or through other containers."""

    def __init__(self, reason: str = "circular reference", path: str = "$") -> None:
        super().__init__(reason, path)


class NestingTooDeepError(EncodeValueError):
    """Containers nest deeper than fastjson accepts (``fastjson.MAX_DEPTH``)."""


class DuplicateKeyError(EncodeValueError):
    """Frame labels that would become the same object key (``records``, ``columns``, ``index``)."""


class DecodeError(ValueError):
    """``loads`` refused its input: not JSON, or JSON that fastjson cannot read exactly.

    A ``ValueError`` (as ``json.JSONDecodeError`` and orjson's are), so Flask
    answers 400 for a request body that raises it. ``path`` says where the
    value sat when that is known (an integer with too many digits); it is
    ``$``, the document, otherwise, whose message gives line and column.
    """

    def __init__(self, reason: str, path: str | None = None) -> None:
        super().__init__(reason if path is None else f"{reason} at {abbreviated(path)}")
        self.reason = reason
        self.path = "$" if path is None else path


def format_path(parts: Iterable[str | int]) -> str:
    """A JSONPath-like path from its keys and indices: ``$.rows[3]["a b"]``."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else member(p) for p in parts)


_SEGMENT = re.compile(r'\.[^.\[]+|\[\d+\]|\["(?:[^"\\]|\\.)*"\]')
"""One step of a path: ``.name``, ``[3]`` or ``["a key"]``."""

_KEPT = 6
"""Steps kept at each end of a long path in a message."""


def abbreviated(path: str) -> str:
    """``path`` for a message: its first and last steps around ``…`` when it has more
    than ``2 * _KEPT``. An error's ``.path`` stays whole; a message 800 steps long
    (a NestingTooDeepError's) helps nobody read a log."""
    if path.count("[") + path.count(".") <= 2 * _KEPT:
        return path
    steps = _SEGMENT.findall(path, 1)
    if len(steps) <= 2 * _KEPT or "$" + "".join(steps) != path:
        return path
    head, tail = "".join(steps[:_KEPT]), "".join(steps[-_KEPT:])
    return f"${head}…{tail} ({len(steps)} steps)"


def qualname(cls: type) -> str:
    """``module.QualName`` for error messages (just ``QualName`` for builtins)."""
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def member(key: Any) -> str:
    """A key as a path step: ``.name`` for identifiers, ``["any key"]`` otherwise (a
    label that is not a string through ``str``, as it is written as a key)."""
    text = key if isinstance(key, str) else str(key)
    if text.isidentifier():
        return "." + text
    from ._values import json_string

    return f"[{json_string(text).decode()}]"


def rebased(exc: EncodeError, origin: int | Sequence[int]) -> EncodeError:
    """``exc``, raised for row ``k`` of a range of rows (its path starting ``$[k]``), as
    seen from the whole: row ``origin + k``, or ``origin[k]`` for rows picked by position."""
    path = exc.path
    end = path.find("]")
    if not path.startswith("$[") or not path[2:end].isdigit():
        return exc
    k = int(path[2:end])
    row = origin + k if isinstance(origin, int) else int(origin[k])
    return exc if row == k else exc.at(f"$[{row}]{path[end + 1 :]}")
