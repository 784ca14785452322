"""The tutorial's REST namespace, mounted at ``/api/hello_rest``.

``GET /`` says hello; ``/greet/<name>`` greets in English, German or Spanish;
the ``/data/...`` endpoints return numpy and pandas payloads, which is what
fastjson is for; the ``/db/...`` endpoints query an embedded DuckDB database
of sensor readings (:mod:`.readings`, built at first start), and
``/dask/readings`` the same data through Dask. They answer in the
representation the ``Accept`` header asks for (JSON, NDJSON, or Arrow for
arrays and frames) and stream big payloads. Run it with ``make run`` or
``python -m examples.hello_rest``.

Configuration, from the app's config or the environment (``HELLO_REST_<KEY>``,
read by :func:`create`):

- ``READINGS_ROWS``: how many readings the database holds (5,000,000);
- ``READINGS_FOLDER``: where it lives (the app's instance folder, ``instance/``
  at the repository root when run from a checkout);
- ``DASK_SCHEDULER``: the address of a Dask scheduler for ``/dask/readings``
  (``tcp://host:8786``); without it Dask runs on threads in the server process.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections.abc import Iterator
from typing import Any

from fastjson.ns import (
    Namespace,
    Response,
    abort,
    etag,
    jsonify,
    memory_budget,
    no_cache,
    request,
    respond,
)

from . import queries, readings

app = Namespace(__name__)
_log = logging.getLogger(__name__)

GREETINGS = {"en": "Hello {name}", "de": "Hallo {name}", "es": "Hola {name}"}
ORIENTS = ("records", "split", "columns", "index", "values")
MAX_ARRAY = 10_000_000
MAX_ROWS = 1_000_000
MAX_READINGS = 1_000_000


@app.route("/")
def _hello() -> Any:
    return jsonify({"message": "Hello Rest"})


@app.route("/greet/<path:name>", methods=["GET", "POST"])
@no_cache
def _greet(name: str) -> Any:
    """``lang`` comes from the query string or a form (``request.values``), default ``en``."""
    lang = request.values.get("lang", "en")
    template = GREETINGS.get(lang)
    if template is None:
        abort(400, "invalid language: " + lang)
    return jsonify({"message": template.format(name=name)})


def _bounded_int(name: str, default: int, low: int, high: int) -> int:
    """A query parameter as an int in [low, high], or a 400 that says what was wrong."""
    raw = request.args.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        abort(400, f"{name} must be an integer, got {raw!r}")
    if not low <= value <= high:
        abort(400, f"{name} must be between {low:,} and {high:,}, got {value:,}")
    return value


def _size(name: str, default: int, high: int) -> int:
    """A size parameter for the memory estimate (its validation is the view's)."""
    try:
        return min(max(int(request.args.get(name, default)), 0), high)
    except ValueError:
        return 0


@app.route("/data/array")
@memory_budget(lambda: _size("n", 1000, MAX_ARRAY) * 10)  # the array, and a slice at a time
@etag
def _array() -> Any:
    """``?n=`` float64 values (1 to 10,000,000): encoded whole by orjson."""
    import numpy as np

    n = _bounded_int("n", 1000, 1, MAX_ARRAY)
    values = np.random.default_rng(0).random(n)
    offers = ["application/json", "application/x-ndjson", "application/vnd.apache.arrow.stream"]
    if not request.accept_mimetypes or request.accept_mimetypes.best_match(offers) == offers[0]:
        response = jsonify(values=values)  # the documented {"values": [...]} shape
        response.vary.add("Accept")
        return response
    return respond(values)  # NDJSON: one value per line; Arrow: a "values" column; else 406


@app.route("/data/frame")
@memory_budget(lambda: _size("rows", 10, MAX_ROWS) * 160)  # the frame and what builds it
def _frame() -> Any:
    """A DataFrame of ``?rows=`` rows (1 to 1,000,000) in ``?orient=`` (default records)."""
    import numpy as np
    import pandas as pd

    rows = _bounded_int("rows", 10, 1, MAX_ROWS)
    orient = request.args.get("orient", "records")
    if orient not in ORIENTS:
        abort(400, f"orient must be one of {', '.join(ORIENTS)}, got {orient!r}")
    rng = np.random.default_rng(0)
    value = rng.normal(size=rows)
    value[::7] = np.nan
    frame = pd.DataFrame(
        {
            "id": np.arange(rows),
            "when": pd.date_range("2024-01-01", periods=rows, freq="min"),
            "value": value,
            "label": pd.Categorical(rng.choice(["low", "mid", "high"], rows)),
            "count": pd.array(
                np.where(rng.random(rows) < 0.1, None, rng.integers(0, 9, rows)), dtype="Int64"
            ),
        }
    )
    return respond(frame, orient=orient)


@app.route("/data/series")
def _series() -> Any:
    """A Series with NaN: written as ``null``, valid JSON (Flask would write ``NaN``)."""
    import numpy as np
    import pandas as pd

    return jsonify(pd.Series([1.5, np.nan, 3.0, np.inf], index=["a", "b", "c", "d"]))


@app.route("/data/dates")
def _dates() -> Any:
    """``?n=`` days of numpy datetime64 (1 to 100,000) as ISO 8601 strings."""
    import numpy as np

    n = _bounded_int("n", 7, 1, 100_000)
    return respond(np.datetime64("2024-01-01") + np.arange(n))


@app.route("/data/sensors")
def _sensors() -> Any:
    """``?n=`` simulated sensor readings (1 to 1,000,000), produced lazily by a generator.

    Nothing is held in memory: each reading is made as the response is sent,
    as rows fetched from a database cursor would be. ``Accept:
    application/x-ndjson`` gives one reading per line.
    """
    n = _bounded_int("n", 100, 1, MAX_READINGS)
    return respond(_readings(n))


def _readings(n: int) -> Iterator[dict[str, Any]]:
    import datetime as dt

    start = dt.datetime(2024, 1, 1)
    for i in range(n):
        yield {
            "i": i,
            "at": start + dt.timedelta(seconds=i),
            "sensor": f"s{i % 4}",
            "celsius": round(20 + 5 * math.sin(i / 50), 3),
        }


@app.route("/data/summary", methods=["POST"])
def _summary() -> Any:
    """Statistics of a JSON body ``{"values": [numbers]}``; bad bodies answer 4xx JSON, and
    so does a result with no JSON number (422: a mean that overflows), never ``null``."""
    import numpy as np

    body = request.get_json()  # 400 if malformed, 415 if not JSON, 413 if too large
    values = body.get("values") if isinstance(body, dict) else None
    if not isinstance(values, list) or not values:
        abort(400, 'the body must be {"values": [number, ...]} with at least one number')
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        abort(400, "every value must be a number")
    try:
        a = np.asarray(values, dtype=np.float64)
    except OverflowError:  # an integer beyond a double's range (10**309...)
        a = np.array([np.inf])
    if not np.isfinite(a).all():
        abort(400, "every value must be a finite number within a double's range")
    with np.errstate(over="ignore"):  # an overflow is answered below, not warned about
        mean = a.mean()
    if not np.isfinite(mean):  # valid inputs whose sum is beyond a double ([1e308, 1e308])
        abort(422, "the mean of these values overflows a double")
    return jsonify(n=a.size, mean=mean, min=a.min(), max=a.max())


# ---- the database ------------------------------------------------------------------------

_READINGS = "hello_rest.readings"
_DASK_CLIENTS: dict[tuple[int, str], Any] = {}
_DASK_LOCK = threading.Lock()


def _database() -> readings.Readings:
    from flask import current_app

    store: readings.Readings = current_app.extensions[_READINGS]
    return store


def _query(allowed: tuple[str, ...] = queries.READING_PARAMS) -> queries.Query:
    """The request's query string as a checked query, or a 400 that says what is wrong."""
    try:
        return queries.parse(request.args, allowed)
    except queries.BadQuery as exc:
        abort(400, str(exc))


def _use_dask_scheduler() -> None:
    """Make the ``distributed.Client`` of ``DASK_SCHEDULER`` (one per process and address)
    the one Dask computes on.

    A streamed response computes its partitions after the view has returned, so
    the client is set process-wide (``dask.config``), not for the view's duration.
    Without a scheduler, Dask's local threads compute them.
    """
    from flask import current_app

    address = current_app.config.get("DASK_SCHEDULER")
    if not address:
        return
    key = (os.getpid(), str(address))
    with _DASK_LOCK:  # a threaded worker's first requests race to connect
        if key in _DASK_CLIENTS:
            return
        import dask
        from distributed import Client

        client = _DASK_CLIENTS[key] = Client(str(address), set_as_default=False)  # type: ignore[no-untyped-call]
        dask.config.set(scheduler=client)


def close_dask_clients() -> None:
    """Close this process's clients of Dask schedulers (before their scheduler goes away)."""
    pid = os.getpid()
    mine = [key for key in _DASK_CLIENTS if key[0] == pid]
    for key in mine:
        _DASK_CLIENTS.pop(key).close()
    if mine:
        import dask

        dask.config.set(scheduler=None)  # back to Dask's local threads


def _answer(sql_and_params: tuple[str, list[Any]]) -> Response:
    """``respond`` with the rows of a query, on a cursor of its own that is closed once
    the response is sent (a streamed body reads from it until its last byte)."""
    cursor = _database().cursor()
    try:
        response = respond(queries.relation(cursor, sql_and_params))  # read batch by batch
    except BaseException:
        cursor.close()
        raise
    response.call_on_close(cursor.close)
    return response


def _row_cost() -> int:
    """Bytes a response of ``?limit=`` rows may hold: the Arrow table and what encodes it."""
    return _size("limit", queries.DEFAULT_LIMIT, queries.MAX_LIMIT) * 200


@app.route("/db/")
def _db() -> Any:
    """What the database holds: its size, sensors, time span, and the query vocabulary."""
    rows, sensors, first, last = _database().summary()
    return jsonify(
        rows=rows,
        sensors=sensors,
        first=first,
        last=last,
        columns=queries.COLUMNS,
        orders=queries.ORDERS,
        statuses=queries.STATUSES,
    )


@app.route("/db/readings")
@memory_budget(_row_cost)
def _db_readings() -> Any:
    """Readings filtered by ``sensor``, ``status``, ``start``/``end`` (ISO 8601, end
    excluded), ``min``/``max`` (value), with ``columns``, ``order`` and ``limit``."""
    return _answer(queries.readings_sql(_query()))


@app.route("/db/hourly")
@memory_budget(_row_cost)
def _db_hourly() -> Any:
    """Per sensor and hour: mean, min, max and count of the values, with the readings'
    filters and ``limit`` (rows of the answer), by sensor then hour."""
    return _answer(queries.hourly_sql(_query(queries.HOURLY_PARAMS)))


@app.route("/dask/readings")
@memory_budget(_row_cost)
def _dask_readings() -> Any:
    """``/db/readings`` answered by Dask from the Parquet export: the same parameters,
    the same rows."""
    import dask.dataframe as dd

    query = _query()
    frame = dd.read_parquet(str(_database().store.parquet), split_row_groups=True)  # lazy
    _use_dask_scheduler()
    return respond(queries.dask_readings(frame, query))  # a partition at a time


def create() -> Namespace:
    """The factory the server calls once at start-up: builds the database on first start.

    ``HELLO_REST_*`` environment variables (``HELLO_REST_READINGS_ROWS=20000``)
    set the config keys named in the module's docstring.
    """
    app.config.from_prefixed_env("HELLO_REST")
    folder = app.config.get("READINGS_FOLDER") or app.instance_path
    rows = app.config.get("READINGS_ROWS", readings.DEFAULT_ROWS)
    if type(rows) is not int or rows < 1:  # from the environment, parsed as JSON
        raise ValueError(f"READINGS_ROWS must be a positive integer, got {rows!r}")
    old = app.extensions.get(_READINGS)
    store = readings.ensure(folder, rows)
    if old is None or store.built or old.store.database != store.database:
        if old is not None:
            old.close()
        app.extensions[_READINGS] = readings.Readings(store)
    return app
