"""The table source: what every writer that cuts a table needs of it, whatever its library.

pandas, polars, Arrow and numpy values reach the writers that cut them
(:mod:`fastjson.streaming`'s row ranges and NDJSON lines, CSV, the Arrow IPC stream
of :mod:`fastjson._http`) as a :class:`Source`, named by their built-in encoder
(:func:`provides`): the writers dispatch on what the value is, never on a
function's name, and a library's module only says how to read its values; the
layout of the orients, the key order and the error paths are written once. A
range of rows is a value the one :class:`~fastjson.Encoder` writes as the whole
would write those rows, so cutting can never change the bytes.

A query result or a reader (:mod:`fastjson.encoders.streams`) is a :class:`Stream`
(:func:`streams`), each batch a table with a :class:`Source`; :func:`batches_of`
gives the batch sources of any table or stream.

This module imports neither numpy nor any table library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from .._errors import EncodeError, qualname
from .._values import json_string

if TYPE_CHECKING:
    from ..core import Encoder
    from ..registry import Registry

__all__ = (
    "Kind",
    "NoArrowForm",
    "Source",
    "Stream",
    "batches_of",
    "provides",
    "source_from",
    "source_of",
    "stream_from",
    "stream_of",
    "streams",
)

Kind = Literal["frame", "series", "array"]
"""How the orients lay a source out: rows with columns, one column with labels, or a
sequence (an array is the same list whatever the orient)."""


class NoArrowForm(ValueError):
    """The source has no Arrow form (the reason says why): content negotiation offers JSON."""


class Source:
    """A table or column as the writers that cut it see it.

    A source that is not ``labelled`` is only cut in the orients with no labels, and
    an ``array`` or ``series`` is one column: the methods nothing asks of such a
    source (:meth:`index`, :meth:`column`, the column names) keep their defaults.
    """

    kind: Kind
    rows: int
    """Number of rows (a stream, whose length is not known until read, is a
    :class:`Stream` of sources, each knowing its own)."""
    cells: int
    """Rows times columns: whether cutting is worth it."""
    row_bytes: int = 24
    """A guess at the JSON size of one row, on the high side, to size the ranges."""
    compact: bool = True
    """Whether its JSON is one compact fragment even under ``indent`` (frames, numeric
    arrays); otherwise it is nested lists that indent, and is written whole."""
    names: Sequence[Any] = ()
    """A frame's column names."""
    labelled: bool = False
    """Whether a range of rows keeps its labels, so that every orient streams by ranges
    (pandas); otherwise only ``records`` and ``values`` do, and the keyed orients and
    ``split`` are written whole."""

    def prepared(self, enc: Encoder) -> Source:
        """The same table in output order (``sort_keys``), after raising what encoding it
        would raise part-way through (colliding labels, a dtype with no JSON form, NaN
        under ``nan="error"``), so that a stream fails before its first byte. By default
        the first row is encoded: a column with no JSON form raises now."""
        enc.encode(self.part(0, 1))
        return self

    def part(self, i: int, j: int) -> Any:
        """Rows ``i:j``, as a value the encoder writes as those rows of the whole."""
        raise NotImplementedError

    def index(self, i: int, j: int) -> Any:
        """The labels of rows ``i:j`` (``split``'s ``index``)."""
        raise NotImplementedError

    def header(self) -> Any:
        """``split``'s ``columns`` of a frame, its ``name`` of a Series."""
        return None

    def width(self) -> int:
        """Number of columns (1 for a Series)."""
        return len(self.names) if self.kind == "frame" else 1

    def column_key(self, k: int) -> bytes:
        """Column ``k``'s name as a JSON object key (``columns`` orient)."""
        name = self.names[k]
        return json_string(name if isinstance(name, str) else str(name))

    def column(self, k: int, i: int, j: int) -> Any:
        """Column ``k``, rows ``i:j``, as a Series written keyed by its labels."""
        raise NotImplementedError

    def lines(self, i: int, j: int, enc: Encoder) -> bytes:
        """NDJSON of rows ``i:j``: each record or element as ``dumpb`` writes it, and a
        newline after each. Here and in :meth:`values`, ``enc``'s ``orient`` applies to
        what the cells hold (a frame in a cell), never to the rows' layout."""
        raise NotImplementedError

    def values(self, i: int, j: int, enc: Encoder) -> bytes:
        """``split``'s ``data`` of rows ``i:j``, a JSON array (of a labelled source)."""
        raise NotImplementedError

    def arrow(self, rows: int) -> tuple[Iterator[Any], Any]:
        """Record batches of at most ``rows`` rows and their schema; :class:`NoArrowForm`
        when Arrow cannot hold the data, raised before any batch."""
        raise NotImplementedError


_F = TypeVar("_F", bound=Callable[..., Any])


def provides(make: Callable[[Any], Source | None]) -> Callable[[_F], _F]:
    """Mark a built-in encoder as writing values that ``make(value)`` turns into a source
    (``None``: this value is not cut, a 0-d array say)."""
    return _mark("table_source", make)


def source_of(obj: Any, registry: Registry) -> Source | None:
    """The source of ``obj`` when the encoder in charge of it is a built-in that has one
    (your own encoder for the type wins, and is written whole)."""
    return source_from(_builtin(obj, registry), obj)


def source_from(func: Callable[..., Any] | None, obj: Any) -> Source | None:
    """The source of ``obj`` if ``func``, its built-in encoder, names one (:func:`provides`)."""
    make = getattr(func, "table_source", None)
    return None if make is None else make(obj)


def _mark(attribute: str, make: Callable[[Any], Any]) -> Callable[[_F], _F]:
    def mark(func: _F) -> _F:
        setattr(func, attribute, make)
        return func

    return mark


def _builtin(obj: Any, registry: Registry) -> Callable[..., Any] | None:
    """The encoder in charge of ``obj`` if it is a built-in one."""
    entry = registry.lookup(type(obj))
    return None if entry is None or not entry.builtin else entry.func


class Stream(Protocol):
    """A table known batch by batch: a reader, a query, a partitioned frame.

    The batches, in order, make the table that :meth:`collect` returns, so writing
    them one after the other in ``records``, ``values`` or NDJSON gives the bytes
    of the collected table. A reader can be read once: a second read raises an
    :class:`~fastjson.EncodeError` rather than write an empty table.
    """

    @property
    def kind(self) -> Kind:
        """``frame`` or ``series``, as the collected table is."""
        ...

    def batches(self) -> Iterator[Any]:
        """The batches, read as they are asked for: tables that have a :class:`Source`."""
        ...

    def collect(self) -> Any:
        """The whole table as one value (what ``dumpb`` encodes)."""
        ...

    def streams(self, enc: Encoder) -> bool:
        """Whether the orient of ``enc`` is written batch by batch with the bytes of the
        collected table (``records`` and ``values`` always; a keyed orient only where
        each batch carries its labels); otherwise the table is collected first."""
        ...

    def arrow(self, rows: int) -> tuple[Iterator[Any], Any]:
        """Record batches (passed through as they are read) and their schema;
        :class:`NoArrowForm` when Arrow cannot hold the data, raised before any batch."""
        ...


def streams(make: Callable[[Any], Stream]) -> Callable[[_F], _F]:
    """Mark a built-in encoder (which encodes the collected table) as writing values that
    ``make(value)`` turns into a :class:`Stream`. ``make`` must not start reading."""
    return _mark("stream_source", make)


def stream_of(obj: Any, registry: Registry) -> Stream | None:
    """The stream of ``obj`` when the encoder in charge of it is a built-in that has one
    (your own encoder for the type wins)."""
    return stream_from(_builtin(obj, registry), obj)


def stream_from(func: Callable[..., Any] | None, obj: Any) -> Stream | None:
    """The stream of ``obj`` if ``func``, its built-in encoder, names one (:func:`streams`)."""
    make = getattr(func, "stream_source", None)
    return None if make is None else make(obj)


def batches_of(obj: Any, registry: Registry) -> Iterator[Source]:
    """The sources of ``obj``'s batches, in order: one for a table (a frame, a Series, an
    Arrow table, an array), one per batch for a stream, each read when it is asked for.

    Any writer that cuts tables (JSON, NDJSON, CSV...) can be written over this
    alone: the batches' rows, one after the other, are the table's rows.
    :class:`~fastjson.EncodeError` for a value that is neither a table nor a stream
    (or that your own encoder writes), raised at once.
    """
    stream = stream_of(obj, registry)
    if stream is not None:
        return _stream_sources(stream, registry)
    source = source_of(obj, registry)
    if source is None:
        raise EncodeError(f"a {qualname(type(obj))} is not a table or a stream of tables")
    return iter((source,))


def _stream_sources(stream: Stream, registry: Registry) -> Iterator[Source]:
    for batch in stream.batches():
        source = source_of(batch, registry)
        if source is None:
            raise EncodeError(f"a batch of type {qualname(type(batch))} has no table source")
        yield source
