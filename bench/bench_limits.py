"""Group 7, the MAX_JSON_VALUES check on 16 MiB request bodies (the namespace limit).

The check runs before every JSON body is parsed, so it must cost no more than
the ``bytes.count`` of commas it replaced, which counted commas inside
strings too (and so refused the body of strings below). Beside it: that
count, the parse it guards, and the namespace's ``loads`` (check and parse).
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from payloads import make_bodies

from fastjson._http import json_values_exceed
from fastjson.ns import MAX_JSON_VALUES, Namespace

BODIES = make_bodies()
VALUES = {"numbers": 870_669, "strings": 229_825}
"""The values each body holds (the list and its elements)."""

ROWS = {
    "fastjson": lambda body: json_values_exceed(body, MAX_JSON_VALUES),
    "bytes.count of commas": lambda body: body.count(b",") >= MAX_JSON_VALUES,
    "orjson.loads": orjson.loads,
    "Namespace loads (check + parse)": Namespace("bench").json.loads,
}


@pytest.mark.parametrize("name", list(ROWS))
@pytest.mark.parametrize("payload", list(BODIES))
def test_request_body(benchmark: Any, payload: str, name: str):
    benchmark.group = f"7 request body: 16 MiB of {payload}, MAX_JSON_VALUES"
    benchmark.extra_info["payload"] = payload
    out = benchmark(ROWS[name], BODIES[payload])
    if name == "fastjson":
        assert out is False, "the body holds fewer values than the limit"
    elif name == "bytes.count of commas":
        assert out is (payload == "strings"), "the old count refused the strings"
    else:
        assert len(out) + 1 == VALUES[payload]
