"""Benchmark fixtures: the payloads of payloads.py and the app the response rows run in.

Every benchmark measures the same end-to-end work for its group: a Python
object in, the full response body out, including any conversion a user of
that tool has to write by hand (``.tolist()``, NaN to ``None``, dates to
strings). Rows named ``... response`` also build the Flask ``Response``
inside an application context, as ``jsonify`` does in a view.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import flask
import pandas as pd
import pytest
from payloads import make_frame, make_records, make_small


@pytest.fixture(scope="session")
def small() -> dict[str, Any]:
    """A typical small API object: ~20 keys, nested, every basic type and a datetime."""
    return make_small()


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
