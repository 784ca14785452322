"""Query results and readers encode as the one table they make, on every route.

The oracle is the collected table (``reader.read_all()``, ``rel.to_arrow_table()``,
``lf.collect()``, ``ddf.compute()``): ``dumpb`` of each source, its ``iter_encode``
chunks, its NDJSON lines and its HTTP bodies are held to the bytes fastjson writes
for that table, and an error to the same class and path.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import io
from collections.abc import Callable
from typing import Any

import dask
import dask.dataframe as dd
import duckdb
import flask
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strictjson import strict_loads
from test_table_writer import SETTINGS, TWIN_KINDS, frames

import fastjson
from fastjson import dumpb, dumps, iter_encode, iter_ndjson
from fastjson.encoders import streams
from fastjson.encoders._source import batches_of
from fastjson.flask import respond
from fastjson.registry import default_registry

ORIENTS = ("records", "values", "split", "index", "columns")
OPTIONS: tuple[dict[str, Any], ...] = (
    {},
    {"sort_keys": True},
    {"nan": "string"},
    {"nan": "error"},
    {"indent": 2},
    {"ensure_ascii": True, "datetime_format": "http"},
)

TABLE = pa.table(
    {
        "z": pa.array(range(11), pa.int64()),
        "f": pa.array([0.5, None, float("inf"), 2.0, 1e-7, 3.0, -1.0, 4.0, 5.0, 6.0, 7.0]),
        "s": pa.array(["a", "é", None, 'q"', "new\nline", "", "😀", "x", "y", "z", "w"]),
        "t": pa.array([dt.datetime(2024, 1, 1, 0, 0, i) for i in range(11)], pa.timestamp("us")),
        "a": pa.array([i % 3 == 0 for i in range(11)]),
    }
)
NAN_TABLE = TABLE.set_column(
    1, "f", pa.array([0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, float("nan"), 1.0, 2.0])
)
SIZES = (3, 1, 4, 0, 3)
"""Uneven batches, an empty one among them: 11 rows."""


def uneven(table: pa.Table, sizes: tuple[int, ...] = SIZES) -> list[pa.RecordBatch]:
    batches, start = [], 0
    for size in sizes:
        part = table.slice(start, size)
        columns = [column.combine_chunks() for column in part.columns]
        batches.append(pa.RecordBatch.from_arrays(columns, schema=table.schema))
        start += size
    return [*batches, *table.slice(start).to_batches()] if start < table.num_rows else batches


class CStream:
    """An object that offers nothing but the Arrow C stream interface."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        reader = pa.RecordBatchReader.from_batches(self.table.schema, uneven(self.table))
        return reader.__arrow_c_stream__(requested_schema)


def reader(table: pa.Table) -> pa.RecordBatchReader:
    return pa.RecordBatchReader.from_batches(table.schema, uneven(table))


def relation(table: pa.Table) -> duckdb.DuckDBPyRelation:
    connection = duckdb.connect()
    connection.register("t", table)
    return connection.sql("select * from t")


def lazy(table: pa.Table) -> pl.LazyFrame:
    return pl.from_arrow(table).lazy()  # type: ignore[union-attr]


def partitioned(table: pa.Table) -> dd.DataFrame:
    return dd.from_pandas(table.to_pandas(), npartitions=4)


MAKERS: dict[str, Callable[[pa.Table], Any]] = {
    "reader": reader,
    "c_stream": CStream,
    "duckdb": relation,
    "lazy": lazy,
    "dask": partitioned,
}


def collected(obj: Any) -> Any:
    """The oracle: the table the source makes, as its library collects it."""
    if isinstance(obj, pa.RecordBatchReader):
        return obj.read_all()
    if isinstance(obj, CStream):
        return pa.RecordBatchReader.from_stream(obj).read_all()
    if isinstance(obj, duckdb.DuckDBPyRelation):
        return obj.to_arrow_table()
    if isinstance(obj, pl.LazyFrame):
        return obj.collect()
    return obj.compute()


def outcome(call: Callable[[], bytes]) -> tuple[str, Any]:
    try:
        return "ok", call()
    except fastjson.EncodeError as exc:
        return type(exc).__name__, exc.path


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queries read in batches of 4 rows here, so that 11 rows are several batches."""
    monkeypatch.setattr(streams, "BATCH_ROWS", 4)


def each_route(make: Callable[[], Any], table: Any, **options: Any) -> None:
    """dumpb, dumps, iter_encode (chunks of 1, 7, 64 bytes), nested and NDJSON, against
    the collected table."""
    expected = outcome(lambda: dumpb(table, **options))
    assert outcome(lambda: dumpb(make(), **options)) == expected
    assert outcome(lambda: dumps(make(), **options).encode()) == expected
    for size in (1, 7, 64):
        chunks = functools.partial(iter_encode, chunk_size=size, **options)
        assert outcome(lambda: b"".join(chunks(make()))) == expected, size  # noqa: B023
    nested = outcome(lambda: dumpb({"q": table}, **options))
    assert outcome(lambda: b"".join(iter_encode({"q": make()}, chunk_size=7, **options))) == (
        nested if nested[0] == "ok" else (nested[0], nested[1])
    )
    if expected[0] == "ok":
        strict_loads(expected[1])
    lines = outcome(lambda: b"".join(iter_ndjson(table, **options)))
    assert outcome(lambda: b"".join(iter_ndjson(make(), chunk_size=5, **options))) == lines


@pytest.mark.parametrize("options", OPTIONS, ids=repr)
@pytest.mark.parametrize("orient", ORIENTS)
@pytest.mark.parametrize("name", MAKERS)
def test_every_source_writes_its_collected_table(
    name: str, orient: str, options: dict[str, Any]
) -> None:
    for table in (TABLE, NAN_TABLE):
        make = functools.partial(MAKERS[name], table)
        each_route(make, collected(make()), orient=orient, **options)


@pytest.mark.parametrize("orient", ORIENTS)
@pytest.mark.parametrize("name", MAKERS)
def test_empty_results_keep_their_schema(name: str, orient: str) -> None:
    empty = TABLE.slice(0, 0)
    make = functools.partial(MAKERS[name], empty)
    table = collected(make())
    each_route(make, table, orient=orient)
    assert dumpb(make(), orient=orient) == EMPTY[orient]


EMPTY = {
    "records": b"[]",
    "values": b"[]",
    "index": b"{}",
    "columns": b'{"z":{},"f":{},"s":{},"t":{},"a":{}}',
    "split": b'{"columns":["z","f","s","t","a"],"index":[],"data":[]}',
}


@pytest.mark.parametrize("name", MAKERS)
def test_indent_on_another_backend_collects_first(name: str) -> None:
    """The json backend lays frames out as nested lists under ``indent``: the table is
    collected and written as a table is."""
    make = functools.partial(MAKERS[name], TABLE)
    options: dict[str, Any] = {"backend": "json", "indent": 2}
    expected = dumpb(collected(make()), **options)
    assert b"\n    " in expected
    assert b"".join(iter_encode(make(), chunk_size=16, **options)) == expected
    assert dumpb(make(), **options) == expected


def test_a_reader_is_read_once() -> None:
    once = reader(TABLE)
    assert dumpb(once) == dumpb(TABLE)
    with pytest.raises(fastjson.EncodeError, match="already read"):
        dumpb(once)
    with pytest.raises(fastjson.EncodeError, match="already read"):
        b"".join(iter_encode(once))
    streamed = reader(TABLE)
    assert b"".join(iter_ndjson(streamed)) == b"".join(iter_ndjson(TABLE))
    with pytest.raises(fastjson.EncodeError, match="already read") as caught:
        dumpb({"again": streamed})
    assert caught.value.path == "$.again"


def test_a_relation_runs_again_each_time() -> None:
    rel = relation(TABLE)
    assert dumpb(rel) == dumpb(rel) == b"".join(iter_encode(rel, chunk_size=9))


def test_errors_in_a_later_batch_name_the_global_row() -> None:
    for name, make in MAKERS.items():
        with pytest.raises(fastjson.NonFiniteError) as caught:
            b"".join(iter_encode({"rows": make(NAN_TABLE)}, nan="error", chunk_size=8))
        assert caught.value.path == "$.rows[8].f", name
        with pytest.raises(fastjson.NonFiniteError) as caught:
            b"".join(iter_ndjson(make(NAN_TABLE), nan="error"))
        assert caught.value.path == "$[8].f", name


def test_an_unsupported_value_in_a_later_batch_names_its_row() -> None:
    data = pa.table({"b": pa.array([b"ok"] * 9 + [b"\xff", b"ok"], pa.binary())})
    with pytest.raises(fastjson.EncodeError, match="UTF-8") as caught:
        b"".join(iter_encode(reader(data), chunk_size=4))
    assert caught.value.path == "$[9].b"
    with pytest.raises(fastjson.EncodeError) as whole:
        dumpb(data)
    assert whole.value.path == caught.value.path


def test_a_failing_query_is_an_encode_error() -> None:
    rel = duckdb.sql("select cast(x as integer) as i from (values ('1'), ('x')) v(x)")
    with pytest.raises(fastjson.EncodeError, match="DuckDB") as caught:
        dumpb(rel)
    assert isinstance(caught.value.__cause__, duckdb.Error)
    with pytest.raises(fastjson.EncodeError, match="DuckDB"):
        b"".join(iter_encode(rel))


def test_a_batch_that_does_not_fit_the_schema_is_an_encode_error() -> None:
    """A Dask partition whose dtypes are not its collection's ``meta`` cannot be cast to the
    schema the Arrow stream announced: an error that says so, not pyarrow's own."""
    from fastjson._http import arrow_form

    with dask.config.set(scheduler="synchronous"):
        frame = dd.from_pandas(pd.DataFrame({"x": [1, 2, 3, 4]}), npartitions=2)
        halved = frame.map_partitions(lambda p: p / 2 if p.x.iloc[0] > 2 else p, meta=frame._meta)
        form = arrow_form(halved)
        assert form is not None
        with pytest.raises(fastjson.EncodeError, match="batch 1 of the result") as caught:
            list(form[0])
    assert isinstance(caught.value.__cause__, pa.ArrowInvalid)


def test_duckdb_decimals_are_written_as_arrow_decimals() -> None:
    rel = duckdb.sql(
        "select 1.5 as d, 12345678901234567890.125::DECIMAL(38, 3) as big,"
        " 1e-8::DECIMAL(18, 9) as tiny"
    )
    table = rel.to_arrow_table()
    assert pa.types.is_decimal(table.schema.field("d").type)
    expected = b'[{"d":"1.5","big":"12345678901234567890.125","tiny":"1.0E-8"}]'
    arrow = pa.table(
        {
            "d": pa.array([decimal.Decimal("1.5")], pa.decimal128(2, 1)),
            "big": pa.array([decimal.Decimal("12345678901234567890.125")], pa.decimal128(38, 3)),
            "tiny": pa.array([decimal.Decimal("1E-8")], pa.decimal128(18, 9)),
        }
    )
    assert dumpb(arrow) == expected
    assert dumpb(rel) == b"".join(iter_encode(rel, chunk_size=3)) == expected
    assert b"".join(iter_ndjson(rel)) == expected[1:-1] + b"\n"


def test_index_orient_streams_by_global_position(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrow and polars tables have no index: their keyed orients count rows from 0 over
    the whole table, not per batch, and ``index`` streams so; ``split`` and ``columns``
    collect first."""
    collects: list[str] = []
    real = streams.arrow.ReaderStream.collect

    def counted(self: Any) -> Any:
        collects.append(self.what)
        return real(self)

    monkeypatch.setattr(streams.arrow.ReaderStream, "collect", counted)
    body = b"".join(iter_encode(reader(TABLE), orient="index", chunk_size=4))
    assert list(strict_loads(body)) == [str(i) for i in range(11)]
    assert body == dumpb(TABLE, orient="index")
    assert b"".join(iter_encode(reader(TABLE), orient="index", sort_keys=True)) == dumpb(
        TABLE, orient="index", sort_keys=True
    )
    assert not collects
    for orient in ("split", "columns"):
        assert b"".join(iter_encode(reader(TABLE), orient=orient)) == dumpb(TABLE, orient=orient)
    assert collects == ["RecordBatchReader"] * 2
    with pytest.raises(fastjson.NonFiniteError) as caught:
        b"".join(iter_encode(reader(NAN_TABLE), orient="index", nan="error"))
    assert caught.value.path == '$["8"].f'


# -- laziness -----------------------------------------------------------------------


def test_dask_computes_a_partition_when_the_writer_reaches_it() -> None:
    computed: list[int] = []

    def count(part: pd.DataFrame) -> pd.DataFrame:
        computed.append(len(part))
        return part

    df = pd.DataFrame({"x": np.arange(80.0), "s": [str(i) for i in range(80)]})
    ddf = dd.from_pandas(df, npartitions=8).map_partitions(count, meta=df.iloc[:0])
    with dask.config.set(scheduler="synchronous"):
        for write in (iter_encode, iter_ndjson):
            computed.clear()
            chunks = write(ddf, chunk_size=16)
            first = next(chunks)
            assert len(computed) == 1, write
            rest = b"".join(chunks)
            assert len(computed) == 8
            assert first + rest == (
                dumpb(df) if write is iter_encode else b"".join(iter_ndjson(df))
            )


def test_dask_index_orient_streams_with_known_divisions() -> None:
    df = pd.DataFrame({"x": np.arange(20.0)}, index=pd.Index([f"k{i:02}" for i in range(20)]))
    ddf = dd.from_pandas(df, npartitions=4)
    assert ddf.known_divisions
    stream = streams.dask.PartitionStream(ddf, "frame")
    assert stream.streams(fastjson.Encoder(orient="index"))
    assert not stream.streams(fastjson.Encoder(orient="index", sort_keys=True))
    assert not stream.streams(fastjson.Encoder(orient="split"))
    for orient in ORIENTS:
        assert b"".join(iter_encode(ddf, orient=orient, chunk_size=8)) == dumpb(df, orient=orient)
    unknown = ddf.clear_divisions()
    assert not streams.dask.PartitionStream(unknown, "frame").streams(
        fastjson.Encoder(orient="index")
    )
    assert b"".join(iter_encode(unknown, orient="index")) == dumpb(df, orient="index")


def test_dask_series() -> None:
    s = pd.Series(np.arange(9) * 1.5, name="v", index=pd.RangeIndex(10, 19))
    ds = dd.from_pandas(s, npartitions=3)
    for orient in ORIENTS:
        assert b"".join(iter_encode(ds, orient=orient, chunk_size=4)) == dumpb(s, orient=orient)
        assert dumpb(ds, orient=orient) == dumpb(s, orient=orient)
    assert b"".join(iter_ndjson(ds)) == b"".join(iter_ndjson(s))


def test_dask_on_a_distributed_cluster() -> None:
    """With a Client active, partitions compute on its workers (``get_worker`` raises
    anywhere else)."""
    from distributed import Client, LocalCluster, get_worker

    def on_a_worker(part: pd.DataFrame) -> pd.DataFrame:
        get_worker()
        return part

    df = pd.DataFrame({"x": np.arange(30), "y": np.arange(30) * 0.5})
    ddf = dd.from_pandas(df, npartitions=3).map_partitions(on_a_worker, meta=df.iloc[:0])
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        assert b"".join(iter_encode(ddf, chunk_size=16)) == dumpb(df)
        assert b"".join(iter_ndjson(ddf)) == b"".join(iter_ndjson(df))
        assert dumpb(ddf, orient="split") == dumpb(df, orient="split")
    with pytest.raises(fastjson.EncodeError, match="Dask"):
        dumpb(ddf)  # no cluster: computed here, where there is no worker


def test_a_lazy_frame_streams_without_a_full_collect(monkeypatch: pytest.MonkeyPatch) -> None:
    lf = lazy(TABLE).with_columns(double=pl.col("z") * 2)
    whole = lf.collect()
    runs: list[int] = []
    real = pl.LazyFrame.collect_batches

    def counted(self: pl.LazyFrame, *args: Any, **kwargs: Any) -> Any:
        runs.append(kwargs.get("chunk_size"))
        return real(self, *args, **kwargs)

    def refused(self: pl.LazyFrame, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a full collect() while streaming")

    monkeypatch.setattr(pl.LazyFrame, "collect_batches", counted)
    monkeypatch.setattr(pl.LazyFrame, "collect", refused)
    assert b"".join(iter_encode(lf, chunk_size=8)) == dumpb(whole)
    assert b"".join(iter_ndjson(lf)) == b"".join(iter_ndjson(whole))
    assert b"".join(iter_encode(lf, orient="values")) == dumpb(whole, orient="values")
    assert b"".join(iter_encode(lf, orient="index")) == dumpb(whole, orient="index")
    from fastjson._http import arrow_chunks, arrow_form

    form = arrow_form(lf)
    assert form is not None
    read = pa.ipc.open_stream(b"".join(arrow_chunks(form))).read_all()
    assert read.equals(whole.to_arrow())
    assert runs == [4, 4, 4, 4, 65_536]


def test_a_c_stream_is_opened_once_per_encode() -> None:
    """Deciding how to write it (is it big? does it stream?) never opens the stream."""
    opened: list[int] = []

    class Counted(CStream):
        def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
            opened.append(1)
            return super().__arrow_c_stream__(requested_schema)

    app = flask.Flask(__name__)
    for encode in (
        lambda: dumpb({"q": Counted(TABLE)}),
        lambda: b"".join(iter_encode({"q": Counted(TABLE)}, chunk_size=8)),
        lambda: b"".join(iter_ndjson(Counted(TABLE))),
        lambda: fastjson.jsonify(q=Counted(TABLE)).get_data(),
    ):
        opened.clear()
        with app.app_context():
            assert encode()
        assert len(opened) == 1


def test_readers_are_not_read_until_written() -> None:
    from fastjson._http import arrow_form

    once = reader(TABLE)
    form = arrow_form(once)
    assert form is not None
    assert dumpb(once) == dumpb(TABLE)  # the form was never read


# -- batches_of ---------------------------------------------------------------------


def test_batches_of_tables_and_streams() -> None:
    sources = list(batches_of(reader(TABLE), default_registry))
    assert [s.rows for s in sources] == list(SIZES)
    assert [s.rows for s in batches_of(TABLE, default_registry)] == [11]
    assert [s.rows for s in batches_of(relation(TABLE), default_registry)] == [4, 4, 3]
    with pytest.raises(fastjson.EncodeError, match="not a table"):
        batches_of([1, 2], default_registry)


def test_your_encoder_for_a_stream_type_wins() -> None:
    registry = fastjson.Registry()
    registry.register(pa.RecordBatchReader, lambda r: {"schema": r.schema.names})
    body = b'{"schema":["z","f","s","t","a"]}'
    assert dumpb(reader(TABLE), registry=registry) == body
    assert b"".join(iter_encode(reader(TABLE), registry=registry)) == body
    registry.register(lambda cls: hasattr(cls, "__arrow_c_stream__"), lambda o: "mine")
    assert dumpb(CStream(TABLE), registry=registry) == b'"mine"'
    assert dumpb(pd.DataFrame({"a": [1]}), registry=registry) == b'[{"a":1}]'


def test_frames_with_the_c_stream_interface_keep_their_encoders() -> None:
    df = pd.DataFrame({"a": [1, 2]}, index=["x", "y"])
    assert hasattr(df, "__arrow_c_stream__")
    assert dumpb(df, orient="index") == b'{"x":{"a":1},"y":{"a":2}}'
    pf = pl.DataFrame({"a": [1, 2]})
    assert dumpb(pf, orient="split") == b'{"columns":["a"],"index":[0,1],"data":[[1],[2]]}'


# -- HTTP ---------------------------------------------------------------------------


@pytest.fixture
def app() -> flask.Flask:
    app = flask.Flask(__name__)

    @app.get("/<name>")
    def query(name: str) -> Any:
        return respond(MAKERS[name](TABLE), orient=flask.request.args.get("orient", "records"))

    @app.get("/jsonify/<name>")
    def whole(name: str) -> Any:
        return fastjson.jsonify(rows=MAKERS[name](TABLE))

    return app


@pytest.mark.parametrize("name", MAKERS)
def test_respond_negotiates_json_ndjson_and_arrow(app: flask.Flask, name: str) -> None:
    client = app.test_client()
    table = collected(MAKERS[name](TABLE))
    for orient in ("records", "index"):
        got = client.get(f"/{name}?orient={orient}")
        assert got.status_code == 200
        assert got.is_streamed
        assert got.data == dumpb(table, orient=orient)
    got = client.get(f"/{name}", headers={"Accept": "application/x-ndjson"})
    assert got.mimetype == "application/x-ndjson"
    assert got.data == b"".join(iter_ndjson(table))
    got = client.get(f"/{name}", headers={"Accept": "application/vnd.apache.arrow.stream"})
    assert got.mimetype == "application/vnd.apache.arrow.stream"
    read = pa.ipc.open_stream(io.BytesIO(got.data)).read_all()
    if isinstance(table, pd.DataFrame):
        pd.testing.assert_frame_equal(read.to_pandas(), table)
    else:
        expected = table.to_arrow() if isinstance(table, pl.DataFrame) else table
        assert read.equals(expected)
    got = client.get(f"/jsonify/{name}")
    assert got.is_streamed
    assert got.data == dumpb({"rows": table})


@pytest.mark.parametrize("name", MAKERS)
def test_offering_arrow_reads_nothing_when_json_is_chosen(app: flask.Flask, name: str) -> None:
    """Arrow named at a lower quality is offered without running the query or opening
    the stream: the JSON chosen instead is written from a source never read before
    (a DuckDB cursor with an open result refuses a second query)."""
    client = app.test_client()
    accept = "application/json, application/vnd.apache.arrow.stream;q=0.5, text/csv;q=0.4"
    got = client.get(f"/{name}", headers={"Accept": accept})
    assert got.status_code == 200
    assert got.mimetype == "application/json"
    assert got.data == dumpb(collected(MAKERS[name](TABLE)))


def test_offering_arrow_leaves_a_cursor_free_for_the_json() -> None:
    """The demo's case: one cursor per response, Arrow named but JSON preferred."""
    app = flask.Flask(__name__)
    con = duckdb.connect()

    @app.get("/")
    def query() -> Any:
        return respond(con.cursor().sql("select range as i from range(100000)"))

    got = app.test_client().get(
        "/", headers={"Accept": "application/json, application/vnd.apache.arrow.stream;q=0.9"}
    )
    assert got.status_code == 200
    assert strict_loads(got.data) == [{"i": i} for i in range(100_000)]


def test_an_arrow_stream_left_early_closes_its_batches() -> None:
    """A client that goes away mid-stream: the batches (a query's reader) are closed at
    once, not when the garbage collector finds them."""
    from fastjson._http import arrow_chunks

    table = pa.table({"i": range(10)})
    closed = []

    def batches():
        try:
            yield from table.to_batches(max_chunksize=2)
        finally:
            closed.append(True)

    chunks = arrow_chunks((batches(), table.schema))
    next(chunks)
    next(chunks)
    chunks.close()
    assert closed == [True]


def test_a_failing_query_streamed_as_arrow_is_an_encode_error() -> None:
    from fastjson._http import arrow_chunks, arrow_form

    rel = duckdb.sql(
        "select case when range < 99999 then range::varchar else 'x' end::integer as i "
        "from range(100000)"
    )
    form = arrow_form(rel)
    assert form is not None
    with pytest.raises(fastjson.EncodeError, match="DuckDB") as caught:
        b"".join(arrow_chunks(form))
    assert "Conversion Error" in str(caught.value.__cause__)  # DuckDB's, through its reader


# -- property: random tables, random batches -----------------------------------------


def twin(df: pd.DataFrame) -> pd.DataFrame:
    """A frame polars and Arrow hold one to one (as test_table_writer's twins)."""
    df = df.reset_index(drop=True)
    for name in df.columns:
        if df[name].dtype == "float64":
            df[name] = df[name].fillna(0.5)
        if str(df[name].dtype) == "Int64":
            df[name] = df[name].fillna(7)
        if isinstance(df[name].dtype, pd.DatetimeTZDtype):
            df[name] = df[name].dt.tz_convert("UTC")
    return df


@SETTINGS
@given(
    frames(kinds=TWIN_KINDS),
    st.lists(st.integers(0, 5), max_size=5),
    st.sampled_from(ORIENTS),
    st.sampled_from(OPTIONS),
)
def test_random_tables_in_random_batches(
    df: pd.DataFrame, sizes: list[int], orient: str, options: dict[str, Any]
) -> None:
    table = pa.Table.from_pandas(twin(df), preserve_index=False)

    def make() -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(table.schema, uneven(table, tuple(sizes)))

    whole = outcome(lambda: dumpb(table, orient=orient, **options))
    assert outcome(lambda: dumpb(make(), orient=orient, **options)) == whole
    chunks = outcome(lambda: b"".join(iter_encode(make(), chunk_size=7, orient=orient, **options)))
    assert chunks[0] == whole[0]
    if whole[0] == "ok":
        assert chunks == whole
        lines = b"".join(iter_ndjson(table, **options))
        assert b"".join(iter_ndjson(make(), **options)) == lines


@SETTINGS
@given(
    frames(kinds=TWIN_KINDS),
    st.integers(1, 4),
    st.sampled_from(ORIENTS),
    st.sampled_from(OPTIONS),
)
def test_random_frames_in_dask_partitions(
    df: pd.DataFrame, parts: int, orient: str, options: dict[str, Any]
) -> None:
    """Partitions keep their pandas index (sorted, so that divisions are known)."""
    if isinstance(df.index, pd.MultiIndex):
        df = df.reset_index(drop=True)
    ddf = dd.from_pandas(df, npartitions=parts, sort=df.index.is_unique)
    with dask.config.set(scheduler="synchronous"):
        table = ddf.compute()
        whole = outcome(lambda: dumpb(table, orient=orient, **options))
        chunks = b"".join
        assert outcome(
            lambda: chunks(iter_encode(ddf, chunk_size=7, orient=orient, **options))
        ) == (whole)
        if whole[0] == "ok" and orient == "records":
            lines = b"".join(iter_ndjson(table, **options))
            assert b"".join(iter_ndjson(ddf, **options)) == lines
