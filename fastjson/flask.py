"""Flask integration: a JSON provider, ``jsonify`` and ``json_response``.

Switch an app with one line::

    app.json = FastJSONProvider(app)            # or
    Flask.json_provider_class = FastJSONProvider

The provider keeps Flask's attributes and Flask's default values
(``ensure_ascii=True``, ``sort_keys=True``, ``compact=None``...) so that an
existing app sees no difference but speed and validity; set them as on
Flask's ``DefaultJSONProvider``. :meth:`FastJSONProvider.response` (used by
``jsonify`` and by views returning a dict or list) is the orjson fast path;
:meth:`FastJSONProvider.dumps` (used by ``flask.json.dumps`` and the
``tojson`` template filter) formats exactly as Flask does, spaces included.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask.json.provider import DefaultJSONProvider, JSONProvider

from ._types import Options
from .core import Context, get_context, loads

_DEFAULT = get_context()

if TYPE_CHECKING:
    from flask import Flask, Response

    from ._types import Backend, DatetimeFormat, NanPolicy, Orient
    from .registry import Registry

__all__ = ("FastJSONProvider", "json_response", "jsonify")

_PROVIDER_OPTIONS = ("nan", "sort_keys", "ensure_ascii", "default", "datetime_format")
_PROVIDER_OPTIONS += ("orient", "backend", "registry")
_ENCODER_ONLY = frozenset({"nan", "default", "datetime_format", "orient", "registry"})
"""Options of :meth:`FastJSONProvider.dumps` that are fastjson's, not :func:`json.dumps`'s."""


class FastJSONProvider(JSONProvider):
    """A Flask JSON provider on fastjson's encoder. Every attribute below is an option.

    Changing an attribute on an instance takes effect on the next call.
    """

    default: Callable[[Any], Any] = staticmethod(DefaultJSONProvider.default)
    """Called for objects no fastjson encoder knows; must return an encodable
    value or raise ``TypeError``. Flask's default raises."""

    ensure_ascii: bool = True
    """Escape non-ASCII characters (Flask's default). ``False`` is smaller and faster."""

    sort_keys: bool = True
    """Sort object keys (Flask's default). ``False`` is faster and keeps insertion order."""

    compact: bool | None = None
    """``True`` (or ``None`` outside debug mode): no indentation in :meth:`response`."""

    mimetype: str = "application/json"
    """The mimetype of :meth:`response`."""

    nan: NanPolicy = "null"
    """Non-finite floats: ``"null"`` (valid JSON), ``"error"`` (``ValueError``), or
    ``"string"`` (``"NaN"``, ``"Infinity"``, ``"-Infinity"``)."""

    datetime_format: DatetimeFormat = "iso"
    """``"iso"``: ISO 8601, offset kept, naive stays naive. ``"http"``: RFC 822, as Flask."""

    orient: Orient = "records"
    """Layout of DataFrames and Series, with pandas' meanings."""

    backend: Backend = "orjson"
    """Encoder for :meth:`response`: ``"orjson"``, or ``"ujson"``/``"json"`` for comparison."""

    registry: Registry | None = None
    """Encoders for this app, layered over the global ones (``None``: the global set)."""

    def __init__(self, app: Flask):
        super().__init__(app)
        self._contexts: dict[str, Context] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in _PROVIDER_OPTIONS:
            self.__dict__.get("_contexts", {}).clear()

    def options(self, **changes: Any) -> Options:
        """The provider's options as an :class:`~fastjson.Options`, with ``changes`` applied."""
        values = {name: getattr(self, name) for name in _PROVIDER_OPTIONS}
        values.update(changes)
        return Options(**values)

    def context(self, indent: bool = False, backend: str | None = None) -> Context:
        """The compiled encoder for these attributes (cached until an option changes)."""
        key = f"{indent}:{backend}"
        try:
            return self._contexts[key]
        except KeyError:
            changes: dict[str, Any] = {"indent": 2 if indent else None}
            if backend is not None:
                changes["backend"] = backend
            ctx = self._contexts[key] = get_context(self.options(**changes))
            return ctx

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize to ``str`` exactly as Flask's provider formats it.

        Keyword arguments are those of :func:`json.dumps` (``indent``,
        ``separators``...) plus fastjson's options; ``default``,
        ``ensure_ascii`` and ``sort_keys`` default to the attributes. The
        stdlib encoder runs first, with fastjson's registry as its
        ``default``, so every value Flask supports comes out byte for byte
        as Flask writes it; what Flask cannot write (NaN, mixed key types,
        numpy scalars as keys...) then goes through fastjson's walk.
        """
        from ._walk import walk

        changes = {k: kwargs.pop(k) for k in list(kwargs) if k in _ENCODER_ONLY}
        if changes:
            ctx = get_context(self.options(backend="json", **changes))
        else:
            ctx = self.context(backend="json")
        kwargs.setdefault("ensure_ascii", ctx.options.ensure_ascii)
        kwargs.setdefault("sort_keys", ctx.options.sort_keys)
        try:
            return json.dumps(obj, default=ctx.convert, allow_nan=False, **kwargs)
        except (TypeError, ValueError):
            return json.dumps(walk(obj, ctx), allow_nan=False, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse with orjson; keyword arguments (``object_hook``...) select :func:`json.loads`."""
        return json.loads(s, **kwargs) if kwargs else loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """``jsonify``: Flask's argument rules, fastjson's encoder, no trailing newline."""
        body = self.context(self.indents()).dumpb(_response_obj(args, kwargs))
        return self._app.response_class(body, content_type=self.mimetype)

    def indents(self) -> bool:
        """Indent responses? ``compact=False``, or ``None`` in debug mode (Flask's rule)."""
        return self.compact is False or (self.compact is None and self._app.debug)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """Flask's ``jsonify`` on fastjson's encoder, with Flask's argument rules.

    No arguments give ``null``, one gives itself, several a list, keyword
    arguments an object; both at once raise ``TypeError``.

    Uses the app's provider settings when ``app.json`` is a
    :class:`FastJSONProvider`, fastjson's defaults otherwise. Needs an
    application context, as Flask's does (``RuntimeError`` outside one).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    provider = app.json
    if isinstance(provider, FastJSONProvider):
        return provider.response(*args, **kwargs)
    body = _DEFAULT.dumpb(_response_obj(args, kwargs))
    return app.response_class(body, content_type="application/json")


def _response_obj(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Flask's argument rules (``JSONProvider._prepare_response_obj``), on the hot path."""
    if kwargs:
        if args:
            raise TypeError("jsonify() takes either args or kwargs, not both")
        return kwargs
    if len(args) == 1:
        return args[0]
    return list(args) if args else None


def json_response(
    obj: Any,
    *,
    status: int = 200,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    **options: Any,
) -> Response:
    """A JSON response with a status, headers and per-call options (``nan="error"``...).

    Options not given come from the app's :class:`FastJSONProvider` (indented
    when its ``jsonify`` would be), or fastjson's defaults when the app uses
    another provider.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    provider = app.json
    if isinstance(provider, FastJSONProvider):
        if options:
            options.setdefault("indent", 2 if provider.indents() else None)
            ctx = get_context(provider.options(**options))
        else:
            ctx = provider.context(provider.indents())
        mimetype = provider.mimetype
    else:
        ctx = get_context(None, **options)
        mimetype = "application/json"
    return app.response_class(
        ctx.dumpb(obj), status=status, headers=headers, content_type=mimetype
    )
