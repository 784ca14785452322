"""Every encoding option, declared once: its name, its type and its default.

:class:`Options` is the declaration. Each key is an option; its annotation is
``Annotated[<type>, <default>]``. Everything else is derived from it:

- the typed keyword arguments of ``dumpb``, ``dumps``, ``Encoder``,
  ``json_response`` (``**options: Unpack[Options]``), so a type checker
  rejects ``dumps(x, nan="bogus")``;
- :data:`DEFAULTS` and the run-time validation in :func:`resolve`, read from
  the annotations (a ``Literal`` gives the allowed values);
- the attributes of :class:`fastjson.FastJSONProvider`.

Adding an option is one line here plus its implementation.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import (
    Annotated,
    Any,
    Literal,
    TypeAlias,
    TypedDict,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from .registry import Registry

__all__ = (
    "DEFAULTS",
    "NAMES",
    "Backend",
    "BigInt",
    "DatetimeFormat",
    "Indent",
    "NanPolicy",
    "Options",
    "Orient",
    "check",
    "resolve",
)

NanPolicy: TypeAlias = Literal["null", "error", "string"]
DatetimeFormat: TypeAlias = Literal["iso", "http"]
Orient: TypeAlias = Literal["records", "split", "columns", "index", "values"]
Backend: TypeAlias = Literal["orjson", "ujson", "json"]
BigInt: TypeAlias = Literal["number", "string"]
Indent: TypeAlias = Literal[2] | None


class Options(TypedDict, total=False):
    """fastjson's encoding options; ``Annotated[type, default]`` per key. See the README."""

    nan: Annotated[NanPolicy, "null"]
    """NaN and infinities: ``null``, an ``EncodeError`` (``"error"``) or ``"NaN"`` strings."""

    sort_keys: Annotated[bool, False]
    """Sort object keys, as ``json.dumps(sort_keys=True)`` sorts them."""

    indent: Annotated[Indent, None]
    """``2``: pretty-print with two spaces (orjson's only indentation)."""

    ensure_ascii: Annotated[bool, False]
    """Escape every character outside printable ASCII (``\\u00e9``)."""

    default: Annotated[Callable[[Any], Any] | None, None]
    """Last resort for objects no encoder knows, as ``json.dumps(default=...)``."""

    datetime_format: Annotated[DatetimeFormat, "iso"]
    """Datetimes as ISO 8601, or as RFC 822 (``"http"``, what Flask writes)."""

    orient: Annotated[Orient, "records"]
    """Layout of DataFrames and Series, with pandas' meanings."""

    big_int: Annotated[BigInt, "number"]
    """Integers beyond ±(2**53-1): numbers, or decimal strings that JavaScript keeps exact."""

    backend: Annotated[Backend, "orjson"]
    """The serialiser; ``"ujson"`` and ``"json"`` exist for comparison."""

    registry: Annotated[Registry | None, None]
    """Encoders to use instead of the global set (a layer over it)."""


def _declared() -> dict[str, tuple[Any, Any]]:
    hints = get_type_hints(Options, include_extras=True)
    return {name: get_args(hint)[:2] for name, hint in hints.items()}


_DECLARED = _declared()

NAMES: tuple[str, ...] = tuple(_DECLARED)
"""Every option name, in declaration order."""

DEFAULTS: Options = {name: default for name, (_, default) in _DECLARED.items()}  # type: ignore[assignment]
"""Every option with its default value."""


def _check(hint: Any) -> tuple[Callable[[object], bool], str]:
    """A validator for values of type ``hint`` and a description for error messages."""
    origin = get_origin(hint)
    if origin is Literal:
        allowed = get_args(hint)
        return (
            lambda v: any(v is a or (type(v) is type(a) and v == a) for a in allowed),
            "one of " + ", ".join(map(repr, allowed)),
        )
    if origin in (Union, types.UnionType):
        parts = [_check(arg) for arg in get_args(hint)]
        checks = [check for check, _ in parts]
        return (lambda v: any(c(v) for c in checks), " or ".join(d for _, d in parts))
    if hint is type(None):
        return (lambda v: v is None, "None")
    if origin is Callable or hint is Callable:
        return (callable, "callable")
    if isinstance(hint, type):
        return (lambda v: isinstance(v, hint), f"a {hint.__name__}")
    raise TypeError(f"option type {hint!r} has no validator")  # pragma: no cover


_CHECKS = {name: _check(hint) for name, (hint, _) in _DECLARED.items()}


def check(name: str, value: Any) -> None:
    """Validate one option: ``TypeError`` for an unknown name, ``ValueError`` for a value
    outside the option's type. The provider's attributes are checked with it too, so a
    wrong value fails where it is set, with the message ``Encoder`` gives."""
    try:
        valid, allowed = _CHECKS[name]
    except KeyError:
        known = ", ".join(NAMES)
        raise TypeError(f"unknown fastjson option {name!r} (options: {known})") from None
    if not valid(value):
        raise ValueError(f"{name} must be {allowed}; got {value!r}")


def resolve(changes: Options | dict[str, Any], base: Options = DEFAULTS) -> Options:
    """``base`` with ``changes`` applied, each validated by :func:`check`."""
    for name, value in changes.items():
        check(name, value)
    return {**base, **changes}  # type: ignore[typeddict-item]
