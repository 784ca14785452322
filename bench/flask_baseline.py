"""The hello_rest endpoints the load test uses, written with Flask's own jsonify.

What a Flask user writes without fastjson: a plain ``Flask`` app and
``.tolist()`` before ``jsonify``. Everything else matches hello_rest (same
server, mount, decorators), so the load test compares the JSON work alone.
Served by ``bench/load.py`` as ``--ns /api/hello_rest=bench.flask_baseline:create``.
"""

from __future__ import annotations

from typing import Any

import flask
import numpy as np

from fastjson.ns import etag, no_cache

app = flask.Flask(__name__)
GREETINGS = {"en": "Hello {name}", "de": "Hallo {name}", "es": "Hola {name}"}


@app.get("/greet/<path:name>")
@no_cache
def greet(name: str) -> Any:
    lang = flask.request.values.get("lang", "en")
    if lang not in GREETINGS:
        flask.abort(400, "invalid language: " + lang)
    return flask.jsonify({"message": GREETINGS[lang].format(name=name)})


@app.get("/data/array")
@etag
def array() -> Any:
    n = min(max(int(flask.request.args.get("n", 1000)), 1), 10_000_000)
    return flask.jsonify(values=np.random.default_rng(0).random(n).tolist())


def create() -> flask.Flask:
    return app
