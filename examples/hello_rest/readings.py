"""The demo's embedded DuckDB database of sensor readings: built once, then only read.

At first start :func:`ensure` generates ``rows`` readings inside DuckDB (SQL
over ``range()``, no Python loop) into ``readings.duckdb``, and exports the
same table to ``readings.parquet`` for the Dask endpoint. Both are written
under temporary names and renamed into place, the database last: a file
named ``readings.duckdb`` is always complete, so a build interrupted by a
crash is redone at the next start rather than served half-made. Later starts
find the files and reuse them (a different ``rows`` rebuilds them).

The table ``readings``, one reading per sensor per minute from 2024-01-01:

========  ============  ==========================================================
id        BIGINT        the reading's number, 0 to rows - 1: (minute, sensor) order
sensor    VARCHAR       ``s00`` to ``s99``
ts        TIMESTAMP     naive, in UTC: 2024-01-01 00:00 plus ``id // 100`` minutes
value     DOUBLE        degrees Celsius, 3 decimals; NULL when status is ``fault``
status    VARCHAR       ``ok`` (about 95%), ``warn`` (4.5%), ``fault`` (0.5%)
battery   DECIMAL(4,2)  volts, 3.00 to 4.20
========  ============  ==========================================================

Values come from DuckDB's ``hash()`` of the id, so a build is the same
whatever the number of threads (``random()`` would not be).

One process builds: the server's, at start-up, before gunicorn forks its
workers. Two servers started at once on an empty folder would both write the
same temporary files.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATABASE = "readings.duckdb"
PARQUET = "readings.parquet"
DEFAULT_ROWS = 5_000_000
SENSORS = 100
PARTITIONS = 32
"""Row groups in the Parquet export, each a partition of the Dask frame read from it."""
GENERATOR = 1
"""Bumped when the generating SQL changes, so that existing files are rebuilt."""

_GENERATE = f"""
CREATE TABLE readings AS
WITH g AS (SELECT range AS id, hash(range) AS h FROM range(?))
SELECT
    id,
    printf('s%02d', id % {SENSORS}) AS sensor,
    TIMESTAMP '2024-01-01' + to_minutes(CAST(id // {SENSORS} AS BIGINT)) AS ts,
    CASE WHEN h % 1000 < 5 THEN NULL ELSE round(
        20 + 8 * sin(2 * pi() * ((id // {SENSORS}) % 1440) / 1440)  -- a daily cycle
        + (id % {SENSORS}) / 10                                    -- each sensor its own level
        + ((h >> 10) % 10000) / 5000.0 - 1,                        -- noise in [-1, 1)
        3) END AS value,
    CASE WHEN h % 1000 < 5 THEN 'fault' WHEN h % 1000 < 50 THEN 'warn' ELSE 'ok' END AS status,
    CAST(3.0 + ((h >> 30) % 121) / 100.0 AS DECIMAL(4, 2)) AS battery
FROM g
ORDER BY id
"""


@dataclass(frozen=True)
class Store:
    """Where the built files are, and whether this call built them."""

    database: Path
    parquet: Path
    rows: int
    built: bool


def ensure(folder: str | os.PathLike[str], rows: int = DEFAULT_ROWS) -> Store:
    """The database under ``folder`` (created if missing), built unless a complete one
    of ``rows`` readings is there already."""
    import duckdb

    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    database, parquet = root / DATABASE, root / PARQUET
    if database.exists() and parquet.exists():
        try:
            found = _built_rows(database)
        except duckdb.Error as exc:  # not a DuckDB file, or one this version cannot read
            _say(f"{database} cannot be read ({exc}): building it again")
            found = None
        if found == rows:
            _say(f"reusing {database} ({rows:,} readings)")
            return Store(database, parquet, rows, built=False)
        if found is not None:
            _say(f"{database} holds {found:,} readings, {rows:,} wanted: building it again")
    build(database, parquet, rows)
    return Store(database, parquet, rows, built=True)


def _built_rows(database: Path) -> int | None:
    """The row count a complete database records, or ``None`` for another generator."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as con:
        row = con.execute("SELECT rows, generator FROM build").fetchone()
    if row is None or row[1] != GENERATOR:
        return None
    return int(row[0])


def build(database: Path, parquet: Path, rows: int) -> None:
    """Generate the table into temporary files, then rename them into place, the
    database last (its name is the mark of a complete build)."""
    import duckdb

    if rows < 1:
        raise ValueError(f"the database needs at least one row, got {rows}")
    _say(f"building {rows:,} readings into {database} (once: later starts reuse it)")
    started = time.perf_counter()
    tmp_db = database.with_name(database.name + ".tmp")
    tmp_parquet = parquet.with_name(parquet.name + ".tmp")
    for leftover in (tmp_db, tmp_db.with_name(tmp_db.name + ".wal"), tmp_parquet):
        leftover.unlink(missing_ok=True)  # from a build that did not finish
    with duckdb.connect(str(tmp_db)) as con:
        con.execute(_GENERATE, [rows])
        # About PARTITIONS row groups, whatever the size: Dask reads one partition each.
        group = max(2048, -(-rows // PARTITIONS))
        con.execute(
            "COPY (SELECT * FROM readings ORDER BY id) TO ? "
            f"(FORMAT parquet, ROW_GROUP_SIZE {group})",
            [str(tmp_parquet)],
        )
        con.execute(
            "CREATE TABLE build AS SELECT ? AS rows, ? AS generator, now() AS at",
            [rows, GENERATOR],
        )
        con.execute("CHECKPOINT")
    os.replace(tmp_parquet, parquet)
    os.replace(tmp_db, database)
    _say(f"built {database.name} and {parquet.name} in {time.perf_counter() - started:.1f} s")


def _say(message: str) -> None:
    """A start-up line on stderr, beside the server's own: building takes seconds, and
    whoever started the server should know why it has not answered yet."""
    print(f"hello_rest: {message}", file=sys.stderr, flush=True)


class Readings:
    """Read-only access to a built :class:`Store`, one DuckDB connection per process.

    The connection is opened on first use in each process (a connection does
    not survive ``fork``, and gunicorn forks its workers after the app is made);
    each request takes a :meth:`cursor` of it, DuckDB's way to query from
    several threads.
    """

    def __init__(self, store: Store):
        self.store = store
        self._connections: dict[int, Any] = {}
        self._summary: tuple[Any, ...] | None = None
        self._lock = threading.Lock()  # a threaded worker's first requests race to connect

    def cursor(self) -> Any:
        """A new cursor of this process's connection; close it when done."""
        import duckdb

        pid = os.getpid()
        with self._lock:
            con = self._connections.get(pid)
            if con is None:
                path = str(self.store.database)
                con = self._connections[pid] = duckdb.connect(path, read_only=True)
        return con.cursor()

    def summary(self) -> tuple[Any, ...]:
        """Rows, sensors, first and last time: read once (the database is only read)."""
        if self._summary is None:
            cursor = self.cursor()
            try:
                self._summary = cursor.execute(
                    "SELECT count(*), count(DISTINCT sensor), min(ts), max(ts) FROM readings"
                ).fetchone()
            finally:
                cursor.close()
        return self._summary

    def close(self) -> None:
        """Close this process's connection. Those inherited from a parent process are
        only forgotten: DuckDB is not fork-safe, and the parent still uses them."""
        with self._lock:
            con = self._connections.pop(os.getpid(), None)
            self._connections.clear()
        if con is not None:
            with contextlib.suppress(Exception):
                con.close()
