"""A column's JSON tokens, in the forms encoding gives them, and rows stitched from them.

A token is the JSON text of one cell. A column is encoded whole, and its
tokens are cut out of that text without parsing it again: numbers, booleans
and ``null`` hold no comma, so ``[1,2.5,null]`` splits on ``,``; a list of
scalars encoded with two-space indent puts one element a line, and a JSON
string never holds a raw newline. Only containers and arbitrary objects are
encoded one by one.

Each form costs least where it is made (:data:`Tokens`): one text
(:class:`Joined`), codes into a few tokens (:class:`Lookup`), a padded byte
matrix (:class:`Padded`). Rows are stitched from them by :func:`assemble`,
compiled where a C compiler was found at install (``fastjson/_cstitch.c``:
each token copied once out of its column's text, no object per cell), else
in Python (each slot a list, placed into one flat list, joined once). Where
every value follows its row's key (the keyed orients), :func:`keyed` pairs
the column with the rows' leads (``,"label":``, :class:`Packed`) the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import orjson

from .._values import json_string
from . import joined_in_python

_stitch: Callable[[int, Sequence[Any]], bytes] | None = None
try:
    from .._cstitch import stitch

    _stitch = stitch
except ImportError:  # built without a C compiler: the rows are joined in Python
    pass

if TYPE_CHECKING:
    from numpy.typing import NDArray

STITCHED = _stitch is not None
"""Whether rows are stitched by the compiled :func:`assemble` (``fastjson/_cstitch.c``)."""


def _compiled() -> Callable[[int, Sequence[Any]], bytes] | None:
    """The compiled stitch, unless absent or the route is ``"python"``."""
    return None if joined_in_python() else _stitch


Buffer = bytes | memoryview

Bounded = tuple[Buffer, "NDArray[np.int64]"]
"""A buffer and its tokens' bounds, ``[start0, end0, start1, end1, ...]``: what lies
between one token's end and the next one's start (a separator, padding) is left out."""

Pieces = Sequence[Buffer]
"""What a table renders a block into: bytes, or views of buffers (Arrow's) to copy once."""


class Joined(NamedTuple):
    """Tokens as one text, each separated from the next by ``separator``, which no token
    holds: what encoding a whole column gives, and all that :func:`keyed` needs."""

    text: bytes
    separator: bytes

    def as_list(self) -> list[bytes]:
        return self.text.split(self.separator)

    def as_joined(self) -> Joined:
        return self

    def bounded(self) -> Bounded:
        return self.text, bounds(self.text, self.separator)


class Lookup(NamedTuple):
    """Tokens picked by code from a few (booleans, categories): ``table[codes]``."""

    table: list[bytes]
    codes: NDArray[np.integer[Any]]

    def as_list(self) -> list[bytes]:
        """Every cell shares one of the table's ``bytes`` objects."""
        result: list[bytes] = np.array(self.table, dtype=object).take(self.codes).tolist()
        return result

    def as_joined(self) -> Joined:
        return as_joined(self.as_list())

    def bounded(self) -> Bounded:
        return self.as_joined().bounded()  # (the compiled stitch reads the codes instead)


class Padded(NamedTuple):
    """Tokens that are the rows of a byte matrix, NUL-padded on the right."""

    matrix: NDArray[np.uint8]

    def as_list(self) -> list[bytes]:
        result: list[bytes] = self.matrix.view(f"S{self.matrix.shape[1]}").ravel().tolist()
        return result

    def as_joined(self) -> Joined:
        """A newline after each row, then the padding deleted (JSON text never holds a NUL
        or a raw newline)."""
        rows, width = self.matrix.shape
        framed = np.empty((rows, width + 1), dtype=np.uint8)
        framed[:, :width] = self.matrix
        framed[:, width] = ord("\n")
        return Joined(framed.tobytes()[:-1].translate(None, b"\0"), b"\n")

    def bounded(self) -> Bounded:
        width = self.matrix.shape[1]
        rows = np.ascontiguousarray(self.matrix).view(f"S{width}").ravel()
        result = np.empty(2 * len(rows), np.int64)
        result[0::2] = np.arange(0, width * len(rows), width)
        result[1::2] = result[0::2] + np.strings.str_len(rows)  # up to the padding
        return rows.tobytes(), result


class Packed:
    """Tokens one after the other in one text, with nothing between two, and the bounds of
    each: the leads of the keyed orients (``,"k0":``, ``,"k1":``..., :func:`leads`), or
    a column polars wrote into one Arrow buffer.

    Every column of a block repeats the same leads: their list (:meth:`as_list`,
    for rows joined in Python) is made once, and the leads of a slice of rows
    take a slice of it.
    """

    __slots__ = ("_listed", "bounds", "text")

    def __init__(
        self, text: Buffer, bounds: NDArray[np.int64], listed: list[bytes] | None = None
    ) -> None:
        self.text = text
        self.bounds = bounds
        self._listed = listed

    def rows(self, a: int, b: int) -> Packed:
        """The tokens of rows ``a:b``."""
        if a == b:
            return Packed(b"", np.zeros(0, np.int64))
        pairs = self.bounds[2 * a : 2 * b]
        start, end = int(pairs[0]), int(pairs[-1])
        listed = None if _compiled() else self.as_list()[a:b]
        return Packed(memoryview(self.text)[start:end], pairs - start, listed)  # no copy

    def as_list(self) -> list[bytes]:
        """A NUL (which no token holds) put at each token's end, and the text split there."""
        if self._listed is None:
            text = np.frombuffer(self.text, np.uint8)
            self._listed = np.insert(text, self.bounds[1:-1:2], 0).tobytes().split(b"\0")
        return self._listed

    def as_joined(self) -> Joined:
        return as_joined(self.as_list())

    def bounded(self) -> Bounded:
        return self.text, self.bounds


Tokens = list[bytes] | Joined | Lookup | Padded | Packed
"""A column's tokens in whichever form encoding it gave, converted only for a consumer
that needs another."""

Slot = bytes | Tokens
"""A part of every row (:func:`assemble`): the same bytes in each, or one token a row."""


def as_list(tokens: Tokens) -> list[bytes]:
    """The tokens, one ``bytes`` each."""
    return tokens if isinstance(tokens, list) else tokens.as_list()


def as_joined(tokens: Tokens) -> Joined:
    """The tokens as one text (a list is joined by NUL bytes, which JSON text never holds)."""
    if isinstance(tokens, list):
        return Joined(b"\0".join(tokens), b"\0")
    return tokens.as_joined()


def joined_by(tokens: Tokens, separator: bytes) -> bytes:
    """The tokens one after the other, ``separator`` between two (a JSON array's items,
    NDJSON lines), their text reused where it is joined already."""
    if isinstance(tokens, list | Lookup):
        return separator.join(as_list(tokens))
    text, between = tokens.as_joined()
    return text if between == separator else text.replace(between, separator)


def json_array(tokens: Tokens) -> bytes:
    """``[t0,t1,...]``."""
    return b"[" + joined_by(tokens, b",") + b"]"


def json_lines(tokens: Tokens) -> bytes:
    """Each token followed by a newline (NDJSON of a column)."""
    text = joined_by(tokens, b"\n")
    return text + b"\n" if text else b""  # (a token is never empty)


def bounded(tokens: Tokens) -> Bounded:
    """The tokens in one buffer, with their bounds."""
    return as_joined(tokens).bounded() if isinstance(tokens, list) else tokens.bounded()


def leads(keys: Tokens, quoted: bool) -> Packed:
    """The leads of key tokens (numbers go inside quotes unless ``quoted``).

    The text is the keys' own, their separators replaced by the end of one
    lead and the start of the next; the bounds follow from the keys'.
    """
    text, separator = as_joined(keys)
    if not text:  # no key (a key token is never empty)
        return Packed(b"", np.zeros(0, np.int64))
    before, after = (b",", b":") if quoted else (b',"', b'":')
    result = bounds(text, separator)
    growth = len(before) + len(after) - len(separator)  # per lead, in the text
    shift = np.arange(0, growth * (len(result) // 2), growth) if growth else 0
    result[0::2] += shift
    result[1::2] += shift + len(before) + len(after)
    return Packed(before + text.replace(separator, after + before) + after, result)


def counting_leads(start: int, stop: int) -> Packed:
    """The leads of the labels ``start`` to ``stop - 1`` (``start >= 0``): a
    default ``RangeIndex``, a polars frame's row positions, a stream's.

    From :data:`COUNTED_FROM` labels, built as byte matrices, one per number
    of digits, with no text to replace or search: at each decimal place,
    counting writes the digits 0 to 9 in turn, each repeated as many times as
    the place is worth, so a column of the matrix is a small pattern repeated.
    """
    if stop - start < COUNTED_FROM:
        labels = np.arange(start, stop, dtype=np.int64)
        text = orjson.dumps(labels, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1]
        return leads(Joined(text, b","), False)
    texts, pairs, size = [], [], 0
    low = start
    while low < stop:
        digits = len(str(low))
        high = min(stop, 10**digits)
        count, width = high - low, digits + 4
        matrix = np.empty((count, width), np.uint8)
        matrix[:, :2] = np.frombuffer(b',"', np.uint8)
        matrix[:, -2:] = np.frombuffer(b'":', np.uint8)
        for place in range(digits):  # the column of 10**place
            worth = 10**place
            first, last = low // worth, (high - 1) // worth
            runs = np.tile(_DIGITS, (last - first) // 10 + 2)[first % 10 :][: last - first + 1]
            if worth > 1:  # each run as long as the place is worth, the first and last cut
                lengths = np.full(len(runs), worth)
                lengths[0] -= low % worth
                lengths[-1] -= worth - 1 - (high - 1) % worth
                runs = np.repeat(runs, lengths)
            matrix[:, width - 3 - place] = runs
        texts.append(matrix.tobytes())
        edges = np.arange(size, size + (count + 1) * width, width)
        pairs.append(np.repeat(edges, 2)[1:-1])
        size += count * width
        low = high
    return Packed(b"".join(texts), np.concatenate(pairs))


_DIGITS = np.frombuffer(b"0123456789", np.uint8)

COUNTED_FROM = 4096
"""Labels from which :func:`counting_leads` builds matrices: where they were measured
faster than writing the labels' text and finding its separators (slower below)."""


def keyed(row_leads: Packed, values: Tokens) -> bytes:
    """``,"k0":v0,"k1":v1...``: each value preceded by its row's lead (:func:`leads`);
    in Python, by one ``bytes %`` over the values' text, its separators become ``%s``
    (an object a row, not two as :func:`assemble` would make)."""
    if not row_leads.text:  # no row (a lead is never empty)
        return b""
    if _compiled():
        return assemble(len(row_leads.bounds) // 2, [row_leads, values])
    text, separator = as_joined(values)
    if b"%" in text:
        text = text.replace(b"%", b"%%")
    return (b"%s" + text.replace(separator, b"%s")) % tuple(row_leads.as_list())


def assemble(n: int, slots: Sequence[Slot]) -> bytes:
    """Join ``n`` rows, each the concatenation of ``slots`` (a constant, or one token a row;
    neither holds a NUL byte, as no JSON text does).

    Compiled, each token is copied once out of its column's text, found by its
    bounds (``bounded``; a :class:`Lookup` by its codes). In
    Python, each slot becomes a list of ``n`` items, placed into one flat list
    by slice assignment, and the list is joined once.
    """
    stitch = _compiled()
    if stitch is not None and n:
        return stitch(n, [s if isinstance(s, bytes) else _compiled_slot(s) for s in slots])
    return joined_rows(n, slots)


def joined_rows(n: int, slots: Sequence[Slot]) -> bytes:
    """:func:`assemble` in Python (without the compiled module; the tests' reference).

    Each column's tokens take the constants before them as a prefix, put in
    by one ``replace`` of the column's text, so that a row is one item a
    column in the list joined. The first column's prefix also holds the
    constants that end the row before it; the first row's item drops them.
    """
    if not n:  # (a text of no token reads as one empty token)
        return b""
    columns: list[list[bytes]] = []
    prefix = b""
    for slot in slots:
        if isinstance(slot, bytes):
            prefix += slot
        else:
            columns.append(_prefixed(prefix, slot))
            prefix = b""
    if not columns:
        return prefix * n
    if prefix:  # the row's end, before the next row's first item
        columns[0] = _prefixed(prefix, columns[0])
        columns[0][0] = columns[0][0][len(prefix) :]
    flat: list[bytes] = [b""] * (n * len(columns))
    for j, column in enumerate(columns):
        flat[j :: len(columns)] = column
    return b"".join(flat) + prefix


def _prefixed(prefix: bytes, tokens: Tokens) -> list[bytes]:
    """The tokens, each preceded by ``prefix``."""
    if not prefix:
        return as_list(tokens)
    if isinstance(tokens, Lookup):
        return Lookup([prefix + token for token in tokens.table], tokens.codes).as_list()
    text, separator = as_joined(tokens)
    return (prefix + text.replace(separator, b"\0" + prefix)).split(b"\0")


def _compiled_slot(tokens: Tokens) -> tuple[Any, ...]:
    """Tokens as the compiled :func:`assemble` reads them: ``(text, bounds)``; for a
    :class:`Lookup` the few tokens' ``(text, bounds)`` and the codes that pick them; for
    a :class:`Joined` text, its separators found as it is copied (no bounds made): the
    byte that marks each (:func:`_marker`) and the separator's bytes before and after
    that byte."""
    if isinstance(tokens, Joined):
        byte, at = _marker(tokens.separator)
        return tokens.text, byte, at, len(tokens.separator) - at
    if isinstance(tokens, Lookup):
        lengths = np.fromiter(map(len, tokens.table), np.int64, len(tokens.table))
        ends = np.cumsum(lengths)
        pairs = np.column_stack((ends - lengths, ends)).ravel()
        return b"".join(tokens.table), pairs, np.asarray(tokens.codes, np.int64)
    return bounded(tokens)


def keys_of(names: Sequence[Any]) -> list[bytes]:
    """JSON object keys for column or index labels (non-strings via ``str``)."""
    return [json_string(name if isinstance(name, str) else str(name)) for name in names]


def object_rows(
    keys: Sequence[bytes],
    columns: Sequence[Tokens],
    n: int,
    lead: Sequence[Slot] = (),
    separator: bytes = b",",
) -> bytes:
    """Rows as objects, each preceded by ``separator`` and the ``lead`` slots (an index key)."""
    if not keys:
        return assemble(n, [separator, *lead, b"{}"])
    slots: list[Slot] = [separator, *lead, b"{" + keys[0] + b":", columns[0]]
    for key, column in zip(keys[1:], columns[1:], strict=True):
        slots += [b"," + key + b":", column]
    slots.append(b"}")
    return assemble(n, slots)


def array_rows(columns: Sequence[Tokens], n: int) -> bytes:
    """Rows as arrays, each preceded by a comma: ``,[1,2],[3,4]``."""
    if not columns:
        return b",[]" * n
    slots: list[Slot] = [b",[", columns[0]]
    for column in columns[1:]:
        slots += [b",", column]
    slots.append(b"]")
    return assemble(n, slots)


def concatenated(parts: list[Packed]) -> Packed:
    """Leads of consecutive rows as one."""
    starts = np.cumsum([0] + [len(part.text) for part in parts[:-1]])
    pairs = [part.bounds + start for part, start in zip(parts, starts, strict=True)]
    return Packed(b"".join(part.text for part in parts), np.concatenate(pairs))


def bounds(text: bytes, separator: bytes) -> NDArray[np.int64]:
    """The bounds of the tokens of ``text``, between which stands ``separator``."""
    byte, at = _marker(separator)
    found = np.flatnonzero(np.frombuffer(text, np.uint8) == byte)
    result = np.empty(2 * len(found) + 2, np.int64)
    result[0] = 0
    result[1:-1:2] = found - at
    result[2:-1:2] = found + (len(separator) - at)
    result[-1] = len(text)
    return result


@functools.cache
def _marker(separator: bytes) -> tuple[int, int]:
    """The byte that marks each separator in the text, and its place in the separator.

    A separator is held by no token, but its bytes may be (a ``,`` inside a
    string): a multi-byte separator is found by its newline or NUL, which
    JSON text never holds raw; a one-byte separator is found as itself.
    """
    for at, byte in enumerate(separator):
        if byte in b"\0\n":
            return byte, at
    if len(separator) != 1:
        raise ValueError(f"no byte marks the separator {separator!r}")
    return separator[0], 0


def arrow_strings(array: Any) -> Joined | None:
    """Tokens of an Arrow string array (pandas' Arrow-backed strings, polars' strings) from
    its buffers, with no Python string per value: when no value needs an escape (``"``,
    ``\\``, control characters), a token is the UTF-8 in quotes, as orjson writes it, and
    Arrow joins them in C++. ``None`` when a value needs an escape (orjson writes those)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    strings = pa.array(array)
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    large = pa.types.is_large_string(strings.type)
    if not (large or pa.types.is_string(strings.type)) or len(strings) == 0:
        return None
    offsets: NDArray[np.integer[Any]] = np.frombuffer(
        strings.buffers()[1], dtype=np.int64 if large else np.int32
    )
    offsets = offsets[strings.offset : strings.offset + len(strings) + 1]
    data = strings.buffers()[2]
    text = np.frombuffer(b"" if data is None else data, np.uint8)[offsets[0] : offsets[-1]]
    if ((text < 0x20) | (text == 0x22) | (text == 0x5C)).any():
        return None
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
    return Joined(out.replace(b'"\x00"', b"null") if nulls else out, b"\n")
