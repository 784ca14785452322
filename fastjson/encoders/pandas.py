"""pandas DataFrame, Series, Index and scalars.

A frame or Series is written by the one table writer (:mod:`._columns`) from its
columns' tokens (:mod:`._pandas_columns`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._dates import whole_minutes
from .._errors import NonFiniteError
from .._values import Raw
from ..registry import builtin
from . import _columns as cols
from . import _datetimes as dates
from . import _tokens as tok
from ._pandas_columns import (
    array_json,
    check_labels,
    columns_of,
    encoded_column,
    index_keys,
    index_rows,
    labels_json,
)
from ._source import Kind, NoArrowForm, Source, provides

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ..core import Encoder


# -- frames --------------------------------------------------------------------


@builtin(pd.DataFrame)
@provides(lambda df: FrameSource(df))
def encode_frame(df: pd.DataFrame, enc: Encoder) -> Any:
    """A DataFrame in the ``orient`` option (pandas' meanings of the orients)."""
    df = _checked(df, enc)
    body = cols.write_frame(
        _Table(df, enc, row_order(df.index, enc)),
        lambda: labels_json(df.columns, enc),
        enc.option("sort_keys"),
        row_bytes(df),
    )
    return Raw(body, trusted=True)


def row_order(index: pd.Index, enc: Encoder) -> NDArray[np.intp] | None:
    """Positions of the rows in output order: sorted by label under ``sort_keys`` for the
    keyed orients (``columns``, ``index``), else ``None`` (as they are)."""
    if not enc.option("sort_keys") or enc.option("orient") not in ("columns", "index"):
        return None
    if index.is_monotonic_increasing:  # a RangeIndex, sorted labels: nothing to do
        return None
    order = cols.key_order(index)
    return None if order is None else np.asarray(order, dtype=np.intp)


def row_bytes(df: pd.DataFrame) -> int:
    return cols.row_bytes(df.columns, (_cell_bytes(column) for _, column in df.items()))


def _cell_bytes(column: pd.Series[Any]) -> int:
    """At most about this many bytes a cell of ``column`` takes, known without a pass over it."""
    dtype: Any = column.dtype
    kind = getattr(dtype, "kind", "O")
    if isinstance(dtype, pd.CategoricalDtype):
        categories = dtype.categories
        if len(categories) and pd.api.types.infer_dtype(categories) == "string":
            return 4 + max(len(str(c)) for c in categories[:256])
        return 32
    if kind in "biuf":
        return {"b": 5, "f": 24}.get(kind, 20)
    if kind in "Mm":
        return 40
    pyarrow = getattr(column.array, "_pa_array", None)  # pandas' Arrow-backed strings
    if pyarrow is not None and len(column):
        return 4 + int(pyarrow.nbytes) // len(column)
    return 32


class _Table(cols.TokenTable):
    """The pure route's blocks: tokens of ``df.iloc[rows]`` (rows in output order), laid out
    in ``orient`` (by default the encoder's; its cells always in the encoder's)."""

    def __init__(
        self,
        df: pd.DataFrame,
        enc: Encoder,
        order: NDArray[np.intp] | None,
        series: bool = False,
        orient: str | None = None,
    ) -> None:
        layout = orient or enc.option("orient")
        super().__init__(layout, list(df.columns), len(df), series)
        self.df = df
        self.enc = enc
        self.order = order
        self.series_of = columns_of(df)

    def _positions(self, i: int, j: int) -> Any:
        return slice(i, j) if self.order is None else self.order[i:j]

    def origin(self, i: int, j: int) -> Any:
        return i if self.order is None else self.order[i:j]

    def label(self, row: int) -> Any:
        return self.df.index[row]

    def read(self, k: int, i: int, j: int) -> tok.Tokens:
        return encoded_column(self.series_of[k].iloc[self._positions(i, j)], self.enc)

    def row_keys(self, i: int, j: int) -> tuple[tok.Tokens, bool]:
        return index_keys(index_rows(self.df.index, self._positions(i, j)), self.enc)

    def row_leads(self, i: int, j: int) -> tok.Packed:
        index = self.df.index
        if (  # labels counting up from a start
            isinstance(index, pd.RangeIndex)
            and index.step == 1
            and index.start >= 0
            and self.order is None
        ):
            return tok.counting_leads(index.start + i, index.start + j)
        return super().row_leads(i, j)

    def labels(self, i: int, j: int) -> list[bytes]:
        return [b"," + labels_json(index_rows(self.df.index, slice(i, j)), self.enc)[1:-1]]


def _checked(df: pd.DataFrame, enc: Encoder, stream: bool = False) -> pd.DataFrame:
    """``df`` with its columns in ``sort_keys`` order, after refusing what encoding it would
    refuse part-way through: colliding labels, NaN under ``nan="error"``; for a ``stream``,
    also a dtype with no JSON form (its first row encoded), and its rows in output order
    (``columns``, ``index``), so that each range of rows has its place in the whole."""
    orient = enc.option("orient")
    if orient in ("records", "columns", "index"):
        df = _keyed_columns(df, enc, orient)
    if orient in ("columns", "index"):
        check_labels(df.index, orient, enc)
    if stream:
        first = _Table(df.iloc[:1], enc, None)
        for k in range(df.shape[1]):
            first.column_encoded(k, 0, min(1, len(df)))
    if enc.option("nan") == "error":
        _check_finite(df, enc)
    if stream and orient in ("columns", "index") and enc.option("sort_keys"):
        rows = cols.key_order(df.index)
        df = df if rows is None else df.iloc[rows]
    return df


def _keyed_columns(df: pd.DataFrame, enc: Encoder, orient: str) -> pd.DataFrame:
    cols.check_unique(list(df.columns), "column name", orient)
    order = cols.key_order(df.columns) if enc.option("sort_keys") else None
    return df if order is None else df.iloc[:, order]


def _check_finite(df: pd.DataFrame, enc: Encoder) -> None:
    """NaN or infinity under ``nan="error"``: raise for the first column holding one, at
    its first row."""
    for k in range(df.shape[1]):
        column = df.iloc[:, k]
        if getattr(column.dtype, "kind", "") != "f":
            continue
        if isinstance(column.dtype, np.dtype):  # NaN is a value here, not a missing marker
            values = np.asarray(column.to_numpy())
        else:
            values = np.asarray(column.to_numpy(dtype="float64", na_value=0.0))
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            error = NonFiniteError(float(values[bad[0]]), f"$[{int(bad[0])}]")
            raise _Table(df, enc, None).placed(error, k)


# -- series, index, scalars ----------------------------------------------------


@builtin(pd.Series)
@provides(lambda s: SeriesSource(s))
def encode_series(s: pd.Series[Any], enc: Encoder) -> Any:
    """A Series: a list of values (``records``/``values``), or pandas' other orients.

    Its values are written by blocks, each one orjson call for numbers and
    strings (a list of numbers whole: orjson's output is the body); keyed by
    label (``index``, ``columns``) with the labels and the values' tokens
    stitched (:func:`~._tokens.keyed`), which for one column is faster than
    polars' per-cell strings.
    """
    orient = enc.option("orient")
    numeric = isinstance(s.dtype, np.dtype) and s.dtype.kind in "biuf"
    if orient in ("records", "values") and numeric:
        return Raw(array_json(s, enc), trusted=True)
    if orient in ("columns", "index"):
        check_labels(s.index, orient, enc)
    table = _Table(_column_frame(s), enc, row_order(s.index, enc), series=True)
    name = b"null" if s.name is None else tok.keys_of([s.name])[0]
    body = cols.write_series(table, name, enc.option("sort_keys"))
    return Raw(body, trusted=True)


def _column_frame(s: pd.Series[Any]) -> pd.DataFrame:
    """A Series as a one-column frame, whatever its name (pandas cannot make an index of a
    name holding a lone surrogate; the name is written apart)."""
    return s.to_frame(name=0)


@builtin(pd.Index)
def encode_index(index: pd.Index, enc: Encoder) -> Any:
    """An Index as a list of its values; a MultiIndex as a list of lists."""
    return Raw(labels_json(index, enc), trusted=True)


@builtin(pd.api.extensions.ExtensionArray)
def encode_extension_array(array: Any, enc: Encoder) -> Any:
    """Categorical, nullable integer, string, sparse... arrays: a list of their values."""
    return Raw(tok.json_array(encoded_column(pd.Series(array, copy=False), enc)), trusted=True)


@builtin(pd.Timestamp)
def _timestamp(ts: pd.Timestamp, enc: Encoder) -> str:
    """ISO 8601 with nanoseconds and the offset kept (HTTP format when so configured)."""
    if enc.option("datetime_format") == "http":
        from werkzeug.http import http_date

        return http_date(ts.to_pydatetime())
    offset = ts.utcoffset()
    if offset is not None and not whole_minutes(offset):  # see fastjson._dates
        text = ts.tz_convert("UTC").tz_localize(None).isoformat() + "+00:00"
    else:
        text = ts.isoformat()
    if 0 <= ts.year <= 9999:
        return text
    return str(dates.expanded_years(np.array([text]))[0])  # as in a column


@builtin(pd.Timedelta)
def _timedelta(td: pd.Timedelta, enc: Encoder) -> float:
    return float(dates.timedelta_seconds(np.asarray(td.to_timedelta64())))


@builtin(type(pd.NaT))
@builtin(type(pd.NA))
def _missing(o: Any, enc: Encoder) -> None:
    return None


@builtin(pd.Period)
def _period(p: pd.Period, enc: Encoder) -> str:
    return str(p)


@builtin(pd.Interval)
def _interval(i: pd.Interval, enc: Encoder) -> dict[str, Any]:
    return {"left": i.left, "right": i.right, "closed": i.closed}


# -- sources -------------------------------------------------------------------


class _Labelled(Source):
    """A pandas frame or Series as a :class:`~._source.Source`: ranges by ``iloc``, labels
    kept."""

    labelled = True
    data: pd.DataFrame | pd.Series[Any]

    def __init__(self, data: pd.DataFrame | pd.Series[Any]) -> None:
        self.data = data
        self.rows = len(data)
        self.cells = data.size

    def part(self, i: int, j: int) -> Any:
        return self.data.iloc[i:j]

    def index(self, i: int, j: int) -> pd.Index:
        return self.data.index[i:j]


class FrameSource(_Labelled):
    kind: Kind = "frame"
    data: pd.DataFrame

    def __init__(self, df: pd.DataFrame) -> None:
        super().__init__(df)
        self.names = list(df.columns)
        self.row_bytes = row_bytes(df)

    def prepared(self, enc: Encoder) -> FrameSource:
        ordered = _checked(self.data, enc, stream=True)
        return self if ordered is self.data else FrameSource(ordered)

    def header(self) -> pd.Index:
        return self.data.columns

    def column(self, k: int, i: int, j: int) -> pd.Series[Any]:
        return self.data.iloc[i:j, k]

    def lines(self, i: int, j: int, enc: Encoder) -> bytes:
        df = _keyed_columns(self.part(i, j), enc, "records")
        if len(df) == 0:
            return b""
        return b"".join(_Table(df, enc, None, orient="records").lines(0, len(df)))

    def values(self, i: int, j: int, enc: Encoder) -> bytes:
        df = self.part(i, j)
        table = _Table(df, enc, None, orient="values")
        return cols.write_frame(table, bytes, False, row_bytes(df))

    def arrow(self, rows: int) -> tuple[Iterator[Any], Any]:
        return _arrow_batches(self.data, rows)


class SeriesSource(_Labelled):
    kind: Kind = "series"
    data: pd.Series[Any]

    def prepared(self, enc: Encoder) -> SeriesSource:
        s, orient = self.data, enc.option("orient")
        _checked(_column_frame(s), enc.replace(orient="values"), stream=True)
        if orient not in ("columns", "index"):
            return self
        check_labels(s.index, orient, enc)  # as dumpb refuses them
        order = cols.key_order(s.index) if enc.option("sort_keys") else None
        return self if order is None else SeriesSource(s.iloc[order])

    def header(self) -> Any:
        name = self.data.name
        return name if isinstance(name, str | None) else str(name)

    def lines(self, i: int, j: int, enc: Encoder) -> bytes:
        return tok.json_lines(encoded_column(self.part(i, j), enc))

    def values(self, i: int, j: int, enc: Encoder) -> bytes:
        s = self.part(i, j)
        table = _Table(_column_frame(s), enc, None, series=True, orient="values")
        return cols.write_series(table, b"", False)

    def arrow(self, rows: int) -> tuple[Iterator[Any], Any]:
        name = self.data.name if self.data.name is not None else "values"
        return _arrow_batches(self.data.to_frame(name), rows)


def _arrow_batches(df: pd.DataFrame, rows: int) -> tuple[Iterator[Any], Any]:
    """Record batches of ``df`` with its index and dtypes, column names as JSON keys write
    them (``str`` of a non-string); :class:`NoArrowForm` for what Arrow cannot hold
    (names that collide, mixed or oversized objects...), found before any batch."""
    import pyarrow as pa

    names = [name if isinstance(name, str) else str(name) for name in df.columns]
    if len(set(names)) != len(names):
        raise NoArrowForm("column names that write alike have no Arrow form")
    if names != list(df.columns):
        df = df.set_axis(names, axis=1)
    try:
        schema = pa.Schema.from_pandas(df)
    except (pa.ArrowException, ValueError, TypeError, KeyError, OverflowError) as exc:
        raise NoArrowForm(f"Arrow cannot hold this frame: {exc}") from exc
    batches = (
        pa.RecordBatch.from_pandas(df.iloc[i : i + rows], schema=schema)
        for i in range(0, max(len(df), 1), rows)
    )
    return batches, schema
