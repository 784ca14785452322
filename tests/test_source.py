"""fastjson.encoders._source: every table reaches the writers that cut it through one protocol.

NDJSON lines are the bytes ``dumpb`` writes for each record or element (no
re-parse), streaming slices the same source in every orient, Arrow is
offered only for what Arrow can hold, and every failure is an ``EncodeError``.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import flask
import numpy as np
import orjson
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import fastjson
from fastjson import EncodeError, dumpb, iter_encode, iter_ndjson
from fastjson._http import ARROW, arrow_form
from fastjson.encoders._source import source_of
from fastjson.flask import respond
from fastjson.registry import Registry, default_registry

ORIENTS = ["records", "split", "columns", "index", "values"]


def ndjson(obj: Any, **options: Any) -> bytes:
    return b"".join(iter_ndjson(obj, chunk_size=64, **options))


def lines_of_records(obj: Any, **options: Any) -> bytes:
    """The oracle of NDJSON: ``dumpb`` of each record, each parsed from the whole output
    only to cut it (the writer itself never re-parses)."""
    records = fastjson.loads(dumpb(obj, orient="records", **options))
    return b"".join(dumpb(r, **options) + b"\n" for r in records)


POLARS_FRAME = pl.DataFrame(
    {
        "big": pl.Series([2**100, -(2**90), None], dtype=pl.Int128),
        "f32": pl.Series([0.1, None, 2.5], dtype=pl.Float32),
        "ns": pl.Series([1, 2, None], dtype=pl.Datetime("ns")),
        "dur": pl.Series([1, None, 3], dtype=pl.Duration("ns")),
        "s": ["a", 'q"', None],
        "t": pl.Series([54321, 0, None], dtype=pl.Int64).cast(pl.Time),
    }
)


def test_ndjson_of_polars_frames_is_dumpb_of_each_record():
    """Int128 became floats, nanoseconds were lost and float32 widened: lines were
    re-parsed with orjson."""
    body = ndjson(POLARS_FRAME)
    assert body.splitlines()[0] == (
        b'{"big":1267650600228229401496703205376,"f32":0.1,"ns":"1970-01-01T00:00:00.000000001",'
        b'"dur":1e-9,"s":"a","t":"00:00:00.000054321"}'
    )
    assert b"".join(dumpb(r) + b"\n" for r in POLARS_FRAME.iter_rows(named=True)) != body
    assert ndjson(POLARS_FRAME, sort_keys=True) == lines_of_records(POLARS_FRAME, sort_keys=True)
    assert ndjson(POLARS_FRAME, ensure_ascii=True) == body
    arrow = POLARS_FRAME.drop("big").to_arrow()  # pyarrow has no 128-bit integers
    for table in (arrow, arrow.to_batches()[0]):
        assert ndjson(table) == ndjson(POLARS_FRAME.drop("big"))


@pytest.mark.parametrize(
    "column",
    [
        pl.Series("x", [0.1, None], dtype=pl.Float32),
        pl.Series("x", [1, 2], dtype=pl.Datetime("ns")),
        pl.Series("x", [1, None], dtype=pl.Duration("ns")),
        pl.Series("x", [2**100, 1], dtype=pl.Int128),
        pl.Series("x", ["é", "\u2028", None]),
        pl.Series("x", [[1, 2], None]),
    ],
)
def test_ndjson_of_columns_is_dumpb_of_each_element(column: pl.Series):
    expected = b"".join(dumpb(value) + b"\n" for value in _elements(column))
    assert ndjson(column) == expected
    if column.dtype != pl.Int128:  # pyarrow has no 128-bit integers
        arrow = column.to_arrow()
        assert ndjson(arrow) == expected
        assert ndjson(pa.chunked_array([arrow[:1], arrow[1:]])) == expected


def _elements(column: pl.Series) -> list[Any]:
    """The column's values one by one, as each is written alone: a one-value slice of the
    column written whole (its element there, as dumpb writes it)."""
    return [fastjson.Raw(dumpb(column.slice(i, 1))[1:-1]) for i in range(len(column))]


def test_ndjson_of_numpy_arrays_of_every_kind():
    masked = np.ma.masked_array([1.5, 2.0, 3.0], mask=[0, 1, 0])
    assert ndjson(masked) == b"1.5\nnull\n3.0\n"
    assert ndjson(np.ma.masked_array(["a", "b"], mask=[1, 0])) == b'null\n"b"\n'
    assert ndjson(np.array(5)) == b"5\n"
    assert ndjson(np.array([[1, 2], [3, 4]])) == b"[1,2]\n[3,4]\n"
    assert ndjson(np.ma.masked_array([[1, 2]], mask=[[0, 1]])) == b"[1,null]\n"
    assert ndjson(np.array(["a\ud800"])) == b'"a\\ud800"\n' == dumpb("a\ud800") + b"\n"


@pytest.mark.parametrize(
    "a",
    [
        np.arange(8).reshape(2, 2, 2),
        np.ma.masked_array(np.arange(8).reshape(2, 2, 2), mask=np.arange(8) % 3 == 0),
        np.arange(24.0).reshape(2, 3, 2, 2),
        np.zeros((2, 0, 2)),
        np.zeros((2, 0)),
    ],
)
def test_ndjson_of_arrays_of_three_dimensions_and_more_is_a_row_a_line(a: Any) -> None:
    """Rows of a 3-D array hold ``],[`` themselves: only the 2-D form splits the text."""
    assert ndjson(a) == b"".join(dumpb(row) + b"\n" for row in a)
    rows = np.ma.masked_array(a).tolist()  # masked values as None
    assert [orjson.loads(line) for line in ndjson(a).splitlines()] == rows


def test_ndjson_of_pandas_and_their_twins_agree():
    df = pd.DataFrame({"a": [1, 2], "b": [0.5, None], "c": ["x", None]})
    expected = lines_of_records(df)
    assert ndjson(df) == expected
    assert ndjson(pl.from_pandas(df)) == expected
    assert ndjson(pa.Table.from_pandas(df, preserve_index=False)) == expected
    assert ndjson(df["b"]) == b"0.5\nnull\n" == ndjson(pl.from_pandas(df["b"]))


def test_decimal256_is_written_as_decimals_are():
    """polars panics on it (a BaseException: no HTTP reply at all)."""
    values = [decimal.Decimal("1.00"), None, decimal.Decimal("-0.0000001000"), decimal.Decimal(10)]
    table = pa.table({"d": pa.array(values, type=pa.decimal256(40, 10))})
    expected = [
        {"d": None if v is None else str(v.quantize(decimal.Decimal("1E-10")))} for v in values
    ]
    assert fastjson.loads(dumpb(table)) == expected
    assert fastjson.loads(dumpb(table["d"])) == [row["d"] for row in expected]
    assert ndjson(table).splitlines()[2] == dumpb(expected[2]) == b'{"d":"-1.000E-7"}'


def test_polars_panics_are_encode_errors():
    nested = pa.table({"d": pa.array([[decimal.Decimal(1)]], type=pa.list_(pa.decimal256(40, 2)))})
    with pytest.raises(EncodeError) as info:
        dumpb(nested)
    assert info.value.path == "$"


def test_lone_surrogates_in_columns_are_written_as_in_a_str():
    expected = dumpb(["a\ud800"])
    assert dumpb(np.array(["a\ud800"])) == expected
    assert dumpb(pd.Series(["a\ud800"], dtype=object)) == expected
    frame = pd.DataFrame([[1]], columns=pd.Index(["a\ud800"], dtype=object))
    assert dumpb(frame) == b'[{"a\\ud800":1}]' == dumpb([{"a\ud800": 1}])
    assert b"".join(iter_encode(frame, orient="columns", chunk_size=1)) == dumpb(
        frame, orient="columns"
    )


# -- streaming dispatches on the source -----------------------------------------


@pytest.mark.parametrize("orient", ORIENTS)
def test_every_source_streams_as_dumpb(orient: str):
    df = pd.DataFrame({"a": np.arange(300), "b": np.linspace(0, 1, 300)}, index=np.arange(300) * 2)
    values: list[Any] = [
        df,
        df["b"],
        pl.from_pandas(df),
        pl.from_pandas(df["b"]),
        pa.Table.from_pandas(df, preserve_index=False),
        pa.array(np.arange(300)),
        np.arange(600).reshape(300, 2),
        np.ma.masked_array(np.arange(300), mask=np.arange(300) % 3 == 0),
    ]
    for value in values:
        whole = dumpb(value, orient=orient)
        assert b"".join(iter_encode(value, orient=orient, chunk_size=64)) == whole, type(value)
        nested = {"t": value}
        assert b"".join(iter_encode(nested, orient=orient, chunk_size=64)) == dumpb(
            nested, orient=orient
        )


def test_a_users_encoder_wins_over_the_source():
    reg = Registry()
    reg.register(pd.DataFrame, lambda df: {"rows": len(df)})
    df = pd.DataFrame({"a": range(1000)})
    assert source_of(df, reg) is None
    assert source_of(df, default_registry) is not None
    assert b"".join(iter_encode(df, registry=reg, chunk_size=16)) == b'{"rows":1000}'
    assert b"".join(iter_ndjson(df, registry=reg)) == b'{"rows":1000}\n'


# -- Arrow is offered only for what it holds ----------------------------------------


def test_arrow_names_are_written_as_json_keys_are():
    _, schema = arrow_form(pd.DataFrame(np.arange(6).reshape(3, 2))) or (None, None)
    assert schema is not None and schema.names[:2] == ["0", "1"]
    assert arrow_form(pd.Series([1, 2], name=0)) is not None


@pytest.mark.parametrize(
    "value",
    [
        pd.DataFrame([[1, 2]], columns=["a", "a"]),
        pd.DataFrame([[1, 2]], columns=[1, "1"]),
        pd.DataFrame({"o": [1, "x", dt.date(2020, 1, 1)]}),
        pd.DataFrame({"big": [2**70, 1]}, dtype=object),
        np.zeros((2, 2, 2)),
        np.array([1 + 2j]),
    ],
)
def test_what_arrow_cannot_hold_is_not_offered(value: Any):
    assert arrow_form(value) is None
    app = flask.Flask(__name__)
    app.json = fastjson.FastJSONProvider(app)
    with app.test_request_context(headers={"Accept": ARROW}):
        response = respond(value, orient="split")
        assert response.status_code == 406
        assert b"application/json" in response.get_data()
    if getattr(value, "dtype", None) is np.dtype(complex):
        return  # no JSON form either
    with app.test_request_context(headers={"Accept": f"{ARROW}, application/json;q=0.5"}):
        response = respond(value, orient="split")
        assert response.status_code == 200 and response.mimetype == "application/json"


def test_frames_arrow_can_hold_are_sent_as_arrow():
    app = flask.Flask(__name__)
    frame = pd.DataFrame(np.arange(6).reshape(3, 2))
    with app.test_request_context(headers={"Accept": ARROW}):
        response = respond(frame)
        assert response.status_code == 200 and response.mimetype == ARROW
        body = b"".join(response.response)  # type: ignore[arg-type]
    table = pa.ipc.open_stream(body).read_all()
    assert table.column_names[:2] == ["0", "1"]


@pytest.mark.parametrize(
    "value",
    [
        pa.record_batch({"a": [1, 2]}),
        pl.DataFrame({"i": pl.Series([2**100, 1], dtype=pl.Int128)}),
        pl.Series("i", [2**100, 1], dtype=pl.Int128),
        pl.DataFrame({"i": pl.Series([2**100, 1], dtype=pl.Int128)}).lazy(),
    ],
)
def test_arrow_is_offered_only_where_it_can_be_written(value: Any) -> None:
    """A RecordBatch is written as its table; polars' Int128 has no Arrow form, in a frame,
    a Series or a lazy frame's result: JSON."""
    app = flask.Flask(__name__)
    app.get("/")(lambda: respond(value))
    reply = app.test_client().get("/", headers={"Accept": f"{ARROW}, application/json;q=0.5"})
    assert reply.status_code == 200
    if isinstance(value, pa.RecordBatch):
        assert pa.ipc.open_stream(reply.get_data()).read_all() == pa.table(value)
    else:
        assert reply.get_data() == dumpb(value)


@pytest.mark.parametrize(
    "array",
    [
        np.arange(5),
        np.arange(6.0).reshape(3, 2),
        np.ma.masked_array([1, 2, 3], mask=[False, True, False]),
        np.ma.masked_array([[1.5, 2.0], [3.0, 4.0]], mask=[[False, True], [False, False]]),
        np.array(["2024-01-01T00:00:00.000001", "NaT"], dtype="M8[us]"),
        np.array([1, 2], dtype="m8[s]"),
        np.array(["a", "é"]),
        np.array([b"ab"], dtype="S2"),
        np.array([True, False]),
    ],
    ids=lambda a: f"{type(a).__name__}-{a.dtype}-{a.ndim}d",
)
def test_the_arrow_response_of_an_array_holds_its_values(array: Any) -> None:
    """A 1-D array is the one column ``values``, a 2-D array one column per array column
    (``"0"``, ``"1"``...); the oracle is numpy's own ``tolist`` (masked elements ``None``)."""
    app = flask.Flask(__name__)
    app.get("/")(lambda: respond(array))
    reply = app.test_client().get("/", headers={"Accept": ARROW})
    assert reply.status_code == 200 and reply.mimetype == ARROW
    table = pa.ipc.open_stream(reply.get_data()).read_all()
    if array.ndim == 1:
        assert table.to_pydict() == {"values": array.tolist()}
    else:
        columns = {str(j): array[:, j].tolist() for j in range(array.shape[1])}
        assert table.to_pydict() == columns


@pytest.mark.parametrize(
    "array",
    [np.arange(8).reshape(2, 2, 2), np.array([1, "x"], dtype=object)],
    ids=["three-dimensional", "mixed-objects"],
)
def test_an_array_arrow_cannot_hold_is_answered_in_json_or_406(array: Any) -> None:
    app = flask.Flask(__name__)
    app.get("/")(lambda: respond(array))
    client = app.test_client()
    either = client.get("/", headers={"Accept": f"{ARROW}, application/json;q=0.5"})
    assert either.status_code == 200 and either.get_data() == dumpb(array)
    assert client.get("/", headers={"Accept": ARROW}).status_code == 406
