"""Query results and readers, encoded as the one table they make.

An Arrow ``RecordBatchReader``, any object that offers the Arrow C stream
interface (``__arrow_c_stream__``), a DuckDB relation, a polars ``LazyFrame``
and a Dask DataFrame or Series are each a :class:`~.._source.Stream`: a table
known batch by batch, each batch a table fastjson already writes (an Arrow
record batch, a polars frame, a pandas partition). ``dumpb`` encodes the
collected table (each module beside this one says how it is collected), so the
bytes are those of that table by construction; :mod:`fastjson.streaming` and
the Arrow responses read the batches one at a time instead, and write the same
bytes.

This module registers the one family no package name announces, objects with
``__arrow_c_stream__``, as a predicate: it comes after every encoder registered
by type, so pandas and polars frames, which offer the interface too, keep their
own. It imports no table library; the modules beside it (loaded by the registry
when an object of their library is first seen) register the others by type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..._errors import EncodeError
from ...registry import builtin
from .._source import Kind, Stream, streams

if TYPE_CHECKING:
    from ...core import Encoder

__all__ = (
    "BATCH_ROWS",
    "UNLABELLED",
    "guarded",
    "in_schema",
    "nonempty",
    "positioned",
    "reading",
    "register",
)

BATCH_ROWS = 65_536
"""Rows per batch asked of a query (DuckDB's ``to_arrow_reader``, polars'
``collect_batches``): a batch of a few columns is a few MiB, the memory a stream
holds besides the chunk being written (bench/README.md, "Query results")."""

UNLABELLED = ("records", "values")
"""Orients that every stream writes batch by batch: their rows carry no label."""


@contextmanager
def reading(what: str) -> Iterator[None]:
    """Failures of the library that runs the query (a DuckDB conversion error, a Dask
    task that raised, polars' panics) as an :class:`~fastjson.EncodeError` naming
    ``what`` was being read, with the original as ``__cause__``."""
    try:
        yield
    except EncodeError:
        raise
    except (Exception, _panic()) as exc:
        raise EncodeError(f"reading {what} failed: {type(exc).__name__}: {exc}") from exc


def guarded(items: Iterator[Any], what: str) -> Iterator[Any]:
    """``items`` (a query's batches), each ``next`` under :func:`reading`: a failure in
    a later batch is an :class:`~fastjson.EncodeError` as the first one's is."""
    while True:
        with reading(what):
            item = next(items, None)
        if item is None:
            return
        yield item


def nonempty(batches: Iterator[Any], empty: Callable[[], Any]) -> Iterator[Any]:
    """``batches``, or the one table ``empty()`` gives (no rows, the result's columns)
    when there are none: an empty result still has its columns, which CSV's header
    names and a writer of batches can only learn from a batch."""
    seen = False
    for batch in batches:
        seen = True
        yield batch
    if not seen:
        yield empty()


def in_schema(batches: Iterator[Any], schema: Any) -> Iterator[Any]:
    """``batches`` (record batches) cast to ``schema``, the one announced before the first,
    where theirs differs; a batch that does not fit it (a Dask partition whose dtypes are
    not its collection's ``meta``) is an :class:`~fastjson.EncodeError` saying so."""
    for number, batch in enumerate(batches):
        if batch.schema.equals(schema):
            yield batch
            continue
        with reading(f"batch {number} of the result (its columns differ from the schema)"):
            cast = batch.cast(schema)
        yield cast


def _panic() -> type[BaseException]:
    """polars' ``PanicException`` (a ``BaseException``) when polars is loaded."""
    import sys

    polars = sys.modules.get("polars")
    panic = getattr(getattr(polars, "exceptions", None), "PanicException", None)
    return panic if isinstance(panic, type) else Exception


def register(key: Any, make: Callable[[Any], Stream], priority: int = 0) -> None:
    """Register the encoder of ``key``'s values: ``dumpb`` writes the table that
    ``make(value)`` collects, and the writers that cut tables read its batches."""

    @builtin(key, priority=priority, user_code=True)
    @streams(make)
    def encode(obj: Any, enc: Encoder) -> Any:
        return make(obj).collect()


def _c_stream(obj: Any) -> Any:
    """An object offering only ``__arrow_c_stream__``, read through
    ``pyarrow.RecordBatchReader.from_stream``."""
    from .arrow import CStream

    return CStream(obj)


register(lambda cls: hasattr(cls, "__arrow_c_stream__"), _c_stream, priority=-1)


class Batches:
    """What the streams of tables with no index share: ``records`` and ``values`` stream,
    and ``index``, whose labels are the row positions over the whole table
    (:func:`positioned`); ``split`` and ``columns`` collect first."""

    kind: Kind = "frame"

    def streams(self, enc: Encoder) -> bool:
        return enc.option("orient") in (*UNLABELLED, "index")


def positioned(lines: bytes, first: int) -> memoryview:
    """``"first":row,"first+1":row...``: the members of the ``index`` orient of a table
    with no index, from the NDJSON ``lines`` of its rows (each ``dumpb``'s record for the
    row, as the ``index`` orient writes it) and the position of the first, the labels'
    leads alternated with the lines (:func:`~.._tokens.keyed`): no Python object per row.
    """
    from .. import _tokens as tok

    if not lines:
        return memoryview(b"")
    leads = tok.counting_leads(first, first + lines.count(b"\n"))
    return memoryview(tok.keyed(leads, tok.Joined(lines[:-1], b"\n")))[1:]
