"""The hello_rest endpoints the load test uses, written with Flask's own jsonify.

What a Flask user writes without fastjson: ``.tolist()`` before ``jsonify``.
Served side by side with the fastjson service by ``bench/load.py``.
"""

from __future__ import annotations

from typing import Any

import flask
import numpy as np

app = flask.Flask(__name__)
GREETINGS = {"en": "Hello {name}", "de": "Hallo {name}", "es": "Hola {name}"}


@app.get("/healthz")
def healthz() -> Any:
    return flask.jsonify(status="ok")


@app.get("/api/hello_rest/greet/<path:name>")
def greet(name: str) -> Any:
    lang = flask.request.values.get("lang", "en")
    if lang not in GREETINGS:
        flask.abort(400, "invalid language: " + lang)
    return flask.jsonify({"message": GREETINGS[lang].format(name=name)})


@app.get("/api/hello_rest/data/array")
def array() -> Any:
    n = min(max(int(flask.request.args.get("n", 1000)), 1), 10_000_000)
    return flask.jsonify(values=np.random.default_rng(0).random(n).tolist())
