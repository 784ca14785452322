"""polars ``LazyFrame``: a query, run when it is encoded.

``dumpb`` encodes ``lf.collect()``. A stream runs it on polars' streaming engine
(``collect_batches``), batch by batch, and never collects it whole in the
orients that stream (``records``, ``values``, NDJSON, Arrow).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import polars as pl

from .. import streams as package
from . import Batches, guarded, reading, register

if TYPE_CHECKING:
    pass

__all__ = ("LazyStream",)


class LazyStream(Batches):
    """A LazyFrame as a :class:`~.._source.Stream`: the frames of its streaming run."""

    def __init__(self, frame: pl.LazyFrame, rows: int | None = None) -> None:
        self.frame = frame
        self.rows = package.BATCH_ROWS if rows is None else rows

    def batches(self) -> Iterator[pl.DataFrame]:
        with reading("a polars LazyFrame"):
            run = iter(self.frame.collect_batches(chunk_size=self.rows, lazy=True))
        yield from guarded(run, "a polars LazyFrame")

    def collect(self) -> pl.DataFrame:
        with reading("a polars LazyFrame"):
            return self.frame.collect()

    def arrow(self, rows: int) -> tuple[Iterator[Any], Any]:
        with reading("a polars LazyFrame"):
            schema = pl.DataFrame(schema=self.frame.collect_schema()).to_arrow().schema
        return _cast(LazyStream(self.frame, rows).batches(), schema), schema


def _cast(frames: Iterator[pl.DataFrame], schema: Any) -> Iterator[Any]:
    """Each frame's record batches, in the schema announced before the first."""
    for frame in frames:
        for batch in frame.to_arrow().to_batches():
            yield batch if batch.schema.equals(schema) else batch.cast(schema)


register(pl.LazyFrame, LazyStream)
