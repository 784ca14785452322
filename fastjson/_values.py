"""Value-level facts that several layers share, declared once, below all of them.

- :data:`NATIVE`: the types fastjson writes itself. The rule for every route
  (the orjson fast path, the walk, every backend, every ``nan`` policy) is:
  an object whose *exact* type is in :data:`NATIVE` is written as JSON
  writes it; any other object (subclasses, dates, UUIDs, enums,
  dataclasses, numpy, pandas...) goes to the registry, where the built-in
  encoders give the default form and your encoders win over them.
- :class:`Raw`: an already-encoded JSON value.
- :class:`final`: a list an encoder built from JSON-ready values.
- :data:`NONFINITE_TOKENS`: how ``nan="string"`` spells NaN and infinities.
- :data:`SAFE_INTEGER`: the bound of ``big_int="string"``.
- dataclass helpers that do not import :mod:`dataclasses` until needed.
- :func:`escape_non_ascii`: ``ensure_ascii`` for orjson's output.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    import re

__all__ = (
    "INT64_MIN",
    "NATIVE",
    "NONFINITE_TOKENS",
    "SAFE_INTEGER",
    "UINT64_MAX",
    "Raw",
    "dataclass_fields",
    "escape_non_ascii",
    "final",
    "is_dataclass_type",
    "json_string",
)

NATIVE: frozenset[type] = frozenset({str, int, float, bool, type(None), dict, list, tuple})
"""Exact types written without consulting the registry (subclasses are not native)."""

NONFINITE_TOKENS: dict[str, str] = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
"""``repr(float)`` of a non-finite value -> its string under ``nan="string"`` (and as a key)."""

SAFE_INTEGER = 2**53 - 1
"""Largest integer a JavaScript number holds exactly (``Number.MAX_SAFE_INTEGER``)."""

INT64_MIN, UINT64_MAX = -(2**63), 2**64 - 1
"""orjson writes integers in this range; fastjson writes the others itself."""


class Raw:
    """An already-encoded JSON fragment, embedded verbatim (e.g. a cached payload).

    ``Raw(data)`` parses ``data`` once to check it is one valid JSON value, so
    a bad cache entry cannot corrupt a response. Pass ``trusted=True`` to skip
    that check when the bytes come from fastjson itself.
    """

    __slots__ = ("data", "fragment")

    def __init__(self, data: bytes | str, *, trusted: bool = False) -> None:
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


class final:
    """A value an encoder built from JSON-ready parts: the walk does not descend into it.

    JSON-ready means ``str``, ``int`` (within the ``big_int`` policy),
    finite ``float`` (within the ``nan`` policy), ``bool``, ``None``, and
    lists and str-keyed dicts of those, in output order. A wrapper rather
    than a list subclass, so the fast path hands ``items`` to orjson without
    a copy.
    """

    __slots__ = ("items",)

    def __init__(self, items: Any) -> None:
        self.items = items


def is_dataclass_type(cls: type) -> bool:
    """``dataclasses.is_dataclass`` for a class, without importing :mod:`dataclasses`."""
    return hasattr(cls, "__dataclass_fields__")


def dataclass_fields(o: Any) -> dict[str, Any]:
    """Every field of a dataclass instance, ``_private`` ones included, as Flask writes them.

    Flask's provider uses ``dataclasses.asdict``; this is its shallow form
    (nested values are encoded by the caller, so nothing is deep-copied).
    """
    import dataclasses

    return {f.name: getattr(o, f.name) for f in dataclasses.fields(o)}


def json_string(s: str) -> bytes:
    """``s`` as a JSON string, as the walk writes it: orjson's bytes, or, for a string
    holding a lone surrogate (which UTF-8 cannot carry), ``json``'s ``\\udXXX`` escape."""
    try:
        return orjson.dumps(s)
    except orjson.JSONEncodeError:
        import json

        return json.dumps(s).encode()


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    """Compiled on first use: importing :mod:`re` is a noticeable part of start-up."""
    import re

    return re.compile(pattern)


def escape_non_ascii(out: bytes) -> bytes:
    """``ensure_ascii`` for orjson output, as ``json`` does it: DEL and non-ASCII escaped.

    Both can only occur inside strings, where ``\\uXXXX`` means the same.
    """
    if out.isascii() and b"\x7f" not in out:
        return out
    return _pattern(r"[^\x00-\x7e]").sub(_u_escape, out.decode()).encode()


def _u_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
