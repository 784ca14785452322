"""Hostile HTTP against every demo endpoint: never a 500, always the JSON error shape,
always strict JSON (hypothesis drives the WSGI app in process)."""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strictjson import strict_loads
from werkzeug.test import Client

import examples.hello_rest as hello_rest
from fastjson.server import create_app

EXAMPLES = int(os.environ.get("FASTJSON_FUZZ_EXAMPLES", "300"))

APP = create_app({"/api/hello_rest": hello_rest.create}, discover_installed=False)
CLIENT = Client(APP)

PATHS = [
    "/",
    "/healthz",
    "/api/hello_rest/",
    "/api/hello_rest/greet/tom",
    "/api/hello_rest/greet/tom/jones",
    "/api/hello_rest/data/array",
    "/api/hello_rest/data/frame",
    "/api/hello_rest/data/series",
    "/api/hello_rest/data/dates",
    "/api/hello_rest/data/sensors",
    "/api/hello_rest/data/summary",
    "/api/hello_rest/db/",
    "/api/hello_rest/db/readings",
    "/api/hello_rest/db/hourly",
    "/api/hello_rest/dask/readings",
    "/api/hello_rest/nope",
    "/api/nope",
]
PARAMS = ["n", "rows", "orient", "lang", "x", *hello_rest.queries.READING_PARAMS]
odd_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
numbers_as_text = st.one_of(
    st.integers(-(10**400), 10**400).map(str),
    st.sampled_from(["1e400", "-0", "0x10", "NaN", "inf", "1_000", " 5", "", "٣"]),
)
values = st.one_of(
    numbers_as_text,
    odd_text,
    st.sampled_from(list(hello_rest.ORIENTS)),
    st.sampled_from(["s01", "s01,s02", "ok", "id,ts", "-value", "2024-01-01T01:00"]),
)
json_bodies = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**400), 10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
    | odd_text,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(odd_text, kids, max_size=3),
    max_leaves=12,
)
bodies = st.one_of(
    json_bodies.map(lambda v: json.dumps({"values": v})),
    json_bodies.map(json.dumps),
    st.sampled_from(['{"values": [1,', "[[[[[[", '{"values": [1e999]}', "\ufeff[]", ""]),
    st.just("[" * 5000 + "]" * 5000),
)
ACCEPT = [
    None,
    "*/*",
    "application/json",
    "application/x-ndjson",
    "application/vnd.apache.arrow.stream",
    "text/csv",
    "application/jsonl;q=0.5, text/html",
]


def check(response: Any, method: str = "GET") -> None:
    assert response.status_code != 500, response.get_data()[:300]
    mimetype = response.mimetype
    body = response.get_data()
    if method == "HEAD":
        assert body == b""
        return
    if response.status_code >= 400:
        assert mimetype == "application/json", (response.status_code, mimetype)
        error = strict_loads(body)
        assert set(error) >= {"status", "error", "message"}
        assert error["status"] == response.status_code
    elif mimetype == "application/json":
        strict_loads(body)
    elif mimetype in ("application/x-ndjson", "application/jsonl"):
        for line in body.splitlines():
            strict_loads(line)


@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
@given(
    st.sampled_from(PATHS),
    st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"]),
    st.dictionaries(st.sampled_from(PARAMS), values, max_size=3),
    st.sampled_from(ACCEPT),
    st.one_of(st.none(), bodies),
    st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
)
def test_no_client_input_gives_a_500(
    path: str,
    method: str,
    params: dict[str, str],
    accept: str | None,
    body: str | None,
    content_type: str,
):
    if params.get("n", "").lstrip("-").isdigit() and len(params["n"]) > 6:
        params["n"] = "7"  # valid sizes are tested elsewhere; keep the fuzz fast
    params.pop("rows", None) if params.get("rows", "").isdigit() else None
    params.pop("limit", None) if params.get("limit", "").isdigit() else None
    headers = {"Accept": accept} if accept else {}
    response = CLIENT.open(
        path,
        method=method,
        query_string=params,
        headers=headers,
        data=body.encode("utf-8", "surrogatepass") if body is not None else None,
        content_type=content_type if body is not None else None,
    )
    check(response, method)


@settings(max_examples=max(EXAMPLES // 3, 50), deadline=None, derandomize=True)
@given(st.text(max_size=40).map(lambda s: "/api/hello_rest/greet/" + s))
def test_odd_paths(path: str):
    check(CLIENT.get(path.replace("?", "%3F").replace("#", "%23")))
