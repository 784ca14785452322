"""Streaming: JSON and NDJSON as an iterator of chunks, with memory bounded by the chunk.

:func:`iter_encode` yields ``bytes`` whose concatenation is byte for byte
what :func:`fastjson.dumpb` returns for the same object and options. Big
values are written piece by piece: numpy arrays by slices of the leading
axis, DataFrames and Series by row ranges (through the same column code as
``dumpb``), lists, tuples and dicts element by element, and generators and
other iterators lazily, as they yield, and query results and readers (Arrow
readers, DuckDB relations, polars lazy frames, Dask collections) batch by batch.
Everything else, and anything small, is encoded whole by the same
:class:`~fastjson.Encoder`, so there is no second copy of the type rules here:
this module only decides where to cut.

Errors are raised before the first chunk where they can be known: a frame's
labels and dtypes, and NaN under ``nan="error"``, are checked up front. A
value that fails later (an object deep in a generator) raises from the
iterator; a server then ends the response without its final chunk, so the
client cannot take the truncated body for complete JSON.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator
from typing import Any, Unpack

import orjson

from ._errors import EncodeError, member, rebased
from ._options import Options
from ._pacing import Pacer
from ._values import NATIVE
from ._walk import object_items
from .core import Encoder, encoder_for, escape_non_ascii
from .encoders._source import (
    Source,
    Stream,
    batches_of,
    source_from,
    source_of,
    stream_from,
    stream_of,
)

__all__ = ("CHUNK_SIZE", "iter_encode", "iter_ndjson")

CHUNK_SIZE = 1 << 20
"""Default chunk size (1 MiB). Measured on the benchmark payloads (bench/README.md):
for arrays 1 MiB is within a few percent of the fastest size, smaller chunks pay a
per-chunk cost and larger ones only hold more memory. Frames are encoded in bigger
ranges (:data:`RANGE_BYTES`) and sent in chunks of this size."""

_BATCH = 64
"""Elements per batch when a sequence is written element by element, before the
batch size adapts to the bytes each element takes."""

Piece = bytes | memoryview
"""What the writer yields: views into encoded ranges avoid copying megabytes."""

_FLUSH: Piece = memoryview(b"")
"""A piece that writes nothing and tells :func:`_chunks` to send what it holds now
(compared by identity: every other empty piece is just empty)."""

RANGE_BYTES = 4 << 20
"""Frames and tables are encoded in row ranges of about this much output (4 MiB), or
one chunk if chunks are bigger: each range is one pass through polars or the column
code, with a fixed cost that smaller ranges pay too often (``bench/README.md``). A
range is then sent in chunks of ``chunk_size``."""

_UNLABELLED = ("records", "values")
"""Orients whose rows carry no label: every source streams in them."""

_LINES = 1024
"""Most NDJSON lines encoded as one batch and joined in one piece. A batch's lines are all
alive until joined: at about 18,000 small lines a batch, orjson took 4 times as long per
line as at a thousand (the results no longer fit in the cache), so batches stay small."""

_SCALARS = frozenset({str, int, float, bool, type(None)})
"""Exact types that are never worth writing in pieces (a container of only these is big by
its length alone)."""

_BIG_PER_BYTE = 256
"""A container with more than ``chunk_size // 256`` elements (4096 for 1 MiB chunks),
or holding a big value, is written element by element."""


def iter_encode(
    obj: Any, /, *, chunk_size: int = CHUNK_SIZE, **options: Unpack[Options]
) -> Iterator[bytes]:
    """Encode ``obj`` as a stream of chunks whose concatenation equals ``dumpb(obj, **options)``.

    Each chunk is about ``chunk_size`` bytes (one chunk when the whole output
    is smaller). Closing the iterator closes any generator it was reading.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    encoder = encoder_for(options)
    return _chunks(_Writer(encoder, chunk_size).pieces(obj, 0), chunk_size)


def iter_ndjson(
    obj: Any, /, *, chunk_size: int = CHUNK_SIZE, **options: Unpack[Options]
) -> Iterator[bytes]:
    """Encode ``obj`` as NDJSON: one JSON value per line, each line ending with a newline.

    A DataFrame gives one record (object) per row, a 2-D array one row
    (array) per line, a 1-D array or a Series one value per line, and any
    other iterable (a list, a generator, a database cursor) one line per
    element; a dict or a scalar is one line. Every line is the bytes
    ``dumpb`` gives for that row or element, never indented.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    encoder = encoder_for({**options, "indent": None})
    return _chunks(_Writer(encoder, chunk_size).lines(obj), chunk_size)


def _chunks(pieces: Iterator[Piece], size: int) -> Iterator[bytes]:
    """Join ``pieces`` into chunks of at least ``size`` bytes (the last may be shorter),
    or fewer where the writer asks for a flush (:data:`_FLUSH`: a lazy iterator's elements
    that should not wait)."""
    buffer: list[bytes | memoryview] = []
    held = 0
    try:
        for piece in pieces:
            if piece is _FLUSH:
                if buffer:
                    yield b"".join(buffer)
                    buffer, held = [], 0
                continue
            parts: Iterable[Piece] = (piece,)
            if len(piece) > size:  # a range encoded in one go: sent a chunk at a time
                view = memoryview(piece)
                parts = (view[start : start + size] for start in range(0, len(view), size))
            for part in parts:
                buffer.append(part)
                held += len(part)
                if held >= size:
                    yield b"".join(buffer)
                    buffer, held = [], 0
        if buffer:
            yield b"".join(buffer)
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()


class _Writer:
    """Cuts one value into pieces; each piece is encoded whole by the encoder."""

    def __init__(self, encoder: Encoder, chunk_size: int) -> None:
        self.enc = encoder
        self.chunk_size = chunk_size
        self.many = max(16, chunk_size // _BIG_PER_BYTE)
        self.range_bytes = max(chunk_size, RANGE_BYTES)
        self.indent = encoder.option("indent") is not None
        self.escape = encoder.option("ensure_ascii")

    # -- JSON ------------------------------------------------------------------

    def pieces(self, obj: Any, depth: int) -> Iterator[Piece]:
        """Pieces of ``obj`` written at nesting ``depth``."""
        t = type(obj)
        if (t is list or t is tuple) and self._big(obj):
            return self._sequence(iter(obj), depth)
        if t is dict and self._big(obj):
            return self._mapping(obj, depth)
        if t not in NATIVE:
            write = self._streamable(obj)
            if write is not None:
                pieces: Iterator[Piece] = write(obj, depth)
                return pieces
        return iter((self._whole(obj, depth),))

    def _whole(self, obj: Any, depth: int) -> bytes:
        out = self.enc.encode(obj)
        if self.indent and depth and b"\n" in out:
            out = out.replace(b"\n", b"\n" + b"  " * depth)
        return out

    def _streamable(self, obj: Any) -> Any:
        """The method that writes ``obj`` in pieces, if its encoder is a built-in one that
        streams: iterators lazily, tables by their :class:`~.encoders._source.Source`
        (your own encoder for the type wins, and writes it whole)."""
        entry = self.enc.registry.lookup(type(obj))
        if entry is None or not entry.builtin:
            return None
        if getattr(entry.func, "streams_lazily", False):
            return self._lazy
        stream = stream_from(entry.func, obj)  # the entry found above: no second look-up
        if stream is not None:
            return lambda _obj, depth: self._stream(obj, stream, depth)
        source = source_from(entry.func, obj)
        if source is None or source.cells * 8 <= self.chunk_size:
            return None
        if self.indent and not (self.enc.fragments and source.compact):
            return None  # written as nested lists, which indent: written whole
        orient = self.enc.option("orient")
        if not source.labelled and source.kind != "array" and orient not in _UNLABELLED:
            return None  # its ranges would lose their labels: written whole
        return lambda _obj, depth: self._source(source, depth)

    def _source(self, source: Source, depth: int) -> Iterator[Piece]:
        """A table, column or array by row ranges, in the orient; what can be known up
        front raised before the first byte (:meth:`Source.prepared`)."""
        enc = self.enc
        source = source.prepared(enc)
        n = source.rows
        orient = enc.option("orient")
        target = self.range_bytes if source.kind == "frame" else self.chunk_size
        rows = _rows_per_piece(source.row_bytes, target)
        part = source.part
        if source.kind == "array" or orient in _UNLABELLED:
            yield from self._slices(part, n, rows, b"[", b"]", target=target)
        elif orient == "split":
            header = "columns" if source.kind == "frame" else "name"
            values = functools.partial(source.values, enc=enc)  # the rows' arrays, as JSON
            yield from self._split(
                {
                    header: iter((enc.encode(source.header()),)),
                    "index": self._slices(source.index, n, rows, b"[", b"]"),
                    "data": self._slices(values, n, rows, b"[", b"]", target, written=True),
                }
            )
        elif orient == "index" or source.kind == "series":
            yield from self._slices(part, n, rows, b"{", b"}", target=target)
        else:  # a frame in columns: one object per column, written by row ranges
            yield b"{"
            column_rows = rows * max(1, source.width())
            for k in range(source.width()):
                yield (b"," if k else b"") + self._escaped(source.column_key(k)) + b":"
                column = functools.partial(source.column, k)
                pieces = self._slices(column, n, column_rows, b"{", b"}", target=target)
                yield from self._located(pieces, "$" + member(source.names[k]))
            yield b"}"

    def _stream(self, obj: Any, stream: Stream, depth: int) -> Iterator[Piece]:
        """A query result or reader batch by batch, in the orients where that writes the
        collected table's bytes (:meth:`Stream.streams`); in the others, and where
        ``indent`` would lay frames out as nested lists, the table collected first and
        then written as any table is."""
        enc = self.enc
        if not stream.streams(enc) or (self.indent and not enc.fragments):
            yield from self.pieces(stream.collect(), depth)
            return
        keyed = enc.option("orient") not in _UNLABELLED
        target = self.range_bytes if stream.kind == "frame" else self.chunk_size
        yield b"{" if keyed else b"["
        offset, wrote = 0, False
        for source in batches_of(obj, enc.registry):
            try:
                by_position = keyed and not source.labelled  # rows written as records
                source = source.prepared(enc.replace(orient="records") if by_position else enc)
                rows = _rows_per_piece(source.row_bytes, target)
                n = source.rows
                if by_position:
                    pieces = self._positioned(source, offset, n)
                else:
                    pieces = self._slices(source.part, n, rows, b"", b"", target=target)
                for k, piece in enumerate(p for p in pieces if p):
                    if k == 0 and wrote:
                        yield b","
                    wrote = True
                    yield piece
            except EncodeError as exc:
                error = rebased(exc, offset)
                raise (_labelled(error) if keyed else error) from exc.__cause__
            offset += n
        yield b"}" if keyed else b"]"

    def _positioned(self, source: Source, offset: int, n: int) -> Iterator[Piece]:
        """The ``index`` members of a batch of a table with no index (its labels the row
        positions over the whole table, from ``offset``), by ranges of rows, with a comma
        between ranges: each row's record written as NDJSON, its label put before it."""
        from .encoders.streams import positioned

        step = _rows_per_piece(source.row_bytes, self.range_bytes)
        for i in range(0, n, step):
            try:
                lines = source.lines(i, min(n, i + step), self.enc)
            except EncodeError as exc:
                raise _labelled(rebased(exc, offset + i)) from exc.__cause__
            if i:
                yield b","
            members = positioned(lines, offset + i)
            yield self._escaped(bytes(members)) if self.escape else members

    def _open(self, opener: bytes, closer: bytes, depth: int) -> tuple[bytes, bytes, bytes]:
        """Opening, separator and closing bytes of a container at ``depth``.

        Under ``indent`` each member's own indentation (:meth:`_pad`) follows
        the opener or separator.
        """
        if not self.indent:
            return opener, b",", closer
        return opener + b"\n", b",\n", b"\n" + b"  " * depth + closer

    def _pad(self, depth: int) -> bytes:
        return b"  " * depth if self.indent else b""

    def _sequence(self, items: Iterator[Any], depth: int, lazy: bool = False) -> Iterator[Piece]:
        """``[...]`` from any iterator, batching small elements into one encode call.

        A ``lazy`` iterator (a generator, a cursor) may block in ``next()``, so its
        batches are also cut by time (:class:`Pacer`): the first element is sent
        at once, an element that was slow to come at once too, and what is
        waiting whenever an element arrives 50 ms or more after the last flush.
        A list is never waited for: it is cut by size alone.
        """
        opener, separator, closer = self._open(b"[", b"]", depth)
        first = True
        batch_size = _BATCH
        index = 0
        pacer = Pacer() if lazy else None
        try:
            while True:
                if pacer is None:
                    batch, flush = list(itertools.islice(items, batch_size)), False
                else:
                    batch, flush = pacer.take(items, batch_size)
                if not batch:
                    break
                for group, streamed in self._groups(batch):
                    yield opener if first else separator
                    first = False
                    if streamed:
                        yield self._pad(depth + 1)
                        yield from self._located(self.pieces(group, depth + 1), f"$[{index}]")
                        index += 1
                        continue
                    body = self._batch(group, depth, index)
                    index += len(group)
                    batch_size = min(65536, max(16, self.chunk_size * len(group) // len(body)))
                    yield body
                if flush and pacer is not None:
                    yield _FLUSH
                    pacer.flushed()
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        yield b"[]" if first else closer

    def _groups(self, batch: list[Any]) -> Iterator[tuple[Any, bool]]:
        """Runs of small elements (to encode together), and single big ones (to stream)."""
        run: list[Any] = []
        for element in batch:
            if self._big(element):
                if run:
                    yield run, False
                    run = []
                yield element, True
            else:
                run.append(element)
        if run:
            yield run, False

    def _big(self, element: Any, levels: int = 3) -> bool:
        """Worth writing in pieces: many elements, or a big array, frame or iterator
        within a few levels."""
        t = type(element)
        if t is list or t is tuple or t is dict:
            if len(element) > self.many:
                return True
            if not levels:
                return False
            values = element.values() if t is dict else element
            if _SCALARS.issuperset(map(type, values)):  # a record of plain values, in C
                return False
            return any(self._big(v, levels - 1) for v in values)
        return t not in NATIVE and self._streamable(element) is not None

    def _batch(self, group: list[Any], depth: int, index: int) -> bytes:
        """Elements encoded as one list, without its brackets, placed at ``depth + 1``."""
        try:
            out = self.enc.encode(group)
        except EncodeError as exc:
            raise rebased(exc, index) from exc.__cause__
        if not self.indent:
            return out[1:-1]
        inner = out[2:-2]  # "[\n" ... "\n]"; each element already indented once
        if depth:
            pad = b"  " * depth
            inner = pad + inner.replace(b"\n", b"\n" + pad)
        return inner

    def _lazy(self, obj: Any, depth: int) -> Iterator[Piece]:
        return self._sequence(obj, depth, lazy=True)

    def _mapping(self, obj: dict[Any, Any], depth: int) -> Iterator[Piece]:
        """``{...}`` item by item, keys written and ordered as the walk writes them."""
        opener, separator, closer = self._open(b"{", b"}", depth)
        colon = b": " if self.indent else b":"
        items = object_items(obj, self.enc)
        if not items:
            yield b"{}"
            return
        for i, (name, value) in enumerate(items):
            yield opener if i == 0 else separator
            key = orjson.dumps(name) if name.isascii() or _utf8(name) else _json_key(name)
            yield self._pad(depth + 1) + self._escaped(key) + colon
            yield from self._located(self.pieces(value, depth + 1), "$" + member(name))
        yield closer

    def _located(self, pieces: Iterator[Piece], prefix: str) -> Iterator[Piece]:
        try:
            yield from pieces
        except EncodeError as exc:
            raise exc.within(prefix) from exc.__cause__

    def _slices(
        self,
        part: Any,
        n: int,
        rows: int,
        opener: bytes,
        closer: bytes,
        target: int | None = None,
        written: bool = False,
    ) -> Iterator[Piece]:
        """``opener`` + the encoded ranges ``part(i, j)`` without their brackets + ``closer``
        (``written``: ``part`` gives their JSON already).

        ``rows`` is a first guess; after each range it is adjusted so that the
        next range encodes to about ``target`` bytes (one chunk by default; a
        range costs a fixed overhead, so small ranges cost throughput).
        """
        target = target or self.chunk_size
        yield opener
        i = 0
        while i < n:
            j = min(n, i + rows)
            try:
                out = self._escaped(part(i, j)) if written else self.enc.encode(part(i, j))
            except EncodeError as exc:
                raise rebased(exc, i) from exc.__cause__
            if len(out) > 2:
                if i:
                    yield b","
                yield memoryview(out)[1:-1]  # no copy of a piece that may be megabytes
                rows = max(1, min(rows * 4, (j - i) * target // len(out)))
            i = j
        yield closer

    def _split(self, members: dict[str, Iterator[Piece]]) -> Iterator[Piece]:
        """The ``split`` object from its members' pieces, in ``dumpb``'s key order; an error
        named within its member (``$.data[2][1]``), as ``dumpb`` names it."""
        names = sorted(members) if self.enc.option("sort_keys") else list(members)
        for k, name in enumerate(names):
            yield (b"{" if k == 0 else b",") + b'"' + name.encode() + b'":'
            yield from self._located(members[name], f"$.{name}")
        yield b"}"

    # -- NDJSON ----------------------------------------------------------------

    def lines(self, obj: Any) -> Iterator[Piece]:
        """NDJSON pieces: one line per row or element, each ending with a newline. A value
        your own encoder writes is laid out as what that encoder returns."""
        if type(obj) not in NATIVE:
            entry = self.enc.registry.lookup(type(obj))
            if entry is not None and not entry.builtin:
                converted = self.enc.convert(obj)
                if type(converted) is not type(obj):  # else encode raises why
                    return self.lines(converted)
            if entry is not None and stream_of(obj, self.enc.registry) is not None:
                return self._stream_lines(obj)
            source = None if entry is None else source_of(obj, self.enc.registry)
            if source is not None:
                return self._source_lines(source)
        if isinstance(obj, dict | str | bytes):
            return iter((self._escaped(self.enc.encode(obj)) + b"\n",))
        try:
            items = iter(obj)
        except TypeError:  # a scalar (a 0-d array too): one line
            return iter((self._escaped(self.enc.encode(obj)) + b"\n",))
        return self._element_lines(items, lazy=items is obj)

    def _escaped(self, out: bytes) -> bytes:
        return escape_non_ascii(out) if self.escape else out

    def _source_lines(self, source: Source) -> Iterator[Piece]:
        """A table by row ranges, a record (or element) a line, as ``dumpb`` writes each."""
        enc = self.enc
        source = source.prepared(enc.replace(orient="records"))  # what records refuse
        n = source.rows
        step = _rows_per_piece(source.row_bytes, self.range_bytes)
        for i in range(0, n, step):
            try:
                yield self._escaped(source.lines(i, min(n, i + step), enc))
            except EncodeError as exc:
                raise rebased(exc, i) from exc.__cause__

    def _stream_lines(self, obj: Any) -> Iterator[Piece]:
        """A query result or reader, batch by batch, a record (or element) a line."""
        offset = 0
        for source in batches_of(obj, self.enc.registry):
            try:
                yield from self._source_lines(source)
            except EncodeError as exc:
                raise rebased(exc, offset) from exc.__cause__
            offset += source.rows

    def _element_lines(self, items: Iterator[Any], lazy: bool) -> Iterator[Piece]:
        """A line per element; a ``lazy`` iterator's lines also flushed by time, as
        :meth:`_sequence` flushes its elements (:class:`Pacer`)."""
        index = 0
        encode = self.enc.encode
        escape = self._escaped if self.escape else None
        pacer = Pacer() if lazy else None
        size = 1  # elements a batch: then as many as make a chunk, at most _LINES
        try:
            while True:
                if pacer is None:
                    batch, flush = list(itertools.islice(items, size)), False
                else:
                    batch, flush = pacer.take(items, size)
                if not batch:
                    break
                try:  # one piece a batch: the lines joined in C, not a yield per line
                    lines = b"\n".join(map(encode, batch)) + b"\n"
                except EncodeError:
                    lines = self._located_lines(batch, index)  # raises, naming the element
                yield lines if escape is None else escape(lines)
                index += len(batch)
                size = max(1, min(_LINES, self.chunk_size * len(batch) // len(lines)))
                if flush and pacer is not None:
                    yield _FLUSH
                    pacer.flushed()
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    def _located_lines(self, batch: list[Any], index: int) -> bytes:
        """The lines of ``batch`` one by one, to name the element that fails (the first
        of the batch is element ``index``)."""
        for k, element in enumerate(batch):
            try:
                self.enc.encode(element)
            except EncodeError as exc:
                raise exc.within(f"$[{index + k}]") from exc.__cause__
        return b"\n".join(map(self.enc.encode, batch)) + b"\n"


def _labelled(exc: EncodeError) -> EncodeError:
    """``exc`` raised for row ``k`` (``$[k]...``) as the ``index`` orient names it, by
    its position as a label: ``$["k"]...`` (a path already keyed is left as it is)."""
    path = exc.path
    end = path.find("]")
    if not path.startswith("$[") or not path[2:end].isdigit():
        return exc
    return exc.at(f'$["{path[2:end]}"]{path[end + 1 :]}')


def _rows_per_piece(bytes_per_row: int, chunk_size: int) -> int:
    return max(1, chunk_size // max(1, bytes_per_row))


def _utf8(name: str) -> bool:
    try:
        name.encode()
    except UnicodeEncodeError:
        return False
    return True


def _json_key(name: str) -> bytes:
    """A key holding a lone surrogate, escaped as the walk writes it."""
    import json

    return json.dumps(name).encode()
