"""Group 1, small API object: the per-response overhead of each encoder."""

from __future__ import annotations

import json
from typing import Any

import flask
import orjson
import pytest

import fastjson

GROUP = "small object: body only"


def _expected(small: dict[str, Any]) -> Any:
    return json.loads(json.dumps(small, default=lambda o: o.isoformat()))


@pytest.mark.benchmark(group=GROUP)
def test_fastjson_dumpb(benchmark: Any, small: dict[str, Any]):
    out = benchmark(fastjson.dumpb, small)
    assert json.loads(out) == _expected(small)


@pytest.mark.benchmark(group=GROUP)
def test_orjson_dumps(benchmark: Any, small: dict[str, Any]):
    out = benchmark(orjson.dumps, small)
    assert json.loads(out) == _expected(small)


@pytest.mark.benchmark(group=GROUP)
def test_flask_provider_dumps(benchmark: Any, small: dict[str, Any], flask_app: flask.Flask):
    """What Flask's jsonify spends on the body (it also sorts keys)."""
    data = {**small, "created": small["created"].isoformat()}
    out = benchmark(flask_app.json.dumps, data)
    assert json.loads(out) == _expected(small)
