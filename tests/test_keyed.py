"""Keyed orients (``columns``, ``index``) write each value after its key by one ``bytes %``
over the values' text (``_columns.keyed``): every byte a template could misread is here."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

import fastjson
from fastjson import Raw, dumpb
from fastjson.encoders import _columns as cols
from fastjson.encoders import _polars
from fastjson.encoders.pandas import POLARS_PARTS

HOSTILE = ["%", "%s", "%%", "%(x)s", '"', "\\", "\n", "a,b", ",\n  ", "\x00", "é", "\u2028", ""]


@pytest.fixture(params=["polars", "pure"])
def route(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "pure":
        monkeypatch.setattr(_polars, "records", lambda *args: None)
        monkeypatch.setattr(_polars, "rows", lambda *args: None)
    return str(request.param)


def expected(mapping: dict[str, Any]) -> bytes:
    return dumpb(mapping)


@pytest.mark.parametrize("orient", ["index", "columns"])
def test_series_of_hostile_strings_under_hostile_labels(orient: str, route: str):
    s = pd.Series(HOSTILE, index=[f"k{v}" for v in HOSTILE], name="s")
    assert dumpb(s, orient=orient) == expected({f"k{v}": v for v in HOSTILE})


def test_frame_columns_orient_with_hostile_strings_and_labels(route: str):
    df = pd.DataFrame(
        {"t%s": HOSTILE, "n": np.arange(len(HOSTILE)), "f": np.linspace(0, 1, len(HOSTILE))},
        index=[f"%{i}%s" for i in range(len(HOSTILE))],
    )
    want = {c: {str(k): v for k, v in df[c].items()} for c in df.columns}
    assert json.loads(dumpb(df, orient="columns")) == json.loads(json.dumps(want))
    assert dumpb(df, orient="columns") == dumpb(want)


@pytest.mark.parametrize("orient", ["index", "columns"])
def test_numeric_labels_and_values(orient: str):
    s = pd.Series([1.5, np.nan, -0.0, 1e300, 7.0], index=[10, -3, 0, 2**40, 5])
    want = {"10": 1.5, "-3": None, "0": -0.0, str(2**40): 1e300, "5": 7.0}
    assert dumpb(s, orient=orient) == dumpb(want)


def test_empty_and_single():
    assert dumpb(pd.Series([], dtype=float), orient="index") == b"{}"
    assert dumpb(pd.Series(["%"], index=["%s"]), orient="index") == b'{"%s":"%"}'
    assert dumpb(pd.DataFrame({"a": []}), orient="columns") == b'{"a":{}}'


def test_values_that_encode_to_several_lines():
    """A registered encoder may return pretty-printed JSON: the values are joined by NUL."""

    class Box:
        pass

    registry = fastjson.Registry()
    registry.register(Box, lambda o: Raw(b'{\n  "a": [1,\n 2]\n}'))
    s = pd.Series([Box(), "%s", Box()], index=["x", "y", "z"])
    out = dumpb(s, orient="index", registry=registry)
    assert json.loads(out) == {"x": {"a": [1, 2]}, "y": "%s", "z": {"a": [1, 2]}}


def test_labels_are_written_alike_in_every_slice():
    """Keys are made 65,536 rows at a time; a missing label is written through ``str``
    (``"nan"``) and every other label as it always is (``1e-7``, as orjson writes it,
    not ``1e-07``), on both routes, whichever slice holds it."""
    n = 70_000
    index = np.arange(n, dtype=float) + 0.5
    index[3] = 1e-7
    index[-2] = 2e-7
    index[-1] = np.nan
    df = pd.DataFrame({f"c{k}": np.arange(n) for k in range(cols.TokenTable.KEYS_KEPT)})
    df.index = index
    fast = dumpb(df, orient="columns")
    with pytest.MonkeyPatch.context() as m:
        m.setattr(_polars, "rows", lambda *args: None)
        out = dumpb(df, orient="columns")
    assert out == fast
    keys = list(json.loads(out)["c0"])
    assert keys[:4] == ["0.5", "1.5", "2.5", "1e-7"]
    assert keys[-2:] == ["2e-7", "nan"]
    assert json.loads(out)["c5"]["69997.5"] == 69997
    assert json.loads(dumpb(df.iloc[-3:], orient="index")).keys() == {"69997.5", "2e-7", "nan"}


def test_missing_labels_among_dates():
    index = pd.Index([pd.Timestamp("2024-01-01"), None, pd.Timestamp("2024-01-02 03:04")])
    s = pd.Series([1, 2, 3], index=index)
    assert json.loads(dumpb(s, orient="index")) == {
        "2024-01-01T00:00:00": 1,
        "NaT": 2,
        "2024-01-02T03:04:00": 3,
    }


def test_keyed_itself():
    joined = cols.Joined(b'1\x00"%s"\x00null', b"\x00")
    assert cols.keyed((b"a", b"b", b"c"), False, joined) == b',"a":1,"b":"%s","c":null'
    assert cols.keyed((b'"a"', b'"%"', b'"c"'), True, joined) == b',"a":1,"%":"%s","c":null'
    assert cols.keyed((), False, cols.Joined(b"", b",")) == b""


@pytest.mark.parametrize("orient", ["records", "split", "values", "columns", "index"])
def test_plain_strings_are_quoted_alike_on_both_routes(
    orient: str, monkeypatch: pytest.MonkeyPatch
):
    """Strings that need no escape are written by quoting them (polars route); the pure
    path writes them through orjson: the bytes are the same, nulls and non-ASCII included."""
    values = ["a", None, "é\u2028", "", "%s", "x" * 40, "\x7f"] * 300
    df = pd.DataFrame({"s": pd.Series(values, dtype="str"), "n": np.arange(len(values))})
    df.index = [f"r{i}" for i in range(len(df))]
    assert POLARS_PARTS.plain_strings(df["s"].array)
    write = _polars.records if orient == "records" else _polars.rows
    fast = write(df, fastjson.Encoder(orient=orient), POLARS_PARTS)  # type: ignore[arg-type]
    assert fast is not None and fast == dumpb(df, orient=orient)
    monkeypatch.setattr(_polars, "records", lambda *args: None)
    monkeypatch.setattr(_polars, "rows", lambda *args: None)
    assert dumpb(df, orient=orient) == fast
