"""DuckDB relations (``duckdb.DuckDBPyRelation``): a query, run when it is encoded.

``dumpb`` encodes ``rel.to_arrow_table()``; a stream reads
``rel.to_arrow_reader(BATCH_ROWS)`` batch by batch, so the whole result is never
held. Each encode runs the query again. DuckDB's ``DECIMAL`` columns (the type of
a literal such as ``1.5``) arrive as Arrow decimals and are written as every
decimal is, strings with every digit (``"1.5"``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb

from .. import streams as package
from . import Batches, guarded, nonempty, reading, register
from .arrow import empty_batch

__all__ = ("RelationStream",)


class RelationStream(Batches):
    """A relation as a :class:`~.._source.Stream`: the record batches of its result."""

    def __init__(self, relation: duckdb.DuckDBPyRelation) -> None:
        self.relation = relation

    def batches(self) -> Iterator[Any]:
        yield from self.arrow(package.BATCH_ROWS)[0]  # the query runs at the first batch

    def collect(self) -> Any:
        with reading("a DuckDB query"):
            return self.relation.to_arrow_table()

    def arrow(self, rows: int) -> tuple[Iterator[Any], Any]:
        with reading("a DuckDB query"):
            reader = self.relation.to_arrow_reader(rows)
        batches = guarded(iter(reader), "a DuckDB query")
        return nonempty(batches, lambda: empty_batch(reader.schema)), reader.schema


register(duckdb.DuckDBPyRelation, RelationStream)
