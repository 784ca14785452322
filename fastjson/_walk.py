"""The walk: a complete normaliser for what the orjson fast path refuses.

:func:`walk` turns any encodable object into a tree the backend writes
without help: ``dict`` with ``str`` keys (already in output order), ``list``,
``str``, ``int``, ``float``, ``bool``, ``None``, and, for orjson,
:class:`orjson.Fragment` leaves. It follows the one rule of
:mod:`fastjson._values`: exact native types are written as JSON writes them,
everything else goes through :meth:`Encoder.convert` (the registry), exactly
as on the fast path, so both routes give the same bytes. It adds what orjson
lacks:

- integers beyond 64 bits (exact digits) and ``big_int="string"``;
- nesting deeper than orjson's 254 levels (subtrees pre-encoded in slices);
- lone surrogates (escaped as ``\\udXXX``, as Flask's ``json`` does);
- non-string keys, written and sorted as :mod:`json` (and so Flask) does;
- the ``nan`` policies ``"error"`` and ``"string"``;
- the path of every value (``$.rows[3].x``) for errors, and cycles.

Containers are walked with one Python frame per level; arrays and frames are
never walked element by element, their encoders work on whole columns.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from ._errors import (
    CircularReferenceError,
    DuplicateKeyError,
    EncodeError,
    EncodeValueError,
    NestingTooDeepError,
    NonFiniteError,
    format_path,
    qualname,
)
from ._values import (
    INT64_MIN,
    NONFINITE_TOKENS,
    SAFE_INTEGER,
    UINT64_MAX,
    Raw,
    escape_non_ascii,
    final,
)

if TYPE_CHECKING:
    from .registry import Registry

__all__ = ("MAX_DEPTH", "Encoding", "object_items", "walk", "write")


class Encoding(Protocol):
    """What the walk needs of an encoder (:class:`fastjson.Encoder` provides it).

    A protocol rather than an import, so that the core can import the walk
    without the walk importing the core back.
    """

    fragments: bool
    registry: Registry

    def option(self, name: str) -> Any: ...
    def replace(self, *, datetime_format: Any = ..., nan: Any = ...) -> Encoding: ...
    def convert(self, obj: Any) -> Any: ...


MAX_DEPTH = 800
"""Deepest nesting accepted (Flask's ``json`` manages a little less than 1000)."""

_SLICE = 200
"""For orjson, subtrees are pre-encoded every this many levels (orjson stops at 254)."""

_ENCODER_CHAIN = 16
"""How many encoders may hand a value on before we call it a loop."""

_KEY_TYPES = (str, int, float, bool, type(None))


def walk(obj: Any, enc: Encoding, memo: dict[int, tuple[Any, ...]] | None = None) -> Any:
    """Normalise ``obj`` for ``enc``'s backend, raising errors that name the path.

    ``memo`` holds what the fast path's encoders already returned (or raised)
    for each object, by identity, so that none runs twice.
    """
    walker = _Walker(enc, memo or {})
    try:
        return walker.value(obj, 0)
    except RecursionError:
        raise NestingTooDeepError("nesting too deep", walker.where()) from None


def write(tree: Any, enc: Encoding) -> bytes:
    """A tree the walk has normalised (keys in order already), written by ``enc``'s backend."""
    indent = enc.option("indent")
    ascii_only = enc.option("ensure_ascii")
    if enc.fragments:
        out = orjson.dumps(tree, option=orjson.OPT_INDENT_2 if indent else 0)
        return escape_non_ascii(out) if ascii_only else out
    if enc.option("backend") == "ujson":
        import ujson

        try:
            text = ujson.dumps(
                tree,
                ensure_ascii=False,  # escaped as json escapes, DEL too
                indent=indent or 0,
                escape_forward_slashes=False,
                reject_bytes=True,
            )
            return escape_non_ascii(text.encode()) if ascii_only else text.encode()
        except (UnicodeEncodeError, OverflowError):
            pass  # lone surrogates: the stdlib escapes them below
    separators = (",", ":") if indent is None else (",", ": ")
    kwargs: dict[str, Any] = {"indent": indent, "separators": separators, "allow_nan": False}
    text = json.dumps(tree, ensure_ascii=ascii_only, **kwargs)
    try:
        return text.encode()
    except UnicodeEncodeError:  # lone surrogates: escape them, as Flask writes them
        return json.dumps(tree, ensure_ascii=True, **kwargs).encode()


def object_items(o: dict[Any, Any], enc: Encoding) -> list[tuple[str, Any]]:
    """A dict's items as the walk writes them: keys as strings, in output order.

    For writers that lay out an object themselves (the streaming encoder),
    so that their keys and order are exactly those of :func:`walk`.
    """
    walker = _Walker(enc, {})
    items = list(o.items())
    names = [k if type(k) is str and k.isascii() else walker._key(k) for k, _ in items]
    order = _sorted_order(items, names) if walker.sort else range(len(items))
    out: dict[str, Any] = {}
    for i in order:
        if names[i] in out:
            raise walker._duplicate(items, names, i)
        out[names[i]] = items[i][1]
    return list(out.items())


class _Walker:
    __slots__ = ("big_int", "enc", "fragments", "key_enc", "memo", "nan", "path", "seen", "sort")

    def __init__(self, enc: Encoding, memo: dict[int, tuple[Any, ...]]) -> None:
        self.enc = enc
        self.memo = memo
        self.fragments = enc.fragments
        self.nan = enc.option("nan")
        self.sort = enc.option("sort_keys")
        self.big_int = enc.option("big_int") == "string"
        # Keys are always ISO dates, and non-finite numbers there are "NaN" strings
        # under every policy, as float keys are: a key cannot make the output invalid.
        self.key_enc = enc.replace(datetime_format="iso", nan="string")
        self.path: list[str | int] = []
        self.seen: set[int] = set()

    def where(self) -> str:
        return format_path(self.path)

    def value(self, o: Any, depth: int) -> Any:
        t = type(o)
        if t is str:
            return o if o.isascii() else self._text(o)
        if t is int:
            return self._int(o)
        if t is float:
            return o if math.isfinite(o) else self._nonfinite(o)
        if o is None or t is bool:
            return o
        if t is dict or t is list or t is tuple:
            return self._container(o, depth)
        if t is final:
            return o.items
        return self._encode(o, depth)

    def _container(self, o: Any, depth: int) -> Any:
        """A dict, list or tuple. Containers inside recurse here directly: one Python
        frame per level, so that ``MAX_DEPTH`` levels fit in the interpreter's stack."""
        if depth >= MAX_DEPTH:
            raise NestingTooDeepError(f"nesting deeper than {MAX_DEPTH} levels", self.where())
        key = id(o)
        if key in self.seen:
            raise CircularReferenceError("circular reference", self.where())
        self.seen.add(key)
        path = self.path
        out: Any
        if type(o) is dict:
            items = list(o.items())
            names = [k if type(k) is str and k.isascii() else self._key(k) for k, _ in items]
            out = {}
            for i in _sorted_order(items, names) if self.sort else range(len(items)):
                name = names[i]
                if name in out:
                    raise self._duplicate(items, names, i)
                path.append(name)
                v = items[i][1]
                t = type(v)
                if t is dict or t is list or t is tuple:
                    out[name] = self._container(v, depth + 1)
                else:
                    out[name] = self.value(v, depth + 1)
                path.pop()
            if self.fragments and not all(map(_utf8_ok, out)):
                out = self._escaped_object(out)
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
        if self.fragments and depth and depth % _SLICE == 0 and type(out) is not orjson.Fragment:
            return orjson.Fragment(write(out, self.enc))
        return out

    def _duplicate(self, items: list[tuple[Any, Any]], names: list[str], i: int) -> Exception:
        first = next(k for (k, _), n in zip(items, names, strict=True) if n == names[i])
        return DuplicateKeyError(
            f"keys {first!r} and {items[i][0]!r} both write as {json.dumps(names[i])}",
            self.where(),
        )

    def _escaped_object(self, out: dict[str, Any]) -> orjson.Fragment:
        """orjson cannot write a key with a lone surrogate: assemble this object by hand."""
        body = b",".join(
            json.dumps(k).encode() + b":" + write(v, self.enc) for k, v in out.items()
        )
        return orjson.Fragment(b"{" + body + b"}")

    def _encode(self, o: Any, depth: int) -> Any:
        """Hand ``o`` to its encoder (or ``default``) and walk what comes back."""
        for _ in range(_ENCODER_CHAIN):
            result = self._convert(o)
            t = type(result)
            if t is orjson.Fragment and type(o) is Raw:
                return result  # a Raw's bytes, checked when it was made; any other fragment
                # goes through the registry (which checks it) on the next round
            if t is dict or t is list or t is tuple:
                return self._container(result, depth)
            if t is str or t is int or t is float or t is bool or t is final or result is None:
                return self.value(result, depth)
            if result is o or t is type(o):
                raise EncodeError(
                    f"encoder for {qualname(type(o))} returned another {qualname(t)}; "
                    "it would never finish",
                    self.where(),
                )
            o = result
        raise EncodeError(
            f"encoders passed a {qualname(type(o))} on {_ENCODER_CHAIN} times without end",
            self.where(),
        )

    def _convert(self, o: Any) -> Any:
        """``enc.convert(o)``, or what the fast path got for ``o``; errors gain the path."""
        hit = self.memo.get(id(o))
        try:
            if hit is not None and hit[0] is o:
                if len(hit) == 2:
                    raise hit[1]
                return hit[2]
            return self.enc.convert(o)
        except EncodeError as exc:
            raise exc.within(self.where()) from exc.__cause__
        except RecursionError:
            raise
        except Exception as exc:  # an encoder's own failure still names the type and path
            kind = EncodeValueError if isinstance(exc, ValueError) else EncodeError
            message = f"encoding {qualname(type(o))} failed: {type(exc).__name__}: {exc}"
            raise kind(message, self.where()) from exc

    def _key(self, k: Any) -> str:
        """A dict key as a string, as :mod:`json` (and so Flask) writes it."""
        t = type(k)
        if t is str:
            return str.__str__(k)  # lone surrogates in keys: see _escaped_object
        if t is bool or k is None:
            return "true" if k is True else "false" if k is False else "null"
        if t is int:
            return self._digits(k)
        if t is float:
            # Keys are strings, so NaN cannot make them invalid: write them as json does.
            return float.__repr__(k) if math.isfinite(k) else NONFINITE_TOKENS[repr(k)]
        if self.enc.registry.lookup(t) is None:  # keys never go to ``default``, as in json
            raise self._bad_key(t)
        try:
            converted = self.key_enc.convert(k)
        except EncodeError as exc:
            raise exc.within(self.where()) from exc.__cause__
        if isinstance(converted, Raw):
            converted = orjson.loads(converted.data)
        if type(converted) in _KEY_TYPES:
            return self._key(converted)
        raise self._bad_key(t)

    def _bad_key(self, t: type) -> EncodeError:
        return EncodeError(
            f"dict key of type {qualname(t)} is not supported "
            "(keys must be str, int, float, bool, None, a date, an enum or a numpy scalar)",
            self.where(),
        )

    def _text(self, s: str) -> Any:
        if not self.fragments or _utf8_ok(s):
            return s  # json backends: see Encoder.finish
        return orjson.Fragment(json.dumps(s).encode())

    def _int(self, i: int) -> Any:
        if INT64_MIN <= i <= UINT64_MAX:
            return str(i) if self.big_int and not -SAFE_INTEGER <= i <= SAFE_INTEGER else i
        text = self._digits(i)  # beyond 64 bits, orjson writes no digits: fastjson does
        if self.big_int:
            return text
        return orjson.Fragment(text.encode()) if self.fragments else i

    def _digits(self, i: int) -> str:
        """``repr(i)``, or an error with the path when ``i`` has more digits than the
        interpreter converts (``sys.get_int_max_str_digits()``): ``loads`` could
        not read them back either."""
        try:
            return int.__repr__(i)
        except ValueError:
            import sys

            limit = sys.get_int_max_str_digits()
            raise EncodeValueError(
                f"an integer of about {int(i.bit_length() * 0.30103) + 1} digits exceeds the "
                f"interpreter's limit of {limit} (sys.set_int_max_str_digits)",
                self.where(),
            ) from None

    def _nonfinite(self, f: float) -> Any:
        if self.nan == "null":
            return None
        if self.nan == "string":
            return NONFINITE_TOKENS[repr(f)]
        raise NonFiniteError(f, self.where())


def _sorted_order(items: list[tuple[Any, Any]], names: list[str]) -> list[int]:
    """Key order under ``sort_keys``, as :mod:`json` sorts: by the keys themselves.

    ``{10: a, 9: b}`` sorts 9 before 10, as Flask does. Keys that cannot be
    compared with each other (``1`` and ``"a"``; ``json`` raises there) are
    sorted by the strings they are written as.
    """
    indices = list(range(len(items)))
    try:
        return sorted(indices, key=lambda i: items[i][0])
    except TypeError:
        return sorted(indices, key=names.__getitem__)


def _utf8_ok(s: str) -> bool:
    """False for strings holding lone surrogates, which UTF-8 cannot carry."""
    if s.isascii():
        return True
    try:
        s.encode()
    except UnicodeEncodeError:
        return False
    return True
