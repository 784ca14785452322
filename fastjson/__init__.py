"""fastjson: fast, lossless, always-valid JSON for Flask data services.

>>> import fastjson
>>> fastjson.dumpb({"x": float("nan"), "n": 2**70})
b'{"x":null,"n":1180591620717411303424}'

``from fastjson import jsonify`` gives a Flask-compatible ``jsonify``;
``FastJSONProvider`` switches a whole app with one line. Importing fastjson
imports neither numpy nor pandas (nor Flask): their support loads on first use.
"""

from __future__ import annotations

from . import encoders as _encoders  # noqa: F401
from ._types import TYPE_CHECKING, EncodeError, Options, Raw
from .core import dumpb, dumps, loads
from .encoders import stdlib as _stdlib  # noqa: F401
from .registry import Registry, encoder, register, unregister

if TYPE_CHECKING:
    from typing import Any

    from .flask import FastJSONProvider, json_response, jsonify

__all__ = (
    "EncodeError",
    "FastJSONProvider",
    "Options",
    "Raw",
    "Registry",
    "dumpb",
    "dumps",
    "encoder",
    "json_response",
    "jsonify",
    "loads",
    "register",
    "unregister",
)

__version__ = "0.1.0"

for _public in (EncodeError, Options, Raw, Registry):
    _public.__module__ = __name__  # tracebacks and reprs say fastjson.EncodeError
del _public

_FLASK_NAMES = frozenset({"FastJSONProvider", "json_response", "jsonify"})


def __getattr__(name: str) -> Any:
    """Import the Flask integration on first use, keeping ``import fastjson`` light."""
    if name in _FLASK_NAMES:
        from . import flask as _flask

        return getattr(_flask, name)
    raise AttributeError(f"module 'fastjson' has no attribute {name!r}")
