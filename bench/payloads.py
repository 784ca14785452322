"""Benchmark payloads, generated in code with fixed seeds (shared by conftest and tests)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

SEED = 20240517


def make_small() -> dict[str, Any]:
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


def make_records(n: int) -> list[dict[str, Any]]:
    """``n`` plain records (list of dicts) with the usual field types."""
    rng = np.random.default_rng(SEED)
    scores = rng.random(n).tolist()
    start = dt.datetime(2024, 1, 1)
    return [
        {
            "id": i,
            "name": f"item-{i}",
            "score": scores[i],
            "active": i % 3 == 0,
            "created": start + dt.timedelta(minutes=i),
            "tags": ["a", "b"] if i % 2 else [],
            "parent": None if i % 5 else i // 5,
        }
        for i in range(n)
    ]


def make_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    nan = rng.random(1_000_000)
    nan[rng.random(nan.size) < 0.05] = np.nan
    square = rng.random((1000, 1000))
    return {
        "float64 1e6": rng.random(1_000_000),
        "float32 1e6": rng.random(1_000_000).astype(np.float32),
        "int64 1e6": rng.integers(-(10**12), 10**12, 1_000_000),
        "float64 1000x1000": square,
        "view a[::2] of 2e6": rng.random(2_000_000)[::2],
        "view a.T 1000x1000": square.T,
        "bool 1e6": rng.random(1_000_000) < 0.5,
        "float64 1e6 5% NaN": nan,
    }


ARRAYS = make_arrays()


def make_frame(n: int = 100_000) -> pd.DataFrame:
    """The 8-column frame of the measured facts: every common dtype, with missing values."""
    rng = np.random.default_rng(SEED)
    with_nan = rng.normal(size=n)
    with_nan[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame(
        {
            "int64": rng.integers(0, 10**9, n),
            "float64": rng.normal(size=n),
            "float64_nan": with_nan,
            "str": [f"name-{i}" for i in range(n)],
            "bool": rng.random(n) < 0.5,
            "datetime64": pd.date_range("2024-01-01", periods=n, freq="s"),
            "Int64_na": pd.array(
                np.where(rng.random(n) < 0.1, None, rng.integers(0, 100, n)), dtype="Int64"
            ),
            "category": pd.Categorical(rng.choice(["red", "green", "blue"], n)),
        }
    )


BODY_SIZE = 16 * 1024 * 1024
"""A request body at a namespace's ``MAX_CONTENT_LENGTH``."""


def make_bodies() -> dict[str, bytes]:
    """16 MiB JSON request bodies under the default MAX_JSON_VALUES: ``numbers``, a list
    of floats (about 870,000 values, no strings), and ``strings``, a list of strings with
    commas inside (about 230,000 values, 1.8 million commas)."""
    import orjson

    floats = orjson.dumps(np.random.default_rng(SEED).random(BODY_SIZE // 19).tolist())
    numbers = floats[: floats.rfind(b",", 0, BODY_SIZE)] + b"]"
    item = b'"Smith, John; alpha, beta, gamma, delta, epsilon, x, and more text here"'
    strings = b"[" + b",".join([item] * (BODY_SIZE // (len(item) + 1))) + b"]"
    return {"numbers": numbers, "strings": strings}
