"""Small public value types: the error, the raw fragment and the options."""

from __future__ import annotations

import orjson

# Our own flag rather than typing.TYPE_CHECKING: importing typing would add
# about 5 ms to ``import fastjson``. Type checkers treat any name
# TYPE_CHECKING as true; the modules ``import fastjson`` loads import it from here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Literal, TypeAlias

    from .registry import Registry

    NanPolicy: TypeAlias = Literal["null", "error", "string"]
    DatetimeFormat: TypeAlias = Literal["iso", "http"]
    Orient: TypeAlias = Literal["records", "split", "columns", "index", "values"]
    Backend: TypeAlias = Literal["orjson", "ujson", "json"]


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


_CHOICES: dict[str, tuple[object, ...]] = {
    "nan": ("null", "error", "string"),
    "indent": (None, 2),
    "datetime_format": ("iso", "http"),
    "orient": ("records", "split", "columns", "index", "values"),
    "backend": ("orjson", "ujson", "json"),
}


class Options:
    """Every encoding option, with fastjson's defaults; immutable, validated on construction.

    A plain slotted class rather than a dataclass: immutable and hashable
    (contexts are cached per ``Options``) with no ``dataclasses`` machinery.
    """

    __slots__ = (
        "backend",
        "datetime_format",
        "default",
        "ensure_ascii",
        "indent",
        "nan",
        "orient",
        "registry",
        "sort_keys",
    )

    nan: NanPolicy
    sort_keys: bool
    indent: int | None
    ensure_ascii: bool
    default: Callable[[Any], Any] | None
    datetime_format: DatetimeFormat
    orient: Orient
    backend: Backend
    registry: Registry | None

    def __init__(
        self,
        *,
        nan: NanPolicy = "null",
        sort_keys: bool = False,
        indent: int | None = None,
        ensure_ascii: bool = False,
        default: Callable[[Any], Any] | None = None,
        datetime_format: DatetimeFormat = "iso",
        orient: Orient = "records",
        backend: Backend = "orjson",
        registry: Registry | None = None,
    ):
        values = locals()
        for name, allowed in _CHOICES.items():
            _choice(name, values[name], allowed)
        if default is not None and not callable(default):
            raise TypeError("default must be callable or None")
        for name in self.__slots__:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Options are immutable; use .replace(...)")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Options) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"Options({fields})"

    def replace(self, **changes: Any) -> Options:
        """A copy with ``changes`` applied (unknown names raise ``TypeError``)."""
        unknown = set(changes) - OPTION_NAMES
        if unknown:
            raise TypeError(f"unknown fastjson option(s): {', '.join(sorted(unknown))}")
        return Options(**{**{name: getattr(self, name) for name in self.__slots__}, **changes})


OPTION_NAMES = frozenset(Options.__slots__)


def qualname(cls: type) -> str:
    """``module.QualName`` for error messages (just ``QualName`` for builtins)."""
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def _choice(name: str, value: object, allowed: tuple[object, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
