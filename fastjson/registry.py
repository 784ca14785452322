"""Encoders keyed by type: the single place where fastjson learns new types.

A :class:`Registry` maps a type (or a predicate over types) to an encoder, a
callable that turns an object into something encodable: a ``dict``, a
``list``, a ``str``, a number, a numpy array, a :class:`~fastjson.Raw`
fragment... The result is encoded again, so encoders compose.

Registries are layered. Lookup asks the registry's own entries first, then its
parent's, and so on down to the plugins contributed by installed packages
(entry-point group ``fastjson.encoders``) and finally fastjson's built-ins.
Within one layer the most specific class in the MRO wins; a higher
``priority`` beats a more specific class; predicates come after type entries
of the same priority. Across layers, predicates are a fallback: a predicate
answers for a class only when no layer below it has an encoder registered by
type for the class (or a base), so ``lambda cls: hasattr(cls, "to_json")``
does not capture DataFrames, which have both a ``to_json`` and a built-in
encoder. An encoder registered by type wins over the layers below it. The
answer per type is cached and the cache is dropped whenever any registry
changes, so the lookup is computed once per type, not on every call.

Built-in numpy, pandas, polars, pyarrow, DuckDB, Dask and ``Decimal`` encoders
load lazily: the first time a class with one of those packages' classes in its
MRO is looked up, the matching modules in :mod:`fastjson.encoders` are imported, before
any entry is matched. ``pd.Timestamp`` subclasses ``datetime`` and
``np.float64`` subclasses ``float``: matched before their family is loaded,
they would take the stdlib encoders and lose what the family knows (the
nanoseconds, ``NaT``). ``import fastjson`` imports none of these libraries.
"""

from __future__ import annotations

import importlib
import itertools
import threading
import weakref
from collections.abc import Callable
from typing import Any, Protocol, TypeAlias, TypeVar

from ._errors import qualname

EncoderFunc: TypeAlias = Callable[[Any], Any]
"""An encoder takes the object and returns a replacement that fastjson encodes."""

Predicate: TypeAlias = Callable[[type], bool]
"""A predicate is called with a *type* (never an instance), so its answer can be cached.

Predicates are a fallback: one answers for a class only when no layer below its
registry has an encoder registered by type for the class or a base (a built-in
one for DataFrames, datetimes, ``int``...). They are not asked about enum and
UUID classes: orjson writes those itself, so only an encoder registered for the
type (or a base) can change them.
"""

_F = TypeVar("_F", bound=Callable[..., Any])

__all__ = (
    "EncoderFunc",
    "Predicate",
    "Registry",
    "default_registry",
    "encoder",
    "register",
    "unregister",
    "watch",
)


_lock = threading.RLock()  # threading's, so gevent's monkey-patching applies
_order = itertools.count()
_generation = 0
"""Bumped on every change to any registry; caches compare against it."""


_watchers: weakref.WeakSet[Watcher] = weakref.WeakSet()


class Watcher(Protocol):
    """An object told when any registry changes (a compiled :class:`~fastjson.Encoder`)."""

    def registry_changed(self) -> None: ...


def watch(watcher: Watcher) -> None:
    """Call ``watcher.registry_changed()`` after every change to any registry.

    Held weakly. Compiled encoders use it to re-plan once per change rather
    than check the registry on every call.
    """
    with _lock:  # changes notify under the lock: a set must not grow while it is read
        _watchers.add(watcher)


_LAZY_MODULES: dict[str, tuple[str, ...]] = {
    "decimal": ("fastjson.encoders._decimal",),
    "numpy": ("fastjson.encoders.numpy",),
    "pandas": ("fastjson.encoders.pandas",),
    "polars": ("fastjson.encoders.polars", "fastjson.encoders.streams.lazy"),
    "pyarrow": ("fastjson.encoders.arrow", "fastjson.encoders.streams.arrow"),
    "duckdb": ("fastjson.encoders.streams.duckdb",),
    "dask": ("fastjson.encoders.streams.dask",),
}
"""Top-level package of an unknown class -> fastjson modules registering its built-ins
(a library's tables, then its streams: :mod:`fastjson.encoders.streams`)."""


class Entry:
    """One registration. ``with_options`` encoders also receive the encoding context.

    Two facts about a built-in let the orjson fast path call it while orjson
    is in the middle of a list or dict (:mod:`fastjson.core`): whether, for a
    given class, it runs code of the user's (``user_code``: a bool, or a
    predicate over the class), and whether it may encode parts of the object
    through the encoder (``reentrant``: numpy object arrays, frames). Your
    encoders run code of yours by definition.
    """

    __slots__ = (
        "_verdicts",
        "func",
        "key",
        "order",
        "priority",
        "reentrant",
        "user_code",
        "with_options",
    )

    def __init__(
        self,
        key: type | Predicate,
        func: Callable[..., Any],
        priority: int,
        order: int,
        with_options: bool = False,
        user_code: bool | Predicate = True,
        reentrant: bool = True,
    ):
        self.key = key
        self.func = func
        self.priority = priority
        self.order = order
        self.with_options = with_options
        self.user_code = user_code
        self.reentrant = reentrant
        self._verdicts: dict[type, bool] = {}

    def runs_user_code(self, cls: type) -> bool:
        """Whether encoding an instance of ``cls`` runs code that is neither fastjson's
        nor the standard library's (a method the class overrides, a generator's body).

        A predicate's answer is kept per class: a class changed after its first
        encode keeps the first answer.
        """
        check = self.user_code
        if check is True or check is False:
            return check
        try:
            return self._verdicts[cls]
        except KeyError:
            verdict = self._verdicts[cls] = bool(check(cls))
            return verdict

    def __repr__(self) -> str:
        return f"<Entry {_name(self.key)} -> {self.func!r} priority={self.priority}>"

    @property
    def builtin(self) -> bool:
        """Registered by fastjson itself (built-ins receive the encoder as a second argument)."""
        return self.with_options

    def rank(self, mro: tuple[type, ...]) -> tuple[int, int, int] | None:
        """Sort key for this entry against a class's MRO, or None if it does not match."""
        root = _orjson_root(mro)
        if isinstance(self.key, type):
            if root is not None and not issubclass(self.key, root):
                return None
            try:
                distance = mro.index(self.key)
            except ValueError:
                return None
            return (-self.priority, distance, self.order)
        if root is None and self.key(mro[0]):
            return (-self.priority, len(mro), self.order)
        return None


def _orjson_root(mro: tuple[type, ...]) -> type | None:
    """``enum.Enum`` or ``uuid.UUID`` when the class is one of those, which orjson writes
    itself with no hook: only encoders registered for such classes may match them."""
    for c in mro:
        if (c.__module__, c.__name__) in (("enum", "Enum"), ("uuid", "UUID")):
            return c
    return None


def _bump() -> None:
    global _generation
    _generation += 1
    for watcher in list(_watchers):
        watcher.registry_changed()


class Registry:
    """A layer of encoders over a parent registry.

    ``Registry()`` layers over the global registry (the one :func:`register`
    writes to), so an app or a :class:`~fastjson.ns.Namespace` can add or
    override encoders without touching other apps. Pass another registry as
    ``parent`` to stack layers.
    """

    def __init__(self, parent: Registry | None = None, *, name: str = "") -> None:
        self.parent: Registry | None = parent if parent is not None else default_registry
        self.name = name or "registry"
        self._entries: tuple[Entry, ...] = ()
        self._cache: dict[type, Entry | None] = {}
        self._cache_generation = -1

    def __repr__(self) -> str:
        return f"<fastjson.Registry {self.name!r} with {len(self._entries)} encoders>"

    def register(
        self,
        key: type | Predicate,
        func: EncoderFunc,
        *,
        priority: int = 0,
        force: bool = False,
    ) -> None:
        """Register ``func`` for instances of ``key`` (a type, or a predicate over types).

        A type wins over the layers below (your ``register(pd.DataFrame, f)``
        over the built-in); a predicate only for classes none of them has a
        type encoder for (see :data:`Predicate`). Registering the same key twice
        in one registry raises ``KeyError`` unless ``force=True``, which replaces
        the earlier encoder.
        """
        self._add(key, func, priority=priority, force=force, with_options=False)

    def _add(
        self,
        key: type | Predicate,
        func: Callable[..., Any],
        *,
        priority: int,
        force: bool,
        with_options: bool,
        user_code: bool | Predicate = True,
        reentrant: bool = True,
    ) -> None:
        if not callable(func):
            raise TypeError(f"encoder must be callable, got {type(func).__qualname__}")
        if not isinstance(key, type) and not callable(key):
            raise TypeError(f"key must be a type or a predicate, got {type(key).__qualname__}")
        entry = Entry(key, func, priority, next(_order), with_options, user_code, reentrant)
        with _lock:
            existing = [e for e in self._entries if e.key == key]
            if existing and not force:
                raise KeyError(f"an encoder for {_name(key)} is already registered in {self!r}")
            self._entries = (*[e for e in self._entries if e.key != key], entry)
            _bump()

    def encoder(
        self, key: type | Predicate, *, priority: int = 0, force: bool = False
    ) -> Callable[[_F], _F]:
        """Decorator form of :meth:`register`; returns the function unchanged."""

        def decorate(func: _F) -> _F:
            self.register(key, func, priority=priority, force=force)
            return func

        return decorate

    def unregister(self, key: type | Predicate) -> None:
        """Remove the encoder registered for ``key`` in this registry (``KeyError`` if none)."""
        with _lock:
            kept = tuple(e for e in self._entries if e.key != key)
            if len(kept) == len(self._entries):
                raise KeyError(f"no encoder for {_name(key)} is registered in {self!r}")
            self._entries = kept
            _bump()

    def lookup(self, cls: type) -> Entry | None:
        """The entry that encodes instances of ``cls``, searching the parent layers too."""
        generation = _generation  # read once: the cache is valid for this generation only
        if self._cache_generation != generation:
            self._cache = {}
            self._cache_generation = generation
        cache = self._cache
        try:
            return cache[cls]
        except KeyError:
            pass
        _ensure_plugins_loaded()
        found = self._find(cls)
        if _generation == generation:  # nothing changed while we looked: safe to keep
            cache[cls] = found
        return found

    def overrides(self, cls: type) -> bool:
        """Whether an encoder of yours (not a built-in) is registered for ``cls`` or a subclass.

        Compiled encoders ask this about the types orjson writes natively
        (enums, UUIDs), to know whether orjson may write them.
        """
        layer: Registry | None = self
        while layer is not None and not isinstance(layer, _Builtins):
            for entry in layer._entries:
                if isinstance(entry.key, type) and issubclass(entry.key, cls):
                    return True
            layer = layer.parent
        return False

    def _find(self, cls: type) -> Entry | None:
        """The first layer's answer, unless it is a predicate and the layer has no type
        entry for ``cls``: then a type entry of a layer below wins, else that predicate."""
        mro = cls.__mro__
        fallback: Entry | None = None
        layer: Registry | None = self
        while layer is not None:
            found = layer._best(mro, types_only=fallback is not None)
            if found is not None:
                if isinstance(found.key, type) or layer._best(mro, types_only=True):
                    return found
                fallback = found
            layer = layer.parent
        return fallback

    def _best(self, mro: tuple[type, ...], *, types_only: bool = False) -> Entry | None:
        ranked = [
            (r, e)
            for e in self._entries
            if (not types_only or isinstance(e.key, type)) and (r := e.rank(mro)) is not None
        ]
        return min(ranked, key=lambda pair: pair[0])[1] if ranked else None


class _Builtins(Registry):
    """fastjson's own encoders; numpy and pandas modules are imported on first need."""

    def __init__(self) -> None:
        self.parent = None
        self.name = "builtins"
        self._entries = ()
        self._cache = {}
        self._cache_generation = -1
        self._loaded: set[str] = set()

    def _best(self, mro: tuple[type, ...], *, types_only: bool = False) -> Entry | None:
        self._load_families(mro)
        return super()._best(mro, types_only=types_only)

    def _load_families(self, mro: tuple[type, ...]) -> None:
        """Import the encoders of every lazy family a class of ``mro`` comes from, before
        anything is matched: a ``pd.Timestamp`` must meet pandas' encoder, not the
        ``datetime`` one its MRO reaches first."""
        roots = {c.__module__.partition(".")[0] for c in mro}
        pending = [m for r in roots for m in _LAZY_MODULES.get(r, ()) if m not in self._loaded]
        if not pending:
            return
        with _lock:  # other threads wait here until the encoders are registered
            for module in pending:
                if module not in self._loaded:
                    importlib.import_module(module)
                    self._loaded.add(module)


builtins = _Builtins()
_plugins = Registry(parent=builtins, name="plugins")
default_registry = Registry(parent=_plugins, name="global")
_plugins_loaded = False
_plugins_loading = False


def _ensure_plugins_loaded() -> None:
    """Load the entry-point group ``fastjson.encoders`` once, on the first lookup.

    Each entry point names a callable that receives the plugin registry and
    registers its encoders there, e.g. ``def setup(registry): registry.register(...)``.
    Each entry point loads on its own: one that fails is reported with a
    warning naming it (and logged), and the others still load.
    """
    global _plugins_loaded, _plugins_loading
    if _plugins_loaded:
        return
    with _lock:  # other threads wait here until every plugin has registered
        if _plugins_loaded or _plugins_loading:  # a plugin's own lookups, while it loads
            return
        _plugins_loading = True
        try:
            from importlib.metadata import entry_points

            for ep in entry_points(group="fastjson.encoders"):
                _load_plugin(ep)
        finally:
            _plugins_loaded, _plugins_loading = True, False


def _load_plugin(ep: Any) -> None:
    try:
        setup = ep.load()
        setup(_plugins)
    except Exception as exc:
        import logging
        import warnings

        message = (
            f"fastjson: encoder plugin {ep.name!r} ({ep.value}) failed to load and is "
            f"skipped: {type(exc).__name__}: {exc}"
        )
        logging.getLogger("fastjson").warning("%s", message, exc_info=True)
        warnings.warn(message, RuntimeWarning, stacklevel=2)


def builtin(
    key: type | Predicate,
    *,
    priority: int = 0,
    user_code: bool | Predicate = False,
    reentrant: bool = True,
) -> Callable[[_F], _F]:
    """Register a built-in encoder that receives ``(obj, options)``; fastjson internal.

    ``user_code`` and ``reentrant``: see :class:`Entry`. The defaults suit an
    encoder that runs no code of the user's but may encode parts of the object
    through the encoder.
    """

    def decorate(func: _F) -> _F:
        builtins._add(
            key,
            func,
            priority=priority,
            force=False,
            with_options=True,
            user_code=user_code,
            reentrant=reentrant,
        )
        return func

    return decorate


def register(
    key: type | Predicate, func: EncoderFunc, *, priority: int = 0, force: bool = False
) -> None:
    """Register ``func`` in the global registry; see :meth:`Registry.register`."""
    default_registry.register(key, func, priority=priority, force=force)


def encoder(
    key: type | Predicate, *, priority: int = 0, force: bool = False
) -> Callable[[_F], _F]:
    """Decorator registering a function in the global registry.

    >>> @fastjson.encoder(Money)
    ... def _money(m):
    ...     return {"amount": str(m.amount), "currency": m.currency}
    """
    return default_registry.encoder(key, priority=priority, force=force)


def unregister(key: type | Predicate) -> None:
    """Remove an encoder from the global registry; see :meth:`Registry.unregister`."""
    default_registry.unregister(key)


def _name(key: type | Predicate) -> str:
    return qualname(key) if isinstance(key, type) else f"predicate {key!r}"
