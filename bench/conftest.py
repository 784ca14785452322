"""Benchmark payloads, built in code with fixed seeds, and the Flask app they go through."""

from __future__ import annotations

import datetime as dt
from typing import Any

import flask
import pytest


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
def flask_app() -> flask.Flask:
    """A stock Flask app (its own provider), for the Flask baseline rows."""
    return flask.Flask("bench")
