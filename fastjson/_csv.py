"""CSV (RFC 4180) of tables, by row ranges, from the JSON writer's own text of each cell.

What a cell becomes is decided once, by the JSON writer: a range of rows is
encoded by the one :class:`~fastjson.Encoder` (``orient="values"``), so a
date, a categorical, a nullable integer, a decimal or a timedelta is written
in CSV exactly as in JSON, and this module only lays the values out:

- a header row of the column names (as JSON writes them as keys), then one
  line per row, every line ending with CRLF;
- a string field as its text (UTF-8, never JSON-escaped), quoted when it
  holds ``,``, ``"``, CR or LF (quotes doubled), and an empty string as
  ``""`` so that it differs from a missing value;
- ``null`` (NaN, NaT, None, NA) as an empty field;
- numbers and booleans as JSON writes them (``1.5``, ``1e-7``, ``true``):
  floats keep every digit (the shortest text that reads back to the same
  value); dates as their JSON text without the quotes;
- a cell that holds a container (an object column of lists) as its JSON,
  quoted.

A pandas frame's index is written as its first column(s) unless it is the
default one (a ``RangeIndex`` from 0 by 1 with no name): a demanding user
keeps labels they set, and nobody wants the row numbers ``0, 1, 2...`` as a
column; an unnamed index level is headed ``""``. An unnamed Series is headed
``values``, as in the Arrow stream.

Each column of a range is encoded on its own, as the list of its values,
and its fields are made from that text in Arrow (quoting, nulls, then the
joins of fields and lines), so there is no Python loop per cell: a column of
numbers and booleans is cut into its JSON tokens (which hold no comma), a
column of strings and dates is read back by orjson (in C) into an Arrow
string array. Only a column of mixed objects (strings beside numbers, or
containers) is laid out cell by cell, as the JSON writer writes such
columns. pyarrow is needed (the
``pandas`` extra installs it); without it CSV is not offered.

:func:`csv_chunks` writes a sequence of sources as one CSV (the batches of a
query result, :func:`csv_sources`): the header once, then the rows of each.
Whether a batch's index is written is decided by the same rule, the default
index of a batch being the one that goes on from the rows before it.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import zip_longest
from typing import TYPE_CHECKING, Any, Unpack

import orjson

from ._errors import EncodeError, EncodeValueError, rebased
from ._options import Options
from .core import encoder_for, loads
from .encoders._source import Source, batches_of, source_of, stream_of
from .streaming import CHUNK_SIZE, RANGE_BYTES, _chunks, _rows_per_piece

if TYPE_CHECKING:
    from .core import Encoder
    from .registry import Registry

__all__ = ("CSV", "csv_available", "csv_chunks", "csv_source", "csv_sources", "iter_csv")

CSV = "text/csv"

_SPECIAL = r'[,"\r\n]'
"""Characters that make a field quoted (RFC 4180): here, and in Arrow for whole columns."""
_NEEDS_QUOTES = re.compile(_SPECIAL)

_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x2E if b in b".eE" else 0x20 for b in range(256))
_LONG_INTEGER = b" " + b"0" * 19
"""In text translated by :data:`_DIGITS` (digits to ``0``, ``.`` and exponents to ``.``,
the rest to spaces): 19 digits after neither a digit nor a dot, as an integer orjson
may read as a float starts (digits in strings may match too: then the exact reader)."""


@functools.cache
def csv_available() -> bool:
    """Whether CSV can be written here (pyarrow is installed); asked once, as
    ``respond()`` asks it on every request that names CSV."""
    return importlib.util.find_spec("pyarrow") is not None


def csv_source(obj: Any, registry: Registry | None = None) -> Source | None:
    """The table source of ``obj`` if CSV has a form for it: pandas and polars frames and
    Series, Arrow tables and record batches (not arrays, nor anything your own encoder
    writes)."""
    from .registry import builtins

    source = source_of(obj, registry or builtins)
    if source is None or source.kind not in ("frame", "series"):
        return None
    return source


def csv_sources(obj: Any, registry: Registry | None = None) -> Iterator[Source] | None:
    """The table sources CSV writes ``obj`` from, or ``None`` when CSV has no form for it:
    one for a table (:func:`csv_source`), the batches of a query result or reader (an
    Arrow reader, a DuckDB relation, a polars lazy frame, a Dask collection), read only
    as the CSV is written."""
    from .registry import builtins

    registry = registry or builtins
    stream = stream_of(obj, registry)
    if stream is not None:
        return batches_of(obj, registry) if stream.kind in ("frame", "series") else None
    source = csv_source(obj, registry)
    return None if source is None else iter((source,))


def iter_csv(
    obj: Any, /, *, chunk_size: int = CHUNK_SIZE, **options: Unpack[Options]
) -> Iterator[bytes]:
    """``obj`` (a frame, a Series, an Arrow table, a query result...) as CSV chunks of
    about ``chunk_size`` bytes; :class:`EncodeError` (a ``TypeError``) for a value CSV has
    no form for."""
    sources = csv_sources(obj, options.get("registry"))
    if sources is None:
        raise EncodeError(f"CSV has no form for {type(obj).__qualname__}")
    return csv_chunks(sources, chunk_size=chunk_size, **options)


def csv_chunks(
    sources: Iterable[Source], /, *, chunk_size: int = CHUNK_SIZE, **options: Unpack[Options]
) -> Iterator[bytes]:
    """One CSV of several table sources (batches of one result): the first source's
    header, then every source's rows, by row ranges, in chunks of about ``chunk_size``.

    Each source must have the same header (an :class:`~fastjson.EncodeError` names the
    first that differs, before any of its rows). What can be known up front of the
    first source (a column with no JSON form, say) is raised by the first ``next``.
    The options are the JSON writer's; NaN is always an empty field, and integers
    always numbers (``nan`` and ``big_int`` are set for CSV).
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    enc = encoder_for(
        {**options, "orient": "values", "indent": None, "nan": "null", "big_int": "number"}
    )
    return _chunks(_pieces(sources, enc), chunk_size)


def _pieces(sources: Iterable[Source], enc: Encoder) -> Iterator[bytes]:
    """The header, then each source's rows. Whether an index is written is decided by
    the first source, for all: a stream's batches are one table, and the partitions of
    a Dask frame read from files each count their rows from 0 again."""
    header: list[str] | None = None
    with_index = False
    iterator = iter(sources)
    offset = 0
    try:
        for number, source in enumerate(iterator):
            try:
                source = source.prepared(enc)
            except EncodeError as exc:
                raise rebased(exc, offset) from exc.__cause__
            if header is None:
                with_index = _written_index(source) is not None
            names = [*_index_names(source, with_index), *_column_names(source)]
            if header is None:
                header = names
                yield _line(names)
            elif names != header:
                raise EncodeError(
                    f"source {number} of the CSV has the header {names!r}, "
                    f"not the first source's {header!r}"
                )
            yield from _rows(source, enc, with_index, offset)
            offset += source.rows
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def _written_index(source: Source) -> Any:
    """The index of a pandas source when it is written, else ``None``: not when it is the
    default one, an unnamed ``RangeIndex`` from 0 by 1."""
    if not source.labelled:
        return None
    index = source.index(0, source.rows)
    default = (
        type(index).__name__ == "RangeIndex"
        and index.start == 0
        and index.step == 1
        and index.name is None
    )
    return None if default else index


def _index_names(source: Source, with_index: bool) -> list[str]:
    if not with_index or not source.labelled:
        return []
    index = source.index(0, 0)
    return ["" if name is None else str(name) for name in index.names]


def _column_names(source: Source) -> list[str]:
    if source.kind == "series":
        name = source.header()
        return ["values" if name is None else str(name)]
    return [loads(source.column_key(k)) for k in range(source.width())]


def _line(fields: Sequence[str]) -> bytes:
    """The header line: names quoted as string cells are, but an empty name left empty (a
    header has no missing values to tell it from)."""
    for k, field in enumerate(fields):
        _utf8(field, "$", f"the name of CSV column {k}")
    line = ",".join(_field(field, empty_quoted=False) for field in fields)
    return (line + "\r\n").encode()


def _utf8(text: str, path: str, what: str = "a string") -> bytes:
    """``text`` in UTF-8; :class:`~fastjson.EncodeValueError` at ``path`` for a lone
    surrogate, which UTF-8 cannot hold and CSV has no escape for (JSON escapes it as
    ``\\ud800``: the JSON formats write it)."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        raise EncodeValueError(
            f"{what} holds a lone surrogate, which CSV cannot write (JSON can)", path
        ) from None


def _field(text: str, *, empty_quoted: bool) -> str:
    """``text`` as a field: quoted, its quotes doubled, when it holds a character of
    :data:`_SPECIAL`, or when it is empty and ``empty_quoted`` (an empty cell string,
    told from a null, which is an empty field)."""
    if (empty_quoted and not text) or _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _rows(source: Source, enc: Encoder, with_index: bool, offset: int) -> Iterator[bytes]:
    """The lines of ``source``, by row ranges; an error names its row in the whole table
    (``offset``: the rows of the sources before this one)."""
    n = source.rows
    step = _rows_per_piece(source.row_bytes, RANGE_BYTES)
    for i in range(0, n, step):
        j = min(n, i + step)
        try:
            yield _range(source, i, j, enc, with_index and source.labelled)
        except EncodeError as exc:
            raise rebased(exc, offset + i) from exc.__cause__


def _range(source: Source, i: int, j: int, enc: Encoder, with_index: bool) -> bytes:
    """The CSV lines of rows ``i:j``: each column (index levels first) encoded on its own
    as the list of its values, its fields made in Arrow, then the fields joined by row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = _columns(source, source.part(i, j))
    places: list[int | None] = list(range(len(columns))) if source.kind == "frame" else []
    if with_index:
        index = source.index(i, j)
        columns = [*(index.get_level_values(k) for k in range(index.nlevels)), *columns]
        places = [*[None] * index.nlevels, *places]
    if not columns:  # a frame with no columns: empty lines
        return b"\r\n" * (j - i)
    fields = [_encoded(column, place, enc) for column, place in zip_longest(columns, places)]
    rows = pc.binary_join_element_wise(*fields, b",")
    return _data(pc.binary_join_element_wise(rows, pa.scalar(b""), b"\r\n"))


def _encoded(column: Any, place: int | None, enc: Encoder) -> Any:
    """A column's CSV fields, from the JSON list of its cells; an error at ``$[row]`` named
    as a row of the ``values`` orient names it, ``$[row][column]`` (the column's place in
    the frame; an index label keeps ``$[row]``)."""
    try:
        return _fields(enc.encode(column), enc)
    except EncodeError as exc:
        path = exc.path
        if place is None or not path.startswith("$["):
            raise
        end = path.index("]") + 1
        raise exc.at(f"{path[:end]}[{place}]{path[end:]}") from exc.__cause__


def _columns(source: Source, part: Any) -> list[Any]:
    """The columns of a range, each a value the encoder writes as the list of its cells:
    a pandas Series, a polars Series, an Arrow array."""
    if source.kind == "series":
        return [part]
    width = source.width()
    if hasattr(part, "iloc"):  # pandas, by position (names may repeat)
        return [part.iloc[:, k] for k in range(width)]
    if hasattr(part, "to_series"):  # polars
        return [part.to_series(k) for k in range(width)]
    return [part.column(k) for k in range(width)]  # an Arrow table or record batch


def _read(data: bytes) -> Any:
    """The JSON of a range read back: by orjson, or by :func:`fastjson.loads` (exact, and
    slower) where an integer may exceed 64 bits or a string holds a lone surrogate."""
    if _LONG_INTEGER not in data.translate(_DIGITS):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return loads(data)


def _data(array: Any) -> bytes:
    """The bytes of a binary array's values, back to back: the lines, in one copy."""
    import numpy as np

    _, offsets, data = array.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int32)
    first, last = int(bounds[array.offset]), int(bounds[array.offset + len(array)])
    return data.slice(first, last - first).to_pybytes()  # type: ignore[no-any-return]


def _fields(text: bytes, enc: Encoder) -> Any:
    """A column's CSV fields as an Arrow binary array, from the column's JSON ``text`` (a
    list): numbers, booleans and nulls are its own tokens (nulls emptied), strings are
    read back and quoted where they must be, a mix is laid out cell by cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    inner = text[1:-1]
    if b'"' not in inner and b"[" not in inner and b"{" not in inner:
        tokens = pa.array(inner.split(b",") if inner else [], type=pa.binary())
        return pc.if_else(pc.equal(tokens, b"null"), b"", tokens)
    values = _read(text)
    try:
        strings = pa.array(values, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid, UnicodeEncodeError):
        return pa.array([_cell(value, f"$[{k}]", enc) for k, value in enumerate(values)])
    quote = pc.or_(
        pc.match_substring_regex(strings, _SPECIAL), pc.equal(pc.utf8_length(strings), 0)
    )
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(strings, '"', '""'), '"', "")
    return pc.fill_null(pc.if_else(quote, quoted, strings), "").cast(pa.binary())


def _cell(value: Any, path: str, enc: Encoder) -> bytes:
    """One field (at ``path``) of a column of mixed objects: a string as a string field, a
    number or a boolean as its JSON, a container as its JSON in a quoted field."""
    if value is None:
        return b""
    if type(value) is str:
        text = value
    else:
        try:
            token = orjson.dumps(value)
        except TypeError:  # an integer beyond 64 bits, inside a container too
            token = enc.encode(value)
        if type(value) not in (list, dict):
            return token
        text = token.decode()
    return _utf8(_field(text, empty_quoted=True), path)
