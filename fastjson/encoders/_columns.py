"""Column-wise assembly of tabular JSON without a Python loop per row, by row blocks.

Tables (DataFrames, structured arrays) are encoded one column at a time into
*tokens*, the JSON text of each cell (:func:`fastjson.encoders.numpy.tokens`),
and rows are then stitched together by
:func:`assemble`, which places constant separators and token lists into one
flat list by slice assignment and joins it once. Both steps run in C; Python
only loops over columns.

How tokens are cut out of one encoded column without parsing it again:

- numbers, booleans and ``null`` never contain commas, so the compact array
  ``[1,2.5,null]`` splits on ``,``;
- a list of scalars that may hold strings is encoded with two-space indent,
  which puts every element on its own line; a JSON string never holds a raw
  newline, so the text splits on ``",\\n  "`` exactly between elements.

Only cells that are themselves containers or arbitrary objects (mixed object
columns) are encoded one by one.

A column is cut into a list only where rows are stitched. Where every value
follows its row's key (the keyed orients, ``columns`` and a Series'
``index``), the encoded column stays in the form encoding gave (one text
:class:`Joined`, a padded byte matrix, codes into a :class:`Lookup`) and
:func:`keyed` alternates it with the rows' :class:`Leads` (``,"label":``)
through Arrow (:mod:`._interleave`): no object per cell at all.

**Blocks.** Frames and Series are written a block of rows at a time
(:func:`write_frame`, :func:`write_series`) into one :class:`Output`, which
hands a big output over without a copy: the peak is the output plus one
block's work, never a second copy of the output. A :class:`Table` renders
the blocks; the pure one here (:class:`TokenTable`, from per-cell tokens) and
polars' own (:class:`fastjson.encoders.polars.FastTable`) share the layout of
every orient, written once here; :class:`Blocks` sizes them. Blocks are also
what keeps ``bytes.join`` fast: it allocates an 80-byte buffer record per
piece, so joining a whole frame's cells at once costs more in page faults
than in copying.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np
import orjson

from .._errors import DuplicateKeyError, EncodeError, member, rebased
from .._values import json_string
from ._interleave import Bounded, alternate, available, bounds

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = (
    "POLARS",
    "PURE",
    "Blocks",
    "Table",
    "Joined",
    "Leads",
    "Lookup",
    "TokenTable",
    "TokenText",
    "Tokens",
    "array_rows",
    "as_joined",
    "as_list",
    "assemble",
    "available",
    "bounded",
    "cell_path",
    "check_unique",
    "counting_leads",
    "key_slots",
    "keyed",
    "keys_of",
    "leads",
    "object_rows",
    "padded_bounds",
    "records_from_columns",
    "rows_from_columns",
    "write_frame",
    "write_series",
)

Slot = bytes | list[bytes]


class Joined(NamedTuple):
    """Tokens as one text, each separated from the next by ``separator``, which no token
    holds: what encoding a whole column gives before it is cut into a list (orjson's
    array, split on ``,`` for numbers; one element a line for strings), and all that
    :func:`keyed` needs."""

    text: bytes
    separator: bytes

    def as_list(self) -> list[bytes]:
        return self.text.split(self.separator)

    def as_joined(self) -> Joined:
        return self

    def bounded(self) -> Bounded:
        return self.text, bounds(self.text, self.separator)


class TokenText(Protocol):
    """Tokens held some other way than a list (:class:`Joined`, a byte matrix...)."""

    def as_list(self) -> list[bytes]: ...
    def as_joined(self) -> Joined: ...
    def bounded(self) -> Bounded:
        """One buffer and the bounds of the tokens in it (for :func:`keyed`)."""
        ...


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
        """The tokens as the rows of a NUL-padded byte matrix, taken by code (for tables of
        short tokens; longer ones are joined, so that padding never costs much)."""
        width = max(map(len, self.table), default=0)
        if width > 32:
            return self.as_joined().bounded()
        matrix = np.array(self.table, dtype=f"S{max(width, 1)}").take(self.codes)
        lengths = np.array([len(token) for token in self.table], np.int64).take(self.codes)
        return matrix.tobytes(), padded_bounds(lengths, matrix.dtype.itemsize)


def padded_bounds(lengths: NDArray[np.int64], width: int) -> NDArray[np.int64]:
    """The :data:`Bounded` bounds of tokens of ``lengths`` bytes, each at the start of a
    row of ``width`` bytes."""
    result = np.empty(2 * len(lengths), np.int64)
    result[0::2] = np.arange(0, width * len(lengths), width)
    result[1::2] = result[0::2] + lengths
    return result


Tokens = list[bytes] | TokenText
"""A column's tokens in whichever form encoding it gave: each form costs least where it
is made, and is converted only for a consumer that needs the other."""


def as_list(tokens: Tokens) -> list[bytes]:
    """The tokens, one ``bytes`` each."""
    return tokens if isinstance(tokens, list) else tokens.as_list()


def as_joined(tokens: Tokens) -> Joined:
    """The tokens as one text (a list is joined by NUL bytes, which JSON text never holds)."""
    if isinstance(tokens, list):
        return Joined(b"\0".join(tokens), b"\0")
    return tokens.as_joined()


def bounded(tokens: Tokens) -> Bounded:
    """The tokens in one buffer, with their bounds."""
    return as_joined(tokens).bounded() if isinstance(tokens, list) else tokens.bounded()


class Leads(NamedTuple):
    """``,"k0":``, ``,"k1":``...: what precedes each value in the keyed orients, as one
    text and the bounds of each lead in it (:mod:`._interleave`); without pyarrow, a
    NUL stands between two leads instead and ``bounds`` is ``None``."""

    text: bytes
    bounds: NDArray[np.int64] | None

    def rows(self, a: int, b: int) -> Leads:
        """The leads of rows ``a:b``."""
        if a == b:
            return Leads(b"", None)
        if self.bounds is None:
            return Leads(b"\0".join(self.text.split(b"\0")[a:b]), None)
        pairs = self.bounds[2 * a : 2 * b]
        start, end = int(pairs[0]), int(pairs[-1])
        return Leads(self.text[start:end], pairs - start)

    def bounded(self) -> Leads:
        """These leads with their bounds (found, when a NUL stands between two)."""
        return self if self.bounds is not None else Leads(self.text, bounds(self.text, b"\0"))


ALTERNATE_FROM = 1000
"""Rows from which :func:`keyed` alternates through Arrow: below, one ``bytes %`` over a
lead object a row is faster than Arrow's fixed cost per call (the measured
crossover)."""


def leads(keys: Tokens, quoted: bool) -> Leads:
    """The :class:`Leads` of key tokens (numbers go inside quotes unless ``quoted``).

    The text is the keys' own, their separators replaced by the end of one
    lead and the start of the next; the bounds follow from the keys'.
    """
    text, separator = as_joined(keys)
    if not text:  # no key (a key token is never empty)
        return Leads(b"", None)
    before, after = (b",", b":") if quoted else (b',"', b'":')
    few = len(text) < 64 * ALTERNATE_FROM and text.count(separator) + 1 < ALTERNATE_FROM
    if few or not available():
        return Leads(before + text.replace(separator, after + b"\0" + before) + after, None)
    result = bounds(text, separator)
    growth = len(before) + len(after) - len(separator)  # per lead, in the text
    shift = np.arange(0, growth * (len(result) // 2), growth) if growth else 0
    result[0::2] += shift
    result[1::2] += shift + len(before) + len(after)
    return Leads(before + text.replace(separator, after + before) + after, result)


def counting_leads(start: int, stop: int) -> Leads:
    """The :class:`Leads` of the labels ``start`` to ``stop - 1`` (``start >= 0``, pyarrow
    installed): a default ``RangeIndex``, or a polars frame's row positions.

    Built as byte matrices, one per number of digits, with no text to
    replace or search: at each decimal place, counting writes the digits 0
    to 9 in turn, each repeated as many times as the place is worth, so a
    column of the matrix is a small pattern repeated (faster than writing the
    labels' text and finding its separators).
    """
    if stop - start < ALTERNATE_FROM:
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
    return Leads(b"".join(texts), np.concatenate(pairs))


_DIGITS = np.frombuffer(b"0123456789", np.uint8)


def keyed(row_leads: Leads, values: Tokens) -> Buffer:
    """``,"k0":v0,"k1":v1...``: each value preceded by its row's lead (:func:`leads`).

    Interleaving per-cell pieces costs more than the text itself (a ``bytes``
    object and two list slots a cell): the leads and the values are
    alternated token by token in compiled code (:mod:`._interleave`), or,
    without pyarrow, the values' separators become ``%s`` and one ``bytes %``
    writes a lead object per row in.
    """
    if not row_leads.text:
        return b""
    if row_leads.bounds is not None:
        return alternate((row_leads.text, row_leads.bounds), bounded(values))
    text, separator = as_joined(values)
    if b"%" in text:
        text = text.replace(b"%", b"%%")
    return (b"%s" + text.replace(separator, b"%s")) % tuple(row_leads.text.split(b"\0"))


def assemble(n: int, slots: Sequence[Slot]) -> bytes:
    """Join ``n`` rows, each the concatenation of ``slots`` (a constant, or one item per row)."""
    stride = len(slots)
    flat: list[bytes] = [b""] * (n * stride)
    for j, slot in enumerate(slots):
        flat[j::stride] = slot if isinstance(slot, list) else [slot] * n
    return b"".join(flat)


def keys_of(names: Sequence[Any]) -> list[bytes]:
    """JSON object keys for column or index labels (non-strings via ``str``)."""
    return [json_string(name if isinstance(name, str) else str(name)) for name in names]


def records_from_columns(names: Sequence[str], columns: Sequence[list[bytes]], n: int) -> bytes:
    """``[{"a":1,"b":2},...]`` from per-column tokens."""
    return b"[" + object_rows(keys_of(names), columns, n)[1:] + b"]"


def key_slots(tokens: list[bytes], quoted: bool) -> list[Slot]:
    """Slots writing ``tokens`` as object keys: strings as they are, numbers inside quotes."""
    return [tokens, b":"] if quoted else [b'"', tokens, b'":']


def object_rows(
    keys: Sequence[bytes],
    columns: Sequence[list[bytes]],
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


def rows_from_columns(columns: Sequence[list[bytes]], n: int) -> bytes:
    """``[[1,2],[3,4],...]`` from per-column tokens."""
    return b"[" + array_rows(columns, n)[1:] + b"]"


def array_rows(columns: Sequence[list[bytes]], n: int) -> bytes:
    """Rows as arrays, each preceded by a comma: ``,[1,2],[3,4]``."""
    if not columns:
        return b",[]" * n
    slots: list[Slot] = [b",[", columns[0]]
    for column in columns[1:]:
        slots += [b",", column]
    slots.append(b"]")
    return assemble(n, slots)


def row_bytes(names: Iterable[Any], cells: Iterable[int]) -> int:
    """A guess at the JSON size of a row, on the high side (``cells``: each column's), to
    size the first block and the room reserved for the output (later blocks are measured)."""
    return 16 + sum(len(str(name)) + 4 for name in names) + sum(cells)


def check_unique(labels: Sequence[Any], what: str, orient: str) -> None:
    """Object keys must be unique: refuse, as pandas does, rather than drop data."""
    seen: set[str] = set()
    for label in labels:
        key = label if isinstance(label, str) else str(label)
        if key in seen:
            raise DuplicateKeyError(
                f"{what} {key!r} is duplicated; orient={orient!r} needs unique {what}s "
                "(rename them, or use orient='split' or 'values')"
            )
        seen.add(key)


# -- writing by blocks ---------------------------------------------------------

Buffer = bytes | memoryview
Pieces = Sequence[Buffer]
"""What a table renders a block into: bytes, or views of buffers (Arrow's) to copy once."""


class Table(Protocol):
    """What an encoder renders, block by block, for :func:`write_frame` and :func:`write_series`.

    Every method renders rows ``i`` to ``j - 1`` (in output order), each row
    *preceded* by its comma (the writer drops the first of a container), as
    pieces written one after the other.
    """

    def rows(self, i: int, j: int) -> Pieces:
        """Whole rows in the table's orient: ``{..}`` (records), ``[..]`` (values,
        split), ``"label":{..}`` (index)."""
        ...

    def cells(self, k: int, i: int, j: int) -> Pieces:
        """Column ``k`` as object members keyed by row label: ``"label":value`` (columns)."""
        ...

    def items(self, k: int, i: int, j: int) -> Pieces:
        """Column ``k``'s values alone: ``value`` (a Series' data)."""
        ...

    def labels(self, i: int, j: int) -> Pieces:
        """The row labels as array items (split's ``index``)."""
        ...

    def lines(self, i: int, j: int) -> Pieces:
        """NDJSON: row objects, each followed by a newline."""
        ...


class Blocks(NamedTuple):
    """How many output bytes a block of rows should render to.

    An output of up to ``small`` bytes is written in blocks of ``small`` (one:
    speed matters, and the peak is small anyway), a bigger one in blocks of a
    ``share`` of it, between ``least`` and ``most`` bytes, so that a block's
    work stays a fixed fraction of the output. The size of the output is
    guessed from the dtypes (on the high side); when the guess is above
    ``small``, a first block of ``first`` bytes measures the rows. With
    ``least == most`` the blocks are that size whatever the output.
    """

    first: int
    small: int
    share: int
    least: int
    most: int

    def size(self, total: int) -> int:
        if total <= self.small:
            return self.small
        return min(self.most, max(self.least, total // self.share))


PURE = Blocks(first=1 << 19, small=1 << 19, share=1, least=1 << 19, most=1 << 19)
"""Blocks of the pure route: per-cell tokens take about ten times their output,
and ``bytes.join`` is fastest over a few ten thousand pieces; measured on the
benchmark frame, 512 KiB blocks beat both 256 KiB and 1-2 MiB ones."""

POLARS = Blocks(first=1 << 18, small=32 << 20, share=32, least=1 << 20, most=32 << 20)
"""Blocks of polars' route. A block's work (the block converted, per-cell
strings held as 16-byte views, row strings) retains 6 to 9 times the block in
polars' and pyarrow's allocators: blocks of 1/32 of the output keep it under a
third of the output. An output of up to 32 MiB (the benchmark's 100k rows: 10
to 18 MB) is written in one block, or two when the guess of its size is not
sure: speed first there (each block costs a fixed half millisecond or so,
and polars spreads a big block's columns over the cores), at a peak of a few
times a small output."""


def write_frame(
    table: Table,
    orient: str,
    n: int,
    column_keys: Sequence[bytes],
    columns_json: Callable[[], bytes],
    sort_keys: bool,
    row_bytes: int,
    blocks: Blocks,
) -> bytes:
    """A frame of ``n`` rows in ``orient``, its layout written once for every encoder.

    ``column_keys`` are the column names as JSON strings (``columns``);
    ``columns_json`` gives split's ``columns`` member; ``row_bytes`` guesses
    the size of a row, for the first block and the room reserved.
    """
    out = Output(n * row_bytes)
    sizing = _Sizing(blocks, n)
    if orient in ("records", "values", "index"):
        brackets = (b"{", b"}") if orient == "index" else (b"[", b"]")
        _container(out, *brackets, n, table.rows, row_bytes, sizing)
    elif orient == "columns":
        width = len(column_keys)
        per_cell = max(1, row_bytes // max(1, width))
        if not sizing.guessed(row_bytes) and n and width:  # a sample of every column
            rows = min(n, sizing.first_rows(row_bytes))
            size = sum(len(p) for k in range(width) for p in table.cells(k, 0, rows))
            sizing.measured(size // width, rows, scale=width)
        out.write(b"{")
        for k, key in enumerate(column_keys):
            out.write(b"," + key + b":" if k else key + b":")
            _container(out, b"{", b"}", n, _column_cells(table, k), per_cell, sizing)
        out.write(b"}")
    else:  # split
        labels = _Sizing(blocks, n, measures=False)
        members: dict[str, Callable[[], object]] = {
            "columns": lambda: out.write(columns_json()),
            "index": lambda: _container(out, b"[", b"]", n, table.labels, 8, labels),
            "data": lambda: _container(out, b"[", b"]", n, table.rows, row_bytes, sizing),
        }
        _members(out, members, sort_keys)
    return out.value()


def write_series(
    table: Table, orient: str, n: int, name_json: bytes, sort_keys: bool, blocks: Blocks
) -> bytes:
    """A Series (column 0 of ``table``) in ``orient``: a list of its values
    (``records``, ``values``), an object keyed by label (``index``, ``columns``),
    or split's ``name``, ``index`` and ``data``."""
    out = Output(n * 24)
    values = _column_items(table, 0)
    sizing = _Sizing(blocks, n)
    if orient in ("records", "values"):
        _container(out, b"[", b"]", n, values, 16, sizing)
    elif orient in ("index", "columns"):
        _container(out, b"{", b"}", n, _column_cells(table, 0), 24, sizing)
    else:
        labels = _Sizing(blocks, n, measures=False)
        members: dict[str, Callable[[], object]] = {
            "name": lambda: out.write(name_json),
            "index": lambda: _container(out, b"[", b"]", n, table.labels, 8, labels),
            "data": lambda: _container(out, b"[", b"]", n, values, 16, sizing),
        }
        _members(out, members, sort_keys)
    return out.value()


class _Sizing:
    """The block size of one output: measured on its first block (``n`` rows in all),
    then kept for every container of the output."""

    def __init__(self, blocks: Blocks, n: int, measures: bool = True) -> None:
        self.blocks = blocks
        self.n = n
        self.target: int | None = None
        if blocks.least == blocks.most:  # fixed blocks: nothing to measure
            self.target = blocks.least
        elif not measures:
            self.target = blocks.small
        self.row = 0  # measured bytes a row of a container

    def guessed(self, row_bytes: int) -> bool:
        """Take the target from the guess of a row's size (an upper bound) when it puts
        the whole output within ``small``: no sample block then."""
        if self.target is None and self.n * row_bytes <= self.blocks.small:
            self.target, self.row = self.blocks.small, max(1, row_bytes)
        return self.target is not None

    def first_rows(self, row_bytes: int) -> int:
        """Rows of a container's first block: a sample of ``first`` bytes by the guess,
        then blocks of the target by what was measured (or guessed)."""
        if not self.guessed(row_bytes) or not self.row:
            return max(1, self.blocks.first // max(1, row_bytes))
        return max(1, self.target // self.row) if self.target else 1

    def measured(self, size: int, rows: int, scale: int = 1) -> int:
        """The target, from ``size`` bytes for ``rows`` rows of a container (one of
        ``scale`` alike: the columns of ``columns``)."""
        if self.target is None:
            self.row = max(1, size // max(1, rows))
            total = self.row * self.n * scale
            target = self.blocks.size(total)
            if scale > 1 and total > self.blocks.small:
                target = max(self.blocks.least, target // 2)  # see POLARS
            self.target = target
        return self.target


RESERVED = 48 << 20
"""Outputs bigger than this are written into room reserved up front (:class:`Output`):
above glibc's largest mmap threshold (32 MiB), so the buffer is mapped memory."""


class Output:
    """The buffer a table is written into, handed over without a copy of a big output.

    A big output (``estimate`` bytes, a guess) is written into an
    :class:`io.BytesIO` over ``bytes(room)``: ``calloc``'d, mapped and not
    touched, so it costs no memory until written; the buffer then never moves
    (a heap buffer grown past the mmap threshold is copied and leaves the old
    one resident, a jump in peak memory; a mapped one grows by ``mremap``),
    and :meth:`value` hands it over as it is.
    A small output keeps its pieces and joins them once at the end: the
    pieces are there anyway, and a heap allocation of the exact size is
    faster than growing a buffer or faulting in fresh pages. Pieces beyond
    :data:`RESERVED` move into reserved room.
    """

    def __init__(self, estimate: int) -> None:
        self.parts: list[Buffer] | None = []
        self.size = 0
        self.io = io.BytesIO()
        if estimate > RESERVED:
            self._reserve(estimate)

    def _reserve(self, estimate: int) -> None:
        try:
            self.io = io.BytesIO(bytes(estimate + estimate // 4))  # not shared: in place
        except MemoryError:
            self.io = io.BytesIO()
        for part in self.parts or ():
            self.io.write(part)
        self.parts = None

    def write(self, data: Buffer) -> None:
        if self.parts is None:
            self.io.write(data)
            return
        self.parts.append(data)
        self.size += len(data)
        if self.size > RESERVED:
            self._reserve(self.size * 4)

    def value(self) -> bytes:
        """What was written, without a copy (the unused room is given back)."""
        if self.parts is not None:
            return b"".join(self.parts)
        self.io.truncate(self.io.tell())
        return self.io.getvalue()


def _column_cells(table: Table, k: int) -> Callable[[int, int], Pieces]:
    return lambda i, j: table.cells(k, i, j)


def _column_items(table: Table, k: int) -> Callable[[int, int], Pieces]:
    return lambda i, j: table.items(k, i, j)


def _members(out: Output, members: dict[str, Callable[[], object]], sort_keys: bool) -> None:
    """An object of ``members`` written in turn, sorted under ``sort_keys`` as ``json`` sorts
    the dict pandas' ``to_dict("split")`` gives."""
    names = sorted(members) if sort_keys else list(members)
    for k, name in enumerate(names):
        out.write((b"{" if k == 0 else b",") + b'"' + name.encode() + b'":')
        members[name]()
    out.write(b"}")


def _container(
    out: Output,
    opener: bytes,
    closer: bytes,
    n: int,
    render: Callable[[int, int], Pieces],
    row_bytes: int,
    sizing: _Sizing,
) -> None:
    """``opener``, rows ``0..n`` rendered a block at a time, ``closer``.

    The first block is sized by ``row_bytes`` (a guess); the first block of
    the output measures its rows, whence the size of the next blocks
    (:class:`Blocks`); each block is sized from the bytes the previous one took.
    """
    out.write(opener)
    rows = sizing.first_rows(row_bytes)
    target = sizing.target or sizing.blocks.first
    i = 0
    while i < n:
        j = min(n, i + rows)
        size = 0
        for piece in render(i, j):
            if not size and not i:
                piece = memoryview(piece)[1:]  # the first row has no comma
                size = 1
            size += len(piece)
            out.write(piece)
        if not i:
            target = sizing.measured(size, j - i)
        rows = max(1, min(rows * 64, (j - i) * target // max(1, size)))
        i = j
    out.write(closer)


class TokenTable:
    """A :class:`Table` from per-cell tokens: the pure route of every frame and Series.

    A library's subclass reads a block of one column (:meth:`read`) and the
    row labels; the layout of every orient, and where an error sits in it, are
    here. In ``columns`` every column repeats the row labels as keys
    (:func:`keyed`): for frames of :data:`KEYS_KEPT` columns or more the
    :class:`Leads` are made once for the whole frame, else again per block.
    """

    KEYS_KEPT = 6

    def __init__(self, orient: str, names: Sequence[Any], height: int, series: bool) -> None:
        self.orient = orient
        self.names = names
        self.column_keys = keys_of(names)
        self.height = height
        self.series = series
        self._kept: tuple[int, int, Leads] | None = None

    # what subclasses give
    def read(self, k: int, i: int, j: int) -> Tokens:
        """Tokens of column ``k``, rows ``i:j`` in output order (error paths from ``$[0]``)."""
        raise NotImplementedError

    def origin(self, i: int, j: int) -> int | Sequence[int]:
        """Where rows ``i:j`` in output order sit in the table (:func:`~.._errors.rebased`)."""
        return i

    def label(self, row: int) -> Any:
        """The label of row ``row`` (its place in the table), for error paths."""
        return row

    def row_keys(self, i: int, j: int) -> tuple[Tokens, bool]:
        """Row labels of rows ``i:j`` as key tokens, and whether they are quoted already."""
        raise NotImplementedError

    def row_leads(self, i: int, j: int) -> Leads:
        """The :func:`leads` of rows ``i:j``; subclasses make them faster when they can."""
        return leads(*self.row_keys(i, j))  # each slice as it is quoted

    def labels(self, i: int, j: int) -> Pieces:
        raise NotImplementedError

    # the layouts
    def column_encoded(self, k: int, i: int, j: int) -> Tokens:
        """Tokens of column ``k``, rows ``i:j``; an error names the cell in the table."""
        try:
            return self.read(k, i, j)
        except EncodeError as exc:
            raise self.placed(rebased(exc, self.origin(i, j)), k) from exc.__cause__

    def column(self, k: int, i: int, j: int) -> list[bytes]:
        return as_list(self.column_encoded(k, i, j))

    def placed(self, exc: EncodeError, k: int) -> EncodeError:
        """``exc``, its path from the row (``$[2]...``), as seen from the table: ``$[2].o``
        (records), ``$.o["x"]`` (columns), ``$.data[2][1]`` (split)...; a Series' error
        names the row alone (``$["x"]``, ``$.data[2]``)."""
        path = exc.path
        if not path.startswith("$["):  # the column as a whole (a complex dtype...)
            if self.series:
                return exc
            error = EncodeError(f"{exc.reason} (column {str(self.names[k])!r})", path)
            error.__cause__ = exc
            return error
        end = path.index("]")
        row, rest = int(path[2:end]), path[end + 1 :]
        label = member(self.label(row))
        if not self.series:
            return exc.at(cell_path(self.orient, row, k, member(self.names[k]), label) + rest)
        if self.orient in ("records", "values"):
            return exc
        return exc.at((f"$.data[{row}]" if self.orient == "split" else "$" + label) + rest)

    def rows(self, i: int, j: int) -> Pieces:
        columns = [self.column(k, i, j) for k in range(len(self.column_keys))]
        if self.orient in ("values", "split"):
            return [array_rows(columns, j - i)]
        if self.orient == "records":
            return [object_rows(self.column_keys, columns, j - i)]
        keys, quoted = self.row_keys(i, j)
        lead = key_slots(as_list(keys), quoted)
        return [object_rows(self.column_keys, columns, j - i, lead=lead)]

    def lines(self, i: int, j: int) -> Pieces:
        """NDJSON: row objects, each followed by a newline."""
        columns = [self.column(k, i, j) for k in range(len(self.column_keys))]
        return [object_rows(self.column_keys, columns, j - i, separator=b"\n")[1:] + b"\n"]

    def cells(self, k: int, i: int, j: int) -> Pieces:
        return [keyed(self._leads(i, j), self.column_encoded(k, i, j))]

    def items(self, k: int, i: int, j: int) -> Pieces:
        return [assemble(j - i, [b",", self.column(k, i, j)])]

    def _leads(self, i: int, j: int) -> Leads:
        """The :func:`leads` of rows ``i:j``, kept as :class:`TokenTable` says."""
        kept = self._kept
        if kept is not None and kept[0] <= i and j <= kept[1]:
            return kept[2] if (i, j) == kept[:2] else kept[2].rows(i - kept[0], j - kept[0])
        if i == j:
            return Leads(b"", None)
        # kept whole when cut cheaply by block: with bounds, or few (a NUL between two)
        wide = len(self.column_keys) >= self.KEYS_KEPT
        wide = wide and (available() or self.height < ALTERNATE_FROM)
        first, last = (0, self.height) if wide else (i, j)
        parts = [self.row_leads(s, min(last, s + 65536)) for s in range(first, last, 65536)]
        whole = parts[0] if len(parts) == 1 else _concatenated(parts)
        if wide:
            self._kept = (first, last, whole)
        return whole if (first, last) == (i, j) else whole.rows(i - first, j - first)


def _concatenated(parts: list[Leads]) -> Leads:
    """Leads of consecutive rows as one (with bounds if any part has them)."""
    parts = [part for part in parts if part.text]
    if all(part.bounds is None for part in parts):
        return Leads(b"\0".join(part.text for part in parts), None)
    parts = [part.bounded() for part in parts]
    starts = np.cumsum([0] + [len(part.text) for part in parts[:-1]])
    pairs = [part.bounds + start for part, start in zip(parts, starts, strict=True)]
    return Leads(b"".join(part.text for part in parts), np.concatenate(pairs))


def cell_path(orient: str, row: int | str, position: int, column: str, label: str) -> str:
    """Where the cell of ``row`` (its position) and column ``position`` sits in a frame
    written in ``orient``, as a path: ``column`` and ``label`` are the column's and the
    row's path steps (``.o``, ``["x y"]``)."""
    return {
        "records": f"$[{row}]{column}",
        "values": f"$[{row}][{position}]",
        "split": f"$.data[{row}][{position}]",
        "columns": f"${column}{label}",
        "index": f"${label}{column}",
    }[orient]
