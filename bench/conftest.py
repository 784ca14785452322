"""Benchmark fixtures: the payloads of payloads.py and the app the response rows run in.

Every benchmark measures the same end-to-end work for its group: a Python
object in, the full response body out, including any conversion a user of
that tool has to write by hand (``.tolist()``, NaN to ``None``, dates to
strings). Rows named ``... response`` also build the Flask ``Response``
inside an application context, as ``jsonify`` does in a view.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import flask
import pandas as pd
import pytest
from payloads import make_frame, make_records


@pytest.fixture(scope="session")
def small() -> dict[str, Any]:
    """A typical small API object: ~20 keys, nested, every basic type and a datetime."""
    return {
        "id": 12345,
        "name": "sensor-7",
        "active": True,
        "score": 0.8731,
        "ratio": 1 / 3,
        "owner": None,
        "tags": ["alpha", "beta", "gamma"],
        "created": dt.datetime(2024, 5, 17, 8, 30, 12),
        "location": {"lat": 52.52, "lon": 13.405, "alt": 34.0},
        "limits": {"min": -10, "max": 45, "unit": "C"},
        "readings": [21.5, 21.7, 22.0, 21.9],
        "status": "ok",
        "version": 3,
        "flags": {"calibrated": True, "remote": False},
        "notes": "",
        "parent": 77,
        "children": [101, 102, 103],
        "firmware": "1.4.2",
        "uptime_s": 86_400,
        "errors": [],
    }


@pytest.fixture(scope="session")
def records_1k() -> list[dict[str, Any]]:
    return make_records(1_000)


@pytest.fixture(scope="session")
def records_100k() -> list[dict[str, Any]]:
    return make_records(100_000)


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture(scope="session")
def flask_app() -> flask.Flask:
    """A stock Flask app (Flask's own provider) for the Flask and fastjson.jsonify rows."""
    return flask.Flask("bench")


@pytest.fixture
def app_context(flask_app: flask.Flask) -> Iterator[None]:
    with flask_app.app_context():
        yield
