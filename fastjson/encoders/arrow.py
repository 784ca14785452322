"""pyarrow Table, RecordBatch, Array and ChunkedArray, encoded through polars.

Imported lazily by the registry the first time a pyarrow object is seen.
``pl.from_arrow`` takes Arrow memory as it is (zero-copy for the common
types), so a Table is encoded exactly as the polars DataFrame it becomes
(:mod:`fastjson.encoders.polars`): the same orients, with the row position
``0..n-1`` as the index (pandas' ``RangeIndex`` for ``table.to_pandas()``),
and the same JSON forms. An Array or ChunkedArray is a list of its values,
whatever the orient, as pandas' extension arrays are.

Two Arrow details are smoothed over so that the output parses as that of
``table.to_pandas()``: ``date64`` columns, which polars reads as
millisecond datetimes, are read as dates (``"2024-01-01"``, as pyarrow's
``to_pandas`` gives), and duplicate column names, which polars refuses, are
fine for ``split`` and ``values`` and a ``DuplicateKeyError`` for the
orients whose keys would collide, as for pandas frames.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from .._errors import EncodeError
from .._values import Raw
from ..registry import builtin
from . import _columns as cols
from . import polars as pl_enc

if TYPE_CHECKING:
    from ..core import Encoder


@builtin(pa.Table)
def encode_arrow_table(table: pa.Table, enc: Encoder) -> Raw:
    """A Table as the polars DataFrame it converts to, zero-copy."""
    names = list(table.column_names)
    if len(set(names)) == len(names):
        return Raw(pl_enc.frame_json(_polars(_dates(table)), enc), trusted=True)
    orient = enc.option("orient")
    if orient in ("records", "columns", "index"):  # keys would collide
        cols.check_unique(names, "column name", orient)
    unique = table.rename_columns([f"c{i}" for i in range(len(names))])
    return Raw(pl_enc.frame_json(_polars(_dates(unique)), enc, labels=names), trusted=True)


@builtin(pa.RecordBatch)
def encode_arrow_batch(batch: pa.RecordBatch, enc: Encoder) -> Raw:
    """A RecordBatch as a one-batch Table."""
    return encode_arrow_table(pa.Table.from_batches([batch]), enc)


@builtin(pa.Array)
@builtin(pa.ChunkedArray)
def encode_arrow_array(array: pa.Array | pa.ChunkedArray, enc: Encoder) -> Raw:
    """A list of the values, whatever the orient."""
    if pa.types.is_date64(array.type):
        array = array.cast(pa.date32())
    return Raw(pl_enc.array_json(_polars(array), enc), trusted=True)


def _dates(table: pa.Table) -> pa.Table:
    """``date64`` columns as ``date32``: dates, not the datetimes polars would make them."""
    if not any(pa.types.is_date64(field.type) for field in table.schema):
        return table
    schema = pa.schema(
        [pa.field(f.name, pa.date32()) if pa.types.is_date64(f.type) else f for f in table.schema],
        metadata=table.schema.metadata,
    )
    return table.cast(schema)


def _polars(data: Any) -> Any:
    """``pl.from_arrow(data)``; types polars cannot read (unions...) are an ``EncodeError``."""
    try:
        return pl.from_arrow(data, rechunk=False)  # chunks as they are: no copy
    except Exception as exc:
        raise EncodeError(f"polars cannot read this Arrow data: {exc}") from exc
