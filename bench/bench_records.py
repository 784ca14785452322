"""Group 2, plain records (a list of dicts): 1,000 and 100,000 of them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import flask
import orjson
import pytest
import ujson
from checks import check_records, plain_records

import fastjson

ROWS: dict[str, Callable[[Any], Any]] = {
    "fastjson.dumpb": fastjson.dumpb,
    "fastjson.jsonify response": lambda r: fastjson.jsonify(r).get_data(),
    "flask.jsonify response": lambda r: flask.jsonify(plain_records(r)).get_data(),
    "orjson.dumps": orjson.dumps,
    "ujson.dumps": lambda r: ujson.dumps(plain_records(r)),
    "json.dumps": lambda r: json.dumps(plain_records(r)),
    "fastjson backend=ujson": lambda r: fastjson.dumpb(r, backend="ujson"),
    "fastjson backend=json": lambda r: fastjson.dumpb(r, backend="json"),
}


@pytest.mark.parametrize("name", list(ROWS))
def test_records_1k(benchmark: Any, records_1k: list[Any], app_context: None, name: str):
    benchmark.group = "2 records: 1,000"
    check_records(benchmark(ROWS[name], records_1k), records_1k)


@pytest.mark.parametrize("name", list(ROWS))
def test_records_100k(benchmark: Any, records_100k: list[Any], app_context: None, name: str):
    benchmark.group = "2 records: 100,000"
    check_records(benchmark(ROWS[name], records_100k), records_100k)
