"""polars DataFrame and Series, and what the token route reads of their columns.

:mod:`fastjson.encoders.arrow` converts pyarrow data with ``pl.from_arrow``
(zero-copy) and comes here too. Each column's tokens (:func:`encoded_tokens`) are
stitched into rows by the one table writer (:mod:`._columns`).

**No index.** Where an orient needs one (``split``, ``columns``, ``index``) the
row position ``0..n-1`` stands in, as for ``pf.to_pandas()``, so every orient
and option means what it means for the pandas frame, and the bytes are those
of the converted frame for the dtypes pandas holds one to one.

**Where polars and pandas differ**: null and NaN stay apart in float columns
(null is always ``null``, only NaN follows ``nan``); a Date stays
``"2024-01-01"``; integers with nulls stay exact integers; nested cells on
polars' expressions write where they write what fastjson writes (dates, lists,
structs of numbers and strings), else go through ``Series.to_list()``, their dates and
times written by the writer of columns. Other JSON forms are the pandas encoder's; Decimal is
``str(Decimal)``, Binary the UTF-8 text it holds.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import orjson
import polars as pl

from .._errors import EncodeError
from .._values import Raw
from ..registry import builtin
from . import _columns as cols
from . import _datetimes as dates
from . import _tokens as tok
from . import numpy as np_enc
from . import reads_arrow
from ._source import Kind, NoArrowForm, Source, provides

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
    return cols.write_frame(
        _Tokens(df, enc, orient, series=False),
        lambda: orjson.dumps(df.columns if labels is None else labels),
        enc.option("sort_keys"),
        row_bytes(df),
    )


def _sorted(df: pl.DataFrame) -> pl.DataFrame:
    order = cols.key_order(df.columns)
    return df if order is None else df.select(pl.nth(order))


def row_bytes(df: pl.DataFrame) -> int:
    return cols.row_bytes(df.columns, map(_cell_bytes, df.iter_columns()))


def _cell_bytes(series: pl.Series) -> int:
    if series.dtype.is_numeric() or series.dtype == pl.Boolean:
        return 24
    if series.dtype in (pl.String, pl.Binary) or series.dtype.is_nested():
        return 4 + int(series.estimated_size()) // max(1, len(series))  # no pass
    return 40


class _Tokens(cols.TokenTable):
    """A frame's blocks: :func:`encoded_tokens` of each column's rows."""

    def __init__(self, df: pl.DataFrame, enc: Encoder, orient: str, series: bool) -> None:
        super().__init__(orient, df.columns, df.height, series)
        self.df = df
        self.enc = enc

    def read(self, k: int, i: int, j: int) -> tok.Tokens:
        return encoded_tokens(self.df.to_series(k).slice(i, j - i), self.enc)

    def row_keys(self, i: int, j: int) -> tuple[tok.Tokens, bool]:
        return tok.Joined(positions(i, j)[1:-1], b","), False

    def row_leads(self, i: int, j: int) -> tok.Packed:
        return tok.counting_leads(i, j)

    def labels(self, i: int, j: int) -> list[bytes]:
        return [b"," + positions(i, j)[1:-1]]


# -- columns -------------------------------------------------------------------


@guarded
def encoded_tokens(series: pl.Series, enc: Encoder) -> tok.Tokens:
    """The JSON text of every value of a column, chosen by dtype, vectorised, in the form
    encoding gives. Errors carry the row (``$[3]``); the table adds the column."""
    series = _utf8(series) if series.dtype == pl.Binary else exact_numbers(series)
    dtype = series.dtype
    if dtype == pl.Time:
        return dates.time_tokens(series.cast(pl.Duration("ns")).to_numpy())
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return np_enc.encoded_tokens(_zoned_strings(series, enc), enc, scalars=True)
    if dtype == pl.Null:
        return [b"null"] * len(series)
    if dtype in _NUMPY_NUMBERS or dtype == pl.Float16:
        if series.null_count():
            values, null = _values_and_nulls(series)
            return np_enc.encoded_tokens(values, enc, null=null)
        return np_enc.encoded_tokens(series.to_numpy(), enc)
    arrow = _through_arrow()
    if dtype == pl.Date and arrow and enc.option("datetime_format") == "iso" and _in_years(series):
        return _written(series)
    if isinstance(dtype, pl.Datetime | pl.Date):  # naive: numpy's, as pandas' are written
        return np_enc.encoded_tokens(series.to_numpy(), enc)
    if isinstance(dtype, pl.Categorical | pl.Enum):
        if arrow:
            return _categories(series, enc)
        series = series.cast(pl.String)
    if series.dtype == pl.String and len(series) > 500 and arrow:  # from Arrow's buffers
        fast = tok.arrow_strings(series.to_arrow(compat_level=pl.CompatLevel.oldest()))
        if fast is not None:
            return fast
    if dtype.is_nested():
        in_years = _in_years(series)
        if arrow and in_years and _writable(dtype, enc):
            return _written(series)
        if not in_years or any(_finer_than_python(leaf) for leaf in _leaves_of(dtype)):
            return np_enc.encoded_tokens(_nested_times(series, enc), enc)
    if series.dtype == pl.String or series.dtype.is_integer():  # strings, 128-bit integers
        return np_enc.encoded_tokens(series.to_list(), enc, scalars=True)
    return np_enc.encoded_tokens(series.to_list(), enc)  # nested, binary, object: each


_TIMES = (pl.Date, pl.Datetime, pl.Duration, pl.Time)


def _leaves_of(dtype: Any) -> Iterator[Any]:
    """The dtypes of the values a nested dtype holds, in lists and structs."""
    if isinstance(dtype, pl.List | pl.Array):
        yield from _leaves_of(dtype.inner)
    elif isinstance(dtype, pl.Struct):
        for field in dtype.fields:
            yield from _leaves_of(field.dtype)
    else:
        yield dtype


def _in_years(series: pl.Series) -> bool:
    """Whether every date and datetime in ``series`` (nested too) is in the years 1 to
    9999: those Python holds and polars writes as the column writer does (it writes
    ``-0043-03-15`` where the column writer writes ``-000043-03-15``)."""
    dtype = series.dtype
    if not any(isinstance(leaf, pl.Date | pl.Datetime) for leaf in _leaves_of(dtype)):
        return True
    if isinstance(dtype, pl.List):
        return _in_years(series.list.explode())
    if isinstance(dtype, pl.Array):
        return _in_years(series.arr.explode())
    if isinstance(dtype, pl.Struct):
        return all(_in_years(series.struct.field(f.name)) for f in dtype.fields)
    if series.null_count() == len(series):
        return True
    years = series.dt.year()
    return bool(years.min() >= 1 and years.max() <= 9999)  # type: ignore[operator]


def _finer_than_python(leaf: Any) -> bool:
    """Whether values of ``leaf`` are changed by Python's ``datetime``, ``timedelta`` and
    ``time`` (what ``to_list`` gives): nanoseconds (every ``Time``), and zoned datetimes,
    whose offsets must come from polars' zone data, not ``zoneinfo``. Coarser naive ones
    are exact in Python, and written there as fast."""
    if isinstance(leaf, pl.Datetime) and leaf.time_zone is not None:
        return True
    return leaf == pl.Time or (
        isinstance(leaf, pl.Datetime | pl.Duration) and leaf.time_unit == "ns"
    )


def _nested_times(series: pl.Series, enc: Encoder) -> list[Any]:
    """The cells of a nested column whose times are what the column writer makes of them.

    ``to_list`` would give Python's ``datetime``, ``timedelta`` and ``time``. Instead the
    times are read as the integers they are stored as (a cast that recurses into lists
    and structs), gathered in order, written at once by the column writer, and put back.
    """
    cells, column = series.cast(_as_integers(series.dtype)).to_list(), pl.List(series.dtype)
    gathered: dict[Any, list[int]] = {}
    _mapper(column, lambda leaf: gathered.setdefault(leaf, []).append)(cells)
    written = {leaf: iter(_times(leaf, ints, enc)) for leaf, ints in gathered.items()}
    # next(written, t) for the time t: the written value, gathered in the same order
    result: list[Any] = _mapper(column, lambda leaf: functools.partial(next, written[leaf]))(cells)
    return result


def _as_integers(dtype: Any) -> Any:
    if isinstance(dtype, pl.List):
        return pl.List(_as_integers(dtype.inner))
    if isinstance(dtype, pl.Array):
        return pl.Array(_as_integers(dtype.inner), dtype.size)
    if isinstance(dtype, pl.Struct):
        return pl.Struct([pl.Field(f.name, _as_integers(f.dtype)) for f in dtype.fields])
    return pl.Int64 if isinstance(dtype, _TIMES) else dtype


def _mapper(dtype: Any, at: Callable[[Any], Callable[[int], Any]]) -> Callable[[Any], Any]:
    """A function of a cell of ``dtype`` (as ``to_list`` gives it, times as integers) that
    gives it back with each time ``t`` replaced by ``at(its dtype)(t)``, nulls left as
    they are; made once per column, so that a cell costs no test of its dtype."""
    if isinstance(dtype, pl.List | pl.Array):
        inner = _mapper(dtype.inner, at)
        return lambda value: None if value is None else [inner(item) for item in value]
    if isinstance(dtype, pl.Struct):
        fields = [(f.name, _mapper(f.dtype, at)) for f in dtype.fields]
        return lambda value: None if value is None else {k: f(value[k]) for k, f in fields}
    if isinstance(dtype, _TIMES):
        each = at(dtype)
        return lambda value: None if value is None else each(value)
    return lambda value: value


def _times(dtype: Any, ints: list[int], enc: Encoder) -> list[Any]:
    """The values of times stored as ``ints``, as the top-level column of ``dtype`` is
    written: ISO strings (zoned by polars' own zone data), durations in seconds."""
    stored = pl.Series(ints, dtype=pl.Int64)
    if isinstance(dtype, pl.Duration):
        return exact_numbers(stored.cast(dtype)).to_list()
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return _zoned_strings(stored.cast(dtype), enc)
    if isinstance(dtype, pl.Datetime) or dtype == pl.Date:  # days are stored as Int32
        naive = (stored.cast(pl.Int32) if dtype == pl.Date else stored).cast(dtype).to_numpy()
        result: list[Any] = dates.datetime_strings(naive, enc.option("datetime_format")).tolist()
        return result
    day = dates.datetime_strings(stored.to_numpy().view("M8[ns]"))  # a time: on 1970-01-01
    return pl.Series(day, dtype=pl.String).str.slice(11).to_list()


def _through_arrow() -> bool:
    """Whether columns are read through Arrow: not on the pure route, and only where
    pyarrow can be imported (polars hands its buffers over through it)."""
    return reads_arrow() and sys.modules.get("pyarrow", 0) is not None and _installed("pyarrow")


@functools.cache
def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _written(series: pl.Series) -> tok.Packed:
    """The tokens polars writes (:func:`json_token`), cut out of the one Arrow string
    buffer they end up in, by its offsets."""
    written = series.to_frame().select(json_token(pl.first())).to_series()
    strings = written.to_arrow(compat_level=pl.CompatLevel.oldest())
    offsets = np.frombuffer(strings.buffers()[1], np.int64)
    offsets = offsets[strings.offset : strings.offset + len(strings) + 1]
    data = strings.buffers()[2]
    first, last = int(offsets[0]), int(offsets[-1])
    text = b"" if data is None else memoryview(data)[first:last]  # no copy
    return tok.Packed(text, np.repeat(offsets - first, 2)[1:-1])


def _values_and_nulls(series: pl.Series) -> tuple[Any, Any]:
    """A numeric or boolean column with nulls as its values (any value where null) and its
    null mask: from Arrow's buffers, in place, where pyarrow is installed (much faster
    than ``fill_null`` and ``is_null``, each a polars query)."""
    if not _through_arrow():
        values = series.fill_null(False if series.dtype == pl.Boolean else 0).to_numpy()
        return values, series.is_null().to_numpy()
    array = series.to_arrow()
    validity, data = array.buffers()
    n, start = len(array), array.offset
    present = np.unpackbits(np.frombuffer(validity, np.uint8), bitorder="little")
    if series.dtype == pl.Boolean:
        bits = np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")
        values = bits[start : start + n].astype(bool)
    else:
        values = np.frombuffer(data, array.type.to_pandas_dtype())[start : start + n]
    return values, present[start : start + n] == 0


def _categories(series: pl.Series, enc: Encoder) -> tok.Lookup:
    """Each category encoded once and picked by code, from Arrow's dictionary (polars
    exports only the categories the column holds)."""
    array = series.to_arrow()
    table = tok.as_list(encoded_tokens(pl.Series(array.dictionary), enc))
    codes = array.indices.fill_null(len(table)).to_numpy(zero_copy_only=False)
    return tok.Lookup([*table, b"null"], codes.astype(np.int64, copy=False))


def _zoned_strings(series: pl.Series, enc: Encoder) -> list[str | None]:
    """Datetimes with a time zone as the one datetime writer writes them
    (:mod:`._datetimes`), their wall time from polars' own time-zone data."""
    wall = series.dt.replace_time_zone(None).to_numpy()
    strings = dates.zoned_strings(series.to_numpy(), wall, enc.option("datetime_format"))
    result: list[str | None] = strings.tolist()
    return result


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


def json_token(value: Any) -> Any:
    """The JSON text of each value, as polars' writer writes it inside a row object:
    ``{"a":<token>}``, sliced (strings escaped, nested values, dates...)."""
    return pl.struct(value.alias("a")).struct.json_encode().str.slice(5).str.head(-1)


def _writable(dtype: Any, enc: Encoder) -> bool:
    """Whether polars writes nested values of ``dtype`` as fastjson does.

    Nested integers could exceed 2**53 unseen, nested NaN is written ``null``,
    nested dates are ISO only, and a struct writes its fields in order, so
    under ``sort_keys`` only sorted ones. Temporal values other than dates,
    decimals, binary and 16-bit floats go through Python instead.
    """
    if enc.option("nan") != "null":
        return False
    if dtype.is_integer():
        return bool(enc.option("big_int") == "number")
    if dtype in (pl.Float32, pl.Float64, pl.Boolean, pl.String, pl.Null):
        return True
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return True
    if dtype == pl.Date:
        return bool(enc.option("datetime_format") == "iso")
    if isinstance(dtype, pl.List | pl.Array):
        return _writable(dtype.inner, enc)
    if isinstance(dtype, pl.Struct):
        names = [field.name for field in dtype.fields]
        if enc.option("sort_keys") and names != sorted(names):
            return False
        return all(_writable(field.dtype, enc) for field in dtype.fields)
    return False


def exact_numbers(series: pl.Series) -> pl.Series:
    """Durations as float seconds, by numpy's division as everywhere else in fastjson
    (polars multiplies by the reciprocal, which can differ in the last bit), decimals as
    ``str(Decimal)`` writes them; other columns as they are.

    polars writes decimals in the plain form (``0.00000010``); Python switches
    to the exponent form (``1.0E-7``) below 1e-6 at more than 6 decimals. Only
    those values are formatted in Python.
    """
    dtype = series.dtype
    if isinstance(dtype, pl.Duration):
        seconds = dates.timedelta_seconds(series.to_numpy())
        return pl.Series(series.name, seconds, nan_to_null=True)
    if not isinstance(dtype, pl.Decimal):
        return series
    strings = series.cast(pl.String)
    tiny = strings.str.strip_prefix("-").str.starts_with("0.000000")
    if dtype.scale <= 6 or not tiny.any():
        return strings
    positions = tiny.arg_true()
    exact = [str(d) for d in series.gather(positions).to_list()]
    return strings.scatter(positions, exact)


def positions(i: int, j: int) -> bytes:
    """``[i,...,j-1]``: the row positions that stand in for an index."""
    return orjson.dumps(np.arange(i, j, dtype=np.int64), option=orjson.OPT_SERIALIZE_NUMPY)


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
    """A Series by blocks, from its tokens as a frame's column would be."""
    table = _Tokens(series.to_frame(), enc, orient, series=True)
    name = orjson.dumps(series.name)
    return cols.write_series(table, name, enc.option("sort_keys"))


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

    @guarded
    def lines(self, i: int, j: int, enc: Encoder) -> bytes:
        """Each line by the route ``dumpb`` takes for the frame's rows."""
        cols.check_unique(self.names, "column name", "records")
        df = self.frame(self.part(i, j))
        if enc.option("sort_keys"):
            df = _sorted(df)
        if not df.height:
            return b""
        return b"".join(_Tokens(df, enc, "records", series=False).lines(0, df.height))

    def arrow(self, rows: int) -> tuple[Any, Any]:
        import pyarrow as pa

        table = self.table
        if isinstance(table, pl.DataFrame):
            return arrow_batches(table.to_arrow, rows)
        return arrow_batches(lambda: pa.table(table), rows)  # a RecordBatch too


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
        return tok.json_lines(encoded_tokens(self.series(self.part(i, j)), enc))

    def arrow(self, rows: int) -> tuple[Any, Any]:
        import pyarrow as pa

        data = self.column_data
        if isinstance(data, pl.Series):
            return arrow_batches(data.to_frame().to_arrow, rows)
        return arrow_batches(lambda: pa.table({"values": data}), rows)


def arrow_batches(table_of: Callable[[], Any], rows: int) -> tuple[Any, Any]:
    """Record batches of the Arrow table ``table_of()`` makes, and its schema;
    :class:`NoArrowForm` where Arrow cannot hold a column (polars' ``Int128``...), before
    any batch is written."""
    import pyarrow as pa

    try:
        table = table_of()
    except (pa.ArrowException, pl.exceptions.PolarsError) as exc:
        raise NoArrowForm(f"Arrow has no form for this table: {exc}") from exc
    return iter(table.to_batches(max_chunksize=rows)), table.schema
