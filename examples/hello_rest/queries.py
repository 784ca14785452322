"""The database endpoints' queries: parameters checked against allow-lists, then run.

No SQL comes from the client. A query string is parsed into a :class:`Query`
whose every field is checked here: column names and orders only from
:data:`COLUMNS` and :data:`ORDERS`, sensors and statuses by their form, times
and numbers parsed. The SQL is then assembled from those names alone, and
every value reaches DuckDB as a bound parameter (``?``). The same
:class:`Query` filters a Dask DataFrame of the Parquet export, so both
endpoints answer the same rows.

A parameter that is not understood is a :class:`BadQuery` (the views answer
400 with its message): a misspelt ``limt=5`` is refused, not ignored.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

COLUMNS = ("id", "sensor", "ts", "value", "status", "battery")
"""The table's columns, in order: the only names a query may select."""

ORDERS = ("id", "ts", "value")
"""Columns a query may order by (``-name`` for descending); ties are broken by ``id``."""

STATUSES = ("ok", "warn", "fault")
MAX_LIMIT = 1_000_000
DEFAULT_LIMIT = 1000
MAX_SENSORS = 100
_SENSOR = re.compile(r"[A-Za-z0-9_-]{1,32}")
_INTEGER = re.compile(r"[0-9]{1,8}")
_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?")
_FILTERS = ("sensor", "status", "start", "end", "min", "max")
READING_PARAMS = (*_FILTERS, "columns", "order", "limit")
HOURLY_PARAMS = (*_FILTERS, "limit")


class BadQuery(ValueError):
    """A query parameter that is not allowed; the message says which, and why."""


class Args(Protocol):
    """What a query string offers (Werkzeug's ``MultiDict``, ``request.args``)."""

    def getlist(self, key: str) -> list[str]: ...

    def __iter__(self) -> Any: ...


@dataclass(frozen=True)
class Query:
    """A checked query: filters, the columns to answer, their order and how many rows."""

    sensors: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    low: float | None = None
    high: float | None = None
    columns: tuple[str, ...] = COLUMNS
    order: str = "id"
    descending: bool = False
    limit: int = DEFAULT_LIMIT


def parse(args: Args, allowed: Sequence[str] = READING_PARAMS) -> Query:
    """``args`` as a :class:`Query`, or :class:`BadQuery` naming the first wrong parameter."""
    for name in args:
        if name not in allowed:
            raise BadQuery(f"unknown parameter {name!r}; this endpoint takes {', '.join(allowed)}")
    one = {name: _single(args, name) for name in allowed if name not in ("sensor", "status")}
    order = one.get("order") or "id"
    query = Query(
        sensors=_sensors(args.getlist("sensor")),
        statuses=_statuses(args.getlist("status")),
        start=_time("start", one.get("start")),
        end=_time("end", one.get("end")),
        low=_number("min", one.get("min")),
        high=_number("max", one.get("max")),
        columns=_columns(one.get("columns")),
        order=order.removeprefix("-"),
        descending=order.startswith("-"),
        limit=_limit(one.get("limit")),
    )
    if query.order not in ORDERS:
        orders = ", ".join(f"{name}, -{name}" for name in ORDERS)
        raise BadQuery(f"order must be one of {orders}; got {order!r}")
    return query


def _single(args: Args, name: str) -> str | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise BadQuery(f"{name} may be given once, got it {len(values)} times")
    return values[0] if values else None


def _sensors(values: list[str]) -> tuple[str, ...]:
    names = [name for value in values for name in value.split(",")]
    if len(names) > MAX_SENSORS:
        raise BadQuery(f"at most {MAX_SENSORS} sensors, got {len(names)}")
    for name in names:
        if not _SENSOR.fullmatch(name):
            raise BadQuery(f"a sensor is 1 to 32 letters, digits, '-' or '_', got {name!r}")
    return tuple(dict.fromkeys(names))


def _statuses(values: list[str]) -> tuple[str, ...]:
    names = [name for value in values for name in value.split(",")]
    for name in names:
        if name not in STATUSES:
            raise BadQuery(f"status must be one of {', '.join(STATUSES)}, got {name!r}")
    return tuple(dict.fromkeys(names))


def _time(name: str, raw: str | None) -> dt.datetime | None:
    """ISO 8601; an offset is converted to UTC, the naive time the table holds."""
    if raw is None:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise BadQuery(
            f"{name} must be an ISO 8601 time (2024-01-01T06:00, or with an offset), got {raw!r}"
        ) from None
    if value.tzinfo is not None:
        try:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:  # 9999-12-31T23:59-01:00 is in the year 10000 in UTC
            raise BadQuery(f"{name} must be in the years 1 to 9999 in UTC, got {raw!r}") from None
    return value


def _number(name: str, raw: str | None) -> float | None:
    if raw is None:
        return None
    value = float(raw) if _NUMBER.fullmatch(raw) else math.nan
    if not math.isfinite(value):
        raise BadQuery(f"{name} must be a finite decimal number, got {raw!r}")
    return value


def _columns(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return COLUMNS
    names = raw.split(",")
    for name in names:
        if name not in COLUMNS:
            raise BadQuery(
                f"columns are a comma-separated list of {', '.join(COLUMNS)}; got {name!r}"
            )
    if len(set(names)) != len(names):
        raise BadQuery(f"columns names a column twice: {raw!r}")
    return tuple(names)


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    value = int(raw) if _INTEGER.fullmatch(raw) else 0
    if not 1 <= value <= MAX_LIMIT:
        raise BadQuery(f"limit must be an integer from 1 to {MAX_LIMIT:,}, got {raw!r}")
    return value


# ---- DuckDB ------------------------------------------------------------------------------


def where(query: Query) -> tuple[str, list[Any]]:
    """The ``WHERE`` clause of ``query``'s filters (``""`` when none) and its parameters."""
    terms: list[str] = []
    params: list[Any] = []
    for column, values in (("sensor", query.sensors), ("status", query.statuses)):
        if values:
            terms.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    for term, value in (
        ("ts >= ?", query.start),
        ("ts < ?", query.end),
        ("value >= ?", query.low),
        ("value <= ?", query.high),
    ):
        if value is not None:
            terms.append(term)
            params.append(value)
    return (" WHERE " + " AND ".join(terms) if terms else ""), params


def readings_sql(query: Query) -> tuple[str, list[Any]]:
    """``SELECT`` of the query's columns, filtered, ordered (ties by id), limited."""
    clause, params = where(query)
    direction = "DESC" if query.descending else "ASC"
    sql = (
        f"SELECT {', '.join(query.columns)} FROM readings{clause} "
        f"ORDER BY {query.order} {direction} NULLS LAST, id {direction} LIMIT ?"
    )
    return sql, [*params, query.limit]


HOURLY_COLUMNS = ("sensor", "hour", "mean", "min", "max", "n")


def hourly_sql(query: Query) -> tuple[str, list[Any]]:
    """Per sensor and hour: the mean, least and greatest value and the count of values,
    of the filtered readings, by sensor then hour.

    The mean is taken of the values as decimals (they have three places): an exact
    sum, so the same every time, where a sum of doubles depends on how DuckDB's
    threads happened to split it.
    """
    clause, params = where(query)
    sql = (
        "SELECT sensor, date_trunc('hour', ts) AS hour, "
        "avg(CAST(value AS DECIMAL(18, 3))) AS mean, "
        "min(value) AS min, max(value) AS max, count(value) AS n "
        f"FROM readings{clause} GROUP BY sensor, hour ORDER BY sensor, hour LIMIT ?"
    )
    return sql, [*params, query.limit]


def relation(cursor: Any, sql_and_params: tuple[str, list[Any]]) -> Any:
    """A lazy ``duckdb.DuckDBPyRelation``: nothing runs until it is read."""
    sql, params = sql_and_params
    return cursor.sql(sql, params=params)


# ---- Dask --------------------------------------------------------------------------------


def dask_readings(frame: Any, query: Query) -> Any:
    """``query`` on a Dask DataFrame of the table, lazily: the rows :func:`readings_sql`
    selects, in the same order, with a fresh index."""
    mask = _dask_mask(frame, query)
    rows = frame if mask is None else frame[mask]
    # The order column has no missing values (id, ts) or they go last (value), as in SQL.
    key = [query.order] if query.order == "id" else [query.order, "id"]
    if query.order == "value":
        rows = rows[~rows["value"].isna()]
    pick = rows.nlargest if query.descending else rows.nsmallest
    chosen = pick(query.limit, key)
    if query.order == "value":
        chosen = _then_missing(frame, mask, chosen, query)
    return chosen[list(query.columns)].reset_index(drop=True)


def _then_missing(frame: Any, mask: Any, chosen: Any, query: Query) -> Any:
    """Rows without a value after those with one, by id, up to the limit (``NULLS LAST``)."""
    import dask.dataframe as dd

    missing = frame["value"].isna() if mask is None else mask & frame["value"].isna()
    nulls = frame[missing]
    nulls = (nulls.nlargest if query.descending else nulls.nsmallest)(query.limit, ["id"])
    both = dd.concat([chosen, nulls])  # type: ignore[no-untyped-call]
    return both.head(query.limit, npartitions=-1, compute=False)


def _dask_mask(frame: Any, query: Query) -> Any:
    import pandas as pd

    terms = []
    if query.sensors:
        terms.append(frame["sensor"].isin(list(query.sensors)))
    if query.statuses:
        terms.append(frame["status"].isin(list(query.statuses)))
    if query.start is not None:
        terms.append(frame["ts"] >= pd.Timestamp(query.start))
    if query.end is not None:
        terms.append(frame["ts"] < pd.Timestamp(query.end))
    if query.low is not None:
        terms.append(frame["value"] >= query.low)
    if query.high is not None:
        terms.append(frame["value"] <= query.high)
    if not terms:
        return None
    mask = terms[0]
    for term in terms[1:]:
        mask = mask & term
    return mask
