"""polars DataFrame and Series, encoded natively: no pandas, no Python loop per row.

Imported lazily by the registry the first time a polars object is seen;
:mod:`fastjson.encoders.arrow` converts pyarrow data with ``pl.from_arrow``
(zero-copy) and comes here too.

**No index.** A polars frame has no index. Where an orient needs one
(``split``, ``columns`` and ``index``, for frames and Series alike) the row
position ``0..n-1`` stands in, which is exactly what pandas does for
``pf.to_pandas()``, whose index is a default ``RangeIndex``. Every orient and
option therefore means what it means for the pandas frame, and
``dumpb(pf, **opts)`` parses to the same value as ``dumpb(pf.to_pandas(),
**opts)`` except where listed below.

**Two routes, one output**, chosen exactly as the pandas encoder chooses
them, so that for the dtypes pandas holds one to one (integers and floats
without nulls, strings, booleans without nulls, datetimes, durations,
categoricals) the bytes are equal too, not only the parsed values:

- ``records``, ``values`` and ``split`` with ``nan="null"``: every column is
  first brought to fastjson's form (:func:`_canonical`: datetimes to ISO
  strings, durations to seconds...) and polars' own writer, ``write_ndjson``,
  writes the rows. Polars writes NaN as ``null``, hence the ``nan`` condition.
- everything else (the ``columns`` and ``index`` orients, ``nan="string"``
  or ``"error"``, integers beyond 2**53 under ``big_int="string"``, cells
  polars cannot write as fastjson does): each column becomes a list of JSON
  tokens in one vectorised step (:func:`column_tokens`, numpy's
  :func:`~fastjson.encoders.numpy.tokens`) and :mod:`._columns` stitches
  the rows.

**JSON forms**, those of the pandas encoder: null is ``null``; Datetime as
``Timestamp.isoformat`` writes it (no fraction when zero, else 6 or 9
digits, the offset kept for time zones, to the minute); Date
``"YYYY-MM-DD"``; Time ``"HH:MM:SS[.ffffff]"`` as ``datetime.time``;
Duration seconds as a number; Categorical and Enum their strings; Decimal
a string with every digit, as ``str(Decimal)``; List, Array and Struct
arrays and objects; Binary an ``EncodeError``, as ``bytes`` everywhere.

**Where polars and pandas differ**, the choices made here:

- *null against NaN in float columns.* polars keeps them apart, and
  ``to_pandas()`` turns null into NaN. Here null is always ``null`` and only
  NaN follows the ``nan`` policy (as pandas' own nullable ``Float64`` treats
  ``pd.NA``), so under ``nan="string"`` or ``"error"`` a null stays ``null``
  where the converted frame writes ``"NaN"`` or raises.
- *Date.* ``to_pandas()`` makes Date columns ``datetime64[ms]``, written
  ``"2024-01-01T00:00:00"``; here a date stays ``"2024-01-01"``, as
  ``to_pandas(date_as_object=True)`` (and pyarrow's ``to_pandas``) give.
- *Integers with nulls.* ``to_pandas()`` makes them float64 (``1.0``, and
  digits lost beyond 2**53); here they stay exact integers.
- *Nested cells* (List, Array, Struct, Object) on the token route go through
  ``Series.to_list()``: Python objects, so a nested Datetime loses its
  nanoseconds there and a nested null stays ``null`` under every ``nan``.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
import polars as pl

from .._errors import EncodeError
from .._values import SAFE_INTEGER, Raw
from ..registry import builtin
from . import _columns as cols
from . import numpy as np_enc

if TYPE_CHECKING:
    from ..core import Encoder

_INTEGERS = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)
_NUMPY_NUMBERS = (*_INTEGERS, pl.Float32, pl.Float64, pl.Boolean)
"""Columns numpy encodes whole (:func:`fastjson.encoders.numpy.numeric`)."""
_CANONICAL = (pl.Datetime, pl.Duration, pl.Decimal)
"""Temporal and decimal dtypes that :func:`_canonical` rewrites (with ``pl.Time``)."""
_NEWLINES_TO_COMMAS = bytes.maketrans(b"\n", b",")


def _emit(body: bytes) -> Raw:
    """Assembled JSON as a fragment (the ``Raw`` encoder parses it for other backends)."""
    return Raw(body, trusted=True)


# -- frames --------------------------------------------------------------------


# The encoders are named apart from the pandas ones (``encode_frame``...):
# :mod:`fastjson.streaming` recognises those by name to cut pandas frames into
# row ranges, and writes these whole.


@builtin(pl.DataFrame)
def encode_polars_frame(df: pl.DataFrame, enc: Encoder) -> Raw:
    """A DataFrame in the ``orient`` option, pandas' meanings, the row position as index."""
    return _emit(frame_json(df, enc))


def frame_json(df: pl.DataFrame, enc: Encoder, labels: list[str] | None = None) -> bytes:
    """The JSON of ``df``; ``labels`` names the columns of ``split`` when they are not
    ``df.columns`` (an Arrow table with duplicate names, renamed to enter polars)."""
    orient = enc.option("orient")
    if orient == "values":
        return _rows(df, enc)
    if orient == "split":
        names = orjson.dumps(df.columns if labels is None else labels)
        members = {"columns": names, "index": _positions(df.height), "data": _rows(df, enc)}
        return _split_object(members, enc)
    if enc.option("sort_keys"):  # by position: pl.col("^a.*$") would be a regex
        df = df.select(pl.nth(sorted(range(df.width), key=df.columns.__getitem__)))
    return _records(df, enc) if orient == "records" else _keyed(df, enc, orient)


def _keyed(df: pl.DataFrame, enc: Encoder, orient: str) -> bytes:
    """``columns`` (``{"col":{"0":v,...}}``) and ``index`` (``{"0":{"col":v},...}``),
    keyed by row position, from column tokens as the pandas encoder builds them."""
    columns = _frame_columns(df, enc)
    keys = cols.keys_of(df.columns)
    rows = _position_keys(df.height)
    if orient == "columns":
        members = [
            key + b":" + cols.object_from_tokens(rows, False, column)
            for key, column in zip(keys, columns, strict=True)
        ]
        return b"{" + b",".join(members) + b"}"
    body = cols.object_rows(keys, columns, df.height, lead=cols.key_slots(rows, False))
    return b"{" + body[1:] + b"}"


def _split_object(parts: dict[str, bytes], enc: Encoder) -> bytes:
    """The ``split`` object from its encoded members, sorted under ``sort_keys`` as
    ``json`` sorts ``to_dict("split")`` (the pandas encoder's order, for equal bytes)."""
    names = sorted(parts) if enc.option("sort_keys") else list(parts)
    return b"{" + b",".join(b'"' + n.encode() + b'":' + parts[n] for n in names) + b"}"


def _records(df: pl.DataFrame, enc: Encoder) -> bytes:
    """``[{"col": value, ...}, ...]``: polars' writer when it applies, else by tokens."""
    buffer = _ndjson(df, enc, prefix=b"[")
    if buffer is None:
        return cols.records_from_columns(df.columns, _frame_columns(df, enc), df.height)
    if buffer.tell() == 1:  # no rows
        return b"[]"
    buffer.seek(-1, io.SEEK_END)
    buffer.write(b"]")  # over the last row's newline; the others become commas
    return buffer.getvalue().translate(_NEWLINES_TO_COMMAS)


def _rows(df: pl.DataFrame, enc: Encoder) -> bytes:
    """``[[value, ...], ...]`` (``values``, the ``data`` of ``split``).

    polars writes rows as objects; the pandas route's rewriting of
    ``{"c0":a,"c1":b}`` lines into arrays (one numpy pass over the buffer)
    makes them arrays. That helper lives with the pandas route, so without
    pandas installed the rows are assembled from tokens.
    """
    names = [f"c{i}" for i in range(df.width)]
    buffer = _ndjson(df.rename(dict(zip(df.columns, names, strict=True))), enc)
    if buffer is not None:
        if buffer.tell() == 0:
            return b"[]"
        try:
            from ._polars import _objects_to_arrays
        except ImportError:  # pandas missing
            pass
        else:
            rows = _objects_to_arrays(buffer.getvalue(), names)
            if rows is not None:
                return rows
    return cols.rows_from_columns(_frame_columns(df, enc), df.height)


def _positions(n: int) -> bytes:
    """``[0,1,...,n-1]``: the index pandas gives a converted frame (a ``RangeIndex``)."""
    return orjson.dumps(np.arange(n, dtype=np.int64), option=orjson.OPT_SERIALIZE_NUMPY)


def _position_keys(n: int) -> list[bytes]:
    """Row positions as key tokens (unquoted: :func:`cols.key_slots` adds the quotes)."""
    return _positions(n)[1:-1].split(b",") if n else []


def _frame_columns(df: pl.DataFrame, enc: Encoder) -> list[list[bytes]]:
    """Tokens of every column; an error names the row and column where it sat."""
    columns = []
    for j, series in enumerate(df.iter_columns()):
        try:
            columns.append(column_tokens(series, enc))
        except EncodeError as exc:
            raise _in_frame(exc, series.name, j, enc.option("orient")) from exc.__cause__
    return columns


def _in_frame(exc: EncodeError, name: str, j: int, orient: str) -> EncodeError:
    """``exc`` (raised for column ``j``, its path starting ``$[row]``) as seen from the frame:
    ``$[2].o`` for records, ``$.o["2"]`` for columns, ``$.data[2][1]`` for split...
    """
    column = _member(name)
    if not exc.path.startswith("$["):  # the column as a whole
        error = EncodeError(f"{exc.reason} (column {name!r})", exc.path)
        error.__cause__ = exc
        return error
    row_end = exc.path.index("]")
    row = exc.path[2:row_end]
    label = _member(row)  # the row position is the label: ["2"], as pandas writes it
    prefix = {
        "records": f"$[{row}]{column}",
        "values": f"$[{row}][{j}]",
        "split": f"$.data[{row}][{j}]",
        "columns": f"${column}{label}",
        "index": f"${label}{column}",
    }[orient]
    return exc.at(prefix + exc.path[row_end + 1 :])


def _member(key: str) -> str:
    """A key as a path step: ``.name`` for identifiers, ``["any key"]`` otherwise."""
    return f".{key}" if key.isidentifier() else f"[{orjson.dumps(key).decode()}]"


# -- polars' writer ------------------------------------------------------------


def _ndjson(df: pl.DataFrame, enc: Encoder, prefix: bytes = b"") -> io.BytesIO | None:
    """``prefix`` then one JSON object per row and line, written by polars, or ``None``
    when polars would not write exactly what the token route writes."""
    if enc.option("nan") != "null" or df.width == 0:
        return None
    if enc.option("datetime_format") != "iso" and any(
        isinstance(dtype, pl.Datetime) for dtype in df.dtypes
    ):
        return None  # as the pandas route: http dates by tokens, for equal bytes
    if not all(_writable(dtype, enc) for dtype in df.dtypes):
        return None
    if any(_has_big_int(series, enc) for series in df.iter_columns()):
        return None
    frame = pl.DataFrame([_canonical(series, enc) for series in df.iter_columns()])
    buffer = io.BytesIO()
    buffer.write(prefix)
    frame.write_ndjson(buffer)
    return buffer


def _has_big_int(series: pl.Series, enc: Encoder) -> bool:
    """An integer column holding a value that ``big_int="string"`` quotes."""
    if enc.option("big_int") != "string" or not series.dtype.is_integer():
        return False
    if series.dtype in (pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt16, pl.UInt32):
        return False
    low, high = series.min(), series.max()  # None for a column of nulls
    if not isinstance(low, int) or not isinstance(high, int):
        return False
    return high > SAFE_INTEGER or low < -SAFE_INTEGER


def _writable(dtype: Any, enc: Encoder, nested: bool = False) -> bool:
    """Whether polars writes values of ``dtype`` as fastjson does, once a column of it
    has been through :func:`_canonical` (which reaches top-level columns only).

    Nested integers could exceed 2**53 unseen, nested dates are ISO only, and
    a struct writes its fields in order, so under ``sort_keys`` only sorted ones.
    Binary, Object and 16-bit floats are not written here (polars cannot, or
    not with fastjson's digits).
    """
    if not nested and (isinstance(dtype, _CANONICAL) or dtype == pl.Time):
        return True
    if dtype.is_integer():
        return not nested or bool(enc.option("big_int") == "number")
    if dtype in (pl.Float32, pl.Float64, pl.Boolean, pl.String, pl.Null):
        return True
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return True
    if dtype == pl.Date:
        return bool(enc.option("datetime_format") == "iso")
    if isinstance(dtype, pl.List | pl.Array):
        return _writable(dtype.inner, enc, nested=True)
    if isinstance(dtype, pl.Struct):
        names = [field.name for field in dtype.fields]
        if enc.option("sort_keys") and names != sorted(names):
            return False
        return all(_writable(field.dtype, enc, nested=True) for field in dtype.fields)
    return False


# -- columns -------------------------------------------------------------------


def column_tokens(series: pl.Series, enc: Encoder) -> list[bytes]:
    """The JSON text of every value of a column, chosen by dtype, vectorised.

    Errors carry the row (``$[3]``); :func:`_in_frame` adds the column.
    """
    series = _canonical(series, enc)
    dtype = series.dtype
    if dtype == pl.Null:
        return [b"null"] * len(series)
    if dtype in _NUMPY_NUMBERS or dtype == pl.Float16:
        if series.null_count():
            return _masked_tokens(series, enc)
        return np_enc.tokens(series.to_numpy(), enc)
    if isinstance(dtype, pl.Categorical | pl.Enum):
        series = series.cast(pl.String)
    if series.dtype == pl.String or series.dtype.is_integer():  # strings, 128-bit integers
        return np_enc.tokens(series.to_list(), enc, scalars=True)
    return np_enc.tokens(series.to_list(), enc)  # nested, binary, object: cell by cell


def _masked_tokens(series: pl.Series, enc: Encoder) -> list[bytes]:
    """Numbers with nulls: the values with nulls filled, plus the null mask."""
    null = series.is_null().to_numpy()
    values = series.fill_null(False if series.dtype == pl.Boolean else 0).to_numpy()
    encoded = np_enc.numeric(values, np_enc.compact(enc), null=null)
    if isinstance(encoded, Raw):
        return encoded.data[1:-1].split(b",")
    return np_enc.tokens(encoded.items, enc, scalars=True)


def _canonical(series: pl.Series, enc: Encoder) -> pl.Series:
    """``series`` with its values in the form fastjson writes them, where polars' own
    differs (datetimes, times, durations, decimals); other dtypes unchanged."""
    dtype = series.dtype
    http = enc.option("datetime_format") == "http"
    if isinstance(dtype, pl.Datetime):
        return _http_strings(series) if http else _select(series, _iso_datetime(dtype))
    if dtype == pl.Date and http:
        return _http_strings(series)
    if dtype == pl.Time:
        return _select(series, _iso_time)
    if isinstance(dtype, pl.Duration):
        return _seconds(series)
    if isinstance(dtype, pl.Decimal):
        return _decimal_strings(series, dtype.scale)
    return series


def _select(series: pl.Series, expression: Any) -> pl.Series:
    """``expression(column)`` evaluated over ``series``, keeping its name."""
    return series.to_frame().select(expression(pl.first()).alias(series.name)).to_series()


def _http_strings(series: pl.Series) -> pl.Series:
    """RFC 822 dates in GMT, by numpy, as the pandas and numpy encoders write them."""
    if isinstance(series.dtype, pl.Datetime) and series.dtype.time_zone is not None:
        series = series.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    strings = np_enc.datetime_strings(series.to_numpy(), "http")
    return pl.Series(series.name, strings.tolist(), dtype=pl.String)


def _seconds(series: pl.Series) -> pl.Series:
    """Durations as float seconds, by numpy's division as everywhere else in fastjson
    (polars multiplies by the reciprocal, which can differ in the last bit)."""
    seconds = np_enc.timedelta_seconds(series.to_numpy())
    return pl.Series(series.name, seconds, nan_to_null=True)


def _decimal_strings(series: pl.Series, scale: int) -> pl.Series:
    """Decimals as ``str(Decimal)`` writes them.

    polars writes the plain form (``0.00000010``); Python switches to the
    exponent form (``1.0E-7``) below 1e-6 at more than 6 decimals. Only those
    values are formatted in Python.
    """
    strings = series.cast(pl.String)
    tiny = strings.str.strip_prefix("-").str.starts_with("0.000000")
    if scale <= 6 or not tiny.any():
        return strings
    positions = tiny.arg_true()
    exact = [str(d) for d in series.gather(positions).to_list()]
    return strings.scatter(positions, exact)


def _iso_datetime(dtype: Any) -> Any:
    """The expression writing a Datetime column as ``Timestamp.isoformat`` does.

    The offset is written to the minute, truncated (``%:z``), as fastjson
    writes a ``datetime``'s: New York's local mean time of 1850, -4:56:02,
    is ``-04:56``.
    """
    if dtype.time_zone is None:
        return _iso_naive
    return lambda col: pl.concat_str(
        [_iso_naive(col.dt.replace_time_zone(None)), col.dt.to_string("%:z")]
    )


def _iso_naive(col: Any) -> Any:
    """``2024-03-01T12:30:00``, with ``.ffffff`` or ``.fffffffff`` when not whole seconds."""
    ns = col.dt.nanosecond()
    fraction = (
        pl.when(ns == 0)
        .then(pl.lit(""))
        .when(ns % 1000 == 0)
        .then(pl.concat_str([pl.lit("."), (ns // 1000).cast(pl.String).str.zfill(6)]))
        .otherwise(pl.concat_str([pl.lit("."), ns.cast(pl.String).str.zfill(9)]))
    )
    return pl.concat_str([col.dt.to_string("%Y-%m-%dT%H:%M:%S"), fraction])


def _iso_time(col: Any) -> Any:
    """``HH:MM:SS`` or ``HH:MM:SS.ffffff`` as ``datetime.time.isoformat`` (microseconds)."""
    micros = col.dt.nanosecond() // 1000
    fraction = pl.concat_str([pl.lit("."), micros.cast(pl.String).str.zfill(6)])
    return pl.concat_str(
        [col.dt.to_string("%H:%M:%S"), pl.when(micros == 0).then(pl.lit("")).otherwise(fraction)]
    )


# -- series and lazy frames ----------------------------------------------------


@builtin(pl.Series)
def encode_polars_series(series: pl.Series, enc: Encoder) -> Raw:
    """A list of values (``records``/``values``), or pandas' other orients of a Series."""
    return _emit(series_json(series, enc))


def series_json(series: pl.Series, enc: Encoder) -> bytes:
    """The JSON of a Series in the ``orient`` option, the row position as its index."""
    orient = enc.option("orient")
    if orient in ("records", "values"):
        return array_json(series, enc)
    try:
        values = column_tokens(series, enc)
    except EncodeError as exc:
        raise _in_series(exc, orient) from exc.__cause__
    if orient == "split":
        data = b"[" + b",".join(values) + b"]"
        parts = {"name": orjson.dumps(series.name), "index": _positions(len(series)), "data": data}
        return _split_object(parts, enc)
    return cols.object_from_tokens(_position_keys(len(series)), False, values)


def _in_series(exc: EncodeError, orient: str) -> EncodeError:
    """``exc`` (its path starting ``$[row]``) as seen from the Series in ``orient``."""
    if not exc.path.startswith("$["):
        return exc
    row_end = exc.path.index("]")
    row = exc.path[2:row_end]
    prefix = f"$.data[{row}]" if orient == "split" else "$" + _member(row)
    return exc.at(prefix + exc.path[row_end + 1 :])


def array_json(series: pl.Series, enc: Encoder) -> bytes:
    """A column as one JSON array: numbers without nulls in one orjson call."""
    if series.dtype in _NUMPY_NUMBERS and not series.null_count():
        encoded = np_enc.numeric(series.to_numpy(), np_enc.compact(enc))
        if isinstance(encoded, Raw):
            return encoded.data
    return b"[" + b",".join(column_tokens(series, enc)) + b"]"


@builtin(pl.LazyFrame)
def _lazy(frame: pl.LazyFrame, enc: Encoder) -> Any:
    """A LazyFrame is a query, not data: running it here would hide its cost."""
    raise EncodeError(
        "a polars.LazyFrame is a query, not data: call .collect() on it and encode "
        "the DataFrame it returns"
    )
