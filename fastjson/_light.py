"""Small responses built without Werkzeug's ``Response`` constructor.

The constructor is most of a small JSON response's cost; :func:`plain_response`
sets the same attributes directly, for the response classes where that is
checked to give what the constructor gives. :mod:`fastjson.flask` uses it for
every small body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.datastructures import Headers as HeaderList
from werkzeug.utils import get_content_type

if TYPE_CHECKING:
    from flask import Response

__all__ = ("plain_response",)

_LIGHT: dict[type, bool] = {}
"""Per response class: whether :func:`_light` builds what its constructor builds."""

_CONTENT_TYPES: dict[str, str] = {}
"""Mimetype -> ``Content-Type`` value (``text/*`` types gain ``; charset=utf-8``)."""


def plain_response(cls: type[Response], body: bytes, mimetype: str) -> Response:
    """``cls(body, mimetype=mimetype)`` with status 200 and no other header, built in a
    fraction of the constructor's time (the constructor is most of a small response's cost).

    The light form sets the attributes Werkzeug's constructor sets. Whether it
    matches is checked once per response class, against the constructor
    itself; a class that differs (a subclass with its own ``__init__``, a
    Werkzeug version that sets other attributes) gets the constructor.
    """
    light = _LIGHT.get(cls)
    if light is None:
        light = _LIGHT[cls] = _light_matches(cls)
    if light:
        content_type = _CONTENT_TYPES.get(mimetype)
        if content_type is None:
            content_type = _CONTENT_TYPES[mimetype] = get_content_type(mimetype, "utf-8")
        return _light(cls, body, content_type)
    return cls(body, mimetype=mimetype)


def _light(cls: type[Response], body: bytes, content_type: str) -> Response:
    response = cls.__new__(cls)
    headers = HeaderList.__new__(HeaderList)
    headers._list = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    response.headers = headers
    response._status = "200 OK"
    response._status_code = 200
    response.direct_passthrough = False
    response._on_close = []
    response.response = [body]
    return response


def _light_matches(cls: type[Response]) -> bool:
    body = b'{"probe":[1,2]}'
    try:
        light = _light(cls, body, "application/json")
    except Exception:
        return False
    full = cls(body, mimetype="application/json")
    return vars(light) == vars(full)
