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

from .._errors import EncodeError, NonFiniteError
from .._values import Raw
from ..registry import builtin
from . import _columns as cols
from . import numpy as np_enc

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ..core import Encoder


def _emit(body: bytes) -> Raw:
    """Assembled JSON as a fragment (the ``Raw`` encoder parses it for other backends)."""
    return Raw(body, trusted=True)


# -- columns -------------------------------------------------------------------


def column_tokens(s: pd.Series[Any] | pd.Index, enc: Encoder) -> list[bytes]:
    """The JSON text of every value of a column, chosen by dtype, vectorised."""
    dtype = s.dtype
    if isinstance(dtype, pd.SparseDtype):
        s = pd.Series(np.asarray(s.array.to_dense()), copy=False)
        dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _categorical_tokens(s, enc)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return np_enc.tokens(_tz_strings(s, enc.option("datetime_format")), enc, scalars=True)
    if isinstance(dtype, np.dtype):
        if dtype.kind == "O":
            return _object_tokens(s.to_numpy(), enc)
        return np_enc.tokens(s.to_numpy(), enc)
    na = np.asarray(s.isna())
    kind = getattr(dtype, "kind", "O")
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if kind in "biu" and numpy_dtype is not None:
        return _masked_tokens(s.to_numpy(dtype=numpy_dtype, na_value=0), na, enc)
    if kind == "f" and numpy_dtype is not None:
        return _masked_tokens(s.to_numpy(dtype=numpy_dtype, na_value=np.nan), na, enc)
    if isinstance(dtype, pd.StringDtype):
        return np_enc.tokens(s.array.to_numpy(dtype=object, na_value=None), enc, scalars=True)
    return _object_tokens(s.to_numpy(dtype=object), enc)


def _masked_tokens(values: NDArray[Any], na: NDArray[np.bool_], enc: Encoder) -> list[bytes]:
    """Nullable numeric columns: the values array plus its NA mask."""
    encoded = np_enc.numeric(values, np_enc.compact(enc), null=na if na.any() else None)
    if isinstance(encoded, Raw):
        return encoded.data[1:-1].split(b",")
    return np_enc.tokens(encoded.items, enc, scalars=True)


def _object_tokens(values: NDArray[Any], enc: Encoder) -> list[bytes]:
    """Object columns: strings in one call; mixed values one by one (NA -> null)."""
    na = pd.isna(values)
    if na.any():
        values = values.copy()
        values[na] = None
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("string", "empty", "boolean", "integer"):
        return np_enc.tokens(values.tolist(), enc, scalars=True)
    return np_enc.tokens(values, enc)


def _categorical_tokens(s: pd.Series[Any] | pd.Index, enc: Encoder) -> list[bytes]:
    """Encode each category once, then pick tokens by code (-1, missing, is null)."""
    cat = s.array
    categories = column_tokens(pd.Series(cat.categories), enc)
    codes = np.asarray(cat.codes)
    table = np.array([*categories, b"null"], dtype=object)
    result: list[bytes] = table[np.where(codes < 0, len(categories), codes)].tolist()
    return result


def _tz_strings(s: pd.Series[Any] | pd.Index, datetime_format: str) -> list[str | None]:
    """ISO 8601 with the UTC offset of each value (``2024-03-31T03:00:00+02:00``),
    or RFC 822 in GMT under ``datetime_format="http"``."""
    values = pd.DatetimeIndex(s)
    utc = np.asarray(values.tz_convert("UTC").tz_localize(None), dtype="M8[ns]")
    if datetime_format == "http":
        result: list[str | None] = np_enc.datetime_strings(utc, "http").tolist()
        return result
    wall = np.asarray(values.tz_localize(None), dtype="M8[ns]")
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
    result = out.tolist()
    return result


def _offset_label(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def key_order(labels: Any) -> list[int] | None:
    """Positions of ``labels`` in ``sort_keys`` order, as :mod:`json` sorts dict keys:
    by the labels themselves, or by their string form when they do not compare."""
    values = list(labels)
    positions = list(range(len(values)))
    try:
        order = sorted(positions, key=values.__getitem__)
    except TypeError:
        order = sorted(positions, key=lambda i: str(values[i]))
    return None if order == positions else order


# -- frames --------------------------------------------------------------------


@builtin(pd.DataFrame)
def encode_frame(df: pd.DataFrame, enc: Encoder) -> Any:
    """A DataFrame in the ``orient`` option (pandas' meanings of the orients)."""
    orient = enc.option("orient")
    if orient in ("records", "columns", "index"):
        cols.check_unique(list(df.columns), "column name", orient)
        if enc.option("sort_keys"):
            order = key_order(df.columns)
            if order is not None:
                df = df.iloc[:, order]
    if orient == "records":
        from . import _polars

        fast = _polars.records(df, enc)
        if fast is not None:
            return _emit(fast)
    if orient in ("values", "split"):
        from . import _polars

        data = _polars.rows(df, enc)
        if data is None:
            data = cols.rows_from_columns(_frame_columns(df, enc), len(df))
        if orient == "values":
            return _emit(data)
        labels = {"columns": _labels(df.columns, enc), "index": _labels(df.index, enc)}
        return _emit(split_object({**labels, "data": data}, enc))
    columns = _frame_columns(df, enc)
    n = len(df)
    if orient == "records":
        return _emit(cols.records_from_columns(list(df.columns), columns, n))
    index_keys, quoted = _index_keys(df.index, enc, orient)
    order = key_order(df.index) if enc.option("sort_keys") else None
    if order is not None:
        index_keys = [index_keys[i] for i in order]
        columns = [[column[i] for i in order] for column in columns]
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


def sorted_frame(df: pd.DataFrame, enc: Encoder) -> pd.DataFrame:
    """``df`` with its columns, and for ``columns``/``index`` its rows, in ``sort_keys`` order.

    Streaming encodes a frame by row ranges; sorting the whole frame first
    gives each range the place it has in the whole output.
    """
    orient = enc.option("orient")
    if not enc.option("sort_keys") or orient not in ("records", "columns", "index"):
        return df  # split and values write arrays: nothing to sort
    order = key_order(df.columns)
    if order is not None:
        df = df.iloc[:, order]
    if orient in ("columns", "index"):
        rows = key_order(df.index)
        if rows is not None:
            df = df.iloc[rows]
    return df


def check_frame(df: pd.DataFrame, enc: Encoder) -> None:
    """Raise now what encoding ``df`` would raise part-way through a stream, where possible:
    colliding labels, a column dtype with no JSON form, NaN under ``nan="error"``."""
    orient = enc.option("orient")
    if orient in ("records", "columns", "index"):
        cols.check_unique(list(df.columns), "column name", orient)
    if orient in ("columns", "index") and not df.index.is_unique:
        cols.check_unique(list(df.index), "index label", orient)
    _frame_columns(df.iloc[:1], enc)
    if enc.option("nan") != "error":
        return
    for j in range(df.shape[1]):
        column = df.iloc[:, j]
        if getattr(column.dtype, "kind", "") != "f":
            continue
        if isinstance(column.dtype, np.dtype):  # NaN is a value here, not a missing marker
            values = np.asarray(column.to_numpy())
        else:
            values = np.asarray(column.to_numpy(dtype="float64", na_value=0.0))
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            error = NonFiniteError(float(values[bad[0]]), f"$[{int(bad[0])}]")
            raise _in_frame(error, df, j, orient)


def ndjson(df: pd.DataFrame, enc: Encoder) -> bytes:
    """One JSON object per row (``records``), each followed by a newline: NDJSON."""
    df = sorted_frame(df, enc.replace(orient="records"))
    cols.check_unique(list(df.columns), "column name", "records")
    if len(df) == 0:
        return b""
    from . import _polars

    fast = _polars.lines(df, enc)
    if fast is not None:
        return fast
    columns = _frame_columns(df, enc.replace(orient="records"))
    keys = cols.keys_of(list(df.columns))
    return cols.object_rows(keys, columns, len(df), separator=b"\n")[1:] + b"\n"


def split_object(parts: dict[str, bytes], enc: Encoder) -> bytes:
    """The ``split`` object from its encoded members, keys sorted under ``sort_keys``
    (``columns``, ``data``, ``index``) as ``json`` sorts ``df.to_dict("split")``."""
    names = sorted(parts) if enc.option("sort_keys") else list(parts)
    return b"{" + b",".join(b'"' + n.encode() + b'":' + parts[n] for n in names) + b"}"


def _frame_columns(df: pd.DataFrame, enc: Encoder) -> list[list[bytes]]:
    """Tokens of every column; an error names the row and column where it sat."""
    columns = []
    for j in range(df.shape[1]):
        try:
            columns.append(column_tokens(df.iloc[:, j], enc))
        except EncodeError as exc:
            raise _in_frame(exc, df, j, enc.option("orient")) from exc.__cause__
    return columns


def _in_frame(exc: EncodeError, df: pd.DataFrame, j: int, orient: str) -> EncodeError:
    """``exc`` (raised for column ``j``, its path starting ``$[row]``) as seen from the frame:
    ``$[2].o`` for records, ``$.o["x"]`` for columns, ``$.data[2][1]`` for split...
    """
    name = df.columns[j]
    column = _member(name)
    if not exc.path.startswith("$["):  # the column as a whole (a complex dtype...)
        error = EncodeError(f"{exc.reason} (column {str(name)!r})", exc.path)
        error.__cause__ = exc
        return error
    row_end = exc.path.index("]")
    row = int(exc.path[2:row_end])
    rest = exc.path[row_end + 1 :]
    label = _member(df.index[row])
    prefix = {
        "records": f"$[{row}]{column}",
        "values": f"$[{row}][{j}]",
        "split": f"$.data[{row}][{j}]",
        "columns": f"${column}{label}",
        "index": f"${label}{column}",
    }[orient]
    return exc.at(prefix + rest)


def _member(label: Any) -> str:
    """A label as a path step: ``.name`` for identifiers, ``["any key"]`` otherwise."""
    key = label if isinstance(label, str) else str(label)
    return f".{key}" if key.isidentifier() else f"[{orjson.dumps(key).decode()}]"


def _labels(index: pd.Index, enc: Encoder) -> bytes:
    """An Index as a JSON array (a MultiIndex as an array of arrays)."""
    if isinstance(index, pd.MultiIndex):
        levels = [column_tokens(index.get_level_values(i), enc) for i in range(index.nlevels)]
        return cols.rows_from_columns(levels, len(index))
    return _array(index, enc)


def _index_keys(index: pd.Index, enc: Encoder, orient: str) -> tuple[list[bytes], bool]:
    """Index labels as object keys, plus whether the tokens are already JSON strings.

    Numbers, dates and strings are encoded as a column (dates as ISO, as
    dict keys always are); anything else (a MultiIndex, missing labels,
    mixed objects) goes through ``str(label)``.
    """
    if not index.is_unique:
        cols.check_unique(list(index), "index label", orient)
    enc = enc.replace(datetime_format="iso", big_int="number")
    if not isinstance(index, pd.MultiIndex) and not index.hasnans:
        dtype = index.dtype
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            return column_tokens(index, enc), False
        if pd.api.types.is_datetime64_any_dtype(dtype) or (
            pd.api.types.is_string_dtype(dtype)
            and pd.api.types.infer_dtype(index, skipna=False) == "string"
        ):
            return column_tokens(index, enc), True
    return cols.keys_of([str(label) for label in index]), True


# -- series, index, scalars ----------------------------------------------------


@builtin(pd.Series)
def encode_series(s: pd.Series[Any], enc: Encoder) -> Any:
    """A Series: a list of values (``records``/``values``), or pandas' other orients."""
    orient = enc.option("orient")
    if orient in ("records", "values"):
        return _emit(_array(s, enc))
    if orient == "split":
        name = orjson.dumps(s.name if isinstance(s.name, str | None) else str(s.name))
        parts = {"name": name, "index": _labels(s.index, enc), "data": _array(s, enc)}
        return _emit(split_object(parts, enc))
    keys, quoted = _index_keys(s.index, enc, orient)
    values = column_tokens(s, enc)
    order = key_order(s.index) if enc.option("sort_keys") else None
    if order is not None:
        keys, values = [keys[i] for i in order], [values[i] for i in order]
    return _emit(cols.object_from_tokens(keys, quoted, values))


def _array(s: pd.Series[Any] | pd.Index, enc: Encoder) -> bytes:
    """A column as one JSON array: numeric numpy columns in one orjson call, others by tokens."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "biuf":
        encoded = np_enc.numeric(s.to_numpy(), np_enc.compact(enc))
        if isinstance(encoded, Raw):
            return encoded.data
    return b"[" + b",".join(column_tokens(s, enc)) + b"]"


@builtin(pd.Index)
def encode_index(index: pd.Index, enc: Encoder) -> Any:
    """An Index as a list of its values; a MultiIndex as a list of lists."""
    return _emit(_labels(index, enc))


@builtin(pd.api.extensions.ExtensionArray)
def encode_extension_array(array: Any, enc: Encoder) -> Any:
    """Categorical, nullable integer, string, sparse... arrays: a list of their values."""
    return _emit(b"[" + b",".join(column_tokens(pd.Series(array, copy=False), enc)) + b"]")


@builtin(pd.Timestamp)
def _timestamp(ts: pd.Timestamp, enc: Encoder) -> str:
    """ISO 8601 with nanoseconds and the offset kept (HTTP format when so configured)."""
    if enc.option("datetime_format") == "http":
        from werkzeug.http import http_date

        return http_date(ts.to_pydatetime())
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
