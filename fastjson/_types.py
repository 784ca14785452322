"""Small public value types: the error, the raw fragment and the options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

import orjson

if TYPE_CHECKING:
    from .registry import Registry

NanPolicy = Literal["null", "error", "string"]
DatetimeFormat = Literal["iso", "http"]
Orient = Literal["records", "split", "columns", "index", "values"]
Backend = Literal["orjson", "ujson", "json"]


class EncodeError(TypeError):
    """A value has no JSON representation.

    Subclasses ``TypeError`` (as ``json`` and orjson do) so existing ``except
    TypeError`` blocks keep working. ``path`` says where the value sat, in
    JSONPath-like form (``$.rows[3].x``), when known.
    """

    def __init__(self, message: str, path: str | None = None):
        super().__init__(message if path is None else f"{message} at {path}")
        self.path = path


class Raw:
    """An already-encoded JSON fragment, embedded verbatim (e.g. a cached payload).

    ``Raw(data)`` parses ``data`` once to check it is one valid JSON value, so
    a bad cache entry cannot corrupt a response. Pass ``trusted=True`` to skip
    that check when the bytes come from fastjson itself.
    """

    __slots__ = ("data", "fragment")

    def __init__(self, data: bytes | str, *, trusted: bool = False):
        raw = data.encode() if isinstance(data, str) else bytes(data)
        if not trusted:
            try:
                orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"Raw() needs one valid JSON value: {exc}") from None
        self.data = raw
        self.fragment = orjson.Fragment(raw)

    def __repr__(self) -> str:
        preview = self.data[:40] + (b"..." if len(self.data) > 40 else b"")
        return f"Raw({preview!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Raw) and other.data == self.data

    def __hash__(self) -> int:
        return hash(self.data)


@dataclass(frozen=True, slots=True)
class Options:
    """Every encoding option, with fastjson's defaults. Validated on construction."""

    nan: NanPolicy = "null"
    """Non-finite floats become ``null``, an error, or ``"NaN"``/``"Infinity"`` strings."""
    sort_keys: bool = False
    indent: int | None = None
    ensure_ascii: bool = False
    default: Callable[[Any], Any] | None = None
    """Last-resort hook for objects no encoder knows, like ``json.dumps(default=...)``."""
    datetime_format: DatetimeFormat = "iso"
    orient: Orient = "records"
    backend: Backend = "orjson"
    registry: Registry | None = None

    def __post_init__(self) -> None:
        _choice("nan", self.nan, ("null", "error", "string"))
        _choice("datetime_format", self.datetime_format, ("iso", "http"))
        _choice("orient", self.orient, ("records", "split", "columns", "index", "values"))
        _choice("backend", self.backend, ("orjson", "ujson", "json"))
        _choice("indent", self.indent, (None, 2))
        if self.default is not None and not callable(self.default):
            raise TypeError("default must be callable or None")

    def replace(self, **changes: Any) -> Options:
        """A copy with ``changes`` applied (unknown names raise ``TypeError``)."""
        unknown = set(changes) - OPTION_NAMES
        if unknown:
            raise TypeError(f"unknown fastjson option(s): {', '.join(sorted(unknown))}")
        return Options(**{**{f.name: getattr(self, f.name) for f in fields(self)}, **changes})


OPTION_NAMES = frozenset(f.name for f in fields(Options))


def qualname(cls: type) -> str:
    """``module.QualName`` for error messages (just ``QualName`` for builtins)."""
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def _choice(name: str, value: object, allowed: tuple[object, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
