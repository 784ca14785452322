"""polars' route: a block's rows built by polars, for polars frames and Arrow tables.

Each block is one ``select``: a string per row, separators included
(``,{"a":1}``, ``,[1,"x"]``, ``,"3":{"a":1}``...), built by expressions in
Rust (``struct.json_encode`` for row objects, ``concat_str`` of per-cell
tokens and row labels for the rest), whose Arrow data buffers are the
block's JSON, handed over without a copy (:func:`_pieces`). Columns are first
brought to fastjson's form (datetimes to ISO strings by the rule of
:mod:`fastjson._dates`, durations to seconds by numpy's division, decimals to
``str(Decimal)``). It writes only where polars writes exactly what the token
route writes (:func:`fast_applies`); :mod:`._route` decides the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import orjson
import polars as pl

from . import _datetimes as dates
from . import _tokens as tok

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ..core import Encoder

_CANONICAL = (pl.Datetime, pl.Duration, pl.Decimal)
"""Temporal and decimal dtypes brought to fastjson's form before polars writes them
(with ``pl.Time``)."""


class Rows(Protocol):
    """Rows for :class:`FastTable`: a polars frame, or a pandas one converted by blocks."""

    height: int

    def frame(self, i: int, j: int, columns: list[int] | None = None) -> pl.DataFrame:
        """Rows ``i:j`` (in output order) of the ``columns`` (default: all), named
        ``c0``, ``c1``... by their position in the whole frame."""
        ...

    def leads(self, i: int, j: int) -> Any:
        """``,"label":`` for rows ``i:j``: what precedes each row's object or cell in the
        keyed orients, as one polars expression."""
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


class Positions:
    """A polars frame as a :class:`Rows`: the row position is the label."""

    def __init__(self, df: pl.DataFrame) -> None:
        self.df = df
        self.height = df.height

    def frame(self, i: int, j: int, columns: list[int] | None = None) -> pl.DataFrame:
        picked = range(self.df.width) if columns is None else columns
        return self.df.slice(i, j - i).select(pl.nth(k).alias(f"c{k}") for k in picked)

    def leads(self, i: int, j: int) -> Any:
        return integer_leads(np.arange(i, j, dtype=np.int64))

    def labels(self, i: int, j: int) -> bytes:
        return b"," + positions(i, j)[1:-1]

    def whole_seconds(self, k: int) -> bool:
        return whole_seconds(self.df.to_series(k))

    def plain_strings(self, k: int) -> bool:
        return False  # polars keeps short strings inside their views: no one buffer to scan


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


def fast_table(source: Rows, names: list[str], enc: Encoder) -> FastTable | None:
    """A :class:`FastTable` of ``source`` (a pandas frame's blocks), or ``None`` where polars
    would not write the columns of its first block as the token route does."""
    first = source.frame(0, min(1, source.height))
    return FastTable(source, names, enc) if fast_applies(first.dtypes, enc) else None


class FastTable:
    """A :class:`~fastjson.encoders._columns.Table` whose blocks polars builds, one
    ``select`` a block; ``names`` are the keys of row objects. The expressions are
    planned once per column, from the first block."""

    def __init__(self, source: Rows, names: list[str], enc: Encoder) -> None:
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
    """Durations and decimals as on the token route (:func:`exact_numbers`)."""
    numbers = (pl.Duration, pl.Decimal)
    converted = [exact_numbers(s) for s in frame.iter_columns() if isinstance(s.dtype, numbers)]
    return frame.with_columns(converted) if converted else frame


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
            value = iso_datetime(dtype)(col)
            token = quoted(value).fill_null("null")
    elif dtype == pl.Time:
        value = iso_time(col)
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


def _writable(dtype: Any, enc: Encoder, nested: bool = False) -> bool:
    """Whether polars writes values of ``dtype`` as fastjson does, once a column of it
    has been brought to fastjson's form (:func:`~.polars._canonical`: top-level columns only).

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


def positions(i: int, j: int) -> bytes:
    """``[i,...,j-1]``: the index pandas gives a converted frame (a ``RangeIndex``)."""
    return orjson.dumps(np.arange(i, j, dtype=np.int64), option=orjson.OPT_SERIALIZE_NUMPY)


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


def iso_datetime(dtype: Any) -> Any:
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


def iso_time(col: Any) -> Any:
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
