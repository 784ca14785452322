"""Group 6, one full request through the hello_rest service (Flask test client).

The same data served by a stock Flask app with ``flask.jsonify`` and the
conversions it needs, for comparison: routing, the view and the response
included, the network not.
"""

from __future__ import annotations

from typing import Any

import flask
import numpy as np
import pytest
from checks import strict_loads
from werkzeug.test import Client

from examples import hello_rest
from fastjson.server import create_app


@pytest.fixture(scope="module")
def fastjson_client() -> Client:
    return Client(create_app({"/api/hello_rest": hello_rest.create}, discover_installed=False))


@pytest.fixture(scope="module")
def flask_client() -> Any:
    app = flask.Flask("plain")

    @app.get("/api/hello_rest/data/array")
    def array() -> Any:
        n = int(flask.request.args.get("n", 1000))
        return flask.jsonify(values=np.random.default_rng(0).random(n).tolist())

    return app.test_client()


N = 1_000_000
EXPECTED = np.random.default_rng(0).random(N)


@pytest.mark.parametrize("name", ["fastjson hello_rest", "flask.jsonify app"])
def test_array_endpoint(benchmark: Any, fastjson_client: Client, flask_client: Any, name: str):
    benchmark.group = "6 service: GET /data/array?n=1e6 (test client)"
    client = fastjson_client if name.startswith("fastjson") else flask_client
    response = benchmark(client.get, f"/api/hello_rest/data/array?n={N}")
    assert response.status_code == 200
    values = np.array(strict_loads(response.get_data())["values"])
    assert np.array_equal(values, EXPECTED)


@pytest.mark.parametrize("name", ["fastjson hello_rest"])
def test_frame_endpoint(benchmark: Any, fastjson_client: Client, name: str):
    benchmark.group = "6 service: GET /data/frame?rows=100000 (test client)"
    response = benchmark(fastjson_client.get, "/api/hello_rest/data/frame?rows=100000")
    assert response.status_code == 200
    rows = strict_loads(response.get_data())
    assert len(rows) == 100_000 and rows[0]["value"] is None
