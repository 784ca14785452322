"""The encoding core: every front door (``dumpb``, ``jsonify``, the provider) ends here.

An :class:`Encoder` compiles a set of options once. Encoding then takes one
of two routes, which give identical bytes:

1. **Fast path.** ``orjson.dumps`` writes the native types
   (:data:`fastjson._values.NATIVE`) and hands every other object to
   :meth:`Encoder._defer`, which converts it through :meth:`Encoder.convert`,
   the single place where the registry and ``default`` are consulted, unless
   that would run code of yours while orjson holds the payload: such objects
   are converted once orjson has returned (:mod:`fastjson._deferral`). numpy
   arrays and frames come back from their encoders already encoded (a
   :class:`~fastjson.Raw` fragment), so no Python code touches their elements.
2. **Walk** (:mod:`fastjson._walk`). A complete normaliser in Python for what
   orjson refuses (integers beyond 64 bits, nesting deeper than 254 levels,
   lone surrogates, non-string keys, ``nan`` other than ``"null"``, the
   json/ujson backends), which also finds the path of a failing value.

When the fast path gives up, the walk reuses what the fast path's encoders
already returned (a memo by object identity), so an encoder, or ``default``,
runs at most once per value: a generator handed to ``default=list`` is not
consumed twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from threading import get_ident
from typing import TYPE_CHECKING, Any, Unpack

import orjson

from . import _walk
from . import registry as _registry
from ._dates import iso_datetime
from ._deferral import _THREADS, DEFERRED, SLOT, Refused, UserCode, slots, splice, thread
from ._errors import CircularReferenceError, EncodeError, qualname
from ._options import DEFAULTS, Options, resolve
from ._parse import loads
from ._scan import WALK, payload_flags, result_flags
from ._values import NATIVE, Raw, escape_non_ascii

if TYPE_CHECKING:
    from .registry import Registry

__all__ = ("Encoder", "dumpb", "dumps", "encoder_for", "escape_non_ascii", "loads")

_ALWAYS = orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
"""orjson hands these to :meth:`Encoder.convert` rather than writing them its own way:
subclasses (an ``OrderedDict`` keeps its order) and dataclasses (``_private`` fields
kept, as Flask). Datetimes too, when their form is not orjson's (``_replan``)."""

_MOMENTS = (dt.date, dt.time)

_MEMOS: dict[int, dict[int, tuple[Any, ...]]] = {}
"""Per thread, what the fast path's ``default`` hook returned (or raised) for each object
during the current encode, so that the walk, when the fast path gives up, reuses it
rather than running an encoder, or ``default``, a second time."""


def _memo() -> dict[int, tuple[Any, ...]]:
    ident = get_ident()
    memo = _MEMOS.get(ident)
    if memo is None:
        memo = _MEMOS[ident] = {}
    return memo


class Encoder:
    """A reusable encoder: options validated and compiled once, thread-safe.

    >>> enc = fastjson.Encoder(sort_keys=True, nan="error")
    >>> enc.encode({"b": 1, "a": 2})
    b'{"a":2,"b":1}'

    ``Encoder(**options)`` takes the options of :class:`fastjson.Options`;
    :func:`dumpb` is ``Encoder().encode``. An encoder's options never change
    after it is built, so one instance may serve every thread of a server.
    """

    __slots__ = (
        "__weakref__",
        "_escape",
        "_fast",
        "_flags",
        "_hook",
        "_iso_dates",
        "_native",
        "_opts",
        "_variants",
        "fragments",
        "registry",
    )

    def __init__(self, **options: Unpack[Options]) -> None:
        self._setup(resolve(options))

    @classmethod
    def _from(cls, options: Options) -> Encoder:
        encoder = cls.__new__(cls)
        encoder._setup(options)
        return encoder

    def _setup(self, opts: Options) -> None:
        self._opts = opts
        self.registry: Registry = opts["registry"] or _registry.default_registry
        self.fragments = opts["backend"] == "orjson"
        """True when the output goes to orjson, so that a :class:`Raw` is embedded as it is."""
        self._escape = opts["ensure_ascii"]
        self._hook = self._defer  # bound once, not on every call
        self._flags = 0
        self._native = 0
        self._iso_dates = False
        self._fast: bool | None = None  # None: plan on first use (and after registry changes)
        self._variants: dict[tuple[tuple[str, type, Any], ...], Encoder] = {}
        _registry.watch(self)

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._opts.items() if DEFAULTS.get(k) != v}
        return f"fastjson.Encoder({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    @property
    def options(self) -> Options:
        """Every option of this encoder (a copy)."""
        return Options(**self._opts)

    def replace(self, **changes: Unpack[Options]) -> Encoder:
        """An encoder with ``changes`` applied to these options (built once, then cached)."""
        key = tuple((name, type(value), value) for name, value in changes.items())
        try:
            return self._variants[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable option value
            return Encoder._from(resolve(changes, self._opts))
        variant = self._variants[key] = Encoder._from(resolve(changes, self._opts))
        return variant

    def registry_changed(self) -> None:
        """Called by the registry after any change: plan again before the next encode."""
        self._fast = None

    def _replan(self) -> None:
        """Decide what orjson may write itself, given the options and the registry.

        - Datetimes: orjson's own form rounds an offset of seconds to the
          minute (which moves the instant) and drops the leading zeros of a
          ``time``'s microseconds, so ``_flags`` has orjson hand them back.
          While the built-in encoders are in charge (``_iso_dates``), the hook
          (:meth:`_defer`) writes ``datetime`` and ``date`` itself by the rule
          of :mod:`fastjson._dates`, without the registry, and ``_native``
          lets orjson write them itself for a payload whose dates it writes
          by that rule too (no :data:`fastjson._scan.DATES`).
        - Enums, UUIDs and ``orjson.Fragment``: orjson writes them with no hook
          to intercept, so an encoder of yours for them means the walk, not orjson.
        """
        import enum
        import uuid

        reg = self.registry
        opts = self._opts
        flags = _ALWAYS | orjson.OPT_PASSTHROUGH_DATETIME
        self._iso_dates = opts["datetime_format"] == "iso" and all(
            _builtin(reg.lookup(cls)) for cls in (dt.datetime, dt.date)
        )
        if opts["sort_keys"]:
            flags |= orjson.OPT_SORT_KEYS
        if opts["indent"]:
            flags |= orjson.OPT_INDENT_2
        if opts["big_int"] == "string":
            flags |= orjson.OPT_STRICT_INTEGER  # bigger integers then take the walk
        self._flags = flags
        self._native = flags & ~orjson.OPT_PASSTHROUGH_DATETIME if self._iso_dates else flags
        self._fast = (
            self.fragments
            and opts["nan"] == "null"
            and not reg.overrides(enum.Enum)
            and _builtin(reg.lookup(uuid.UUID))
            and _builtin(reg.lookup(orjson.Fragment))
        )

    def encode(self, obj: Any) -> bytes:
        """``obj`` as JSON bytes (UTF-8).

        Raises :class:`EncodeError` (a ``TypeError``) for a value with no JSON
        form; its subclasses that are also ``ValueError`` for non-finite
        floats under ``nan="error"``, cycles and nesting deeper than
        ``fastjson.MAX_DEPTH``. ``.path`` says where the value sat.
        """
        fast = self._fast
        if fast:
            t = type(obj)
            if t is dict or t is list:
                found = payload_flags(obj)  # see fastjson._scan
                if found & WALK:  # deep, or holding a Fragment
                    return self._walk(obj)
                try:
                    out = self._orjson(obj, self._hook, found)
                except (TypeError, Refused):
                    return self._walk(obj)  # the walk knows what orjson refused, and where
                return escape_non_ascii(out) if self._escape else out
            return self._top_level(obj)
        if fast is None:
            self._replan()
            return self.encode(obj)
        return self._walk(obj)

    def _orjson(self, obj: Any, hook: Callable[[Any], Any], found: int) -> bytes:
        """orjson's pass over a dict or list (``found``: what :func:`payload_flags` found
        in it), the objects the hook deferred then written; ``TypeError`` or
        :class:`Refused` for what orjson refused, the memo kept for the walk."""
        out = orjson.dumps(obj, default=hook, option=self._flags if found else self._native)
        if _MEMOS:  # the hook ran: it may have deferred objects
            if DEFERRED:
                out = self._resolve(out)
            _MEMOS.pop(get_ident(), None)
        return out

    def _top_level(self, obj: Any) -> bytes:
        """A top-level value that is not a dict or list.

        An array or a frame comes back from its encoder as a :class:`Raw`
        whose bytes *are* the output: no second buffer of the same size,
        which matters for 20 MB payloads.

        A tuple takes the walk: orjson 3.13 counts tuples toward no nesting
        limit, so a deep one (or a cycle through one) would overrun its
        buffers, where the walk stops at ``MAX_DEPTH`` and names cycles, as
        for lists.
        """
        if type(obj) not in NATIVE:
            try:
                obj = self._remember(obj)
                if type(obj) is orjson.Fragment:  # orjson would write it unread
                    obj = self._remember(obj)
            except Exception:
                return self._walk(obj)
            if type(obj) is Raw:
                if _MEMOS:
                    _MEMOS.pop(get_ident(), None)
                return self._ascii(obj.data)
        if type(obj) is tuple:
            return self._walk(obj)
        try:
            out = orjson.dumps(obj, default=self._hook, option=self._flags)
            if DEFERRED:
                out = self._resolve(out)
        except (TypeError, Refused):
            return self._walk(obj)
        if _MEMOS:
            _MEMOS.pop(get_ident(), None)
        return self._ascii(out)

    def _walk(self, obj: Any) -> bytes:
        if DEFERRED:
            DEFERRED.pop(get_ident(), None)  # left by an orjson call that gave up
        memo = _MEMOS.pop(get_ident(), None) if _MEMOS else None
        return _walk.write(_walk.walk(obj, self, memo), self)

    def _defer(self, o: Any) -> Any:
        """orjson's ``default`` hook on the fast path: :meth:`convert`, noting the
        outcome for the walk, unless that would run code of yours while orjson
        holds the payload (see :mod:`fastjson._deferral`). Such an object is noted
        and :data:`SLOT` stands in for it; inside an encoder this hook called, it
        is refused instead. :meth:`convert`'s steps are inlined: this runs once
        per non-native value."""
        cls = type(o)
        if self._iso_dates:  # the commonest values orjson hands back: written here
            if cls is dt.datetime:  # (time zones are library code, as in stdlib.py)
                return iso_datetime(o)
            if cls is dt.date:
                return o.isoformat()
        entry = self.registry.lookup(cls)
        user: bool
        if entry is None:
            user = self._opts["default"] is not None
        elif entry.with_options:
            check = entry.user_code
            user = check if check is True or check is False else entry.runs_user_code(cls)
        else:
            user = True
        ident = get_ident()
        state = _THREADS.get(ident) or thread()
        if user:
            if state.hooked:
                raise UserCode
            if ident not in _MEMOS:  # the fast path looks for deferred objects only then
                _MEMOS[ident] = {}
            deferred = DEFERRED.get(ident)
            if deferred is None:
                deferred = DEFERRED[ident] = []
            deferred.append(o)
            return SLOT
        memo = _MEMOS.get(ident)
        if memo is None:
            memo = _MEMOS[ident] = {}
        try:
            if entry is None:
                raise EncodeError(f"Object of type {qualname(cls)} is not JSON serializable")
            if not entry.reentrant:
                result = entry.func(o, self)
            else:  # it may encode parts of o: code of yours is refused until it returns
                key = id(o)
                if key in state.active:
                    raise CircularReferenceError(f"circular reference through a {qualname(cls)}")
                outer = DEFERRED.pop(ident, None) if DEFERRED else None
                state.active.add(key)
                state.hooked += 1
                try:
                    result = entry.func(o, self)
                finally:
                    state.hooked -= 1
                    state.active.discard(key)
                    if outer is not None:
                        DEFERRED[ident] = outer
        except Exception as exc:
            memo[id(o)] = (o, exc)
            raise
        memo[id(o)] = (o, None, result)
        t = type(result)
        if ((t is dict or t is list or t is tuple) and result_flags(result)) or (
            t is not str and isinstance(result, _MOMENTS)
        ):
            # orjson would write it at a level this hook does not know, or
            # write its dates itself: it is written by an orjson call of its
            # own (_resolve), from level 0, with dates handed back
            deferred = DEFERRED.get(ident)
            if deferred is None:
                deferred = DEFERRED[ident] = []
            deferred.append(o)
            return SLOT
        return result

    def _resolve(self, out: bytes) -> bytes:
        """``out`` with the objects deferred by the orjson call that wrote it converted
        (once: the memo) and encoded in their places; raises :class:`Refused` for the
        walk to finish what this cannot."""
        ident = get_ident()
        deferred = DEFERRED.pop(ident, None)
        if deferred is None:
            return out
        at = slots(out, len(deferred))
        memo = _memo()
        resolving = thread().resolving
        flags = self._flags
        default = self._opts["default"]
        lookup = self.registry.lookup
        by_default: dict[type, bool] = {}  # per type: no encoder, so default converts it
        parts = []
        try:
            for o in deferred:
                key = id(o)
                if key in resolving:
                    raise Refused("a value holds itself")  # the walk names the cycle
                hit = memo.get(key)
                if hit is not None and hit[0] is o:
                    if len(hit) == 2:
                        raise hit[1]
                    result = hit[2]
                else:  # convert(o), noted for the walk; without an encoder, o needs default
                    try:
                        cls = type(o)
                        plain = by_default.get(cls)
                        if plain is None:
                            plain = by_default[cls] = lookup(cls) is None
                        result = default(o) if plain and default else self.convert(o)
                    except Exception as exc:
                        memo[key] = (o, exc)
                        raise
                    memo[key] = (o, None, result)
                t = type(result)
                if t is str or t is int or t is float or t is bool or result is None:
                    parts.append(orjson.dumps(result, option=flags))
                    continue
                if (t is dict or t is list or t is tuple) and payload_flags(result) & WALK:
                    raise Refused("deep, or holding a Fragment")  # see fastjson._scan
                if t is orjson.Fragment:  # orjson would write it unread: check it first
                    result = self.convert(result)
                resolving.add(key)
                try:
                    part = orjson.dumps(result, default=self._hook, option=flags)
                    parts.append(self._resolve(part) if DEFERRED else part)
                finally:
                    resolving.discard(key)
        except Refused:
            raise
        except Exception as exc:  # an encoder's error: the walk gives it its path
            raise Refused from exc
        return splice(out, at, parts, bool(self._opts["indent"]))

    def _remember(self, o: Any) -> Any:
        """:meth:`convert`, noting the outcome for the walk (so that it runs once)."""
        try:
            result = self.convert(o)
        except Exception as exc:
            _memo()[id(o)] = (o, exc)
            raise
        _memo()[id(o)] = (o, None, result)
        return result

    def bounded(self, big: Callable[[Any], bool]) -> Callable[[Any], bytes | None]:
        """A function that encodes as :meth:`encode` does, but returns ``None`` as soon as
        it meets a value for which ``big(value)`` is true (say, an array to stream instead).

        On the fast path ``big`` is asked only about values orjson hands back
        (arrays, frames, generators...), never about plain dicts, lists and
        strings, so a small response pays nothing for the check. Build it once
        and call it per response.
        """
        defer = self._defer

        def hook(o: Any) -> Any:
            if big(o):
                raise _TooBig
            return defer(o)

        def encode(obj: Any) -> bytes | None:
            if self._fast is None:
                self._replan()
            t = type(obj)
            found = payload_flags(obj) if t is dict or t is list else WALK
            if self._fast and not found & WALK:
                try:
                    out = self._orjson(obj, hook, found)
                except (TypeError, Refused) as exc:
                    if isinstance(exc.__cause__, _TooBig) or _holds(obj, big, 2):
                        if _MEMOS:
                            _MEMOS.pop(get_ident(), None)
                        if DEFERRED:
                            DEFERRED.pop(get_ident(), None)
                        return None
                    return self._walk(obj)  # for what orjson refused, with what is known
                return escape_non_ascii(out) if self._escape else out
            return None if _holds(obj, big, 2) else self.encode(obj)

        return encode

    def encode_part(self, obj: Any) -> bytes:
        """:meth:`encode` for encoders that encode parts of a value (a frame's cells)
        while the value itself is being encoded: the outer call's memo is kept."""
        ident = get_ident()
        outer = _MEMOS.pop(ident, None)
        try:
            return self.encode(obj)
        finally:
            if outer is not None:
                _MEMOS[ident] = outer
            else:
                _MEMOS.pop(ident, None)

    def encode_str(self, obj: Any) -> str:
        """Like :meth:`encode`, as ``str``."""
        return self.encode(obj).decode()

    def convert(self, obj: Any) -> Any:
        """One step for an object that is not native: its encoder, else ``default``.

        This is orjson's ``default`` hook, the walk's and the provider's: the
        single place where the registry and ``default`` are consulted. Raises
        :class:`EncodeError` when neither knows the type, and
        :class:`CircularReferenceError` when an object's encoder, encoding its
        parts (a frame's cells), meets the object itself again: a frame that
        holds itself fails at once instead of recursing until Python gives up.
        Inside an encoder that orjson's hook called, code of yours is refused
        (:class:`fastjson._deferral.UserCode`): orjson holds the payload.
        """
        cls = type(obj)
        entry = self.registry.lookup(cls)
        state = thread()
        if entry is None:
            default = self._opts["default"]
            if default is None:
                raise EncodeError(f"Object of type {qualname(cls)} is not JSON serializable")
            if state.hooked:
                raise UserCode
            return default(obj)
        if state.hooked and (not entry.with_options or entry.runs_user_code(cls)):
            raise UserCode
        active = state.active
        key = id(obj)
        if key in active:
            raise CircularReferenceError(f"circular reference through a {qualname(type(obj))}")
        active.add(key)
        try:
            return entry.func(obj, self) if entry.with_options else entry.func(obj)
        finally:
            active.discard(key)

    def option(self, name: str) -> Any:
        """The value of one option (for encoders: ``enc.option("nan")``)."""
        return self._opts[name]  # type: ignore[literal-required]

    def _ascii(self, out: bytes) -> bytes:
        return escape_non_ascii(out) if self._opts["ensure_ascii"] else out


class _TooBig(Exception):
    """Raised through orjson by :meth:`Encoder.bounded`'s hook to stop at a big value."""


def _holds(obj: Any, big: Callable[[Any], bool], levels: int) -> bool:
    """Whether ``obj``, or a value at most ``levels`` containers down, is ``big``."""
    t = type(obj)
    if t is dict or t is list or t is tuple:
        if levels == 0 or len(obj) > 1024:
            return False
        values = obj.values() if t is dict else obj
        return any(_holds(v, big, levels - 1) for v in values)
    return t not in NATIVE and big(obj)


def _builtin(entry: _registry.Entry | None) -> bool:
    return entry is not None and entry.builtin


class _Default(Encoder):
    """The encoder behind :func:`dumpb` without options.

    It keeps ``_FAST_FLAGS`` current, so that ``dumpb`` on a small dict costs
    one global look-up more than ``orjson.dumps``: an attribute or a tuple
    there is measurable against orjson's half a microsecond.
    """

    __slots__ = ()

    def registry_changed(self) -> None:
        global _FAST_FLAGS
        super().registry_changed()
        _FAST_FLAGS = None

    def _replan(self) -> None:
        global _FAST_FLAGS, _NATIVE_FLAGS
        super()._replan()
        _FAST_FLAGS = self._flags if self._fast and not self._escape else None
        _NATIVE_FLAGS = self._native


_FAST_FLAGS: int | None = None
"""orjson's flags while ``dumpb``'s inlined fast path applies; None: ask the encoder."""
_NATIVE_FLAGS = 0
"""The same with orjson writing the dates it writes right (``Encoder._native``)."""
_DEFAULT = _Default()
_HOOK = _DEFAULT._hook
_ENCODERS: dict[tuple[tuple[str, type, Any], ...], Encoder] = {}
"""Encoders for the option sets ``dumpb`` has been called with (a bounded cache)."""


def encoder_for(options: Options) -> Encoder:
    """The cached :class:`Encoder` for these options (``dumpb``'s per-call options)."""
    if not options:
        return _DEFAULT
    key = tuple((name, type(value), value) for name, value in options.items())  # 1 is not True
    try:
        return _ENCODERS[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable default: compile without caching
        return Encoder(**options)
    if len(_ENCODERS) >= 256:
        _ENCODERS.clear()
    encoder = _ENCODERS[key] = Encoder(**options)
    return encoder


def dumpb(obj: Any, /, **options: Unpack[Options]) -> bytes:
    """Encode ``obj`` as JSON bytes (UTF-8): ``Encoder(**options).encode(obj)``, cached.

    See :class:`Options` for the options and :meth:`Encoder.encode` for the errors.
    """
    if options:
        return encoder_for(options).encode(obj)
    flags = _FAST_FLAGS
    # Encoder.encode, inlined for small objects
    if flags is not None and type(obj) is dict and not (found := _payload_flags(obj)) & WALK:
        try:
            out = _orjson_dumps(obj, _HOOK, flags if found else _NATIVE_FLAGS)
            if _MEMOS:  # the hook ran: it may have deferred objects
                if DEFERRED:
                    out = _DEFAULT._resolve(out)
                _MEMOS.pop(get_ident(), None)
        except (TypeError, Refused):
            return _DEFAULT._walk(obj)
        return out
    return _DEFAULT.encode(obj)


_orjson_dumps = orjson.dumps
_payload_flags = payload_flags


def dumps(obj: Any, /, **options: Unpack[Options]) -> str:
    """Like :func:`dumpb` but returns ``str``."""
    if options:
        return encoder_for(options).encode(obj).decode()
    return _DEFAULT.encode(obj).decode()
