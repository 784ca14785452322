"""Flask integration: a JSON provider, ``jsonify`` and ``json_response``.

Switch an app with one line::

    app.json = FastJSONProvider(app)            # or
    Flask.json_provider_class = FastJSONProvider

The provider's attributes are fastjson's options (:class:`fastjson.Options`,
the one declaration they are derived from) plus Flask's ``compact`` and
``mimetype``. It keeps Flask's default values (``ensure_ascii=True``,
``sort_keys=True``, ``compact=None``, Flask's ``default``) so that an existing
app sees no difference but speed and validity. Every method encodes with the
provider's :class:`~fastjson.Encoder`, so one set of rules holds for
``jsonify``, views returning dicts, ``flask.json.dumps`` and the ``tojson``
filter.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Unpack, cast

from flask import current_app
from flask.json.provider import DefaultJSONProvider, JSONProvider

from ._errors import DecodeError
from ._options import (
    DEFAULTS,
    NAMES,
    Backend,
    BigInt,
    DatetimeFormat,
    NanPolicy,
    Options,
    Orient,
)
from ._walk import walk
from .core import Encoder, encoder_for, loads
from .registry import Registry

if TYPE_CHECKING:
    from flask import Flask, Response

__all__ = ("FastJSONProvider", "json_response", "jsonify")

_ATTRIBUTES = tuple(name for name in NAMES if name != "indent")
"""Options that are provider attributes. ``indent`` is not: Flask spells it ``compact``."""

_FLASK_DEFAULTS: dict[str, Any] = {
    "default": staticmethod(DefaultJSONProvider.default),
    "ensure_ascii": True,
    "sort_keys": True,
}
"""Where Flask's provider has another default than fastjson's, Flask's wins here."""


class FastJSONProvider(JSONProvider):
    """A Flask JSON provider on fastjson's encoder.

    Attributes: every option of :class:`fastjson.Options` but ``indent``
    (fastjson's defaults, except Flask's ``default``, ``ensure_ascii=True``
    and ``sort_keys=True``), plus ``compact`` and ``mimetype`` as in Flask.
    Set them on the instance or in a subclass; a change takes effect on the
    next call.
    """

    # Types for type checkers (a test holds them equal to the declaration's);
    # the values are set below the class, from the declaration.
    nan: NanPolicy
    sort_keys: bool
    ensure_ascii: bool
    default: Callable[[Any], Any] | None
    datetime_format: DatetimeFormat
    orient: Orient
    big_int: BigInt
    backend: Backend
    registry: Registry | None

    compact: bool | None = None
    """Flask's spelling of ``indent``: ``False`` (or ``None`` in debug mode) indents
    responses by two spaces; ``True`` (or ``None`` outside debug mode) does not."""

    mimetype: str = "application/json"
    """The mimetype of :meth:`response`."""

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self._flask = app
        self._encoders: dict[tuple[Any, ...], Encoder] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in _ATTRIBUTES:
            self.__dict__.get("_encoders", {}).clear()

    def options(self) -> Options:
        """The provider's attributes as fastjson options (``indent`` from ``compact``)."""
        values = cast(Options, {name: getattr(self, name) for name in _ATTRIBUTES})
        values["indent"] = 2 if self.indents() else None
        return values

    def encoder(self, **changes: Unpack[Options]) -> Encoder:
        """The provider's :class:`~fastjson.Encoder` with ``changes`` applied (cached
        until an attribute changes)."""
        key = (self.indents(), *((k, type(v), v) for k, v in changes.items()))
        try:
            return self._encoders[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable option value
            key = ()
        options: Options = {**self.options(), **changes}
        encoder = Encoder(**options)
        if key:
            self._encoders[key] = encoder
        return encoder

    def indents(self) -> bool:
        """Indent responses? ``compact=False``, or ``None`` in debug mode (Flask's rule)."""
        return self.compact is False or (self.compact is None and self._flask.debug)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize to ``str`` as Flask's provider formats it (``json.dumps`` layout).

        Keyword arguments are fastjson's options (``sort_keys``,
        ``ensure_ascii``, ``default``, ``nan``...), defaulting to the
        attributes, plus :func:`json.dumps`'s layout arguments (``indent``,
        ``separators``). Values are encoded by the provider's encoder with the
        same rules as :meth:`response`; :func:`json.dumps` only lays them out.
        """
        changes = {name: kwargs.pop(name) for name in list(kwargs) if name in _ATTRIBUTES}
        encoder = self.encoder(backend="json", **changes)
        tree = walk(obj, encoder)  # keys already sorted, values already JSON
        return json.dumps(
            tree, ensure_ascii=encoder.option("ensure_ascii"), allow_nan=False, **kwargs
        )

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse with :func:`fastjson.loads`; keyword arguments (``object_hook``...)
        select :func:`json.loads`. Either way a refusal is a :class:`~fastjson.DecodeError`."""
        if not kwargs:
            return loads(s)
        try:
            return json.loads(s, **kwargs)
        except json.JSONDecodeError as exc:
            raise DecodeError(str(exc)) from exc

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """``jsonify``: Flask's argument rules, fastjson's encoder, no trailing newline."""
        body = self.encoder().encode(_response_obj(args, kwargs))
        return self._flask.response_class(body, content_type=self.mimetype)


for _name in _ATTRIBUTES:
    setattr(FastJSONProvider, _name, _FLASK_DEFAULTS.get(_name, DEFAULTS[_name]))  # type: ignore[literal-required]
del _name


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
    body = encoder_for({}).encode(_response_obj(args, kwargs))
    response: Response = app.response_class(body, content_type="application/json")
    return response


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
    **options: Unpack[Options],
) -> Response:
    """A JSON response with a status, headers and per-call options (``nan="error"``...).

    Options not given come from the app's :class:`FastJSONProvider` (indented
    when its ``jsonify`` would be), or fastjson's defaults when the app uses
    another provider.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    provider = app.json
    if isinstance(provider, FastJSONProvider):
        encoder = provider.encoder(**options)
        mimetype = provider.mimetype
    else:
        encoder = encoder_for(options)
        mimetype = "application/json"
    response: Response = app.response_class(
        encoder.encode(obj), status=status, headers=headers, content_type=mimetype
    )
    return response
