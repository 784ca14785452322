"""Streaming: JSON and NDJSON as an iterator of chunks, with memory bounded by the chunk.

:func:`iter_encode` yields ``bytes`` whose concatenation is byte for byte
what :func:`fastjson.dumpb` returns for the same object and options. Big
values are written piece by piece: numpy arrays by slices of the leading
axis, DataFrames and Series by row ranges (through the same column code as
``dumpb``), lists, tuples and dicts element by element, and generators and
other iterators lazily, as they yield. Everything else, and anything small,
is encoded whole by the same :class:`~fastjson.Encoder`, so there is no
second copy of the type rules here: this module only decides where to cut.

Errors are raised before the first chunk where they can be known: a frame's
labels and dtypes, and NaN under ``nan="error"``, are checked up front. A
value that fails later (an object deep in a generator) raises from the
iterator; a server then ends the response without its final chunk, so the
client cannot take the truncated body for complete JSON.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any, Unpack

import orjson

from ._errors import EncodeError
from ._options import Options
from ._values import NATIVE
from ._walk import object_items
from .core import Encoder, encoder_for, escape_non_ascii

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

RANGE_BYTES = 4 << 20
"""Frames and tables are encoded in row ranges of about this much output (4 MiB), or
one chunk if chunks are bigger: each range is one pass through polars or the column
code, with a fixed cost, and 1 MiB ranges made streaming a frame 0.7x as fast as
``dumpb``. A range is then sent in chunks of ``chunk_size``."""

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
    """Join ``pieces`` into chunks of at least ``size`` bytes (the last may be shorter)."""
    buffer: list[bytes | memoryview] = []
    held = 0
    try:
        for piece in pieces:
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
        """The method that writes ``obj`` in pieces, if its encoder is a built-in one
        that this module knows how to cut (your own encoder for the type wins)."""
        entry = self.enc.registry.lookup(type(obj))
        if entry is None or not entry.builtin:
            return None
        name = getattr(entry.func, "__name__", "")
        if name == "_iterator":
            return self._lazy
        if self.indent and not self.enc.fragments:
            return None  # the json backends indent arrays and frames too: written whole
        if name in ("encode_array", "encode_masked"):
            if self.indent and obj.dtype.kind not in "biuf":
                return None  # written as nested lists, which indent: written whole
            return self._array if obj.ndim and obj.size * 8 > self.chunk_size else None
        if name == "encode_frame":
            return self._frame if obj.size * 8 > self.chunk_size else None
        if name == "encode_series":
            return self._series if len(obj) * 8 > self.chunk_size else None
        if name in _TABLES and self.enc.option("orient") in ("records", "values"):
            rows, columns = _table_shape(obj)
            return self._table if rows * max(columns, 1) * 8 > self.chunk_size else None
        return None

    def _table(self, table: Any, depth: int) -> Iterator[Piece]:
        """A polars frame or an Arrow table by row ranges (``records`` and ``values``: the
        orients whose rows do not carry their position)."""
        rows, columns = _table_shape(table)
        self.enc.encode(table.slice(0, 1))  # a column with no JSON form raises before any byte
        per_row = max(columns, 1) * 24
        yield from self._slices(
            lambda i, j: table.slice(i, j - i),
            rows,
            _rows_per_piece(per_row, self.range_bytes),
            b"[",
            b"]",
            target=self.range_bytes,
        )

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

    def _sequence(self, items: Iterator[Any], depth: int) -> Iterator[Piece]:
        """``[...]`` from any iterator, batching small elements into one encode call."""
        opener, separator, closer = self._open(b"[", b"]", depth)
        first = True
        batch_size = _BATCH
        index = 0
        try:
            while True:
                batch = list(itertools.islice(items, batch_size))
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
            values = element.values() if t is dict else element
            return levels > 0 and any(self._big(v, levels - 1) for v in values)
        return t not in NATIVE and self._streamable(element) is not None

    def _batch(self, group: list[Any], depth: int, index: int) -> bytes:
        """Elements encoded as one list, without its brackets, placed at ``depth + 1``."""
        try:
            out = self.enc.encode(group)
        except EncodeError as exc:
            raise _shifted(exc, index) from exc.__cause__
        if not self.indent:
            return out[1:-1]
        inner = out[2:-2]  # "[\n" ... "\n]"; each element already indented once
        if depth:
            pad = b"  " * depth
            inner = pad + inner.replace(b"\n", b"\n" + pad)
        return inner

    def _lazy(self, obj: Any, depth: int) -> Iterator[Piece]:
        return self._sequence(obj, depth)

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
            yield from self._located(self.pieces(value, depth + 1), "$" + _member(name))
        yield closer

    def _located(self, pieces: Iterator[Piece], prefix: str) -> Iterator[Piece]:
        try:
            yield from pieces
        except EncodeError as exc:
            raise exc.within(prefix) from exc.__cause__

    def _array(self, a: Any, depth: int) -> Iterator[Piece]:
        """An array by slices of its leading axis, each encoded whole."""
        import numpy as np

        self.enc.encode(a[:1])  # a dtype with no JSON form raises before the first byte
        if a.dtype.kind == "f" and self.enc.option("nan") == "error" and not np.isfinite(a).all():
            self.enc.encode(a)  # raises NonFiniteError naming the element, before any byte
        rows = _rows_per_piece(a[:1].size * _bytes_per_element(a.dtype.kind), self.chunk_size)
        yield from self._slices(lambda i, j: a[i:j], len(a), rows, b"[", b"]")

    def _slices(
        self,
        part: Any,
        n: int,
        rows: int,
        opener: bytes,
        closer: bytes,
        by: Any = None,
        target: int | None = None,
    ) -> Iterator[Piece]:
        """``opener`` + the encoded ranges ``part(i, j)`` (``part(by(i, j))`` when ``by``
        is given) without their brackets + ``closer``.

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
                out = self.enc.encode(part(by(i, j)) if by is not None else part(i, j))
            except EncodeError as exc:
                raise _shifted(exc, i) from exc.__cause__
            if len(out) > 2:
                if i:
                    yield b","
                yield memoryview(out)[1:-1]  # no copy of a piece that may be megabytes
                rows = max(1, min(rows * 4, (j - i) * target // len(out)))
            i = j
        yield closer

    def _frame(self, df: Any, depth: int) -> Iterator[Piece]:
        """A DataFrame by row ranges, in its orient; labels and dtypes checked first."""
        from .encoders import pandas as pd_enc

        enc = self.enc
        orient = enc.option("orient")
        pd_enc.check_frame(df, enc)
        df = pd_enc.sorted_frame(df, enc)
        rows = _rows_per_piece(max(1, df.shape[1]) * 24, self.range_bytes)
        n = len(df)
        wide = self.range_bytes
        if orient in ("records", "values"):
            yield from self._slices(lambda i, j: df.iloc[i:j], n, rows, b"[", b"]", target=wide)
        elif orient == "index":
            yield from self._slices(lambda i, j: df.iloc[i:j], n, rows, b"{", b"}", target=wide)
        elif orient == "split":
            data = _Writer(enc.replace(orient="values"), self.chunk_size)
            yield from self._split(
                {
                    "columns": iter((enc.encode(df.columns),)),
                    "index": self._slices(lambda i, j: df.index[i:j], n, rows, b"[", b"]"),
                    "data": data._slices(
                        lambda i, j: df.iloc[i:j], n, rows, b"[", b"]", target=wide
                    ),
                }
            )
        else:  # columns: one object per column, written by row ranges
            yield b"{"
            for j, name in enumerate(df.columns):
                key = orjson.dumps(name if isinstance(name, str) else str(name))
                yield (b"" if j == 0 else b",") + self._escaped(key) + b":"
                column = df.iloc[:, j]
                yield from self._slices(
                    column.iloc.__getitem__, n, rows * 8, b"{", b"}", by=slice, target=wide
                )
            yield b"}"

    def _split(self, members: dict[str, Iterator[Piece]]) -> Iterator[Piece]:
        """The ``split`` object from its members' pieces, in ``dumpb``'s key order."""
        names = sorted(members) if self.enc.option("sort_keys") else list(members)
        for k, name in enumerate(names):
            yield (b"{" if k == 0 else b",") + b'"' + name.encode() + b'":'
            yield from members[name]
        yield b"}"

    def _series(self, s: Any, depth: int) -> Iterator[Piece]:
        """A Series by ranges, in its orient."""
        from .encoders import pandas as pd_enc

        enc = self.enc
        orient = enc.option("orient")
        pd_enc.check_frame(s.to_frame(), enc.replace(orient="values"))
        n = len(s)
        rows = _rows_per_piece(24, self.chunk_size)
        if orient in ("records", "values"):
            yield from self._slices(lambda i, j: s.iloc[i:j], n, rows, b"[", b"]")
        elif orient == "split":
            name = s.name if isinstance(s.name, str | None) else str(s.name)
            values = _Writer(enc.replace(orient="values"), self.chunk_size)
            yield from self._split(
                {
                    "name": iter((self._escaped(orjson.dumps(name)),)),
                    "index": self._slices(lambda i, j: s.index[i:j], n, rows, b"[", b"]"),
                    "data": values._slices(lambda i, j: s.iloc[i:j], n, rows, b"[", b"]"),
                }
            )
        else:
            pd_enc.check_labels(s.index, enc.option("orient"), enc)  # as dumpb refuses them
            ordered = s
            if enc.option("sort_keys"):
                order = pd_enc.key_order(s.index)
                if order is not None:
                    ordered = s.iloc[order]
            yield from self._slices(lambda i, j: ordered.iloc[i:j], n, rows, b"{", b"}")

    # -- NDJSON ----------------------------------------------------------------

    def lines(self, obj: Any) -> Iterator[Piece]:
        """NDJSON pieces: one line per row or element, each ending with a newline."""
        entry = None if type(obj) in NATIVE else self.enc.registry.lookup(type(obj))
        name = getattr(entry.func, "__name__", "") if entry is not None and entry.builtin else ""
        if name == "encode_frame":
            return self._frame_lines(obj)
        if name in ("encode_array", "encode_masked") and obj.ndim:
            return self._array_lines(obj)
        if name == "encode_series":
            return self._array_lines(obj)
        if name in _TABLES:
            return self._table_lines(obj)
        if name in ("encode_polars_series", "encode_arrow_array"):
            return self._element_lines(iter(obj.to_list() if hasattr(obj, "to_list") else obj))
        if isinstance(obj, dict) or not isinstance(obj, Iterable) or isinstance(obj, str | bytes):
            return iter((self._escaped(self.enc.encode(obj)) + b"\n",))
        return self._element_lines(iter(obj))

    def _escaped(self, out: bytes) -> bytes:
        return escape_non_ascii(out) if self.escape else out

    def _table_lines(self, table: Any) -> Iterator[Piece]:
        """A polars frame or Arrow table, one record per line: each range is encoded as
        records by its own encoder, then each row is written as ``dumpb`` writes it."""
        import orjson as _orjson

        enc = self.enc.replace(orient="records")
        rows, columns = _table_shape(table)
        step = _rows_per_piece(max(columns, 1) * 24, self.range_bytes)
        for i in range(0, rows, step):
            try:
                records = _orjson.loads(enc.encode(table.slice(i, step)))
            except EncodeError as exc:
                raise _shifted(exc, i) from exc.__cause__
            yield b"".join(self.enc.encode(record) + b"\n" for record in records)

    def _frame_lines(self, df: Any) -> Iterator[Piece]:
        from .encoders import pandas as pd_enc

        enc = self.enc.replace(orient="records")
        pd_enc.check_frame(df, enc)
        rows = _rows_per_piece(max(1, df.shape[1]) * 24, self.range_bytes)
        for i in range(0, len(df), rows):
            try:
                yield self._escaped(pd_enc.ndjson(df.iloc[i : i + rows], enc))
            except EncodeError as exc:
                raise _shifted(exc, i) from exc.__cause__

    def _array_lines(self, a: Any) -> Iterator[Piece]:
        """Rows of a 2-D (or more) array, or values of a 1-D array or Series, one per line."""
        enc = self.enc.replace(orient="values")
        per_row = (a[:1].size if hasattr(a, "ndim") else 1) * 24
        rows = _rows_per_piece(per_row, self.chunk_size)
        numeric = getattr(getattr(a, "dtype", None), "kind", "O") in "biuf"
        for i in range(0, len(a), rows):
            part = a.iloc[i : i + rows] if hasattr(a, "iloc") else a[i : i + rows]
            try:
                if getattr(part, "ndim", 1) == 1:
                    values = self._values(part, enc)
                    yield b"\n".join(values) + b"\n"
                elif numeric:  # numbers hold no brackets: rows split where "],[" is
                    body = enc.encode(part)[1:-1].replace(b"],[", b"]\n[")
                    yield self._escaped(body) + b"\n"
                else:
                    yield b"".join(self._escaped(enc.encode(row)) + b"\n" for row in part)
            except EncodeError as exc:
                raise _shifted(exc, i) from exc.__cause__

    def _values(self, part: Any, enc: Encoder) -> list[bytes]:
        """The JSON text of each value of a 1-D array or Series, as ``dumpb`` gives it."""
        if hasattr(part, "iloc"):
            from .encoders import pandas as pd_enc

            tokens = pd_enc.column_tokens(part, enc)
        else:
            from .encoders import numpy as np_enc

            tokens = np_enc.tokens(part, enc)
        return [self._escaped(t) for t in tokens] if self.escape else tokens

    def _element_lines(self, items: Iterator[Any]) -> Iterator[Piece]:
        index = 0
        try:
            for element in items:
                try:
                    yield self._escaped(self.enc.encode(element)) + b"\n"
                except EncodeError as exc:
                    raise exc.within(f"$[{index}]") from exc.__cause__
                index += 1
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()


_TABLES = ("encode_polars_frame", "encode_arrow_table", "encode_arrow_batch")
"""Encoders of tables that have ``.slice(offset, length)`` and no index."""


def _table_shape(table: Any) -> tuple[int, int]:
    """(rows, columns) of a polars frame or an Arrow table or record batch."""
    if hasattr(table, "num_rows"):
        return int(table.num_rows), int(table.num_columns)
    rows, columns = table.shape
    return int(rows), int(columns)


def _rows_per_piece(bytes_per_row: int, chunk_size: int) -> int:
    return max(1, chunk_size // max(1, bytes_per_row))


def _bytes_per_element(kind: str) -> int:
    """A rough size of one element's JSON text, to size slices near the chunk size."""
    return {"b": 5, "i": 8, "u": 8, "f": 20, "M": 30, "m": 12}.get(kind, 24)


def _shifted(exc: EncodeError, offset: int) -> EncodeError:
    """``exc`` raised for a range starting at ``offset``: its leading ``$[k]`` becomes
    ``$[offset + k]``, so the path counts from the start of the whole value."""
    path = exc.path
    if offset and path.startswith("$[") and "]" in path:
        end = path.index("]")
        head = path[2:end]
        if head.isdigit():
            return exc.at(f"$[{offset + int(head)}]{path[end + 1 :]}")
    return exc


def _member(name: str) -> str:
    return f".{name}" if name.isidentifier() else f"[{orjson.dumps(name).decode()}]"


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
