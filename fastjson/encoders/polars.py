"""polars DataFrame and Series: how to read polars data, and polars' own route.

Imported lazily by the registry the first time a polars object is seen;
:mod:`fastjson.encoders.arrow` converts pyarrow data with ``pl.from_arrow``
(zero-copy) and comes here too.

**No index.** Where an orient needs one (``split``, ``columns``, ``index``) the
row position ``0..n-1`` stands in, as for ``pf.to_pandas()``, so every orient
and option means what it means for the pandas frame, and the bytes are those
of the converted frame for the dtypes pandas holds one to one.

**The polars route** (:class:`FastTable`, for pandas frames too): with
``nan="null"`` and the dtypes polars writes as fastjson does
(:func:`fast_applies`), each row of a block becomes one string carrying its
separators, built by expressions in Rust, and the Arrow data buffer of that
string column, the block's JSON, is copied once into the output. Elsewhere
the token route writes (:func:`column_tokens`, :mod:`._columns`).

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
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np
import orjson
import polars as pl

from .._errors import EncodeError
from .._values import Raw
from ..registry import builtin
from . import _columns as cols
from . import _tokens as tok
from . import numpy as np_enc
from ._route import use_polars
from ._source import Kind, provides

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ..core import Encoder

_INTEGERS = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)
_NARROW = (pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt16, pl.UInt32)
_NUMPY_NUMBERS = (*_INTEGERS, pl.Float32, pl.Float64, pl.Boolean)
"""Columns numpy encodes whole (:func:`fastjson.encoders.numpy.numeric`)."""
_CANONICAL = (pl.Datetime, pl.Duration, pl.Decimal)
"""Temporal and decimal dtypes that :func:`_canonical` rewrites (with ``pl.Time``)."""


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
    """``df`` with its columns in ``sort_keys`` order."""
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
        return FastTable(_Positions(df), df.columns, enc), cols.POLARS
    return _Tokens(df, enc, orient, series), cols.PURE


def _keyed_whole(df: pl.DataFrame) -> bool:
    """Whether ``columns`` is faster on the token route: every column numbers or booleans
    with no null, each encoded whole by numpy and alternated with the row labels by Arrow
    (:func:`~._columns.keyed`), where polars builds a string a cell (measured in
    ``bench/README.md``)."""
    whole = (s.dtype in _NUMPY_NUMBERS and not s.null_count() for s in df.iter_columns())
    return tok.available() and all(whole)


def row_bytes(df: pl.DataFrame) -> int:
    """:func:`~._columns.row_bytes` of a polars frame."""
    return cols.row_bytes(df.columns, map(_cell_bytes, df.iter_columns()))


def _cell_bytes(series: pl.Series) -> int:
    if series.dtype.is_numeric() or series.dtype == pl.Boolean:
        return 24
    if series.dtype in (pl.String, pl.Binary) or series.dtype.is_nested():
        return 4 + int(series.estimated_size()) // max(1, len(series))  # no pass
    return 40


class _Tokens(cols.TokenTable):
    """The token route's blocks: :func:`column_tokens` of each column's rows."""

    def __init__(self, df: pl.DataFrame, enc: Encoder, orient: str, series: bool) -> None:
        super().__init__(orient, df.columns, df.height, series)
        self.df = df
        self.enc = enc

    def read(self, k: int, i: int, j: int) -> tok.Tokens:
        return encoded_tokens(self.df.to_series(k).slice(i, j - i), self.enc)

    def row_keys(self, i: int, j: int) -> tuple[tok.Tokens, bool]:
        return tok.Joined(_positions(i, j)[1:-1], b","), False

    def row_leads(self, i: int, j: int) -> tok.Leads:
        return tok.counting_leads(i, j) if tok.available() else super().row_leads(i, j)

    def labels(self, i: int, j: int) -> list[bytes]:
        return [b"," + _positions(i, j)[1:-1]]


def _positions(i: int, j: int) -> bytes:
    """``[i,...,j-1]``: the index pandas gives a converted frame (a ``RangeIndex``)."""
    return orjson.dumps(np.arange(i, j, dtype=np.int64), option=orjson.OPT_SERIALIZE_NUMPY)


# -- polars' route -------------------------------------------------------------


class Source(Protocol):
    """Rows for :class:`FastTable`: a polars frame, or a pandas one converted by blocks."""

    height: int

    def frame(self, i: int, j: int, columns: list[int] | None = None) -> pl.DataFrame:
        """Rows ``i:j`` (in output order) of the ``columns`` (default: all), named
        ``c0``, ``c1``... by their position in the whole frame."""
        ...

    def leads(self, i: int, j: int) -> Any:
        """``,"label":`` for rows ``i:j``: what precedes each row's object or cell in the
        keyed orients, as one polars expression (see :func:`leads`)."""
        ...

    def labels(self, i: int, j: int) -> tok.Buffer:
        """The row labels as array items, each preceded by a comma (split's ``index``)."""
        ...

    def whole_seconds(self, k: int) -> bool:
        """Whether no datetime of column ``k`` has a sub-second part (then one format
        string writes them all)."""
        ...

    def plain_strings(self, k: int) -> bool:
        """Whether no value of string column ``k`` needs a JSON escape (then a token is the
        value in quotes); ``False`` when that is not cheap to know."""
        ...


class _Positions:
    """A polars frame as a :class:`Source`: the row position is the label."""

    def __init__(self, df: pl.DataFrame) -> None:
        self.df = df
        self.height = df.height

    def frame(self, i: int, j: int, columns: list[int] | None = None) -> pl.DataFrame:
        picked = range(self.df.width) if columns is None else columns
        return self.df.slice(i, j - i).select(pl.nth(k).alias(f"c{k}") for k in picked)

    def leads(self, i: int, j: int) -> Any:
        return integer_leads(np.arange(i, j, dtype=np.int64))

    def labels(self, i: int, j: int) -> bytes:
        return b"," + _positions(i, j)[1:-1]

    def whole_seconds(self, k: int) -> bool:
        return whole_seconds(self.df.to_series(k))

    def plain_strings(self, k: int) -> bool:
        return False  # polars keeps short strings inside their views: no one buffer to scan


def leads(keys: Any, quoted: bool) -> Any:
    """``,"label":`` from key text: JSON strings already (``quoted``), or numbers."""
    if quoted:
        return pl.concat_str([pl.lit(","), keys, pl.lit(":")])
    return pl.concat_str([pl.lit(',"'), keys, pl.lit('":')])


def integer_leads(labels: NDArray[np.integer[Any]]) -> Any:
    """``,"label":`` for integer labels, built as one Arrow string array: orjson writes
    the labels, one ``replace`` puts the quotes, colons and commas around them, and
    the offsets come from where the commas were (faster than ``concat_str``)."""
    import pyarrow as pa

    if len(labels) == 0:
        return pl.lit(pl.Series([], dtype=pl.String))
    text = orjson.dumps(labels, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1]
    data = b',"' + text.replace(b",", b'":,"') + b'":'
    commas = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == ord(","))
    lengths = np.diff(commas, prepend=-1, append=len(text)) + 3  # each label and 4 around it
    offsets = np.zeros(len(labels) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    array = pa.Array.from_buffers(
        pa.large_string(), len(labels), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    return pl.lit(pl.from_arrow(array))


def quoted(strings: Any) -> Any:
    """``"text"`` for text that needs no escaping (numbers, ISO dates)."""
    return pl.concat_str([pl.lit('"'), strings, pl.lit('"')])


def fast_applies(dtypes: list[Any], enc: Encoder) -> bool:
    """Whether polars writes columns of ``dtypes`` exactly as the token route would
    (integers beyond 2**53 under ``big_int="string"`` are for the caller to rule out)."""
    if enc.option("nan") != "null" or not dtypes:
        return False
    if enc.option("datetime_format") != "iso" and any(isinstance(d, pl.Datetime) for d in dtypes):
        return False  # http dates by tokens, as the pandas route: equal bytes
    return all(_writable(dtype, enc) for dtype in dtypes)


def fast_table(source: Source, names: list[str], enc: Encoder) -> FastTable | None:
    """A :class:`FastTable` of ``source`` (a pandas frame's blocks), or ``None`` where polars
    would not write the columns of its first block as the token route does."""
    first = source.frame(0, min(1, source.height))
    return FastTable(source, names, enc) if fast_applies(first.dtypes, enc) else None


class FastTable:
    """A :class:`~fastjson.encoders._columns.Table` whose blocks polars builds.

    Each block is one ``select``: a string per row, separators included
    (``,{"a":1}``, ``,[1,"x"]``, ``,"3":{"a":1}``...), whose Arrow data
    buffers are the block's JSON, handed over without a copy (:func:`_pieces`).
    ``names`` are the column labels (the keys of row objects). The expressions
    are planned once per column, from the first block.
    """

    def __init__(self, source: Source, names: list[str], enc: Encoder) -> None:
        self.source = source
        self.names = names
        self.orient = enc.option("orient")
        self._plans: dict[str, tuple[Any, Any]] = {}
        self._cells: tuple[int, int, int, list[pl.Series]] | None = None

    def _block(
        self, i: int, j: int, columns: list[int] | None = None
    ) -> tuple[pl.DataFrame, list[Any], list[Any]]:
        """Rows ``i:j`` in fastjson's form, and per column its value and token expressions."""
        frame = _converted(self.source.frame(i, j, columns))
        values, tokens = [], []
        for name, dtype in frame.schema.items():
            plan = self._plans.get(name)
            if plan is None:
                k = int(name[1:])
                whole = isinstance(dtype, pl.Datetime) and self.source.whole_seconds(k)
                plain = dtype == pl.String and self.source.plain_strings(k)
                plan = self._plans[name] = _plan(name, dtype, whole, plain)
            values.append(plan[0])
            tokens.append(plan[1])
        return frame, values, tokens

    def _row_object(self, values: list[Any]) -> Any:
        fields = [value.alias(name) for value, name in zip(values, self.names, strict=True)]
        return pl.struct(fields).struct.json_encode()

    def lines(self, i: int, j: int) -> tok.Pieces:
        """NDJSON: row objects, each followed by a newline."""
        frame, values, _ = self._block(i, j)
        line = pl.concat_str([self._row_object(values), pl.lit("\n")])
        return _pieces(frame.select(line).to_series())

    def rows(self, i: int, j: int) -> tok.Pieces:
        frame, values, tokens = self._block(i, j)
        if self.orient in ("values", "split"):
            parts: list[Any] = [pl.lit(",[")]
            for k, token in enumerate(tokens):
                parts += [pl.lit(","), token] if k else [token]
            row = pl.concat_str([*parts, pl.lit("]")])
        elif self.orient == "index":
            row = pl.concat_str([self.source.leads(i, j), self._row_object(values)])
        else:
            row = pl.concat_str([pl.lit(","), self._row_object(values)])
        return _pieces(frame.select(row).to_series())

    def cells(self, k: int, i: int, j: int) -> tok.Pieces:
        cached = self._cells
        if cached is not None and cached[:2] == (i, j) and k - cached[2] < len(cached[3]):
            return _pieces(cached[3][k - cached[2]])
        width = len(self.names)
        if i == 0 and k + 1 < width and (j == self.source.height or j * width <= 1 << 16):
            # one block holds every row (or a sample of them): this column and the next
            # ones in one select, in parallel, the labels made once
            frame, _, tokens = self._block(i, j, list(range(k, width)))
            frame = frame.with_columns(self.source.leads(i, j).alias("__lead"))
            members = [
                pl.concat_str([pl.col("__lead"), t]).alias(f"m{n}") for n, t in enumerate(tokens)
            ]
            self._cells = (i, j, k, frame.select(members).get_columns())
            return _pieces(self._cells[3][0])
        frame, _, tokens = self._block(i, j, [k])
        member = pl.concat_str([self.source.leads(i, j), tokens[0]])
        return _pieces(frame.select(member).to_series())

    def items(self, k: int, i: int, j: int) -> tok.Pieces:
        frame, _, tokens = self._block(i, j, [k])
        return _pieces(frame.select(pl.concat_str([pl.lit(","), tokens[0]])).to_series())

    def labels(self, i: int, j: int) -> tok.Pieces:
        return [self.source.labels(i, j)]


def _converted(frame: pl.DataFrame) -> pl.DataFrame:
    """Durations as seconds and decimals as strings, by numpy and Python as on the token
    route (polars' own division and decimal strings differ in places)."""
    converted = []
    for series in frame.iter_columns():
        if isinstance(series.dtype, pl.Duration):
            converted.append(_seconds(series))
        elif isinstance(series.dtype, pl.Decimal):
            converted.append(_decimal_strings(series, series.dtype.scale))
    return frame.with_columns(converted) if converted else frame


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


def _plan(
    name: str, dtype: Any, whole_seconds: bool, plain_strings: bool = False
) -> tuple[Any, Any]:
    """A column's value in fastjson's form (for ``json_encode``) and its JSON token
    (for ``concat_str``), as expressions. ``plain_strings``: no value of this string
    column needs an escape."""
    col = pl.col(name)
    value, token = col, None
    if plain_strings:
        token = quoted(col).fill_null("null")
    elif isinstance(dtype, pl.Datetime):
        if whole_seconds and dtype.time_zone is None:  # one format string does (commonly)
            iso = "%Y-%m-%dT%H:%M:%S"
            value = col.dt.to_string(iso)
            token = col.dt.to_string(f'"{iso}"').fill_null("null")  # quotes in the format
        else:
            value = _iso_datetime(dtype)(col)
            token = quoted(value).fill_null("null")
    elif dtype == pl.Time:
        value = _iso_time(col)
        token = quoted(value).fill_null("null")
    elif dtype.is_integer() or dtype == pl.Null:
        token = col.cast(pl.String).fill_null("null")
    elif dtype.is_float():  # NaN and infinities as null, as polars' writer writes them
        token = pl.when(col.is_finite()).then(col.cast(pl.String)).otherwise(pl.lit("null"))
    elif dtype == pl.Boolean:
        token = pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false"))
        token = token.otherwise(pl.lit("null"))
    elif isinstance(dtype, pl.Enum):  # each category encoded once, picked by code
        table = pl.Series([orjson.dumps(c).decode() for c in dtype.categories], dtype=pl.String)
        token = pl.lit(table).gather(col.to_physical()).fill_null("null")
    return value, json_token(value) if token is None else token


def json_token(value: Any) -> Any:
    """The JSON text of each value, as polars' writer writes it inside a row object:
    ``{"a":<token>}``, sliced (strings escaped, nested values, categoricals...)."""
    return pl.struct(value.alias("a")).struct.json_encode().str.slice(5).str.head(-1)


def whole_seconds(series: pl.Series) -> bool:
    """No datetime of ``series`` has a sub-second part."""
    unit: str = getattr(series.dtype, "time_unit", "us")
    per_second = {"ns": 10**9, "us": 10**6, "ms": 10**3}[unit]
    return bool((series.to_physical() % per_second == 0).all())


_VIEW = np.dtype([("length", "<i4"), ("prefix", "V4"), ("buffer", "<i4"), ("offset", "<i4")])
"""An Arrow string view: strings over 12 bytes lie in a data buffer (shorter ones inline)."""


def _pieces(column: pl.Series) -> tok.Pieces:
    """The bytes of a string column's values end to end, as views of its Arrow buffers.

    polars holds strings as Arrow views: a string of more than 12 bytes lies in
    a data buffer, the strings of a column one after the other, so runs of such
    rows are slices of those buffers, exported without a copy; shorter strings
    lie inside their view and are gathered by numpy. A column of many short
    runs is copied once instead into a contiguous Arrow string array; without
    pyarrow, it goes through one Python string.
    """
    try:
        array = column.to_arrow(compat_level=pl.CompatLevel.newest())
    except ImportError:
        joined: str = column.str.join("").item()
        return [joined.encode()]
    n = len(array)
    if not n:
        return []
    buffers = array.buffers()
    raw = np.frombuffer(buffers[1], dtype=np.uint8).reshape(-1, 16)[
        array.offset : array.offset + n
    ]
    views = raw.view(_VIEW).reshape(n)
    length, buffer, offset = views["length"], views["buffer"], views["offset"]
    inline = length <= 12
    end = offset + length
    cut = (inline[1:] != inline[:-1]) | (
        ~inline[1:] & ((buffer[1:] != buffer[:-1]) | (offset[1:] != end[:-1]))
    )
    cuts = np.flatnonzero(cut) + 1
    if len(cuts) > 256:
        return _copied(column)
    pieces: list[tok.Buffer] = []
    for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), n], strict=True):
        if inline[a]:  # short strings, inside their views
            data = raw[a:b, 4:16]
            pieces.append(data[np.arange(12) < length[a:b, None]].tobytes())
        else:
            data = buffers[2 + int(buffer[a])]
            pieces.append(memoryview(data)[int(offset[a]) : int(end[b - 1])])
    return pieces


def _copied(column: pl.Series) -> tok.Pieces:
    """The values end to end, copied once by polars into a contiguous Arrow string array."""
    array = column.to_arrow(compat_level=pl.CompatLevel.oldest())  # large_string
    data = array.buffers()[2]
    if data is None:  # only empty strings
        return []
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)
    first, last = offsets[array.offset], offsets[array.offset + len(array)]
    return [memoryview(data)[int(first) : int(last)]]


# -- what polars writes as fastjson does -------------------------------------


def _has_big_int(series: pl.Series, enc: Encoder) -> bool:
    """A 64-bit (or wider) integer column holding a value that ``big_int="string"`` quotes."""
    if enc.option("big_int") != "string" or not series.dtype.is_integer():
        return False
    return series.dtype not in _NARROW and np_enc.beyond_safe(series.min(), series.max())


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


def encoded_tokens(series: pl.Series, enc: Encoder) -> tok.Tokens:
    """:func:`column_tokens` in the form encoding gives: numbers and booleans with no
    null as one text (or codes), as numpy encodes them; other columns as a list."""
    if series.dtype in _NUMPY_NUMBERS and not series.null_count():
        return np_enc.encoded_tokens(series.to_numpy(), enc)
    return column_tokens(series, enc)


@guarded
def column_tokens(series: pl.Series, enc: Encoder) -> list[bytes]:
    """The JSON text of every value of a column, chosen by dtype, vectorised.

    Errors carry the row (``$[3]``); the table adds the column.
    """
    series = _canonical(series, enc)
    dtype = series.dtype
    if dtype == pl.Null:
        return [b"null"] * len(series)
    if dtype in _NUMPY_NUMBERS or dtype == pl.Float16:
        if series.null_count():  # the values with nulls filled, and the null mask
            values = series.fill_null(False if dtype == pl.Boolean else 0).to_numpy()
            return tok.as_list(np_enc.masked_tokens(values, series.is_null().to_numpy(), enc))
        return np_enc.tokens(series.to_numpy(), enc)
    if isinstance(dtype, pl.Categorical | pl.Enum):
        series = series.cast(pl.String)
    if series.dtype == pl.String or series.dtype.is_integer():  # strings, 128-bit integers
        return np_enc.tokens(series.to_list(), enc, scalars=True)
    return np_enc.tokens(series.to_list(), enc)  # nested, binary, object: cell by cell


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
    if dtype == pl.Binary:
        return _utf8(series)
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
    """The expression writing a Datetime column by the rule of :mod:`fastjson._dates`, with
    polars' own time-zone data: wall time and offset where the offset is whole minutes,
    else the UTC time and ``+00:00`` (New York's local mean time of 1850, -4:56:02)."""
    if dtype.time_zone is None:
        return _iso_naive
    return _iso_zoned


def _iso_zoned(col: Any) -> Any:
    wall = col.dt.replace_time_zone(None)
    utc = col.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    whole = (wall - utc).dt.total_seconds() % 60 == 0
    return (
        pl.when(whole)
        .then(pl.concat_str([_iso_naive(wall), col.dt.to_string("%:z")]))
        .otherwise(pl.concat_str([_iso_naive(utc), pl.lit("+00:00")]))
    )


def _iso_naive(col: Any) -> Any:
    """``2024-03-01T12:30:00``, with ``.ffffff`` or ``.fffffffff`` when not whole seconds."""
    return pl.concat_str([col.dt.to_string("%Y-%m-%dT%H:%M:%S"), _fraction(col)])


def _iso_time(col: Any) -> Any:
    """``HH:MM:SS`` and the same fraction, as every time and datetime is written
    (:mod:`fastjson._dates`)."""
    return pl.concat_str([col.dt.to_string("%H:%M:%S"), _fraction(col)])


def _fraction(col: Any) -> Any:
    """None for whole seconds, else ``.ffffff``, or ``.fffffffff`` with nanoseconds."""
    ns = col.dt.nanosecond()
    return (
        pl.when(ns == 0)
        .then(pl.lit(""))
        .when(ns % 1000 == 0)
        .then(pl.concat_str([pl.lit("."), (ns // 1000).cast(pl.String).str.zfill(6)]))
        .otherwise(pl.concat_str([pl.lit("."), ns.cast(pl.String).str.zfill(9)]))
    )


# -- series and lazy frames ----------------------------------------------------


@builtin(pl.Series)
@provides(lambda series: ColumnSource(series, "series", _same))
def encode_polars_series(series: pl.Series, enc: Encoder) -> Raw:
    """A list of values (``records``/``values``), or pandas' other orients of a Series."""
    return Raw(series_json(series, enc), trusted=True)


@guarded
def series_json(series: pl.Series, enc: Encoder) -> bytes:
    """The JSON of a Series in the ``orient`` option, the row position as its index."""
    orient = enc.option("orient")
    if orient in ("records", "values"):
        return array_json(series, enc)
    return _series(series, enc, orient)


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


@guarded
def ndjson(df: pl.DataFrame, enc: Encoder) -> bytes:
    """One record per row, each followed by a newline: each line the bytes ``dumpb``
    writes for that record, by the route ``dumpb`` takes for the frame's rows."""
    enc = enc.replace(orient="records")
    if enc.option("sort_keys"):
        df = _sorted(df)
    if not df.height:
        return b""
    return b"".join(_table(df, enc, "records")[0].lines(0, df.height))


def _same(data: Any) -> Any:
    return data


class TableSource:
    """A polars frame, or an Arrow table or record batch, as a :class:`~._source.Source`.

    Ranges are ``table.slice``: a slice's row positions start again at 0, so only
    ``records`` and ``values`` (whose rows carry no label) stream by ranges.
    ``frame`` turns a range into the polars frame NDJSON is written from.
    """

    kind: Kind = "frame"
    compact = True
    labelled = False

    def __init__(self, table: Any, frame: Any, names: list[str]) -> None:
        self.table = table
        self.frame = frame
        self.names = names
        self.rows = int(table.num_rows if hasattr(table, "num_rows") else table.height)
        self.cells = self.rows * len(names)
        self.row_bytes = 16 + 24 * max(1, len(names))

    def prepared(self, enc: Encoder) -> TableSource:
        enc.encode(self.table.slice(0, 1))  # a column with no JSON form raises now
        return self

    def part(self, i: int, j: int) -> Any:
        return self.table.slice(i, j - i)

    def index(self, i: int, j: int) -> Any:
        return np.arange(i, j)

    def header(self) -> list[str]:
        return self.names

    def width(self) -> int:
        return len(self.names)

    def column_key(self, k: int) -> bytes:
        return tok.keys_of([self.names[k]])[0]

    def column(self, k: int, i: int, j: int) -> Any:
        raise NotImplementedError("a table's columns are written whole")  # not labelled

    def lines(self, i: int, j: int, enc: Encoder) -> bytes:
        cols.check_unique(self.names, "column name", "records")
        return ndjson(self.frame(self.part(i, j)), enc)

    def arrow(self, rows: int) -> tuple[Any, Any]:
        table = self.table.to_arrow() if isinstance(self.table, pl.DataFrame) else self.table
        return iter(table.to_batches(max_chunksize=rows)), table.schema


class ColumnSource:
    """A polars Series (kind ``series``), or an Arrow array (``array``: a list whatever
    the orient), as a :class:`~._source.Source`; ranges by ``slice``, as tables."""

    labelled = False
    row_bytes = 24
    compact = True

    def __init__(self, column: Any, kind: Kind, series: Any) -> None:
        self.column_data = column
        self.kind = kind
        self.series = series
        self.rows = self.cells = len(column)

    def prepared(self, enc: Encoder) -> ColumnSource:
        enc.encode(self.column_data.slice(0, 1))
        return self

    def part(self, i: int, j: int) -> Any:
        return self.column_data.slice(i, j - i)

    def index(self, i: int, j: int) -> Any:
        return np.arange(i, j)

    def header(self) -> Any:
        return getattr(self.column_data, "name", None)

    def width(self) -> int:
        return 1

    def column_key(self, k: int) -> bytes:
        return tok.keys_of([self.header()])[0]

    def column(self, k: int, i: int, j: int) -> Any:
        return self.part(i, j)

    def lines(self, i: int, j: int, enc: Encoder) -> bytes:
        tokens = column_tokens(self.series(self.part(i, j)), enc)
        return b"".join(token + b"\n" for token in tokens)

    def arrow(self, rows: int) -> tuple[Any, Any]:
        import pyarrow as pa

        data = self.column_data
        table = data.to_frame().to_arrow() if isinstance(data, pl.Series) else None
        if table is None:
            table = pa.table({"values": data})
        return iter(table.to_batches(max_chunksize=rows)), table.schema


@builtin(pl.LazyFrame)
def _lazy(frame: pl.LazyFrame, enc: Encoder) -> Any:
    """A LazyFrame is a query, not data: running it here would hide its cost."""
    raise EncodeError(
        "a polars.LazyFrame is a query, not data: call .collect() on it and encode "
        "the DataFrame it returns"
    )
