"""pandas DataFrame, Series, Index and scalars, encoded column by column.

Imported lazily by the registry the first time a pandas object is seen.

DataFrames in the orients ``records``, ``values`` and ``split`` go through
polars when it is installed (see :mod:`fastjson.encoders._polars`: about 3x
the speed of ``DataFrame.to_json`` here, and lossless). The other orients,
and frames polars cannot take (mixed object columns, float16...), use the
pure path here:
each column becomes a list of JSON tokens in one vectorised step
(:func:`column_tokens`) and rows are stitched by :mod:`._columns`. Both paths
give the same parsed output for every dtype; the test suite checks it.

JSON forms: missing values (``NaN`` in float columns, ``None``, ``NaT``,
``pd.NA``) are ``null``; datetimes are ISO 8601 strings as
``Timestamp.isoformat`` writes them (offset kept for tz-aware columns);
durations are seconds as numbers; categoricals are their category values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import pandas as pd

from .._types import Raw
from .._walk import NonFiniteError
from ..registry import builtin
from . import _columns as cols
from . import numpy as np_enc

if TYPE_CHECKING:
    from ..core import Context


def _emit(body: bytes) -> Raw:
    """Assembled JSON as a fragment (the ``Raw`` encoder parses it for other backends)."""
    return Raw(body, trusted=True)


# -- columns -------------------------------------------------------------------


def column_tokens(s: pd.Series | pd.Index, ctx: Context) -> list[bytes]:
    """The JSON text of every value of a column, chosen by dtype, vectorised."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _categorical_tokens(s, ctx)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return cols.split_tokens(_tz_strings(s), ctx, scalars=True)
    if isinstance(dtype, np.dtype):
        if dtype.kind == "O":
            return _object_tokens(s.to_numpy(), ctx)
        return cols.split_tokens(s.to_numpy(), ctx)
    na = np.asarray(s.isna())
    kind = getattr(dtype, "kind", "O")
    if kind in "biu":
        return _masked_tokens(s.to_numpy(dtype=dtype.numpy_dtype, na_value=0), na, ctx)
    if kind == "f":
        return _masked_tokens(s.to_numpy(dtype=dtype.numpy_dtype, na_value=np.nan), na, ctx)
    if isinstance(dtype, pd.StringDtype):
        return cols.split_tokens(s.to_numpy(dtype=object, na_value=None), ctx, scalars=True)
    return _object_tokens(s.to_numpy(dtype=object), ctx)


def _masked_tokens(values: np.ndarray, na: np.ndarray, ctx: Context) -> list[bytes]:
    """Nullable numeric columns: the values array plus its NA mask."""
    encoded = np_enc.numeric(values, cols.token_context(ctx), null=na if na.any() else None)
    if isinstance(encoded, Raw):
        return encoded.data[1:-1].split(b",")
    return cols.split_tokens(list(encoded), ctx, scalars=True)


def _object_tokens(values: np.ndarray, ctx: Context) -> list[bytes]:
    """Object columns: strings in one call; mixed values one by one (NA -> null)."""
    na = pd.isna(values)
    if na.any():
        values = values.copy()
        values[na] = None
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("string", "empty", "boolean", "integer"):
        return cols.split_tokens(values.tolist(), ctx, scalars=True)
    return cols.split_tokens(values, ctx)


def _categorical_tokens(s: pd.Series | pd.Index, ctx: Context) -> list[bytes]:
    """Encode each category once, then pick tokens by code (-1, missing, is null)."""
    cat = s.array if isinstance(s, pd.Series | pd.Index) else s
    categories = column_tokens(pd.Series(cat.categories), ctx)
    codes = np.asarray(cat.codes)
    table = np.array([*categories, b"null"], dtype=object)
    return table[np.where(codes < 0, len(categories), codes)].tolist()


def _tz_strings(s: pd.Series | pd.Index) -> list[str | None]:
    """ISO 8601 with the UTC offset of each value, e.g. ``2024-03-31T03:00:00+02:00``."""
    values = pd.DatetimeIndex(s)
    wall = np.asarray(values.tz_localize(None), dtype="M8[ns]")
    utc = np.asarray(values.tz_convert("UTC").tz_localize(None), dtype="M8[ns]")
    nat = np.isnat(wall)
    strings = np_enc.datetime_strings(wall)
    strings[nat] = ""
    delta = wall - utc
    delta[nat] = 0
    offsets = (delta // np.timedelta64(1, "m")).astype(np.int64)
    unique, inverse = np.unique(offsets, return_inverse=True)
    labels = np.array([_offset_label(int(m)) for m in unique], dtype=object)
    out = strings + labels[inverse.reshape(-1)]
    out[nat] = None
    return out.tolist()


def _offset_label(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


# -- frames --------------------------------------------------------------------


@builtin(pd.DataFrame)
def encode_frame(df: pd.DataFrame, ctx: Context) -> Any:
    """A DataFrame in ``ctx.options.orient`` (pandas' meanings of the orients)."""
    orient = ctx.options.orient
    if orient in ("records", "columns", "index"):
        cols.check_unique(list(df.columns), "column name", orient)
    if orient == "records":
        from . import _polars

        fast = _polars.records(df, ctx)
        if fast is not None:
            return _emit(fast)
    if orient in ("values", "split"):
        from . import _polars

        data = _polars.rows(df, ctx)
        if data is None:
            data = cols.rows_from_columns(_frame_columns(df, ctx), len(df))
        if orient == "values":
            return _emit(data)
        labels = b'{"columns":' + _labels(df.columns, ctx) + b',"index":' + _labels(df.index, ctx)
        return _emit(labels + b',"data":' + data + b"}")
    columns = _frame_columns(df, ctx)
    n = len(df)
    if orient == "records":
        return _emit(cols.records_from_columns(list(df.columns), columns, n))
    index_keys, quoted = _index_keys(df.index, ctx, orient)
    if orient == "columns":
        names = cols.keys_of(list(df.columns))
        parts = [
            name + b":" + cols.object_from_tokens(index_keys, quoted, column)
            for name, column in zip(names, columns, strict=True)
        ]
        return _emit(b"{" + b",".join(parts) + b"}")
    lead = cols.key_slots(index_keys, quoted)
    body = cols.object_rows(cols.keys_of(list(df.columns)), columns, n, lead=lead)
    return _emit(b"{" + body[1:] + b"}")


def _frame_columns(df: pd.DataFrame, ctx: Context) -> list[list[bytes]]:
    """Tokens of every column; a non-finite error names its row and column."""
    columns = []
    for j, name in enumerate(df.columns):
        try:
            columns.append(column_tokens(df.iloc[:, j], ctx))
        except NonFiniteError as exc:
            label = name if isinstance(name, str) and name.isidentifier() else None
            column = f".{label}" if label else f"[{orjson.dumps(str(name)).decode()}]"
            raise NonFiniteError(exc.value, exc.where + column) from None
    return columns


def _labels(index: pd.Index, ctx: Context) -> bytes:
    """An Index as a JSON array (a MultiIndex as an array of arrays)."""
    if isinstance(index, pd.MultiIndex):
        levels = [column_tokens(index.get_level_values(i), ctx) for i in range(index.nlevels)]
        return cols.rows_from_columns(levels, len(index))
    return _array(index, ctx)


def _index_keys(index: pd.Index, ctx: Context, orient: str) -> tuple[list[bytes], bool]:
    """Index labels as object keys, plus whether the tokens are already JSON strings.

    Numbers, dates and strings are encoded as a column; anything else (a
    MultiIndex, missing labels, mixed objects) goes through ``str(label)``.
    """
    if not index.is_unique:
        cols.check_unique(list(index), "index label", orient)
    if not isinstance(index, pd.MultiIndex) and not index.hasnans:
        dtype = index.dtype
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            return column_tokens(index, ctx), False
        if pd.api.types.is_datetime64_any_dtype(dtype) or (
            pd.api.types.is_string_dtype(dtype)
            and pd.api.types.infer_dtype(index, skipna=False) == "string"
        ):
            return column_tokens(index, ctx), True
    return cols.keys_of([str(label) for label in index]), True


# -- series, index, scalars ----------------------------------------------------


@builtin(pd.Series)
def encode_series(s: pd.Series, ctx: Context) -> Any:
    """A Series: a list of values (``records``/``values``), or pandas' other orients."""
    orient = ctx.options.orient
    if orient in ("records", "values"):
        return _emit(_array(s, ctx))
    if orient == "split":
        name = orjson.dumps(s.name if isinstance(s.name, str | None) else str(s.name))
        body = b'{"name":' + name + b',"index":' + _labels(s.index, ctx) + b',"data":'
        return _emit(body + _array(s, ctx) + b"}")
    keys, quoted = _index_keys(s.index, ctx, orient)
    return _emit(cols.object_from_tokens(keys, quoted, column_tokens(s, ctx)))


def _array(s: pd.Series | pd.Index, ctx: Context) -> bytes:
    """A column as one JSON array: numeric numpy columns in one orjson call, others by tokens."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "biuf":
        return np_enc.numeric(s.to_numpy(), cols.token_context(ctx)).data
    return b"[" + b",".join(column_tokens(s, ctx)) + b"]"


@builtin(pd.Index)
def encode_index(index: pd.Index, ctx: Context) -> Any:
    """An Index as a list of its values; a MultiIndex as a list of lists."""
    return _emit(_labels(index, ctx))


@builtin(pd.api.extensions.ExtensionArray)
def encode_extension_array(array: Any, ctx: Context) -> Any:
    """Categorical, nullable integer, string... arrays: a list of their values."""
    return _emit(b"[" + b",".join(column_tokens(pd.Series(array, copy=False), ctx)) + b"]")


@builtin(pd.Timestamp)
def _timestamp(ts: pd.Timestamp, ctx: Context) -> str:
    """ISO 8601 with nanoseconds and the offset kept (HTTP format when so configured)."""
    if ctx.options.datetime_format == "http":
        from werkzeug.http import http_date

        return http_date(ts.to_pydatetime())
    return ts.isoformat()


@builtin(pd.Timedelta)
def _timedelta(td: pd.Timedelta, ctx: Context) -> float:
    return float(np_enc.timedelta_seconds(np.asarray(td.to_timedelta64())))


@builtin(type(pd.NaT))
def _nat(o: Any, ctx: Context) -> None:
    return None


@builtin(type(pd.NA))
def _na(o: Any, ctx: Context) -> None:
    return None


@builtin(pd.Period)
def _period(p: pd.Period, ctx: Context) -> str:
    return str(p)


@builtin(pd.Interval)
def _interval(i: pd.Interval, ctx: Context) -> dict[str, Any]:
    return {"left": i.left, "right": i.right, "closed": i.closed}
