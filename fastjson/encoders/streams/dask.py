"""Dask DataFrames and Series: partition by partition, each computed when reached.

``dumpb`` encodes ``ddf.compute()``. A stream computes ``ddf.to_delayed()``'s
partitions one at a time, in order, as the writer reaches each, so one partition
is in memory at a time (the one being written); with a ``dask.distributed``
``Client`` active they compute on its cluster, as any ``compute()`` does.
Partitions are pandas frames that keep their index: with known divisions the
partitions' labels are disjoint and in order, so ``index`` (and a Series'
``columns``) streams too, but not under ``sort_keys``, which sorts the labels of
the whole table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .._source import Kind, NoArrowForm, source_of
from . import UNLABELLED, Batches, in_schema, reading, register

if TYPE_CHECKING:
    from ...core import Encoder

__all__ = ("PartitionStream",)


class PartitionStream(Batches):
    """A Dask DataFrame or Series as a :class:`~.._source.Stream`: its partitions."""

    def __init__(self, data: Any, kind: Kind) -> None:
        self.data = data
        self.kind = kind

    def streams(self, enc: Encoder) -> bool:
        orient = enc.option("orient")
        if orient in UNLABELLED:
            return True
        keyed = orient == "index" or (self.kind == "series" and orient == "columns")
        return keyed and not enc.option("sort_keys") and bool(self.data.known_divisions)

    def batches(self) -> Iterator[Any]:
        with reading("a Dask collection"):
            parts = self.data.to_delayed()
        for part in parts:
            with reading("a Dask partition"):
                computed = part.compute()
            yield computed
            del computed  # the next partition is computed only once this one is written

    def collect(self) -> Any:
        with reading("a Dask collection"):
            return self.data.compute()

    def arrow(self, rows: int) -> tuple[Iterator[Any], Any]:
        from ...registry import builtins

        meta = source_of(self.data._meta, builtins)
        if meta is None:
            raise NoArrowForm("this Dask collection has no Arrow form")
        schema = meta.arrow(rows)[1]
        return in_schema(self._arrow_batches(rows), schema), schema

    def _arrow_batches(self, rows: int) -> Iterator[Any]:
        from ...registry import builtins

        for partition in self.batches():
            source = source_of(partition, builtins)
            assert source is not None  # a pandas frame or Series, as the meta is
            yield from source.arrow(rows)[0]


try:
    import dask.dataframe as dd
except ImportError:  # a Dask array or delayed object alone does not need it
    pass
else:
    register(dd.DataFrame, lambda ddf: PartitionStream(ddf, "frame"))
    register(dd.Series, lambda ds: PartitionStream(ds, "series"))
