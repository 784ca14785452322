"""pandas DataFrame, Series, Index and scalars: how to read pandas data.

Imported lazily by the registry the first time a pandas object is seen. This
module reads pandas values: a column's tokens by dtype (:func:`column_tokens`),
the index as keys and labels, and a frame as polars blocks for the polars
route (:class:`_Rows`). The layout of the orients and where an error sits
are the table writer's (:mod:`._columns`); the route is chosen by
:func:`~._route.use_polars`. JSON forms: missing values (``NaN``, ``None``,
``NaT``, ``pd.NA``) are ``null``; datetimes ISO 8601 as ``Timestamp.isoformat``
writes them (offsets by :mod:`fastjson._dates`); durations seconds;
categoricals their category values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import pandas as pd

from .._dates import whole_minutes
from .._errors import EncodeError, NonFiniteError, rebased
from .._values import Raw
from ..registry import builtin
from . import _columns as cols
from . import _tokens as tok
from . import numpy as np_enc
from ._route import use_polars
from ._source import Kind, NoArrowForm, provides

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ..core import Encoder


# -- columns -------------------------------------------------------------------


def column_tokens(s: pd.Series[Any] | pd.Index, enc: Encoder) -> list[bytes]:
    """The JSON text of every value of a column, chosen by dtype, vectorised."""
    return tok.as_list(encoded_column(s, enc))


def encoded_column(s: pd.Series[Any] | pd.Index, enc: Encoder) -> tok.Tokens:
    """:func:`column_tokens` in whichever form encoding the column gives (a list, or one
    text: see :class:`~fastjson.encoders._columns.Joined`)."""
    dtype = s.dtype
    if isinstance(dtype, pd.SparseDtype):
        s = pd.Series(np.asarray(s.array.to_dense()), copy=False)
        dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _categorical_tokens(s, enc)
    if _arrow_timestamps(dtype):  # as numpy's datetimes: vectorised, not one by one
        s = _numpy_moments(s)
        dtype = s.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return np_enc.encoded_tokens(
            _tz_strings(s, enc.option("datetime_format")), enc, scalars=True
        )
    if isinstance(dtype, np.dtype):
        if dtype.kind == "O":
            return _object_tokens(s.to_numpy(), enc)
        return np_enc.encoded_tokens(s.to_numpy(), enc)
    # the array's mask, not np.asarray(s.isna()): numpy asks a Series for attributes that
    # pandas looks up in its labels, building a string index's hash table for every block
    na = np.asarray(s.array.isna())
    kind = getattr(dtype, "kind", "O")
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if kind in "biu" and numpy_dtype is not None:  # a placeholder of the dtype for NA
        fill = False if kind == "b" else 0  # (Arrow's booleans refuse a 0)
        return np_enc.masked_tokens(s.to_numpy(dtype=numpy_dtype, na_value=fill), na, enc)
    if kind == "f" and numpy_dtype is not None:
        return np_enc.masked_tokens(s.to_numpy(dtype=numpy_dtype, na_value=np.nan), na, enc)
    if isinstance(dtype, pd.StringDtype):
        fast = _arrow_strings(s.array) if dtype.storage == "pyarrow" and len(s) > 500 else None
        if fast is not None:
            return fast
        return np_enc.encoded_tokens(
            s.array.to_numpy(dtype=object, na_value=None), enc, scalars=True
        )
    return _object_tokens(s.to_numpy(dtype=object), enc)


def _arrow_timestamps(dtype: Any) -> bool:
    """Whether ``dtype`` is an Arrow timestamp of a unit numpy has (``s`` to ``ns``)."""
    arrow = getattr(dtype, "pyarrow_dtype", None)
    unit = getattr(arrow, "unit", None)
    return unit in ("s", "ms", "us", "ns") and str(arrow).startswith("timestamp")


def _numpy_moments(s: pd.Series[Any] | pd.Index) -> pd.Index:
    """An Arrow timestamp column as the same moments in numpy's ``datetime64`` (with its
    time zone), from Arrow's ticks: pandas' own ``astype`` makes a Timestamp a value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = pa.array(s.array)
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    nat = pa.scalar(np.iinfo(np.int64).min, pa.int64())  # numpy's NaT
    ticks = pc.fill_null(arrow.cast(pa.int64()), nat).to_numpy()
    moments = pd.DatetimeIndex(ticks.view(f"M8[{arrow.type.unit}]"))
    zone = arrow.type.tz
    return moments.tz_localize("UTC").tz_convert(zone) if zone else moments


def _arrow_utf8(array: Any) -> tuple[Any, NDArray[np.integer[Any]]]:
    """An Arrow-backed string column as one Arrow string array and its offsets (``None``
    and no offsets for another Arrow type)."""
    import pyarrow as pa

    strings = pa.array(array)
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    large = pa.types.is_large_string(strings.type)
    if not (large or pa.types.is_string(strings.type)):
        return None, np.zeros(0, dtype=np.int64)
    offsets: NDArray[np.integer[Any]] = np.frombuffer(
        strings.buffers()[1], dtype=np.int64 if large else np.int32
    )
    return strings, offsets[strings.offset : strings.offset + len(strings) + 1]


def _escapes(strings: Any, offsets: NDArray[np.integer[Any]]) -> bool:
    """Whether a value needs an escape in JSON (``"``, ``\\``, control characters)."""
    data = strings.buffers()[2]
    if data is None or len(offsets) < 2:
        return False
    text = np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]]
    return bool(((text < 0x20) | (text == 0x22) | (text == 0x5C)).any())


def plain_strings(array: Any) -> bool:
    """Whether a pandas string array is Arrow-backed and no value needs a JSON escape, so
    that a token is the value in quotes (the polars route asks, once per column)."""
    dtype = array.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return False
    strings, offsets = _arrow_utf8(array)
    return strings is not None and not _escapes(strings, offsets)


def _arrow_strings(array: Any) -> tok.Joined | None:
    """Tokens of an Arrow-backed string column from its buffers, with no Python string per
    value: when no value needs an escape (``"``, ``\\``, control characters), a token is
    the UTF-8 in quotes, as orjson writes it, and Arrow joins them in C++. ``None`` when
    a value needs an escape (orjson writes those)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    strings, offsets = _arrow_utf8(array)
    if strings is None or len(strings) == 0 or _escapes(strings, offsets):
        return None
    large = offsets.dtype == np.int64
    nulls = strings.null_count > 0
    if nulls:  # marked by a NUL, which no value here holds: '"\x00"' becomes null below
        strings = pc.fill_null(strings, "\x00")
    lists = (pa.LargeListArray if large else pa.ListArray).from_arrays(
        pa.array([0, len(strings)], type=pa.from_numpy_dtype(offsets.dtype)), strings
    )
    joined = pc.binary_join(lists, pa.scalar('"\n"', type=strings.type))
    start, end = np.frombuffer(joined.buffers()[1], dtype=offsets.dtype)[:2].tolist()
    body = joined.buffers()[2]
    out = b'"' + (memoryview(body)[start:end] if body is not None else b"") + b'"'
    return tok.Joined(out.replace(b'"\x00"', b"null") if nulls else out, b"\n")


def _object_tokens(values: NDArray[Any], enc: Encoder) -> tok.Tokens:
    """Object columns: strings in one call; mixed values one by one (NA -> null)."""
    na = pd.isna(values)
    if na.any():
        values = values.copy()
        values[na] = None
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("string", "empty", "boolean", "integer"):
        return np_enc.encoded_tokens(values.tolist(), enc, scalars=True)
    return np_enc.encoded_tokens(values, enc)


def _categorical_tokens(s: pd.Series[Any] | pd.Index, enc: Encoder) -> tok.Lookup:
    """Encode each category once, then pick tokens by code (-1, missing, is null)."""
    cat = s.array
    categories = column_tokens(pd.Series(cat.categories), enc)
    codes = np.asarray(cat.codes)
    return tok.Lookup([*categories, b"null"], np.where(codes < 0, len(categories), codes))


def _tz_strings(s: pd.Series[Any] | pd.Index, datetime_format: str) -> list[str | None]:
    """Dates with a time zone by the rule of :mod:`fastjson._dates`, from pandas' own
    time-zone data, in the column's own unit (a cast to ``ns`` would wrap years
    beyond 2262)."""
    values = pd.DatetimeIndex(s)
    view = f"M8[{values.unit}]"
    utc = np.asarray(values.asi8).view(view)
    wall = np.asarray(values.tz_localize(None).asi8).view(view)
    result: list[str | None] = np_enc.zoned_strings(utc, wall, datetime_format).tolist()
    return result


# -- frames --------------------------------------------------------------------


@builtin(pd.DataFrame)
@provides(lambda df: FrameSource(df))
def encode_frame(df: pd.DataFrame, enc: Encoder) -> Any:
    """A DataFrame in the ``orient`` option (pandas' meanings of the orients)."""
    df = _checked(df, enc)
    orient = enc.option("orient")
    # in columns, keyed cells alternated by Arrow beat polars' per-cell strings
    table: cols.Table | None = polars_table(df, enc, orient == "columns" and _keyed_faster(df))
    blocks = cols.POLARS
    if table is None:
        table, blocks = _Table(df, enc, row_order(df.index, enc)), cols.PURE
    body = cols.write_frame(
        table,
        orient,
        len(df),
        tok.keys_of(list(df.columns)),
        lambda: _labels(df.columns, enc),
        enc.option("sort_keys"),
        row_bytes(df),
        blocks,
    )
    return Raw(body, trusted=True)


def _keyed_faster(df: pd.DataFrame) -> bool:
    """Whether ``columns`` is faster on the pure route, values alternated with their labels
    by Arrow, than through polars: for every dtype but dates with a time zone, which the
    pure route writes through a Python string each, slower than polars."""
    return tok.available() and not any(_zoned(dtype) for dtype in df.dtypes)


def _zoned(dtype: Any) -> bool:
    """Datetimes with a time zone, as pandas or Arrow holds them."""
    if isinstance(dtype, pd.DatetimeTZDtype):
        return True
    return getattr(getattr(dtype, "pyarrow_dtype", None), "tz", None) is not None


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
    """:func:`~._columns.row_bytes` of a pandas frame."""
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


def index_rows(index: pd.Index, rows: Any) -> pd.Index:
    """``index[rows]`` without the hash table pandas builds for it: slicing an index whose
    table is built (a look-up or a uniqueness check builds it) builds the slice's too,
    which converts Arrow-backed strings to Python objects, once a block. The labels'
    array is sliced instead."""
    sliced: pd.Index = (
        index[rows]
        if isinstance(index, pd.MultiIndex | pd.RangeIndex)
        else pd.Index(index.array[rows], dtype=index.dtype, copy=False)
    )
    return sliced


def columns_of(df: pd.DataFrame) -> list[pd.Series[Any]]:
    """The frame's columns as Series without its row labels (no copy), to be sliced by
    blocks: pandas answers attribute look-ups on a Series (numpy and polars make some) by
    a search of its labels, and builds a string index's hash table anew for every slice
    (about a third of the time of a 100k-row frame with string labels)."""
    plain = isinstance(df.index, pd.RangeIndex)
    return [
        df.iloc[:, k] if plain else df.iloc[:, k].reset_index(drop=True)
        for k in range(df.shape[1])
    ]


class _Table(cols.TokenTable):
    """The pure route's blocks: tokens of ``df.iloc[rows]`` (rows in output order)."""

    def __init__(
        self, df: pd.DataFrame, enc: Encoder, order: NDArray[np.intp] | None, series: bool = False
    ) -> None:
        super().__init__(enc.option("orient"), list(df.columns), len(df), series)
        self.df = df
        self.enc = enc
        self.order = order
        self.series_of = columns_of(df)

    def _positions(self, i: int, j: int) -> Any:
        return slice(i, j) if self.order is None else self.order[i:j]

    def origin(self, i: int, j: int) -> Any:
        rows = self._positions(i, j)
        return rows.start if isinstance(rows, slice) else rows

    def label(self, row: int) -> Any:
        return self.df.index[row]

    def read(self, k: int, i: int, j: int) -> tok.Tokens:
        return encoded_column(self.series_of[k].iloc[self._positions(i, j)], self.enc)

    def row_keys(self, i: int, j: int) -> tuple[tok.Tokens, bool]:
        return _index_keys(index_rows(self.df.index, self._positions(i, j)), self.enc)

    def row_leads(self, i: int, j: int) -> tok.Leads:
        index = self.df.index
        if (  # labels counting up from a start
            isinstance(index, pd.RangeIndex)
            and index.step == 1
            and index.start >= 0
            and self.order is None
            and tok.available()
        ):
            return tok.counting_leads(index.start + i, index.start + j)
        return super().row_leads(i, j)

    def labels(self, i: int, j: int) -> list[bytes]:
        return [b"," + _labels(index_rows(self.df.index, slice(i, j)), self.enc)[1:-1]]


def _checked(df: pd.DataFrame, enc: Encoder, stream: bool = False) -> pd.DataFrame:
    """``df`` with its columns in ``sort_keys`` order, after refusing what encoding it would
    refuse part-way through: colliding labels, NaN under ``nan="error"``; for a ``stream``,
    also a dtype with no JSON form (its first row encoded), and its rows in output order
    (``columns``, ``index``), so that each range of rows has its place in the whole."""
    orient = enc.option("orient")
    if orient in ("records", "columns", "index"):
        cols.check_unique(list(df.columns), "column name", orient)
        order = cols.key_order(df.columns) if enc.option("sort_keys") else None
        df = df if order is None else df.iloc[:, order]
    if orient in ("columns", "index"):
        check_labels(df.index, orient, enc)
    if stream:
        first = _Table(df.iloc[:1], enc, None)
        for k in range(df.shape[1]):
            first.column(k, 0, min(1, len(df)))
    if enc.option("nan") == "error":
        _check_finite(df, enc)
    if stream and orient in ("columns", "index") and enc.option("sort_keys"):
        rows = cols.key_order(df.index)
        df = df if rows is None else df.iloc[rows]
    return df


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


def ndjson(df: pd.DataFrame, enc: Encoder) -> bytes:
    """One JSON object per row (``records``), each followed by a newline: NDJSON."""
    enc = enc.replace(orient="records")
    cols.check_unique(list(df.columns), "column name", "records")
    order = cols.key_order(df.columns) if enc.option("sort_keys") else None
    df = df if order is None else df.iloc[:, order]
    if len(df) == 0:
        return b""
    table = polars_table(df, enc) or _Table(df, enc, None)
    return b"".join(table.lines(0, len(df)))


# -- the polars route -----------------------------------------------------------


def polars_table(df: pd.DataFrame, enc: Encoder, pure_faster: bool = False) -> Any:
    """polars' writer (:class:`~._polars_rows.FastTable`) for ``df``, converted a block of rows
    at a time; ``None`` where it would not write what the pure route writes, or where the
    route decision (:func:`~._route.use_polars`) is the pure route."""
    if not use_polars(_polars_exact(df, enc), pure_faster):
        return None
    try:
        from . import _polars_rows as pl_rows

        source = _Rows(df, row_order(df.index, enc), enc)
        return pl_rows.fast_table(source, [str(c) for c in df.columns], enc)
    except Exception:  # polars or pyarrow missing, or a column it cannot convert
        return None


class _Rows:
    """A pandas frame as the rows of a :class:`~._polars_rows.FastTable`: each block's columns
    converted one by one (``pl.from_pandas`` of a whole block costs more), rows in
    ``order`` (``None``: the frame's own), the index giving the row labels."""

    def __init__(self, df: pd.DataFrame, order: NDArray[np.intp] | None, enc: Encoder) -> None:
        import polars as pl

        self.df = df
        self.order = order
        self.enc = enc
        self.height = len(df)
        self.columns = columns_of(df)
        self.enums = {  # each categorical's categories once, as a polars Enum, and its codes
            k: (
                pl.Series(list(dtype.categories), dtype=pl.Enum(list(dtype.categories))),
                np.asarray(self.columns[k].array.codes),
            )
            for k, dtype in enumerate(df.dtypes)
            if isinstance(dtype, pd.CategoricalDtype)
        }
        self.zoned = {k for k, dtype in enumerate(df.dtypes) if _zoned(dtype)}

    def _rows(self, i: int, j: int) -> Any:
        return slice(i, j) if self.order is None else self.order[i:j]

    def frame(self, i: int, j: int, columns: list[int] | None = None) -> Any:
        import polars as pl

        rows = self._rows(i, j)
        block = []
        for k in range(len(self.columns)) if columns is None else columns:
            name = f"c{k}"
            if k in self.enums:
                categories, all_codes = self.enums[k]
                codes = all_codes[rows]
                index = pl.Series(codes, dtype=pl.Int64)
                if (codes < 0).any():
                    index = index.scatter(np.flatnonzero(codes < 0), None)
                block.append(categories.gather(index).alias(name))
                continue
            column = self.columns[k].iloc[rows]
            if k in self.zoned:  # pandas' own time-zone data, by the one datetime rule
                block.append(pl.Series(name, _tz_strings(column, "iso"), dtype=pl.String))
            elif column.dtype.kind == "m":  # numpy's division, as on the pure route
                seconds = np_enc.timedelta_seconds(column.to_numpy())
                block.append(pl.Series(name, seconds, nan_to_null=True))
            else:
                block.append(pl.from_pandas(column, nan_to_null=True).alias(name))
        return pl.DataFrame(block)

    def leads(self, i: int, j: int) -> Any:
        """``,"label":`` for rows ``i:j``, the labels as :func:`_index_keys` writes them."""
        import polars as pl

        from . import _polars_rows as pl_rows

        index = self.df.index
        if isinstance(index, pd.RangeIndex) and self.order is None:
            start, step = index.start + i * index.step, index.step
            return pl_rows.integer_leads(np.arange(start, start + (j - i) * step, step))
        index = index_rows(index, self._rows(i, j))
        if not isinstance(index, pd.MultiIndex) and not index.hasnans:
            if isinstance(index.dtype, np.dtype) and index.dtype.kind in "iu":
                return pl_rows.integer_leads(np.asarray(index))
            if isinstance(index.dtype, pd.StringDtype) or (
                pd.api.types.infer_dtype(index, skipna=False) == "string"
            ):
                try:  # polars cannot hold lone surrogates: those take the tokens below
                    strings = pl.from_pandas(index).cast(pl.String)  # no list of strings
                except Exception:
                    pass
                else:
                    return pl_rows.leads(pl_rows.json_token(pl.lit(strings)), True)
        tokens, quoted = _index_keys(index, self.enc)
        strings = pl.Series([t.decode() for t in tok.as_list(tokens)], dtype=pl.String)
        return pl_rows.leads(pl.lit(strings), quoted)

    def labels(self, i: int, j: int) -> bytes:
        return b"," + _labels(index_rows(self.df.index, slice(i, j)), self.enc)[1:-1]

    def plain_strings(self, k: int) -> bool:
        return k in self.zoned or plain_strings(self.columns[k].array)

    def whole_seconds(self, k: int) -> bool:
        """No datetime of column ``k`` has a sub-second part (checked once, on the ticks)."""
        array = self.columns[k].array
        ticks = np.asarray(array.asi8)
        per_second = 10 ** {"s": 0, "ms": 3, "us": 6, "ns": 9}[array.unit]
        valid = ticks != np.iinfo(np.int64).min  # NaT
        return not bool((ticks[valid] % per_second).any())


def _polars_exact(df: pd.DataFrame, enc: Encoder) -> bool:
    """Whether polars writes exactly what the pure route would, for this frame and options
    (and the dtypes of its first block, :func:`~._polars_rows.fast_table`)."""
    if enc.option("nan") != "null" or df.shape[1] == 0 or not all(map(_supported, df.dtypes)):
        return False
    dates = (isinstance(d, pd.DatetimeTZDtype) or getattr(d, "kind", "") == "M" for d in df.dtypes)
    if enc.option("datetime_format") != "iso" and any(dates):
        return False
    return not any(_has_big_int(column, enc) for _, column in df.items())


def _has_big_int(column: pd.Series[Any], enc: Encoder) -> bool:
    """A 64-bit integer column holding a value that ``big_int="string"`` quotes."""
    dtype: Any = column.dtype
    if enc.option("big_int") != "string" or getattr(dtype, "kind", "") not in ("i", "u"):
        return False
    return dtype.itemsize >= 8 and np_enc.beyond_safe(column.min(), column.max())


def _supported(dtype: Any) -> bool:
    """Column dtypes the polars route writes exactly as the pure route does."""
    if isinstance(dtype, np.dtype):
        return dtype.kind in "biuMm" or (dtype.kind == "f" and dtype.itemsize in (4, 8))
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.api.types.infer_dtype(dtype.categories, skipna=True) == "string"
    return isinstance(dtype, pd.DatetimeTZDtype | pd.StringDtype) or (
        getattr(dtype, "kind", "") in "biuf" and hasattr(dtype, "numpy_dtype")
    )


# -- labels ------------------------------------------------------------------------


def _labels(index: pd.Index, enc: Encoder) -> bytes:
    """An Index as a JSON array (a MultiIndex as an array of arrays)."""
    if isinstance(index, pd.MultiIndex):
        levels = [column_tokens(index.get_level_values(i), enc) for i in range(index.nlevels)]
        return tok.rows_from_columns(levels, len(index))
    return _array(index, enc)


def check_labels(index: pd.Index, orient: str, enc: Encoder) -> None:
    """Refuse labels that would write one key twice (keyed orients), once for the whole
    index: equal labels, or, in an index of mixed objects, labels written alike
    (``1`` and ``"1"``, ``nan`` and ``"nan"``)."""
    if not index.is_unique:
        cols.check_unique(list(index), "index label", orient)
    elif index.dtype == object and pd.api.types.infer_dtype(index, skipna=False) != "string":
        tokens, quoted = _index_keys(index, enc)
        keys = [orjson.loads(key) if quoted else key.decode() for key in tok.as_list(tokens)]
        cols.check_unique(keys, "index label", orient)


def _index_keys(index: pd.Index, enc: Encoder) -> tuple[tok.Tokens, bool]:
    """Index labels as object keys, plus whether the tokens are already JSON strings.

    Numbers, dates and strings are encoded as a column (dates as ISO, as
    dict keys always are); anything else (a MultiIndex, mixed objects) goes
    through ``str(label)``, and so does each missing or infinite label
    (``"nan"``, ``"NaT"``, ``"inf"``: no JSON number says them): a label is
    written the same whichever slice of the index it is encoded with.
    Duplicates are refused by :func:`check_labels`, once for the whole index.
    """
    enc = enc.replace(datetime_format="iso", big_int="number")
    if isinstance(index, pd.MultiIndex):
        return _present_keys(index, enc)
    missing = np.asarray(index.isna())
    if getattr(index.dtype, "kind", "") == "f":
        missing |= np.isinf(index.to_numpy(dtype="float64", na_value=np.nan))
    if not missing.any():
        return _present_keys(index, enc)
    present, quoted = _present_keys(index[~missing], enc)
    tokens = tok.as_list(present)
    keys = np.empty(len(index), dtype=object)
    keys[~missing] = tokens if quoted else [b'"' + token + b'"' for token in tokens]
    keys[missing] = tok.keys_of([str(label) for label in index[missing]])
    result: list[bytes] = keys.tolist()
    return result, True


def _present_keys(index: pd.Index, enc: Encoder) -> tuple[tok.Tokens, bool]:
    """:func:`_index_keys` of labels none of which is missing."""
    if not isinstance(index, pd.MultiIndex):
        dtype = index.dtype
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            return encoded_column(index, enc), False
        if (
            isinstance(dtype, pd.StringDtype)  # strings by dtype: no look at the values
            or pd.api.types.is_datetime64_any_dtype(dtype)
            or (
                pd.api.types.is_string_dtype(dtype)
                and pd.api.types.infer_dtype(index, skipna=False) == "string"
            )
        ):
            return encoded_column(index, enc), True
    return tok.keys_of([_label_text(label, enc) for label in index]), True


def _label_text(label: Any, enc: Encoder) -> str:
    """A label of a mixed index as a key: a date as the ISO text it is written as
    everywhere, anything else through ``str``."""
    if isinstance(label, dt.date | dt.time | np.datetime64):  # Timestamps are datetimes
        text = orjson.loads(enc.encode(label))
        if isinstance(text, str):
            return text
    return str(label)


# -- series, index, scalars ----------------------------------------------------


@builtin(pd.Series)
@provides(lambda s: SeriesSource(s))
def encode_series(s: pd.Series[Any], enc: Encoder) -> Any:
    """A Series: a list of values (``records``/``values``), or pandas' other orients.

    Its values are written as arrays by blocks (:func:`_array`: one orjson call
    for numbers and strings); keyed by label (``index``, ``columns``) with the
    labels and the values' text alternated (:func:`~._columns.keyed`), which
    for one column is faster than polars' per-cell strings.
    """
    orient = enc.option("orient")
    if orient in ("records", "values") and _numeric(s):
        return Raw(_array(s, enc), trusted=True)  # orjson's output is the body: no block, no copy
    if orient in ("columns", "index"):
        check_labels(s.index, orient, enc)
    table = _SeriesTable(_column_frame(s), enc, row_order(s.index, enc), series=True)
    name = b"null" if s.name is None else tok.keys_of([s.name])[0]
    body = cols.write_series(table, orient, len(s), name, enc.option("sort_keys"), cols.PURE)
    return Raw(body, trusted=True)


def _column_frame(s: pd.Series[Any]) -> pd.DataFrame:
    """A Series as a one-column frame, whatever its name (pandas cannot make an index of a
    name holding a lone surrogate; the name is written apart)."""
    return s.to_frame(name=0)


class _SeriesTable(_Table):
    """A Series as its one-column frame, its values written as arrays (:func:`_array`)."""

    def items(self, k: int, i: int, j: int) -> list[bytes]:
        try:
            array = _array(self.series_of[k].iloc[i:j], self.enc)
        except EncodeError as exc:
            raise self.placed(rebased(exc, i), k) from exc.__cause__
        return [b"," + array[1:-1]]


def _numeric(s: pd.Series[Any] | pd.Index) -> bool:
    return isinstance(s.dtype, np.dtype) and s.dtype.kind in "biuf"


def _array(s: pd.Series[Any] | pd.Index, enc: Encoder) -> bytes:
    """A column as one JSON array, in one orjson call where its values allow (numbers,
    nullable numbers, strings); others joined from their tokens."""
    dtype: Any = s.dtype
    tenc = np_enc.compact(enc)
    items: Any = None
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        items = np_enc.numeric(s.to_numpy(), tenc)
    elif getattr(dtype, "kind", "O") in "biuf" and getattr(dtype, "numpy_dtype", None):
        na = np.asarray(s.array.isna())  # not np.asarray(s.isna()): see encoded_column
        fill = {"f": np.nan, "b": False}.get(dtype.kind, 0)  # Arrow's booleans refuse a 0
        values = s.to_numpy(dtype=dtype.numpy_dtype, na_value=fill)
        items = np_enc.numeric(values, tenc, null=na if na.any() else None) if len(s) else []
    if isinstance(items, Raw):
        return items.data
    if items is not None:
        if not isinstance(items, list):
            items = items.items  # final: JSON-ready values
        try:
            return orjson.dumps(items)
        except TypeError:  # anything orjson refuses: the tokens name it
            pass
    return json_array(encoded_column(s, enc))


def json_array(tokens: tok.Tokens) -> bytes:
    """``[t0,t1,...]`` from a column's tokens, their text reused when it is joined."""
    if isinstance(tokens, list | tok.Lookup):
        return b"[" + b",".join(tok.as_list(tokens)) + b"]"
    joined = tok.as_joined(tokens)
    text = joined.text if joined.separator == b"," else joined.text.replace(joined.separator, b",")
    return b"[" + text + b"]"


@builtin(pd.Index)
def encode_index(index: pd.Index, enc: Encoder) -> Any:
    """An Index as a list of its values; a MultiIndex as a list of lists."""
    return Raw(_labels(index, enc), trusted=True)


@builtin(pd.api.extensions.ExtensionArray)
def encode_extension_array(array: Any, enc: Encoder) -> Any:
    """Categorical, nullable integer, string, sparse... arrays: a list of their values."""
    return Raw(json_array(encoded_column(pd.Series(array, copy=False), enc)), trusted=True)


@builtin(pd.Timestamp)
def _timestamp(ts: pd.Timestamp, enc: Encoder) -> str:
    """ISO 8601 with nanoseconds and the offset kept (HTTP format when so configured)."""
    if enc.option("datetime_format") == "http":
        from werkzeug.http import http_date

        return http_date(ts.to_pydatetime())
    offset = ts.utcoffset()
    if offset is not None and not whole_minutes(offset):  # see fastjson._dates
        return ts.tz_convert("UTC").tz_localize(None).isoformat() + "+00:00"
    return ts.isoformat()


@builtin(pd.Timedelta)
def _timedelta(td: pd.Timedelta, enc: Encoder) -> float:
    return float(np_enc.timedelta_seconds(np.asarray(td.to_timedelta64())))


@builtin(type(pd.NaT))
def _nat(o: Any, enc: Encoder) -> None:
    return None


@builtin(type(pd.NA))
def _na(o: Any, enc: Encoder) -> None:
    return None


@builtin(pd.Period)
def _period(p: pd.Period, enc: Encoder) -> str:
    return str(p)


@builtin(pd.Interval)
def _interval(i: pd.Interval, enc: Encoder) -> dict[str, Any]:
    return {"left": i.left, "right": i.right, "closed": i.closed}


# -- sources -------------------------------------------------------------------


class FrameSource:
    """A DataFrame as a :class:`~._source.Source`: ranges by ``iloc``, labels kept."""

    kind: Kind = "frame"
    compact = True
    labelled = True

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self.rows = len(df)
        self.cells = df.size
        self.row_bytes = row_bytes(df)

    def prepared(self, enc: Encoder) -> FrameSource:
        ordered = _checked(self.df, enc, stream=True)
        return self if ordered is self.df else FrameSource(ordered)

    def part(self, i: int, j: int) -> pd.DataFrame:
        return self.df.iloc[i:j]

    def index(self, i: int, j: int) -> pd.Index:
        return self.df.index[i:j]

    def header(self) -> pd.Index:
        return self.df.columns

    def width(self) -> int:
        return int(self.df.shape[1])

    def column_key(self, k: int) -> bytes:
        return tok.keys_of([self.df.columns[k]])[0]

    def column(self, k: int, i: int, j: int) -> pd.Series[Any]:
        return self.df.iloc[i:j, k]

    def lines(self, i: int, j: int, enc: Encoder) -> bytes:
        return ndjson(self.df.iloc[i:j], enc)

    def arrow(self, rows: int) -> tuple[Iterator[Any], Any]:
        return _arrow_batches(self.df, rows)


class SeriesSource:
    """A Series as a :class:`~._source.Source`: ranges by ``iloc``, labels kept."""

    kind: Kind = "series"
    compact = True
    labelled = True
    row_bytes = 24

    def __init__(self, s: pd.Series[Any]) -> None:
        self.s = s
        self.rows = self.cells = len(s)

    def prepared(self, enc: Encoder) -> SeriesSource:
        orient = enc.option("orient")
        _checked(_column_frame(self.s), enc.replace(orient="values"), stream=True)
        if orient not in ("columns", "index"):
            return self
        check_labels(self.s.index, orient, enc)  # as dumpb refuses them
        order = cols.key_order(self.s.index) if enc.option("sort_keys") else None
        return self if order is None else SeriesSource(self.s.iloc[order])

    def part(self, i: int, j: int) -> pd.Series[Any]:
        return self.s.iloc[i:j]

    def index(self, i: int, j: int) -> pd.Index:
        return self.s.index[i:j]

    def header(self) -> Any:
        name = self.s.name
        return name if isinstance(name, str | None) else str(name)

    def width(self) -> int:
        return 1

    def column_key(self, k: int) -> bytes:
        return tok.keys_of([self.header()])[0]

    def column(self, k: int, i: int, j: int) -> pd.Series[Any]:
        return self.part(i, j)

    def lines(self, i: int, j: int, enc: Encoder) -> bytes:
        tokens = tok.as_list(encoded_column(self.s.iloc[i:j], enc))
        return b"".join(token + b"\n" for token in tokens)

    def arrow(self, rows: int) -> tuple[Iterator[Any], Any]:
        name = self.s.name if self.s.name is not None else "values"
        return _arrow_batches(self.s.to_frame(name), rows)


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
