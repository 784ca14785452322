"""The one table writer: every orient's layout, written a block of rows at a time.

Frames and Series of every library are written by :func:`write_frame` and
:func:`write_series` into one :class:`Output`, which hands a big output over
without a copy: the peak is the output plus one block's work. A
:class:`TokenTable` renders the blocks, of about :data:`BLOCK_BYTES` each, from
each column's tokens (:mod:`._tokens`).
Labels are checked and ordered here once (:func:`check_unique`,
:func:`key_order`), and an error is placed in the table's layout once
(:meth:`TokenTable.placed`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from .._errors import DuplicateKeyError, EncodeError, member, rebased
from . import _tokens
from ._tokens import (
    Buffer,
    Joined,
    Packed,
    Pieces,
    Slot,
    Tokens,
    array_rows,
    assemble,
    concatenated,
    joined_by,
    keyed,
    keys_of,
    leads,
    object_rows,
)


def row_bytes(names: Iterable[Any], cells: Iterable[int]) -> int:
    """A guess at the JSON size of a row, on the high side (``cells``: each column's), to
    size the first block and the room reserved for the output (later blocks are measured)."""
    return 16 + sum(len(str(name)) + 4 for name in names) + sum(cells)


def key_order(labels: Any) -> list[int] | None:
    """Positions of ``labels`` in ``sort_keys`` order, as :mod:`json` sorts dict keys:
    by the labels themselves, or by their string form when they do not compare
    (``None``: in order already)."""
    values = list(labels)
    positions = list(range(len(values)))
    try:
        order = sorted(positions, key=values.__getitem__)
    except TypeError:
        order = sorted(positions, key=lambda i: str(values[i]))
    return None if order == positions else order


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


BLOCK_BYTES = 1 << 21 if _tokens.STITCHED else 1 << 19
"""The output a block of rows renders to, measured on the benchmark frame: 2 MiB where
rows are stitched compiled (a block's tokens and bounds take two to three times its
output; smaller blocks pay their fixed costs more often, bigger ones gain little),
512 KiB where they are joined in Python (per-cell tokens take about ten times their
output, and ``bytes.join`` is fastest over a few ten thousand pieces). Read at each
call: tests set it small."""


def write_frame(
    table: TokenTable, columns_json: Callable[[], bytes], sort_keys: bool, row_bytes: int
) -> bytes:
    """A frame in its table's orient, its layout written once for every encoder.

    ``columns_json`` gives split's ``columns`` member; ``row_bytes`` guesses
    the size of a row, for the first block and the room reserved.
    """
    orient, n, column_keys = table.orient, table.height, table.column_keys
    out = Output(n * row_bytes)
    if orient in ("records", "values", "index"):
        brackets = (b"{", b"}") if orient == "index" else (b"[", b"]")
        _container(out, *brackets, n, table.rows, row_bytes)
    elif orient == "columns":
        per_cell = max(1, row_bytes // max(1, len(column_keys)))
        out.write(b"{")
        for k, key in enumerate(column_keys):
            out.write(b"," + key + b":" if k else key + b":")
            _container(out, b"{", b"}", n, partial(table.cells, k), per_cell)
        out.write(b"}")
    else:  # split
        members: dict[str, Callable[[], object]] = {
            "columns": lambda: out.write(columns_json()),
            "index": lambda: _container(out, b"[", b"]", n, table.labels, 8),
            "data": lambda: _container(out, b"[", b"]", n, table.rows, row_bytes),
        }
        _members(out, members, sort_keys)
    return out.value()


def write_series(table: TokenTable, name_json: bytes, sort_keys: bool) -> bytes:
    """A Series (column 0 of ``table``) in its table's orient: a list of its values
    (``records``, ``values``), an object keyed by label (``index``, ``columns``),
    or split's ``name``, ``index`` and ``data``."""
    orient, n = table.orient, table.height
    out = Output(n * 24)
    values = partial(table.items, 0)
    if orient in ("records", "values"):
        _container(out, b"[", b"]", n, values, 16)
    elif orient in ("index", "columns"):
        _container(out, b"{", b"}", n, partial(table.cells, 0), 24)
    else:
        members: dict[str, Callable[[], object]] = {
            "name": lambda: out.write(name_json),
            "index": lambda: _container(out, b"[", b"]", n, table.labels, 8),
            "data": lambda: _container(out, b"[", b"]", n, values, 16),
        }
        _members(out, members, sort_keys)
    return out.value()


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
) -> None:
    """``opener``, rows ``0..n`` rendered a block at a time, ``closer``: the first block
    sized by ``row_bytes`` (a guess), each next one by the bytes the previous one took."""
    out.write(opener)
    target = BLOCK_BYTES
    rows = max(1, target // max(1, row_bytes))
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
        rows = max(1, min(rows * 64, (j - i) * target // max(1, size)))
        i = j
    out.write(closer)


class TokenTable:
    """A table rendered block by block from per-cell tokens, for :func:`write_frame` and
    :func:`write_series`: every frame and Series.

    A library's subclass reads a block of one column (:meth:`read`) and the
    row labels; the layout of every orient, and where an error sits in it, are
    here. Each rendering method renders rows ``i`` to ``j - 1`` (in output
    order), each row *preceded* by its comma (the writer drops the first of a
    container), as pieces written one after the other. In ``columns`` every
    column repeats the row labels as keys (:func:`keyed`): for frames of
    :data:`KEYS_KEPT` columns or more the leads (:class:`Packed`) are made once
    for the whole frame, else again per block.
    """

    KEYS_KEPT = 6

    def __init__(self, orient: str, names: Sequence[Any], height: int, series: bool) -> None:
        self.orient = orient
        self.names = names
        self.column_keys = keys_of(names)
        self.height = height
        self.series = series
        self._kept: tuple[int, int, Packed] | None = None

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

    def row_leads(self, i: int, j: int) -> Packed:
        """The :func:`leads` of rows ``i:j``; subclasses make them faster when they can."""
        return leads(*self.row_keys(i, j))  # each slice as it is quoted

    def labels(self, i: int, j: int) -> Pieces:
        """The row labels as array items (split's ``index``)."""
        raise NotImplementedError

    # the layouts
    def column_encoded(self, k: int, i: int, j: int) -> Tokens:
        """Tokens of column ``k``, rows ``i:j``; an error names the cell in the table."""
        try:
            return self.read(k, i, j)
        except EncodeError as exc:
            raise self.placed(rebased(exc, self.origin(i, j)), k) from exc.__cause__

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
            column = member(self.names[k])
            return exc.at(
                {
                    "records": f"$[{row}]{column}",
                    "values": f"$[{row}][{k}]",
                    "split": f"$.data[{row}][{k}]",
                    "columns": f"${column}{label}",
                    "index": f"${label}{column}",
                }[self.orient]
                + rest
            )
        if self.orient in ("records", "values"):
            return exc
        return exc.at((f"$.data[{row}]" if self.orient == "split" else "$" + label) + rest)

    def rows(self, i: int, j: int) -> Pieces:
        """Whole rows in the table's orient: ``{..}`` (records), ``[..]`` (values, split),
        ``"label":{..}`` (index)."""
        columns = [self.column_encoded(k, i, j) for k in range(len(self.column_keys))]
        if self.orient in ("values", "split"):
            return [array_rows(columns, j - i)]
        if self.orient == "records":
            return [object_rows(self.column_keys, columns, j - i)]
        labels, quoted = self.row_keys(i, j)  # strings as they are, numbers inside quotes
        lead: list[Slot] = [labels, b":"] if quoted else [b'"', labels, b'":']
        return [object_rows(self.column_keys, columns, j - i, lead=lead)]

    def lines(self, i: int, j: int) -> Pieces:
        """NDJSON: row objects, each followed by a newline."""
        columns = [self.column_encoded(k, i, j) for k in range(len(self.column_keys))]
        return [object_rows(self.column_keys, columns, j - i, separator=b"\n")[1:] + b"\n"]

    def cells(self, k: int, i: int, j: int) -> Pieces:
        """Column ``k`` as object members keyed by row label: ``"label":value`` (columns)."""
        return [keyed(self._leads(i, j), self.column_encoded(k, i, j))]

    def items(self, k: int, i: int, j: int) -> Pieces:
        """Column ``k``'s values alone: ``value`` (a Series' data); a text joined by commas
        already (numbers, strings) as it is."""
        tokens = self.column_encoded(k, i, j)
        if isinstance(tokens, Joined):
            return [b",", joined_by(tokens, b",")]
        return [assemble(j - i, [b",", tokens])]

    def _leads(self, i: int, j: int) -> Packed:
        """The :func:`leads` of rows ``i:j``, kept as :class:`TokenTable` says."""
        kept = self._kept
        if kept is not None and kept[0] <= i and j <= kept[1]:
            return kept[2] if (i, j) == kept[:2] else kept[2].rows(i - kept[0], j - kept[0])
        if i == j:
            return leads([], False)
        wide = len(self.column_keys) >= self.KEYS_KEPT
        first, last = (0, self.height) if wide else (i, j)
        parts = [self.row_leads(s, min(last, s + 65536)) for s in range(first, last, 65536)]
        whole = parts[0] if len(parts) == 1 else concatenated(parts)
        if wide:
            self._kept = (first, last, whole)
        return whole if (first, last) == (i, j) else whole.rows(i - first, j - first)
