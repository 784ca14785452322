"""fastjson: fast, lossless, always-valid JSON for Flask data services.

>>> import fastjson
>>> fastjson.dumpb({"x": float("nan"), "n": 2**70})
b'{"x":null,"n":1180591620717411303424}'

``from fastjson import jsonify`` gives a Flask-compatible ``jsonify``;
``FastJSONProvider`` switches a whole app with one line. Importing fastjson
imports neither numpy nor pandas (nor Flask): their support loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import (
    CircularReferenceError,
    DecodeError,
    DuplicateKeyError,
    EncodeError,
    EncodeValueError,
    NestingTooDeepError,
    NonFiniteError,
)
from ._options import Options
from ._values import Raw
from ._walk import MAX_DEPTH
from .core import Encoder, dumpb, dumps, loads
from .encoders import stdlib as _stdlib  # noqa: F401 (registers the built-in encoders)
from .encoders import streams as _streams  # noqa: F401 (objects with __arrow_c_stream__)
from .registry import Registry, encoder, register, unregister
from .streaming import iter_encode, iter_ndjson

if TYPE_CHECKING:
    from .flask import FastJSONProvider, json_response, jsonify

__all__ = (
    "MAX_DEPTH",
    "CircularReferenceError",
    "DecodeError",
    "DuplicateKeyError",
    "EncodeError",
    "EncodeValueError",
    "Encoder",
    "FastJSONProvider",
    "NestingTooDeepError",
    "NonFiniteError",
    "Options",
    "Raw",
    "Registry",
    "dumpb",
    "dumps",
    "encoder",
    "iter_encode",
    "iter_ndjson",
    "json_response",
    "jsonify",
    "loads",
    "register",
    "unregister",
)

__version__ = "0.2.0"

for _public in (
    CircularReferenceError,
    DecodeError,
    DuplicateKeyError,
    EncodeError,
    EncodeValueError,
    Encoder,
    NestingTooDeepError,
    NonFiniteError,
    Raw,
    Registry,
):
    _public.__module__ = __name__  # tracebacks and reprs say fastjson.EncodeError
del _public

_FLASK_NAMES = ("FastJSONProvider", "json_response", "jsonify")
"""Public names from ``fastjson.flask``, imported on first use: ``import fastjson`` stays
free of Flask for code that only encodes."""


def __getattr__(name: str) -> Any:
    """Import the Flask integration on first use, then step aside.

    While a module has a ``__getattr__``, CPython does not cache attribute
    look-ups on it: every ``fastjson.dumpb(...)`` would pay about 20 ns more.
    So the first Flask name loads them all and this function removes itself.
    """
    if name not in _FLASK_NAMES:
        raise AttributeError(f"module 'fastjson' has no attribute {name!r}")
    from . import flask

    namespace = globals()
    for flask_name in _FLASK_NAMES:
        namespace[flask_name] = getattr(flask, flask_name)
    namespace.pop("__getattr__", None)
    return namespace[name]
