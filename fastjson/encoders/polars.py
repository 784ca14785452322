"""polars DataFrame and Series, and what the token route reads of their columns.

:mod:`fastjson.encoders.arrow` converts pyarrow data with ``pl.from_arrow``
(zero-copy) and comes here too. Rows are written by polars (:mod:`._polars_rows`)
or from tokens (:func:`encoded_tokens`), as :mod:`._route` decides.

**No index.** Where an orient needs one (``split``, ``columns``, ``index``) the
row position ``0..n-1`` stands in, as for ``pf.to_pandas()``, so every orient
and option means what it means for the pandas frame, and the bytes are those
of the converted frame for the dtypes pandas holds one to one.

**Where polars and pandas differ**: null and NaN stay apart in float columns
(null is always ``null``, only NaN follows ``nan``); a Date stays
``"2024-01-01"``; integers with nulls stay exact integers; nested cells on
the token route go through ``Series.to_list()`` (a nested Datetime loses its
nanoseconds there). Other JSON forms are the pandas encoder's; Decimal is
``str(Decimal)``, Binary the UTF-8 text it holds.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import orjson
import polars as pl

from .._errors import EncodeError
from .._values import Raw
from ..registry import builtin
from . import _columns as cols
from . import _tokens as tok
from . import numpy as np_enc
from ._polars_rows import (
    FastTable,
    Positions,
    exact_numbers,
    fast_applies,
    iso_datetime,
    iso_time,
    positions,
)
from ._route import use_polars
from ._source import Kind, Source, provides

if TYPE_CHECKING:
    from ..core import Encoder

_NARROW = (pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt16, pl.UInt32)
_NUMPY_NUMBERS = (*_NARROW, pl.Int64, pl.UInt64, pl.Float32, pl.Float64, pl.Boolean)
"""Columns numpy encodes whole (:func:`fastjson.encoders.numpy.numeric`)."""

_F = TypeVar("_F", bound=Callable[..., Any])


def guarded(func: _F) -> _F:
    """``func`` with polars' panics (a ``BaseException``, which no ``except Exception``
    sees, so a server would send no reply at all) turned into an ``EncodeError``."""

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except pl.exceptions.PanicException as exc:
            raise EncodeError(f"polars failed on this data: {exc}") from exc

    return call  # type: ignore[return-value]


# -- frames --------------------------------------------------------------------


@builtin(pl.DataFrame)
@provides(lambda df: TableSource(df, _same, df.columns))
def encode_polars_frame(df: pl.DataFrame, enc: Encoder) -> Raw:
    """A DataFrame in the ``orient`` option, pandas' meanings, the row position as index."""
    return Raw(frame_json(df, enc), trusted=True)


@guarded
def frame_json(df: pl.DataFrame, enc: Encoder, labels: list[str] | None = None) -> bytes:
    """The JSON of ``df``; ``labels`` names the columns of ``split`` when they are not
    ``df.columns`` (an Arrow table with duplicate names, renamed to enter polars)."""
    orient = enc.option("orient")
    if enc.option("sort_keys") and orient in ("records", "columns", "index"):
        df = _sorted(df)
    table, blocks = _table(df, enc, orient, orient == "columns" and _keyed_whole(df))
    return cols.write_frame(
        table,
        orient,
        df.height,
        tok.keys_of(df.columns),
        lambda: orjson.dumps(df.columns if labels is None else labels),
        enc.option("sort_keys"),
        row_bytes(df),
        blocks,
    )


def _sorted(df: pl.DataFrame) -> pl.DataFrame:
    order = cols.key_order(df.columns)
    return df if order is None else df.select(pl.nth(order))


def _table(
    df: pl.DataFrame, enc: Encoder, orient: str, pure_faster: bool = False, series: bool = False
) -> tuple[cols.Table, cols.Blocks]:
    """The writer of ``df``'s rows in ``orient``, by the route decision, and its blocks."""
    exact = fast_applies(df.dtypes, enc) and not any(
        _has_big_int(column, enc) for column in df.iter_columns()
    )
    if use_polars(exact, pure_faster):
        return FastTable(Positions(df), df.columns, enc), cols.POLARS
    return _Tokens(df, enc, orient, series), cols.PURE


def _has_big_int(series: pl.Series, enc: Encoder) -> bool:
    """A 64-bit (or wider) integer column holding a value that ``big_int="string"`` quotes."""
    if enc.option("big_int") != "string" or not series.dtype.is_integer():
        return False
    return series.dtype not in _NARROW and np_enc.beyond_safe(series.min(), series.max())


def _keyed_whole(df: pl.DataFrame) -> bool:
    """Whether ``columns`` is faster on the token route: every column numbers or booleans
    with no null, each encoded whole by numpy and stitched with the row labels
    (:func:`~._tokens.keyed`), where polars builds a string a cell."""
    whole = (s.dtype in _NUMPY_NUMBERS and not s.null_count() for s in df.iter_columns())
    return all(whole)


def row_bytes(df: pl.DataFrame) -> int:
    return cols.row_bytes(df.columns, map(_cell_bytes, df.iter_columns()))


def _cell_bytes(series: pl.Series) -> int:
    if series.dtype.is_numeric() or series.dtype == pl.Boolean:
        return 24
    if series.dtype in (pl.String, pl.Binary) or series.dtype.is_nested():
        return 4 + int(series.estimated_size()) // max(1, len(series))  # no pass
    return 40


class _Tokens(cols.TokenTable):
    """The token route's blocks: :func:`encoded_tokens` of each column's rows."""

    def __init__(self, df: pl.DataFrame, enc: Encoder, orient: str, series: bool) -> None:
        super().__init__(orient, df.columns, df.height, series)
        self.df = df
        self.enc = enc

    def read(self, k: int, i: int, j: int) -> tok.Tokens:
        return encoded_tokens(self.df.to_series(k).slice(i, j - i), self.enc)

    def row_keys(self, i: int, j: int) -> tuple[tok.Tokens, bool]:
        return tok.Joined(positions(i, j)[1:-1], b","), False

    def row_leads(self, i: int, j: int) -> tok.Leads:
        return tok.counting_leads(i, j)

    def labels(self, i: int, j: int) -> list[bytes]:
        return [b"," + positions(i, j)[1:-1]]


# -- columns -------------------------------------------------------------------


@guarded
def encoded_tokens(series: pl.Series, enc: Encoder) -> tok.Tokens:
    """The JSON text of every value of a column, chosen by dtype, vectorised, in the form
    encoding gives. Errors carry the row (``$[3]``); the table adds the column."""
    series = _canonical(series, enc)
    dtype = series.dtype
    if dtype == pl.Null:
        return [b"null"] * len(series)
    if dtype in _NUMPY_NUMBERS or dtype == pl.Float16:
        if series.null_count():
            return np_enc.masked_tokens(*_values_and_nulls(series), enc)
        return np_enc.encoded_tokens(series.to_numpy(), enc)
    if isinstance(dtype, pl.Datetime | pl.Date):  # naive: numpy's, as pandas' are written
        return np_enc.encoded_tokens(series.to_numpy(), enc)
    if isinstance(dtype, pl.Categorical | pl.Enum):
        categories = _categories(series, enc)
        if categories is not None:
            return categories
        series = series.cast(pl.String)
    if series.dtype == pl.String and len(series) > 500:  # from Arrow's buffers
        arrow = series.to_arrow(compat_level=pl.CompatLevel.oldest())  # not string views
        fast = tok.arrow_strings(arrow)
        if fast is not None:
            return fast
    if series.dtype == pl.String or series.dtype.is_integer():  # strings, 128-bit integers
        return np_enc.encoded_tokens(series.to_list(), enc, scalars=True)
    return np_enc.encoded_tokens(series.to_list(), enc)  # nested, binary, object: each


def _values_and_nulls(series: pl.Series) -> tuple[Any, Any]:
    """A numeric or boolean column with nulls as its values (any value where null) and its
    null mask: from Arrow's buffers, in place, where pyarrow is installed (a tenth of
    the time of ``fill_null`` and ``is_null``, each a polars query)."""
    try:
        array = series.to_arrow()
    except ImportError:
        values = series.fill_null(False if series.dtype == pl.Boolean else 0).to_numpy()
        return values, series.is_null().to_numpy()
    validity, data = array.buffers()
    n, start = len(array), array.offset
    present = np.unpackbits(np.frombuffer(validity, np.uint8), bitorder="little")
    if series.dtype == pl.Boolean:
        bits = np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")
        values = bits[start : start + n].astype(bool)
    else:
        values = np.frombuffer(data, array.type.to_pandas_dtype())[start : start + n]
    return values, present[start : start + n] == 0


def _categories(series: pl.Series, enc: Encoder) -> tok.Lookup | None:
    """Each category encoded once and picked by code, from Arrow's dictionary (polars
    exports only the categories the column holds); ``None`` without pyarrow."""
    try:
        array = series.to_arrow()
    except ImportError:
        return None
    table = tok.as_list(encoded_tokens(pl.Series(array.dictionary), enc))
    codes = array.indices.fill_null(len(table)).to_numpy(zero_copy_only=False)
    return tok.Lookup([*table, b"null"], codes.astype(np.int64, copy=False))


def _canonical(series: pl.Series, enc: Encoder) -> pl.Series:
    """``series`` with its values in the form fastjson writes them, where polars' own
    differs (datetimes, times, durations, decimals); other dtypes unchanged."""
    dtype = series.dtype
    http = enc.option("datetime_format") == "http"
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        if http:  # the same instants, naive in UTC
            return series.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return _select(series, iso_datetime(dtype))
    if dtype == pl.Time:
        return _select(series, iso_time)
    if dtype == pl.Binary:
        return _utf8(series)
    return exact_numbers(series)


def _utf8(series: pl.Series) -> pl.Series:
    """Binary values as the UTF-8 text they hold, as numpy's bytes arrays are written."""
    try:
        return series.cast(pl.String)
    except pl.exceptions.ComputeError:
        pass
    for row, value in enumerate(series.to_list()):  # only to say where: this fails anyway
        try:
            value is None or value.decode()
        except UnicodeDecodeError:
            reason = f"bytes that are not UTF-8 have no JSON form: {value!r}"
            raise EncodeError(reason, f"$[{row}]") from None
    raise EncodeError("a Binary column holds bytes that are not UTF-8")


def _select(series: pl.Series, expression: Any) -> pl.Series:
    """``expression(column)`` evaluated over ``series``, keeping its name."""
    return series.to_frame().select(expression(pl.first()).alias(series.name)).to_series()


# -- series --------------------------------------------------------------------


@builtin(pl.Series)
@provides(lambda series: ColumnSource(series, "series", _same))
@guarded
def encode_polars_series(series: pl.Series, enc: Encoder) -> Raw:
    """A list of values (``records``/``values``), or pandas' other orients of a Series,
    the row position as its index."""
    orient = enc.option("orient")
    if orient in ("records", "values"):
        return Raw(array_json(series, enc), trusted=True)
    return Raw(_series(series, enc, orient), trusted=True)


def array_json(series: pl.Series, enc: Encoder) -> bytes:
    """A column as one JSON array: numbers without nulls in one orjson call."""
    if series.dtype in _NUMPY_NUMBERS and not series.null_count():
        encoded = np_enc.numeric(series.to_numpy(), np_enc.compact(enc))
        if isinstance(encoded, Raw):
            return encoded.data
    return _series(series, enc, "values")


def _series(series: pl.Series, enc: Encoder, orient: str) -> bytes:
    """A Series by blocks, through polars or by tokens as a frame's column would be."""
    table, blocks = _table(series.to_frame(), enc, orient, series=True)
    name = orjson.dumps(series.name)
    return cols.write_series(table, orient, len(series), name, enc.option("sort_keys"), blocks)


def _same(data: Any) -> Any:
    return data


class TableSource(Source):
    """A polars frame, or an Arrow table or record batch, as a :class:`~._source.Source`.

    Ranges are ``table.slice``: a slice's row positions start again at 0, so only
    ``records`` and ``values`` (whose rows carry no label) stream by ranges.
    ``frame`` turns a range into the polars frame NDJSON is written from.
    """

    kind: Kind = "frame"

    def __init__(self, table: Any, frame: Any, names: list[str]) -> None:
        self.table = table
        self.frame = frame
        self.names = names
        self.rows = int(table.num_rows if hasattr(table, "num_rows") else table.height)
        self.cells = self.rows * len(names)
        self.row_bytes = 16 + 24 * max(1, len(names))

    def part(self, i: int, j: int) -> Any:
        return self.table.slice(i, j - i)

    def width(self) -> int:
        return len(self.names)

    def column_key(self, k: int) -> bytes:
        return tok.keys_of([self.names[k]])[0]

    @guarded
    def lines(self, i: int, j: int, enc: Encoder) -> bytes:
        """Each line by the route ``dumpb`` takes for the frame's rows."""
        cols.check_unique(self.names, "column name", "records")
        df, enc = self.frame(self.part(i, j)), enc.replace(orient="records")
        if enc.option("sort_keys"):
            df = _sorted(df)
        if not df.height:
            return b""
        return b"".join(_table(df, enc, "records")[0].lines(0, df.height))

    def arrow(self, rows: int) -> tuple[Any, Any]:
        table = self.table.to_arrow() if isinstance(self.table, pl.DataFrame) else self.table
        return iter(table.to_batches(max_chunksize=rows)), table.schema


class ColumnSource(Source):
    """A polars Series (kind ``series``), or an Arrow array (``array``: a list whatever
    the orient), as a :class:`~._source.Source`; ranges by ``slice``, as tables."""

    def __init__(self, column: Any, kind: Kind, series: Any) -> None:
        self.column_data = column
        self.kind = kind
        self.series = series
        self.rows = self.cells = len(column)

    def part(self, i: int, j: int) -> Any:
        return self.column_data.slice(i, j - i)

    def header(self) -> Any:
        return getattr(self.column_data, "name", None)

    def lines(self, i: int, j: int, enc: Encoder) -> bytes:
        tokens = tok.as_list(encoded_tokens(self.series(self.part(i, j)), enc))
        return b"".join(token + b"\n" for token in tokens)

    def arrow(self, rows: int) -> tuple[Any, Any]:
        import pyarrow as pa

        data = self.column_data
        table = data.to_frame().to_arrow() if isinstance(data, pl.Series) else None
        if table is None:
            table = pa.table({"values": data})
        return iter(table.to_batches(max_chunksize=rows)), table.schema
