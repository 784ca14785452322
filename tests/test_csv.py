"""CSV: RFC 4180 from the JSON writer's text of each cell, by row ranges, for pandas, polars
and Arrow tables; csv_response, respond's text/csv and one CSV of several sources."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import numpy as np
import orjson
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from flask import Flask
from frames import COLUMNS

import fastjson
from fastjson import FastJSONProvider, csv_chunks, dumpb, iter_csv
from fastjson._csv import csv_source
from fastjson.flask import csv_response, respond

FRAME = pd.DataFrame(COLUMNS)


def body(obj: Any, **options: Any) -> bytes:
    return b"".join(iter_csv(obj, **options))


def records(data: bytes) -> list[list[str]]:
    """The CSV read by the standard library's reader (the outside oracle of the layout)."""
    assert data.endswith(b"\r\n")
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def expected_field(value: Any) -> str:
    """What the CSV holds for a value of the JSON writer's output."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()  # numbers and booleans as JSON writes them


def test_the_layout_of_rfc_4180():
    df = pd.DataFrame(
        {
            "plain": ["a", "b", "c"],
            "comma, name": ["x,y", 'say "hi"', "two\r\nlines"],
            "n": [1.5, None, 1e-7],
        }
    )
    assert body(df) == (
        b'plain,"comma, name",n\r\na,"x,y",1.5\r\nb,"say ""hi""",\r\nc,"two\r\nlines",1e-7\r\n'
    )


def test_every_field_is_the_json_writers_value():
    """Cell by cell against dumpb's own values (orient="values"): the same text, nulls
    empty, strings unescaped, dates without their quotes; the stdlib reader parses it."""
    data = body(FRAME)
    header, *rows = records(data)
    assert header == list(FRAME.columns)
    values = orjson.loads(dumpb(FRAME, orient="values"))
    assert rows == [[expected_field(v) for v in row] for row in values]
    assert rows[0][list(FRAME.columns).index("datetime64[us, tz]")] == "2024-01-01T00:00:00+01:00"
    assert b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n") + 1  # the "new\nline"


def test_floats_are_lossless_and_written_as_orjson_writes_them():
    rng = np.random.default_rng(7)
    floats = rng.standard_normal(500) * 10.0 ** rng.integers(-300, 300, 500)
    small = rng.standard_normal(500) * 10.0 ** rng.integers(-30, 30, 500)  # float32's range
    df = pd.DataFrame({"f": floats, "f32": small.astype(np.float32)})
    _, *rows = records(body(df))
    assert [row[0] for row in rows] == [orjson.dumps(float(x)).decode() for x in floats]
    assert [float(row[0]) for row in rows] == floats.tolist()  # bit for bit
    float32_tokens = dumpb(df["f32"])[1:-1].split(b",")  # the JSON writer's float32 text
    assert [row[1] for row in rows] == ["" if t == b"null" else t.decode() for t in float32_tokens]


def test_pandas_reads_it_back_to_the_same_values():
    df = FRAME.drop(columns=["float32"])  # read back as float64, compared separately
    dates = ["datetime64[ns]", "datetime64[us, tz]"]
    back = pd.read_csv(
        io.BytesIO(body(df)),
        parse_dates=dates,
        date_format="ISO8601",
        keep_default_na=False,
        na_values=[""],
    )
    assert list(back.columns) == list(df.columns)
    pd.testing.assert_series_equal(back["int64"], df["int64"])
    finite = df["float64"].where(np.isfinite(df["float64"]))  # JSON's rule: inf is null
    pd.testing.assert_series_equal(back["float64"], finite)
    assert back["bool"].tolist() == df["bool"].tolist()
    assert back["datetime64[ns]"].tolist() == df["datetime64[ns]"].tolist()
    aware = pd.to_datetime(back["datetime64[us, tz]"], utc=True, format="ISO8601")
    assert aware.tolist() == df["datetime64[us, tz]"].dt.tz_convert("UTC").tolist()
    assert back["timedelta"].tolist()[0] == 1.5  # seconds, as JSON writes them
    assert back["Int64"].astype("Int64").tolist() == df["Int64"].tolist()
    strings = back["str"].tolist()
    assert strings[0] == "a" and strings[3] == 'q"uote' and strings[4] == "new\nline"
    assert strings[6] == "😀" and math.isnan(strings[1])  # None: an empty field

    def present(values: Any) -> list[Any]:
        return [None if pd.isna(v) else v for v in values]

    assert present(back["category"]) == present(df["category"])
    assert present(back["string"]) == present(df["string"].replace("", None))  # "" read as NA


def test_an_index_is_written_unless_it_is_the_default():
    df = pd.DataFrame({"v": [1.5, 2.5, 3.5]})
    assert body(df).splitlines()[0] == b"v"  # RangeIndex from 0 by 1, unnamed: left out
    assert body(df.iloc[1:]).splitlines()[:2] == [b",v", b"1,2.5"]  # starts at 1: kept
    named = df.rename_axis("row")
    assert body(named).splitlines()[:2] == [b"row,v", b"0,1.5"]
    labelled = df.set_axis(pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]))
    lines = body(labelled).splitlines()
    assert lines[:2] == [b",v", b"2024-01-01T00:00:00,1.5"]  # unnamed: headed ""
    back = pd.read_csv(io.BytesIO(body(labelled)), index_col=0, parse_dates=True)
    pd.testing.assert_frame_equal(back, labelled, check_names=False, check_freq=False)
    multi = pd.DataFrame(
        {"v": [1, 2]}, index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)], names=["k", None])
    )
    assert body(multi) == b"k,,v\r\na,1,1\r\nb,2,2\r\n"
    series = pd.Series([1.5, None], index=["x", "y"], name="s")
    assert body(series) == b",s\r\nx,1.5\r\ny,\r\n"
    assert body(pd.Series([1, 2])) == b"values\r\n1\r\n2\r\n"  # unnamed: "values"


def test_polars_and_arrow_give_the_bytes_of_the_same_pandas_frame():
    df = pd.DataFrame(
        {
            "i": [1, 2, None],
            "f": [0.1, None, 1e300],
            "s": ["a,b", None, "é"],
            "t": pd.to_datetime(
                ["2024-01-01", None, "2024-01-02 00:00:00.000001"], format="ISO8601"
            ),
            "b": [True, None, False],
        }
    ).astype({"i": "Int64", "b": "boolean"})
    expected = body(df)
    polars = pl.from_pandas(df)
    table = pa.Table.from_pandas(df, preserve_index=False)
    assert body(polars) == expected
    assert body(table) == expected
    assert body(table.to_batches()[0]) == expected
    assert body(polars["f"]) == b"f\r\n0.1\r\n\r\n1e+300\r\n"
    assert csv_source(table["f"]) is None  # an Arrow array is no table: JSON only
    assert csv_source(np.arange(3)) is None


def test_big_frames_stream_by_row_ranges_with_bounded_pieces():
    n = 300_000
    df = pd.DataFrame({"i": np.arange(n), "x": np.arange(n) / 7, "s": ["a,b"] * n})
    chunks = list(iter_csv(df, chunk_size=1 << 16))
    assert len(chunks) > 100 and max(map(len, chunks[:-1])) < 4 << 20
    data = b"".join(chunks)
    assert data.count(b"\r\n") == n + 1
    back = pd.read_csv(io.BytesIO(data))
    pd.testing.assert_frame_equal(back, df)


def test_several_sources_make_one_csv_with_one_header():
    table = pa.table({"a": [1, 2, 3, 4, 5], "b": ["x", "y", "z", "w", "v"]})
    batches = [csv_source(batch) for batch in table.to_batches(max_chunksize=2)]
    assert len(batches) == 3
    joined = b"".join(csv_chunks(batches))
    assert joined == body(table) == b"a,b\r\n1,x\r\n2,y\r\n3,z\r\n4,w\r\n5,v\r\n"
    assert b"".join(csv_chunks(iter([]))) == b""
    other = csv_source(pa.table({"a": [1], "c": ["q"]}))
    with pytest.raises(fastjson.EncodeError, match="header"):
        b"".join(csv_chunks([batches[0], other]))


def test_options_apply_but_nan_is_always_an_empty_field():
    df = pd.DataFrame(
        {"b": [2.5, float("nan")], "a": ["é", "x"], "t": pd.to_datetime(["2024-03-01", None])}
    )
    assert body(df, nan="string", ensure_ascii=True) == (
        "b,a,t\r\n2.5,é,2024-03-01T00:00:00\r\n,x,\r\n".encode()
    )
    assert body(df, sort_keys=True).splitlines()[0] == b"b,a,t"  # no keys: the frame's order
    http = body(df, datetime_format="http").splitlines()[1]
    assert http == b'2.5,\xc3\xa9,"Fri, 01 Mar 2024 00:00:00 GMT"'  # quoted: it holds a comma
    big = pd.DataFrame({"n": pd.array([2**70, 1, None], dtype=object)})
    assert body(big, big_int="string") == b"n\r\n1180591620717411303424\r\n1\r\n\r\n"


def test_mixed_object_columns_are_laid_out_cell_by_cell():
    df = pd.DataFrame({"o": [1, "x,y", [1, "a"], {"k": None}, None, 2.5, True]})
    assert body(df) == (b'o\r\n1\r\n"x,y"\r\n"[1,""a""]"\r\n"{""k"":null}"\r\n\r\n2.5\r\ntrue\r\n')


def test_what_encoding_refuses_is_raised_before_the_first_byte():
    with pytest.raises(fastjson.EncodeError):
        next(iter_csv(pd.DataFrame({"c": [1j, 2j]})))
    with pytest.raises(fastjson.EncodeError, match="CSV has no form for dict"):
        iter_csv({"a": 1})


# -- over HTTP -----------------------------------------------------------------------------


def app_with(**attributes: Any) -> Flask:
    app = Flask(__name__)
    app.json = FastJSONProvider(app)
    for name, value in attributes.items():
        setattr(app.json, name, value)

    @app.get("/frame")
    def frame() -> Any:
        return respond(FRAME)

    @app.get("/dict")
    def mapping() -> Any:
        return respond({"a": 1})

    return app


def test_respond_offers_csv_for_tables_only():
    client = app_with().test_client()
    response = client.get("/frame", headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert response.data == body(FRAME)
    assert "Accept" in response.headers["Vary"]
    preferred = client.get("/frame", headers={"Accept": "application/json;q=0.5, text/csv"})
    assert preferred.headers["Content-Type"].startswith("text/csv")
    anything = client.get("/frame", headers={"Accept": "*/*"})
    assert anything.headers["Content-Type"] == "application/json"
    refused = client.get("/dict", headers={"Accept": "text/csv"})
    assert refused.status_code == 406
    assert "text/csv" not in refused.get_json()["message"]


def test_csv_response_streams_and_compresses():
    app = app_with(compress_level=6)
    with app.test_request_context(headers={"Accept-Encoding": "gzip"}):
        response = csv_response(FRAME)
        assert response.headers["Content-Encoding"] == "gzip"
        import gzip

        assert gzip.decompress(b"".join(response.response)) == body(FRAME)
    with app.test_request_context(), pytest.raises(fastjson.EncodeError, match="CSV has no form"):
        csv_response([1, 2])


# -- query results and readers: one CSV of their batches ---------------------------------


def test_query_results_and_readers_give_the_csv_of_their_collected_table():
    import dask
    import dask.dataframe as dd
    import duckdb

    table = pa.table(
        {
            "i": pa.array(range(10)),
            "s": pa.array([f"a,{k}" if k % 3 else None for k in range(10)]),
            "x": pa.array([k / 3 for k in range(10)]),
        }
    )
    expected = body(table)
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=3))
    assert body(reader) == expected
    connection = duckdb.connect()
    connection.register("readings", table)
    assert body(connection.sql("select * from readings order by i")) == expected
    assert body(pl.from_arrow(table).lazy()) == expected
    frame = table.to_pandas()
    with dask.config.set(scheduler="synchronous"):
        partitioned = dd.from_pandas(frame, npartitions=3)  # indexes go on from 0: left out
        assert body(partitioned) == body(frame) == expected
        labelled = dd.from_pandas(frame.set_axis([f"r{k}" for k in range(10)]), npartitions=3)
        assert body(labelled).splitlines()[:2] == [b",i,s,x", b"r0,0,,0.0"]


def test_an_empty_query_result_still_has_its_header():
    """A result with no rows has no batches to read its columns from: its stream gives one
    empty table, so the CSV is the header, as for the collected table."""
    import duckdb

    connection = duckdb.connect()
    connection.sql("create table readings (id integer, s varchar)")
    empty = pa.table({"id": pa.array([], pa.int32()), "s": pa.array([], pa.string())})
    assert body(empty) == b"id,s\r\n"
    results = {
        "a DuckDB relation": connection.sql("select * from readings"),
        "a LazyFrame": pl.from_arrow(empty).lazy(),
        "a filtered LazyFrame": pl.DataFrame({"id": [1], "s": ["a"]})
        .lazy()
        .filter(pl.col("id") > 5),
        "a reader": pa.RecordBatchReader.from_batches(empty.schema, []),
    }
    for case, result in results.items():
        assert body(result) == b"id,s\r\n", case
    for orient in ("records", "values", "split", "columns", "index"):
        relation = connection.sql("select * from readings")
        streamed = b"".join(fastjson.iter_encode(relation, orient=orient))
        assert streamed == dumpb(empty, orient=orient), orient


def test_a_stream_writes_an_index_as_its_first_batch_decides(tmp_path):
    """Partitions read from files each count their rows from 0: the first batch's default
    index decides for all, so the CSV is one table with no index column, never a header
    that changes after the first partition."""
    import dask
    import dask.dataframe as dd

    frame = pd.DataFrame({"a": range(9), "b": [f"s{k}" for k in range(9)]})
    for k in range(3):
        frame.iloc[3 * k : 3 * k + 3].to_parquet(tmp_path / f"{k}.parquet", index=False)
    with dask.config.set(scheduler="synchronous"):
        parts = dd.read_parquet(str(tmp_path))
        assert parts.npartitions == 3
        assert body(parts) == body(frame)  # the rows of every partition, one header


def test_errors_name_the_row_in_the_whole_table():
    """A cell that has no JSON form, in a later batch: named by its row in the whole table
    and its column's place, as the ``values`` orient names it (a CSV row is a list)."""
    import dask
    import dask.dataframe as dd

    frame = pd.DataFrame({"n": range(6), "o": [1, 2, 3, 4, object(), 6]})
    with pytest.raises(fastjson.EncodeError) as whole:
        dumpb(frame, orient="values")
    assert whole.value.path == "$[4][1]"
    with pytest.raises(fastjson.EncodeError) as alone:
        body(frame)
    assert alone.value.path == "$[4][1]"
    with dask.config.set({"scheduler": "synchronous", "dataframe.convert-string": False}):
        partitioned = dd.from_pandas(frame, npartitions=3)
        with pytest.raises(fastjson.EncodeError) as caught:
            body(partitioned)
    assert caught.value.path == "$[4][1]"
    with pytest.raises(fastjson.EncodeError) as series:
        body(frame["o"])
    assert series.value.path == "$[4]"


def test_a_lone_surrogate_is_an_error_that_names_its_cell():
    """UTF-8 cannot hold a lone surrogate and CSV has no escape for one (JSON writes
    ``\\ud800``): wherever it sits, an error naming the place, never invalid UTF-8."""
    lone = "x\ud800"
    python_strings = pd.array(["a", lone], dtype=pd.StringDtype("python"))
    cells = {
        "a string column": (pd.DataFrame({"n": [1, 2], "s": python_strings}), "$[1][1]"),
        "an object column": (pd.DataFrame({"s": [1, lone]}, dtype=object), "$[1][0]"),
        "a Series": (pd.Series(["a", "b", lone], dtype=object), "$[2]"),
        "an index label": (pd.DataFrame({"a": [1]}, index=pd.Index([lone], dtype=object)), "$[0]"),
    }
    for case, (table, path) in cells.items():
        with pytest.raises(fastjson.EncodeValueError, match="lone surrogate") as caught:
            body(table)
        assert caught.value.path == path, case
        assert b"x\\ud800" in dumpb(table, orient="split")  # JSON escapes it
    names = {
        "a column name": pd.DataFrame([[1]], columns=pd.Index([lone], dtype=object)),
        "an index name": pd.DataFrame({"a": [1]}, index=pd.Index(["x"], name=lone)),
        "a Series name": pd.Series([1], name=lone),
    }
    for case, table in names.items():
        with pytest.raises(fastjson.EncodeValueError, match="name of CSV column 0") as caught:
            body(table)
        assert caught.value.path == "$", case
    far = pd.DataFrame({"s": ["a"] * 70_000 + [lone]}, dtype=object)  # past the first range
    with pytest.raises(fastjson.EncodeValueError) as caught:
        body(far)
    assert caught.value.path == "$[70000][0]"


def test_respond_offers_csv_for_a_query_result():
    import duckdb

    app = app_with()

    @app.get("/query")
    def query() -> Any:
        return respond(duckdb.sql("select range as n, 'x' as s from range(3)"))

    response = app.test_client().get("/query", headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.data == b"n,s\r\n0,x\r\n1,x\r\n2,x\r\n"
