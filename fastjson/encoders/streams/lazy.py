"""polars ``LazyFrame``: a query, run when it is encoded.

``dumpb`` encodes ``lf.collect()``. A stream runs it on polars' streaming engine
(``collect_batches``), batch by batch, and never collects it whole in the
orients that stream (``records``, ``values``, NDJSON, Arrow).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl

from .. import polars as pl_enc
from .. import streams as package
from . import Batches, guarded, in_schema, nonempty, reading, register

__all__ = ("LazyStream",)


class LazyStream(Batches):
    """A LazyFrame as a :class:`~.._source.Stream`: the frames of its streaming run."""

    def __init__(self, frame: pl.LazyFrame, rows: int | None = None) -> None:
        self.frame = frame
        self.rows = package.BATCH_ROWS if rows is None else rows

    def batches(self) -> Iterator[pl.DataFrame]:
        with reading("a polars LazyFrame"):
            run = iter(self.frame.collect_batches(chunk_size=self.rows, lazy=True))
        yield from nonempty(guarded(run, "a polars LazyFrame"), self._empty)

    def _empty(self) -> pl.DataFrame:
        with reading("a polars LazyFrame"):
            return pl.DataFrame(schema=self.frame.collect_schema())

    def collect(self) -> pl.DataFrame:
        with reading("a polars LazyFrame"):
            return self.frame.collect()

    def arrow(self, rows: int) -> tuple[Iterator[Any], Any]:
        _, schema = pl_enc.arrow_batches(self._empty().to_arrow, rows)  # NoArrowForm: Int128
        frames = LazyStream(self.frame, rows).batches()
        batches = (batch for frame in frames for batch in frame.to_arrow().to_batches())
        return in_schema(batches, schema), schema


register(pl.LazyFrame, LazyStream)
