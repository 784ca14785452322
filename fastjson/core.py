"""The encoding core: every front door (``dumpb``, ``jsonify``, the provider) ends here.

Encoding takes one of two routes, which must give identical bytes:

1. **Fast path.** ``orjson.dumps`` with a ``default`` hook that asks the
   registry about every type orjson does not know. numpy arrays come back from
   their encoder already encoded (a :class:`~fastjson.Raw` fragment), so no
   Python code ever touches their elements.
2. **Walk** (:mod:`fastjson._walk`). A complete normaliser in Python that
   also handles what orjson refuses (integers beyond 64 bits, nesting deeper
   than 254 levels, lone surrogates, numpy scalars as keys), tracks the path
   of every value for error messages, detects cycles and applies the ``nan``
   policies ``"error"`` and ``"string"``. It runs only when the fast path
   raises, when ``nan`` is not ``"null"``, or for the ``json``/``ujson``
   backends.

Most payloads never leave route 1; the price of route 2 is paid only by the
values that need it.
"""

from __future__ import annotations

import functools

import orjson

from . import registry as _registry
from ._types import TYPE_CHECKING, EncodeError, Options, Raw
from ._types import qualname as _qualname

if TYPE_CHECKING:
    import re
    from collections.abc import Callable
    from typing import Any

    from ._types import Backend, DatetimeFormat, NanPolicy, Orient
    from .registry import Registry

__all__ = ("Context", "dumpb", "dumps", "get_context", "loads")


@functools.cache
def _pattern(pattern: str | bytes) -> re.Pattern[Any]:
    """Compiled on first use: importing :mod:`re` is a noticeable part of start-up."""
    import re

    return re.compile(pattern)


class Context:
    """Encoding options compiled once: orjson flags, the ``default`` hook, the registry.

    Built-in encoders receive the context as their second argument so that
    they can honour the options (``ctx.options``), know whether they may
    return pre-encoded :class:`~fastjson.Raw` values (``ctx.fragments``: the
    output goes to orjson) and encode sub-values the same way (``ctx.dumpb``).
    """

    __slots__ = ("_flags", "fast", "fragments", "options", "registry")

    def __init__(self, options: Options):
        self.options = options
        self.registry: Registry = options.registry or _registry.default_registry
        self.fragments = options.backend == "orjson"
        self.fast = self.fragments and options.nan == "null"
        flags = 0
        if options.sort_keys:
            flags |= orjson.OPT_SORT_KEYS
        if options.indent:
            flags |= orjson.OPT_INDENT_2
        if options.datetime_format != "iso":
            flags |= orjson.OPT_PASSTHROUGH_DATETIME
        self._flags = flags

    def convert(self, obj: Any) -> Any:
        """One step for an object orjson does not know: its encoder, else ``default``.

        This is orjson's ``default`` hook, and the walk's and the provider's
        too: the single place where the registry and ``default`` are consulted.
        Raises :class:`EncodeError` when neither knows the type.
        """
        entry = self.registry.lookup(type(obj))
        if entry is not None:
            return entry.func(obj, self) if entry.with_options else entry.func(obj)
        if self.options.default is not None:
            return self.options.default(obj)
        raise EncodeError(f"Object of type {_qualname(type(obj))} is not JSON serializable")

    def dumpb(self, obj: Any) -> bytes:
        """Encode ``obj`` with these options."""
        if self.fast:
            if type(obj) not in _JSON_TYPES:
                obj = self._top_level(obj)
                if type(obj) is Raw:
                    return self._ascii(obj.data)
            try:
                out = orjson.dumps(obj, default=self.convert, option=self._flags)
            except TypeError:
                pass  # the walk knows what orjson refused, and says where
            else:
                return self._ascii(out)
        from ._walk import walk

        return self.finish(walk(obj, self))

    def _top_level(self, obj: Any) -> Any:
        """Apply the encoder of a top-level array or frame here rather than in orjson.

        An encoder that returns pre-encoded bytes then *is* the output: no
        second buffer of the same size, which matters for 20 MB payloads. On
        any error the object is returned as it was and the usual route
        reports the problem with its path.
        """
        try:
            return self.convert(obj)
        except Exception:
            return obj

    def _ascii(self, out: bytes) -> bytes:
        return _escape_non_ascii(out) if self.options.ensure_ascii else out

    def finish(self, tree: Any) -> bytes:
        """Serialise a tree the walk has normalised, with the selected backend."""
        opts = self.options
        if self.fragments:
            return self._ascii(orjson.dumps(tree, option=self._flags))
        if opts.backend == "ujson":
            import ujson

            try:
                text = ujson.dumps(
                    tree,
                    ensure_ascii=opts.ensure_ascii,
                    sort_keys=opts.sort_keys,
                    indent=opts.indent or 0,
                    escape_forward_slashes=False,
                    reject_bytes=True,
                )
                return text.encode()
            except (UnicodeEncodeError, OverflowError):
                pass  # lone surrogates: the stdlib escapes them below
        import json

        separators = (",", ":") if opts.indent is None else (",", ": ")
        kwargs = {"sort_keys": opts.sort_keys, "indent": opts.indent, "separators": separators}
        text = json.dumps(tree, ensure_ascii=opts.ensure_ascii, allow_nan=False, **kwargs)
        try:
            return text.encode()
        except UnicodeEncodeError:
            return json.dumps(tree, ensure_ascii=True, allow_nan=False, **kwargs).encode()


def _escape_non_ascii(out: bytes) -> bytes:
    """``ensure_ascii`` for orjson output: non-ASCII only occurs inside strings."""
    if out.isascii():
        return out
    return _pattern(r"[^\x00-\x7f]").sub(_u_escape, out.decode()).encode()


def _u_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


_JSON_TYPES = frozenset({dict, list, tuple, str, int, float, bool, type(None)})
"""Types orjson takes as they are at the top level: no encoder lookup for them."""

_DEFAULT_CONTEXT = Context(Options())


@functools.lru_cache(maxsize=128)
def _cached_context(options: Options) -> Context:
    return Context(options)


def get_context(options: Options | None = None, **changes: Any) -> Context:
    """The compiled :class:`Context` for ``options`` with ``changes`` applied (cached)."""
    if options is None and not changes:
        return _DEFAULT_CONTEXT
    base = options or _DEFAULT_CONTEXT.options
    options = base.replace(**changes) if changes else base
    try:
        return _cached_context(options)
    except TypeError:  # an unhashable default callable: compile without caching
        return Context(options)


def dumpb(
    obj: Any,
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
) -> bytes:
    """Encode ``obj`` as JSON bytes (UTF-8). The fast path; see the README for each option.

    Raises :class:`EncodeError` (a ``TypeError``) for values with no JSON
    representation and ``ValueError`` for non-finite floats under
    ``nan="error"``, for cycles and for nesting deeper than 800 levels.
    """
    if (
        nan == "null"
        and not sort_keys
        and indent is None
        and not ensure_ascii
        and default is None
        and datetime_format == "iso"
        and orient == "records"
        and backend == "orjson"
        and registry is None
    ):
        return _DEFAULT_CONTEXT.dumpb(obj)
    options = Options(
        nan=nan,
        sort_keys=sort_keys,
        indent=indent,
        ensure_ascii=ensure_ascii,
        default=default,
        datetime_format=datetime_format,
        orient=orient,
        backend=backend,
        registry=registry,
    )
    return get_context(options).dumpb(obj)


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


def _finite_float(text: str) -> float:
    """As orjson: a number too large for a double is an error, not infinity."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text} is infinity when parsed as double")
    return value


def dumps(obj: Any, **options: Any) -> str:
    """Like :func:`dumpb` but returns ``str``."""
    return dumpb(obj, **options).decode()


def loads(data: str | bytes | bytearray | memoryview) -> Any:
    """Parse JSON losslessly and strictly. Raises a ``ValueError`` for invalid input.

    Strict as orjson is: no ``NaN``/``Infinity`` tokens, no number beyond a
    double's range. orjson parses integers beyond 64 bits as floats, so input
    holding a run of 20 or more digits (where such an integer could be) goes
    to :func:`json.loads` with the same strictness, which keeps them exact.
    """
    if isinstance(data, memoryview):
        data = data.tobytes()
    if _pattern(r"\d{20}" if isinstance(data, str) else rb"\d{20}").search(data):
        import json

        try:
            return json.loads(data, parse_constant=_reject_constant, parse_float=_finite_float)
        except RecursionError:  # hostile nesting must stay a ValueError (HTTP 400)
            text = data if isinstance(data, str) else bytes(data).decode(errors="replace")
            raise json.JSONDecodeError("nesting too deep", text, 0) from None
    return orjson.loads(data)
