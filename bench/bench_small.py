"""Group 1, a small API object: the per-response overhead of each encoder."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import flask
import orjson
import pytest
import ujson
from checks import strict_loads

import fastjson


def _expected(small: dict[str, Any]) -> Any:
    return {**small, "created": small["created"].isoformat()}


def _isoformat_dates(small: dict[str, Any]) -> dict[str, Any]:
    """The conversion json/ujson users write by hand (they cannot encode datetimes)."""
    return {**small, "created": small["created"].isoformat()}


BODY: dict[str, Callable[[Any], bytes | str]] = {
    "fastjson.dumpb": fastjson.dumpb,
    "orjson.dumps": orjson.dumps,
    "ujson.dumps": lambda o: ujson.dumps(_isoformat_dates(o)),
    "json.dumps": lambda o: json.dumps(_isoformat_dates(o)),
    "flask app.json.dumps": lambda o: flask.current_app.json.dumps(_isoformat_dates(o)),
    "fastjson backend=ujson": lambda o: fastjson.dumpb(o, backend="ujson"),
    "fastjson backend=json": lambda o: fastjson.dumpb(o, backend="json"),
}

RESPONSE: dict[str, Callable[[Any], flask.Response]] = {
    "fastjson.jsonify": fastjson.jsonify,
    "flask.jsonify": lambda o: flask.jsonify(_isoformat_dates(o)),
    "orjson + Response": lambda o: flask.current_app.response_class(
        orjson.dumps(o), content_type="application/json"
    ),
}


@pytest.mark.parametrize("name", list(BODY))
def test_body(benchmark: Any, small: dict[str, Any], app_context: None, name: str):
    benchmark.group = "1 small object: body"
    out = benchmark(BODY[name], small)
    assert strict_loads(out) == _expected(small)


@pytest.mark.parametrize("name", list(RESPONSE))
def test_response(benchmark: Any, small: dict[str, Any], app_context: None, name: str):
    benchmark.group = "1 small object: full response"
    response = benchmark(RESPONSE[name], small)
    assert response.mimetype == "application/json"
    assert strict_loads(response.get_data()) == _expected(small)
