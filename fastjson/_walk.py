"""The walk: a complete normaliser for what the orjson fast path refuses.

:func:`walk` turns any encodable object into a tree that the backend encodes
without help: ``dict`` with ``str`` keys, ``list``, ``str``, ``int``,
``float``, ``bool``, ``None``, plus (for orjson) :class:`orjson.Fragment`
leaves and the types orjson formats natively (``datetime``, ``date``,
``time``). It mirrors orjson's own rules so that a value gives the same bytes
on either route, and adds what orjson lacks:

- integers beyond 64 bits (exact digits, as a fragment);
- nesting deeper than orjson's 254 levels (subtrees pre-encoded in slices);
- lone surrogates (escaped as ``\\udXXX``, as Flask's ``json`` does);
- non-string keys of any supported kind, numpy scalars included;
- the ``nan`` policies ``"error"`` and ``"string"``;
- the path of every value (``$.rows[3].x``) for error messages, and cycles.

Containers are walked with one Python frame per level; arrays and frames are
never walked element by element, their encoders work on whole columns.
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
import math
import uuid
from typing import TYPE_CHECKING, Any

import orjson

from ._types import EncodeError, Raw
from ._types import qualname as _qualname
from .encoders.stdlib import dataclass_fields, is_dataclass_type

if TYPE_CHECKING:
    from .core import Context

__all__ = ("MAX_DEPTH", "NonFiniteError", "final", "walk")

MAX_DEPTH = 800
"""Deepest nesting accepted (Flask's ``json`` manages a little less than 1000)."""

_SLICE = 200
"""For orjson, subtrees are pre-encoded every this many levels (orjson stops at 254)."""

_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
_NATIVE_TIME = (_dt.datetime, _dt.date, _dt.time)
_NONFINITE_STRINGS = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_ENCODER_CHAIN = 16
"""How many encoders may hand a value on before we call it a loop."""


class NonFiniteError(ValueError):
    """Raised by array encoders under ``nan="error"``; ``where`` is the index suffix."""

    def __init__(self, value: float, where: str = ""):
        super().__init__(f"non-finite float {value!r} is not allowed (nan='error')")
        self.value = value
        self.where = where


class final(list):
    """A list an encoder built from JSON-ready values; the walk does not descend into it."""

    __slots__ = ()


def walk(obj: Any, ctx: Context) -> Any:
    """Normalise ``obj`` for ``ctx``'s backend, raising errors that name the path."""
    walker = _Walker(ctx)
    try:
        return walker.value(obj, 0)
    except RecursionError:
        raise ValueError(f"nesting too deep at {walker.where()}") from None


class _Walker:
    __slots__ = ("ctx", "fragments", "nan", "path", "seen", "time_native")

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.fragments = ctx.fragments
        self.nan = ctx.options.nan
        self.time_native = ctx.fragments and ctx.options.datetime_format == "iso"
        self.path: list[str | int] = []
        self.seen: set[int] = set()

    def where(self) -> str:
        parts = ["$"]
        for p in self.path:
            if isinstance(p, int):
                parts.append(f"[{p}]")
            elif p.isidentifier():
                parts.append(f".{p}")
            else:
                parts.append(f"[{json.dumps(p)}]")
        return "".join(parts)

    def value(self, o: Any, depth: int) -> Any:
        t = type(o)
        if t is str:
            return o if o.isascii() else self._text(o)
        if t is int:
            return o if _INT_MIN <= o <= _INT_MAX else self._bigint(o)
        if t is float:
            return o if math.isfinite(o) else self._nonfinite(o)
        if o is None or t is bool:
            return o
        if t is dict or t is list or t is tuple:
            return self._container(o, depth)
        if t is final:
            return o
        return self._other(o, depth)

    def _container(self, o: Any, depth: int) -> Any:
        if depth >= MAX_DEPTH:
            raise ValueError(f"nesting deeper than {MAX_DEPTH} levels at {self.where()}")
        key = id(o)
        if key in self.seen:
            raise ValueError(f"circular reference at {self.where()}")
        self.seen.add(key)
        path = self.path
        out: Any
        unencodable_key = False
        if isinstance(o, dict):
            out = {}
            for k, v in dict.items(o):
                name = k if type(k) is str and k.isascii() else self._key(k)
                unencodable_key = unencodable_key or not _utf8_ok(name)
                path.append(name)
                t = type(v)
                if t is dict or t is list or t is tuple:  # one frame per level
                    out[name] = self._container(v, depth + 1)
                else:
                    out[name] = self.value(v, depth + 1)
                path.pop()
        else:
            out = []
            for i, v in enumerate(o):
                path.append(i)
                t = type(v)
                if t is dict or t is list or t is tuple:
                    out.append(self._container(v, depth + 1))
                else:
                    out.append(self.value(v, depth + 1))
                path.pop()
        self.seen.discard(key)
        if self.fragments and unencodable_key:
            return self._escaped_object(out)
        if self.fragments and depth and depth % _SLICE == 0:
            return orjson.Fragment(self.ctx.finish(out))
        return out

    def _escaped_object(self, out: dict[str, Any]) -> orjson.Fragment:
        """orjson cannot write a key with a lone surrogate: assemble this object by hand."""
        items = sorted(out.items()) if self.ctx.options.sort_keys else out.items()
        body = b",".join(json.dumps(k).encode() + b":" + self.ctx.finish(v) for k, v in items)
        return orjson.Fragment(b"{" + body + b"}")

    def _other(self, o: Any, depth: int) -> Any:
        """Everything that is not an exact JSON type, in orjson's order of precedence."""
        if isinstance(o, orjson.Fragment):
            if self.fragments:
                return o
            raise EncodeError(
                "an orjson.Fragment can only be written by the orjson backend; "
                "use fastjson.Raw, which every backend accepts",
                self.where(),
            )
        if isinstance(o, enum.Enum):
            return self.value(o.value, depth)
        if isinstance(o, str):
            return self.value(str.__str__(o), depth)
        if isinstance(o, int) and not isinstance(o, bool):
            return self.value(int.__index__(o), depth)
        if isinstance(o, dict | list):
            return self._container(o, depth)
        if type(o) in _NATIVE_TIME and self.time_native:
            return o
        if type(o) is uuid.UUID:
            return str(o)
        if is_dataclass_type(type(o)):
            return self._container(dataclass_fields(o), depth)
        return self._encode(o, depth)

    def _encode(self, o: Any, depth: int) -> Any:
        """Hand ``o`` to its encoder (or ``default``) and walk what comes back."""
        ctx = self.ctx
        for _ in range(_ENCODER_CHAIN):
            try:
                result = ctx.convert(o)
            except NonFiniteError as exc:
                raise ValueError(f"{exc} at {self.where()}{exc.where}") from None
            except EncodeError as exc:
                if exc.path is not None:
                    raise
                raise EncodeError(str(exc), self.where()) from exc.__cause__
            except ValueError as exc:
                raise ValueError(f"{exc} at {self.where()}") from exc
            except Exception as exc:  # an encoder's own bug still names the type and path
                raise EncodeError(
                    f"encoding {_qualname(type(o))} failed: {type(exc).__name__}: {exc}",
                    self.where(),
                ) from exc
            if result is o or type(result) is type(o):
                raise EncodeError(
                    f"encoder for {_qualname(type(o))} returned another "
                    f"{_qualname(type(result))}; it would never finish",
                    self.where(),
                )
            if type(result) in (str, int, float, bool, dict, list, tuple, final) or (
                result is None
            ):
                return self.value(result, depth)
            if isinstance(result, orjson.Fragment) and self.fragments:
                return result
            o = result
            if not _needs_encoder(o, self):
                return self.value(o, depth)
        raise EncodeError(
            f"encoders passed a {_qualname(type(o))} on {_ENCODER_CHAIN} times without end",
            self.where(),
        )

    def _key(self, k: Any) -> str:
        """A dict key as a string, as :mod:`json` (and so Flask) writes it."""
        t = type(k)
        if t is str or isinstance(k, str):
            return self._text(str.__str__(k), key=True)
        if t is bool or k is None:
            return "true" if k is True else "false" if k is False else "null"
        if isinstance(k, int):
            return str(int.__index__(k))
        if t is float:
            # Keys are strings, so NaN cannot make them invalid: write them as json does.
            return float.__repr__(k) if math.isfinite(k) else _NONFINITE_STRINGS[repr(k)]
        if isinstance(k, enum.Enum):
            return self._key(k.value)
        if t is uuid.UUID:
            return str(k)
        if t in _NATIVE_TIME:
            return orjson.dumps(k).decode()[1:-1]
        if self.ctx.registry.lookup(t) is None:  # keys never go to ``default``, as in json
            raise self._bad_key(t)
        converted = self.ctx.convert(k)
        if isinstance(converted, Raw):
            text = converted.data.decode()
            return json.loads(text) if text.startswith('"') else text
        if converted is None or type(converted) in (str, bool, int, float):
            return self._key(converted)
        raise self._bad_key(t)

    def _bad_key(self, t: type) -> EncodeError:
        return EncodeError(
            f"dict key of type {_qualname(t)} is not supported "
            "(keys must be str, int, float, bool, None, a date, an enum or a numpy scalar)",
            self.where(),
        )

    def _text(self, s: str, *, key: bool = False) -> Any:
        if key or not self.fragments or _utf8_ok(s):
            return s  # keys: see _escaped_object; json backends: see Context.finish
        return orjson.Fragment(json.dumps(s).encode())

    def _bigint(self, i: int) -> Any:
        return orjson.Fragment(str(i).encode()) if self.fragments else i

    def _nonfinite(self, f: float) -> Any:
        if self.nan == "null":
            return None
        if self.nan == "string":
            return _NONFINITE_STRINGS[repr(f)]
        raise ValueError(f"non-finite float {f!r} is not allowed (nan='error') at {self.where()}")


def _utf8_ok(s: str) -> bool:
    """False for strings holding lone surrogates, which UTF-8 cannot carry."""
    if s.isascii():
        return True
    try:
        s.encode()
    except UnicodeEncodeError:
        return False
    return True


def _needs_encoder(o: Any, walker: _Walker) -> bool:
    """True while ``o`` still has to go through an encoder rather than the walk."""
    if isinstance(o, str | int | float | dict | list | enum.Enum | uuid.UUID):
        return False
    if isinstance(o, orjson.Fragment):
        return False
    if type(o) in _NATIVE_TIME and walker.time_native:
        return False
    return not is_dataclass_type(type(o))
