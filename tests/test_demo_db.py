"""The demo's DuckDB database and its endpoints: built once, queried only through
allow-listed parameters bound as values, answered alike in JSON, NDJSON and Arrow, by
DuckDB and by Dask, and equal to what DuckDB itself says (queries written out here)."""

from __future__ import annotations

import datetime as dt
import io
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pytest
from strictjson import strict_loads
from werkzeug.test import Client

from examples import hello_rest
from examples.hello_rest import queries, readings
from fastjson.server import create_app

API = "/api/hello_rest"
ARROW = "application/vnd.apache.arrow.stream"
NDJSON = "application/x-ndjson"


@pytest.fixture(scope="module")
def client() -> Client:
    return Client(create_app({API: hello_rest.create}, discover_installed=False))


@pytest.fixture(scope="module")
def oracle(client: Client) -> Any:
    """A connection of our own to the database the app serves."""
    path = hello_rest.app.extensions["hello_rest.readings"].store.database
    with duckdb.connect(str(path), read_only=True) as con:
        yield con


def rows_of(con: Any, sql: str) -> list[dict[str, Any]]:
    """The rows of ``sql`` as dicts of Python values (datetime, Decimal, None)."""
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def as_json(row: dict[str, Any]) -> dict[str, Any]:
    """A row as its JSON reads back: times in ISO 8601, decimals as their strings."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, dt.datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[name] = value
    return out


def get(client: Client, url: str, accept: str = "application/json") -> Any:
    response = client.get(API + url, headers={"Accept": accept})
    assert response.status_code == 200, response.get_data()[:300]
    assert response.mimetype == accept
    body = response.get_data()
    if accept == ARROW:
        return pa.ipc.open_stream(io.BytesIO(body)).read_all()
    if accept == NDJSON:
        return [strict_loads(line) for line in body.splitlines()]
    return strict_loads(body)


def error(client: Client, url: str) -> tuple[int, str]:
    response = client.get(API + url)
    assert response.mimetype == "application/json"
    body = strict_loads(response.get_data())
    assert set(body) == {"status", "error", "message"} and body["status"] == response.status_code
    return response.status_code, body["message"]


# ---- the build ---------------------------------------------------------------------------


def identity(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def test_built_once_then_reused(tmp_path: Path):
    first = readings.ensure(tmp_path / "new", 3000)
    assert first.built and first.database.exists() and first.parquet.exists()
    before = identity(first.database), identity(first.parquet)
    again = readings.ensure(tmp_path / "new", 3000)
    assert not again.built
    assert (identity(again.database), identity(again.parquet)) == before
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == [
        readings.DATABASE,
        readings.PARQUET,
    ]
    with duckdb.connect(str(again.database), read_only=True) as con:
        assert con.execute("SELECT count(*), max(id) FROM readings").fetchone() == (3000, 2999)


def test_another_row_count_rebuilds(tmp_path: Path):
    readings.ensure(tmp_path, 3000)
    store = readings.ensure(tmp_path, 5000)
    assert store.built
    with duckdb.connect(str(store.database), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM readings").fetchone() == (5000,)


@pytest.mark.parametrize("leftover", ["temporary files only", "parquet only", "garbage database"])
def test_a_half_built_folder_is_never_taken_for_complete(tmp_path: Path, leftover: str):
    """What a crash can leave: the build's temporary files, or the Parquet export without
    the database renamed after it; and a file that is not a database at all."""
    if leftover == "temporary files only":
        (tmp_path / (readings.DATABASE + ".tmp")).write_bytes(b"half a database")
        (tmp_path / (readings.PARQUET + ".tmp")).write_bytes(b"half a file")
    elif leftover == "parquet only":
        readings.ensure(tmp_path, 2000)
        (tmp_path / readings.DATABASE).unlink()
    else:
        readings.ensure(tmp_path, 2000)
        (tmp_path / readings.DATABASE).write_bytes(b"not a database" * 100)
    store = readings.ensure(tmp_path, 2000)
    assert store.built
    with duckdb.connect(str(store.database), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM readings").fetchone() == (2000,)
    assert not list(tmp_path.glob("*.tmp*"))


def test_builds_are_deterministic(tmp_path: Path):
    """The values come from a hash of the id, not from a random generator."""
    a = readings.ensure(tmp_path / "a", 4000)
    b = readings.ensure(tmp_path / "b", 4000)
    sql = "SELECT * FROM readings ORDER BY id"
    with (
        duckdb.connect(str(a.database), read_only=True) as one,
        duckdb.connect(str(b.database), read_only=True) as two,
    ):
        assert one.execute(sql).fetchall() == two.execute(sql).fetchall()


def test_the_generated_data(oracle: Any):
    (stats,) = rows_of(
        oracle,
        "SELECT count(*) AS n, count(DISTINCT sensor) AS sensors, min(ts) AS first, "
        "count(*) FILTER (value IS NULL) AS missing, "
        "count(*) FILTER (value IS NULL AND status <> 'fault') AS missing_not_fault, "
        "min(battery) AS low, max(battery) AS high, count(DISTINCT status) AS statuses "
        "FROM readings",
    )
    assert stats["n"] == int(os.environ["HELLO_REST_READINGS_ROWS"])
    assert stats["sensors"] == readings.SENSORS
    assert stats["first"] == dt.datetime(2024, 1, 1)
    assert 0 < stats["missing"] < stats["n"] / 50 and stats["missing_not_fault"] == 0
    assert Decimal("3.00") <= stats["low"] < stats["high"] <= Decimal("4.20")
    assert stats["statuses"] == 3


def test_a_second_app_creation_reuses_the_database(tmp_path: Path, capsys):
    folder = tmp_path / "instance"
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("HELLO_REST_READINGS_FOLDER", str(folder))
            mp.setenv("HELLO_REST_READINGS_ROWS", "2500")
            first = Client(create_app({API: hello_rest.create}, discover_installed=False))
            built = identity(folder / readings.DATABASE)
            second = Client(create_app({API: hello_rest.create}, discover_installed=False))
            assert identity(folder / readings.DATABASE) == built
            err = capsys.readouterr().err
            assert err.count("hello_rest: building 2,500 readings") == 1
            assert "hello_rest: reusing" in err
            for c in (first, second):
                assert strict_loads(c.get(API + "/db/").get_data())["rows"] == 2500
    finally:
        hello_rest.create()  # back to the suite's database


def test_a_second_server_start_reuses_the_database(tmp_path: Path):
    """Two starts of the real service (``python -m examples.hello_rest``) on one folder:
    the first builds, the second serves the same file; each answers over HTTP."""
    import urllib.request

    from serving import serving

    env = {"HELLO_REST_READINGS_FOLDER": str(tmp_path), "HELLO_REST_READINGS_ROWS": "2000"}
    seen = []
    for _ in range(2):
        with serving(env=env) as base:
            seen.append(identity(tmp_path / readings.DATABASE))
            url = base + API + "/db/readings?sensor=s03&limit=4&columns=id,sensor"
            for accept in ("application/json", NDJSON, ARROW):
                request = urllib.request.Request(url, headers={"Accept": accept})
                with urllib.request.urlopen(request, timeout=10) as response:
                    assert response.headers.get_content_type() == accept
                    body = response.read()
                if accept == ARROW:
                    rows = pa.ipc.open_stream(io.BytesIO(body)).read_all().to_pylist()
                elif accept == NDJSON:
                    rows = [strict_loads(line) for line in body.splitlines()]
                else:
                    rows = strict_loads(body)
                assert rows == [{"id": 3 + 100 * i, "sensor": "s03"} for i in range(4)]
    assert seen[0] == seen[1]


@pytest.mark.parametrize("rows", ["0", "-5", "2.5", "many", "[1]"])
def test_a_bad_row_count_stops_the_start(monkeypatch, rows: str):
    monkeypatch.setenv("HELLO_REST_READINGS_ROWS", rows)
    try:
        with pytest.raises(ValueError, match="READINGS_ROWS must be a positive integer"):
            hello_rest.create()
    finally:
        monkeypatch.undo()
        hello_rest.create()


# ---- /db/readings --------------------------------------------------------------------------

CASES = [
    ("?limit=5", "SELECT * FROM readings ORDER BY id LIMIT 5"),
    (
        "?sensor=s01,s02&min=25&order=-value&limit=7",
        "SELECT * FROM readings WHERE sensor IN ('s01', 's02') AND value >= 25 "
        "ORDER BY value DESC, id DESC LIMIT 7",
    ),
    (
        "?sensor=s07&sensor=s70&start=2024-01-01T01:00&end=2024-01-01T01:30"
        "&columns=ts,value,id&order=-ts",
        "SELECT ts, value, id FROM readings WHERE sensor IN ('s07', 's70') "
        "AND ts >= '2024-01-01 01:00' AND ts < '2024-01-01 01:30' ORDER BY ts DESC, id DESC",
    ),
    (
        "?status=fault,warn&max=19.5&columns=id,status,value&order=value&limit=50",
        "SELECT id, status, value FROM readings WHERE status IN ('fault', 'warn') "
        "AND value <= 19.5 ORDER BY value, id LIMIT 50",
    ),
    (  # NULL values last, as in SQL's default
        "?status=fault,ok&end=2024-01-01T00:10&order=value&columns=id,value&limit=1000",
        "SELECT id, value FROM readings WHERE status IN ('fault', 'ok') "
        "AND ts < '2024-01-01 00:10' ORDER BY value NULLS LAST, id LIMIT 1000",
    ),
    (  # descending too
        "?status=fault,ok&end=2024-01-01T00:10&order=-value&columns=id,value&limit=1000",
        "SELECT id, value FROM readings WHERE status IN ('fault', 'ok') "
        "AND ts < '2024-01-01 00:10' ORDER BY value DESC NULLS LAST, id DESC LIMIT 1000",
    ),
    (  # an offset: the time in UTC
        "?start=2024-01-01T03:00%2B02:00&end=2024-01-01T01:02Z&columns=id,ts",
        "SELECT id, ts FROM readings WHERE ts >= '2024-01-01 01:00' "
        "AND ts < '2024-01-01 01:02' ORDER BY id",
    ),
    ("?sensor=nosuch", "SELECT * FROM readings WHERE false"),
    ("?min=30&max=20", "SELECT * FROM readings WHERE false"),
]


@pytest.mark.parametrize(("url", "sql"), CASES)
def test_readings_equal_duckdb_in_json_ndjson_and_arrow(client, oracle, url: str, sql: str):
    expected = rows_of(oracle, sql)
    assert get(client, "/db/readings" + url) == [as_json(row) for row in expected]
    assert get(client, "/db/readings" + url, NDJSON) == [as_json(row) for row in expected]
    table = get(client, "/db/readings" + url, ARROW)
    assert table.to_pylist() == expected
    if not expected:
        assert table.num_rows == 0 and table.column_names == list(queries.COLUMNS)


def test_readings_arrow_types(client):
    table = get(client, "/db/readings?limit=3", ARROW)
    assert table.schema.names == list(queries.COLUMNS)
    assert table.schema.field("ts").type == pa.timestamp("us")
    assert table.schema.field("battery").type == pa.decimal128(4, 2)


@pytest.mark.parametrize("limit", [1, 17, 1000, 4321])
def test_limit_is_honoured(client, limit: int):
    assert len(get(client, f"/db/readings?limit={limit}&columns=id")) == limit
    assert len(get(client, f"/db/readings?limit={limit}&columns=id", NDJSON)) == limit
    assert get(client, f"/db/readings?limit={limit}&columns=id", ARROW).num_rows == limit


@pytest.mark.parametrize("endpoint", ["/db/readings", "/db/hourly", "/dask/readings"])
def test_an_unoffered_type_is_a_json_406(client, endpoint: str):
    response = client.get(API + endpoint + "?limit=2", headers={"Accept": "image/png"})
    assert response.status_code == 406 and response.mimetype == "application/json"
    assert strict_loads(response.get_data())["status"] == 406


def test_the_default_limit(client):
    assert len(get(client, "/db/readings?columns=id")) == queries.DEFAULT_LIMIT


def test_a_limit_beyond_the_matches_gives_them_all(client, oracle):
    (count,) = oracle.execute("SELECT count(*) FROM readings WHERE sensor = 's05'").fetchone()
    assert len(get(client, "/db/readings?sensor=s05&limit=1000000&columns=id")) == count


# ---- /db/hourly ----------------------------------------------------------------------------


def test_hourly_equals_duckdb(client, oracle):
    expected = rows_of(
        oracle,
        "SELECT sensor, time_bucket(INTERVAL 1 HOUR, ts) AS hour, avg(value) AS mean, "
        "min(value) AS min, max(value) AS max, count(value) AS n FROM readings "
        "WHERE sensor IN ('s03', 's04') AND ts < '2024-01-01 05:00' "
        "GROUP BY ALL ORDER BY sensor, hour",
    )
    url = "/db/hourly?sensor=s03,s04&end=2024-01-01T05:00"
    for got in (get(client, url), get(client, url, NDJSON), get(client, url, ARROW).to_pylist()):
        assert len(got) == len(expected) == 10
        for shown, row in zip(got, expected, strict=True):
            if isinstance(shown["hour"], str):
                row = as_json(row)
            assert {k: v for k, v in shown.items() if k != "mean"} == {
                k: v for k, v in row.items() if k != "mean"
            }
            assert shown["mean"] == pytest.approx(row["mean"], rel=1e-12)


def test_hourly_is_the_same_every_time(client):
    """The mean is summed exactly, whatever DuckDB's threads do: the same bytes."""
    url = API + "/db/hourly?limit=1000000"
    bodies = set()
    for _ in range(3):
        response = client.get(url)
        bodies.add(response.get_data())
        response.close()  # a streamed body holds its memory budget until closed
    assert len(bodies) == 1


def test_hourly_limit(client):
    assert len(get(client, "/db/hourly?limit=3")) == 3


# ---- /dask/readings ------------------------------------------------------------------------


@pytest.mark.parametrize("url", [url for url, _ in CASES] + ["?order=-value&limit=20000"])
def test_dask_answers_what_duckdb_answers(client, url: str):
    for accept in ("application/json", NDJSON):
        duck = client.get(API + "/db/readings" + url, headers={"Accept": accept})
        dask = client.get(API + "/dask/readings" + url, headers={"Accept": accept})
        assert dask.status_code == duck.status_code == 200
        assert dask.get_data() == duck.get_data()
    duck_table = get(client, "/db/readings" + url, ARROW)
    dask_table = get(client, "/dask/readings" + url, ARROW)
    assert dask_table.to_pylist() == duck_table.to_pylist()


def test_dask_on_a_cluster(client):
    """``DASK_SCHEDULER`` sends the work to a scheduler (a LocalCluster here)."""
    from distributed import LocalCluster

    url = "?sensor=s11&min=21&order=-ts&limit=30&columns=id,ts,value,battery"
    with LocalCluster(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    ) as cluster:
        hello_rest.app.config["DASK_SCHEDULER"] = cluster.scheduler_address
        try:
            answered = client.get(API + "/dask/readings" + url).get_data()
            ran = cluster.scheduler.transition_counter
        finally:
            del hello_rest.app.config["DASK_SCHEDULER"]
            hello_rest.close_dask_clients()
    assert answered == client.get(API + "/db/readings" + url).get_data()
    assert ran > 0


# ---- parameters --------------------------------------------------------------------------

BAD = [
    ("limit=0", "limit must be an integer from 1 to 1,000,000"),
    ("limit=1000001", "limit must be"),
    ("limit=-1", "limit must be"),
    ("limit=1e3", "limit must be"),
    ("limit=%D9%A3", "limit must be"),  # an Arabic-Indic digit, which int() takes
    ("limit=1_000", "limit must be"),
    ("min=nan", "min must be a finite decimal number"),
    ("max=inf", "max must be"),
    ("max=1e999", "max must be"),
    ("min=0x10", "min must be"),
    ("start=yesterday", "start must be an ISO 8601 time"),
    ("end=2024-13-01", "end must be"),
    ("start=9999-12-31T23:59:59-23:59", "start must be in the years 1 to 9999 in UTC"),
    ("end=0001-01-01T00:00%2B14:00", "end must be in the years 1 to 9999 in UTC"),
    ("columns=id,nope", "columns are a comma-separated list of id, sensor"),
    ("columns=", "columns are"),
    ("columns=id,id", "columns names a column twice"),
    ("order=status", "order must be one of id, -id, ts, -ts, value, -value"),
    ("order=--id", "order must be one of"),
    ("status=broken", "status must be one of ok, warn, fault"),
    ("sensor=", "a sensor is 1 to 32 letters"),
    ("sensor=" + "s" * 33, "a sensor is"),
    ("sensor=" + ",".join(f"s{i}" for i in range(101)), "at most 100 sensors"),
    ("limt=5", "unknown parameter 'limt'"),
    ("limit=5&limit=6", "limit may be given once"),
]


@pytest.mark.parametrize("endpoint", ["/db/readings", "/dask/readings"])
@pytest.mark.parametrize(("query", "message"), BAD)
def test_bad_parameters_are_a_json_400(client, endpoint: str, query: str, message: str):
    status, said = error(client, f"{endpoint}?{query}")
    assert status == 400 and said.startswith(message), said


@pytest.mark.parametrize("query", ["columns=id", "order=-ts"])
def test_hourly_takes_no_columns_or_order(client, query: str):
    status, said = error(client, f"/db/hourly?{query}")
    assert status == 400 and said.startswith("unknown parameter"), said


INJECTIONS = [
    "'; DROP TABLE readings; --",
    "s01' OR '1'='1",
    "1 OR 1=1",
    "id; DELETE FROM readings",
    "id FROM readings; DROP TABLE readings; SELECT id",
    "value) UNION SELECT 1,2,3,4,5,6 --",
    "2024-01-01' OR 1=1 --",
    "1); CHECKPOINT; --",
]
PARAMETERS = ["sensor", "status", "start", "end", "min", "max", "columns", "order", "limit"]


@pytest.mark.parametrize("endpoint", ["/db/readings", "/db/hourly", "/dask/readings"])
@pytest.mark.parametrize("parameter", PARAMETERS)
def test_sql_in_any_parameter_is_refused(client, oracle, endpoint: str, parameter: str):
    (before,) = oracle.execute("SELECT count(*) FROM readings").fetchone()
    for text in INJECTIONS:
        status, _ = error(client, f"{endpoint}?{parameter}={text}")
        assert status == 400
    assert oracle.execute("SELECT count(*) FROM readings").fetchone() == (before,)


def test_values_reach_duckdb_as_parameters(oracle):
    """Past the checks (here skipped), hostile text is only ever a value compared with."""
    for text in INJECTIONS:
        query = queries.Query(sensors=(text,), statuses=(text,))
        sql, params = queries.readings_sql(query)
        assert text not in sql and text in params
        assert queries.relation(oracle.cursor(), (sql, params)).fetchall() == []
    assert oracle.execute("SELECT count(*) > 0 FROM readings").fetchone() == (True,)


def test_the_sql_names_only_allow_listed_columns():
    query = queries.parse(_Args(columns="value,id", order="-value", sensor="s01"))
    sql, params = queries.readings_sql(query)
    assert sql == (
        "SELECT value, id FROM readings WHERE sensor IN (?) "
        "ORDER BY value DESC NULLS LAST, id DESC LIMIT ?"
    )
    assert params == ["s01", queries.DEFAULT_LIMIT]


class _Args(dict[str, str]):
    def getlist(self, key: str) -> list[str]:
        return [self[key]] if key in self else []


# ---- /db/ ----------------------------------------------------------------------------------


def test_db_summary(client, oracle):
    body = get(client, "/db/")
    first, last = oracle.execute("SELECT min(ts), max(ts) FROM readings").fetchone()
    assert body == {
        "rows": int(os.environ["HELLO_REST_READINGS_ROWS"]),
        "sensors": readings.SENSORS,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "columns": list(queries.COLUMNS),
        "orders": list(queries.ORDERS),
        "statuses": list(queries.STATUSES),
    }


@pytest.mark.parametrize("path", ["/db/readings", "/dask/readings"])
@pytest.mark.parametrize("accept", ["application/json", NDJSON, ARROW, "text/csv"])
def test_queries_stream_rather_than_collect(client, path, accept):
    """The views hand ``respond`` the relation or the Dask frame itself: the body is
    streamed batch by batch (never read whole first), and says what the JSON says."""
    response = client.get(API + path + "?limit=20000", headers={"Accept": accept})
    try:
        assert response.status_code == 200
        assert response.is_streamed
        body = response.get_data()
    finally:
        response.close()
    whole = client.get(API + "/db/readings?limit=20000")
    rows = whole.get_json()
    whole.close()
    if accept == ARROW:
        assert pa.ipc.open_stream(body).read_all().num_rows == len(rows) == 20000
    elif accept == NDJSON:
        assert [orjson.loads(line) for line in body.splitlines()] == rows
    elif accept == "text/csv":
        import pandas as pd

        table = pd.read_csv(io.BytesIO(body), keep_default_na=False, na_values=[""])
        assert list(table.columns) == list(rows[0])
        assert table["id"].tolist() == [row["id"] for row in rows]
        assert table["sensor"].tolist() == [row["sensor"] for row in rows]
    else:
        assert orjson.loads(body) == rows
