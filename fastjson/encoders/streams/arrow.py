"""Arrow record batch readers (``pyarrow.RecordBatchReader``), and the readers that
objects offering ``__arrow_c_stream__`` are read through.

A reader is read once: it hands out each batch a single time, so a second
encode of the same reader would write an empty table. Readers that fastjson
has begun to read are remembered (weakly), and a second read raises an
:class:`~fastjson.EncodeError` instead. A reader the caller already read
itself cannot be told from an empty one.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from ..._errors import EncodeError, qualname
from . import Batches, guarded, nonempty, reading, register

__all__ = ("CStream", "ReaderStream", "empty_batch")

_READ: weakref.WeakSet[pa.RecordBatchReader] = weakref.WeakSet()
"""Readers fastjson has begun to read."""


def empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    """A record batch of no rows in ``schema``: an empty result's one batch."""
    return pa.RecordBatch.from_pylist([], schema=schema)


class ReaderStream(Batches):
    """A reader as a :class:`~.._source.Stream`: its batches as they come."""

    what = "RecordBatchReader"

    def __init__(self, reader: pa.RecordBatchReader) -> None:
        self.reader = reader

    def _open(self) -> pa.RecordBatchReader:
        """The reader, marked as read; an ``EncodeError`` if it was read already."""
        if self.reader in _READ:
            raise EncodeError(
                f"this {self.what} was already read: a reader hands out its batches once, "
                "so encode each reader once (or read_all() it and encode the Table)"
            )
        _READ.add(self.reader)
        return self.reader

    def batches(self) -> Iterator[pa.RecordBatch]:
        return self._read(None)

    def _read(self, opened: pa.RecordBatchReader | None) -> Iterator[pa.RecordBatch]:
        """The batches of ``opened``, or of the reader opened at the first batch."""
        reader = self._open() if opened is None else opened
        yield from nonempty(
            guarded(iter(reader), f"a {self.what}"), lambda: empty_batch(reader.schema)
        )

    def collect(self) -> pa.Table:
        reader = self._open()
        with reading(f"a {self.what}"):
            return reader.read_all()

    def arrow(self, rows: int) -> tuple[Iterator[pa.RecordBatch], pa.Schema]:
        return self._read(None), self.reader.schema  # read (and marked) at the first batch


class CStream(ReaderStream):
    """An object offering ``__arrow_c_stream__``: a reader opened for each read, when the
    read begins (the object decides whether it can be read again)."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self.what = f"Arrow C stream of a {qualname(type(obj))}"

    def _open(self) -> pa.RecordBatchReader:
        """``RecordBatchReader.from_stream``; a stream of anything but record batches (a
        column's stream of arrays) is an :class:`~fastjson.EncodeError`."""
        with reading(f"the Arrow C stream of a {qualname(type(self.obj))}"):
            reader = pa.RecordBatchReader.from_stream(self.obj)
        return reader

    def arrow(self, rows: int) -> tuple[Iterator[pa.RecordBatch], pa.Schema]:
        reader = self._open()
        return self._read(reader), reader.schema


register(pa.RecordBatchReader, ReaderStream)
