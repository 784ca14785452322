"""Streamed, NDJSON, Arrow and gzip responses, and content negotiation (respond)."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from flask import Flask
from strictjson import strict_loads

import fastjson
from fastjson import FastJSONProvider, dumpb
from fastjson.flask import arrow_response, json_response, ndjson_response, respond
from fastjson.ns import Namespace


def app_with(**attributes: Any) -> Flask:
    app = Flask(__name__)
    app.json = FastJSONProvider(app)
    for name, value in attributes.items():
        setattr(app.json, name, value)
    return app


BIG = np.random.default_rng(0).standard_normal(1_100_000)  # above the default threshold


def test_big_payloads_stream_without_content_length():
    app = app_with(chunk_size=65_536)
    with app.test_request_context():
        response = fastjson.jsonify(values=BIG)
        assert response.is_streamed
        assert "Content-Length" not in response.headers
        assert response.mimetype == "application/json"
        chunks = list(response.response)
        assert len(chunks) > 10
        assert b"".join(chunks) == dumpb({"values": BIG}, sort_keys=True)


def test_small_payloads_and_stream_false_are_whole():
    app = app_with()
    with app.test_request_context():
        small = fastjson.jsonify(values=BIG[:10])
        assert not small.is_streamed and small.headers["Content-Length"]
        whole = json_response(BIG, stream=False)
        assert not whole.is_streamed
        assert whole.get_data() == dumpb(BIG)
        forced = json_response(BIG[:10], stream=True, status=201, headers={"X-A": "1"})
        assert forced.is_streamed and forced.status_code == 201
        assert forced.headers["X-A"] == "1"
        assert forced.get_data() == dumpb(BIG[:10])


def test_threshold_can_be_switched_off():
    app = app_with(stream_threshold=None)
    with app.test_request_context():
        assert not fastjson.jsonify(values=BIG).is_streamed


def test_generators_always_stream_lazily_and_are_closed():
    closed: list[bool] = []

    def rows() -> Iterator[dict[str, int]]:
        try:
            for i in range(1_000_000):
                yield {"i": i}
        finally:
            closed.append(True)

    app = app_with(chunk_size=4096)
    with app.test_request_context():
        response = fastjson.jsonify(rows())
        assert response.is_streamed
        iterator = iter(response.response)
        assert next(iterator) == b'[{"i":0}'  # the first element at once
        assert next(iterator).startswith(b',{"i":1},{"i":2}')
        response.close()
    assert closed == [True]


def test_errors_known_up_front_are_raised_by_the_view_not_mid_stream():
    app = Namespace(__name__)
    frame = pd.DataFrame({"f": [0.0] * 2_000_000})
    frame.iloc[-1, 0] = np.nan

    @app.get("/bad")
    def bad() -> Any:
        return json_response(frame, nan="error", stream=True)

    response = app.test_client().get("/bad")
    assert response.status_code == 500
    assert strict_loads(response.data)["status"] == 500


def test_a_late_error_cuts_the_stream_and_is_logged(caplog: pytest.LogCaptureFixture):
    def rows() -> Iterator[Any]:
        yield from range(100_000)
        yield object()

    app = app_with(chunk_size=1024)
    with app.test_request_context():
        response = json_response(rows())
        iterator = iter(response.response)
        assert next(iterator) == b"[0"
        with pytest.raises(fastjson.EncodeError):
            list(iterator)
    assert "cut short" in caplog.text


def test_ndjson_response():
    app = app_with(chunk_size=4096)
    df = pd.DataFrame({"a": range(5000), "b": ["x"] * 5000})
    with app.test_request_context():
        response = ndjson_response(df)
        assert response.mimetype == "application/x-ndjson"
        assert response.is_streamed
        lines = response.get_data().split(b"\n")
    assert lines[-1] == b""
    assert lines[0] == b'{"a":0,"b":"x"}'  # the app's sort_keys applies to every line
    assert len(lines) == 5001


def test_arrow_response_is_lossless():
    df = pd.DataFrame(
        {
            "t": pd.date_range("2024-01-01", periods=1000, freq="ns"),
            "f": np.linspace(0, 1, 1000),
            "s": [f"s{i}" for i in range(1000)],
        },
        index=pd.RangeIndex(5, 1005),
    )
    app = app_with()
    with app.test_request_context():
        response = arrow_response(df)
        assert response.mimetype == "application/vnd.apache.arrow.stream"
        body = response.get_data()
    assert pa.ipc.open_stream(io.BytesIO(body)).read_pandas().equals(df)
    polars = pytest.importorskip("polars")
    assert polars.read_ipc_stream(io.BytesIO(body)).shape == (1000, 3)
    with app.test_request_context(), pytest.raises(TypeError):
        arrow_response({"not": "a table"})


@pytest.mark.parametrize(
    ("accept", "mimetype"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("application/x-ndjson", "application/x-ndjson"),
        ("application/jsonl", "application/jsonl"),
        ("application/vnd.apache.arrow.stream", "application/vnd.apache.arrow.stream"),
        ("text/html;q=0.9, application/x-ndjson", "application/x-ndjson"),
    ],
)
def test_respond_negotiates(accept: str | None, mimetype: str):
    app = Namespace(__name__)
    df = pd.DataFrame({"a": [1, 2]})

    @app.get("/frame")
    def frame() -> Any:
        return respond(df)

    headers = {"Accept": accept} if accept else {}
    response = app.test_client().get("/frame", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert "Accept" in response.headers["Vary"]


def test_respond_answers_406_in_the_json_shape():
    app = Namespace(__name__)

    @app.get("/x")
    def x() -> Any:
        return respond({"a": 1})

    response = app.test_client().get("/x", headers={"Accept": "text/csv"})
    assert response.status_code == 406
    body = strict_loads(response.data)
    assert body["status"] == 406 and "application/json" in body["message"]
    arrow = app.test_client().get("/x", headers={"Accept": "application/vnd.apache.arrow.stream"})
    assert arrow.status_code == 406  # a dict has no Arrow form


def test_gzip_when_enabled_and_accepted():
    app = app_with(compress_level=6, chunk_size=16_384)
    with app.test_request_context(headers={"Accept-Encoding": "gzip, deflate"}):
        whole = fastjson.jsonify(values=BIG[:1000])
        assert whole.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in whole.headers["Vary"]
        assert gzip.decompress(whole.get_data()) == dumpb({"values": BIG[:1000]})
        streamed = fastjson.jsonify(values=BIG)
        assert streamed.is_streamed and streamed.headers["Content-Encoding"] == "gzip"
        chunks = list(streamed.response)
        assert len(chunks) > 5
        decoder = zlib.decompressobj(31)
        first = decoder.decompress(chunks[0])  # each chunk decodes as it arrives
        assert first.startswith(b'{"values":[')
        rest = b"".join(decoder.decompress(c) for c in chunks[1:]) + decoder.flush()
        assert first + rest == dumpb({"values": BIG})
    with app.test_request_context():  # no Accept-Encoding: identity, but Vary all the same
        plain = fastjson.jsonify(values=BIG[:1000])
        assert "Content-Encoding" not in plain.headers
        assert "Accept-Encoding" in plain.headers["Vary"]
    off = app_with()
    with off.test_request_context(headers={"Accept-Encoding": "gzip"}):
        assert "Content-Encoding" not in fastjson.jsonify(values=BIG[:1000]).headers


def test_apps_with_flasks_own_provider_stream_too():
    app = Flask(__name__)
    with app.test_request_context():
        response = json_response(BIG)
        assert response.is_streamed
        assert response.get_data() == dumpb(BIG)
        assert fastjson.jsonify([1, "é"]).get_data() == '[1,"é"]'.encode()


def test_light_responses_equal_what_the_constructor_builds():
    from flask import Response

    from fastjson.flask import plain_response

    app = Flask(__name__)
    light = plain_response(app.response_class, b'{"a":1}', "application/json")
    full = app.response_class(b'{"a":1}', mimetype="application/json")
    assert vars(light) == vars(full)
    assert light.headers["Content-Length"] == "7" and light.status == "200 OK"

    class Custom(Response):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.headers["X-Custom"] = "1"

    custom = plain_response(Custom, b"[]", "application/json")
    assert custom.headers["X-Custom"] == "1"  # a class with its own __init__ gets it run


def test_bounded_encoding_stops_at_big_values_anywhere_near_the_top():
    from fastjson._http import large

    encode = fastjson.Encoder().bounded(large(1000))
    assert encode({"a": [1, 2]}) == b'{"a":[1,2]}'
    assert encode({"a": np.arange(10)}) == b'{"a":[0,1,2,3,4,5,6,7,8,9]}'
    assert encode({"a": {"b": np.arange(5000)}}) is None
    assert encode([1, (i for i in range(3))]) is None
    assert encode({"big": 2**70, "a": np.arange(5000)}) is None  # the walk's route checks too
    assert encode(np.arange(5000)) is None
    assert encode({"big": 2**70}) == b'{"big":1180591620717411303424}'


FRONT_DOORS: dict[str, Any] = {
    "json_response(stream=True)": lambda rows: json_response(rows, stream=True),
    "json_response": json_response,
    "jsonify": fastjson.jsonify,
    "ndjson_response": ndjson_response,
    "respond": respond,
}


@pytest.mark.parametrize("door", FRONT_DOORS)
@pytest.mark.parametrize("accept", ["application/json", "application/x-ndjson"])
@pytest.mark.parametrize("namespace", [False, True])
def test_streamed_generators_keep_the_request_context(door: str, accept: str, namespace: bool):
    """A generator that reads ``request`` after the view has returned, with no
    ``stream_with_context`` of its own, is read to its end."""
    from flask import request

    def rows() -> Iterator[dict[str, Any]]:
        for i in range(2000):  # far more than the first chunk, made inside the view
            yield {"i": i, "tag": request.args["tag"]}

    app = Namespace(__name__) if namespace else app_with()
    app.json.chunk_size = 256
    app.get("/rows")(lambda: FRONT_DOORS[door](rows()))
    response = app.test_client().get("/rows?tag=t", headers={"Accept": accept})
    assert response.status_code == 200 and response.is_streamed
    data = response.get_data()
    if response.mimetype == "application/x-ndjson":
        assert [strict_loads(line) for line in data.splitlines()] == [
            {"i": i, "tag": "t"} for i in range(2000)
        ]
    else:
        assert strict_loads(data) == [{"i": i, "tag": "t"} for i in range(2000)]
