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
from .registry import Registry, encoder, register, unregister

if TYPE_CHECKING:
    from .flask import FastJSONProvider, json_response, jsonify
    from .streaming import iter_encode, iter_ndjson

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

_LAZY = {
    "FastJSONProvider": "flask",
    "json_response": "flask",
    "jsonify": "flask",
    "iter_encode": "streaming",
    "iter_ndjson": "streaming",
}
"""Public names whose modules load on first use, keeping ``import fastjson`` light."""


def __getattr__(name: str) -> Any:
    """Import the Flask integration and streaming on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fastjson' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
