"""The table source: what every writer that cuts a table needs of it, whatever its library.

A pandas frame or Series, a polars frame or Series, an Arrow table or array and
a numpy array reach the writers that cut them (:mod:`fastjson.streaming`'s row
ranges and NDJSON lines, the Arrow IPC stream of :mod:`fastjson._http`) as a
:class:`Source`. Its built-in encoder names it (:func:`provides`), so the
writers dispatch on what the value is, never on a function's name, and a
library's module only says how to read that library's values: the layout of
the orients, the key order, the error paths are the writers' and the column
code's, written once.

A source's pieces are values that the one :class:`~fastjson.Encoder` writes:
a range of rows is encoded exactly as the whole value would write those rows
(labels kept where the orient shows them), so cutting can never change the
bytes. ``rows`` may be ``None`` for a source that does not know its length up
front; such a source can only stream in the orients that need no labels.

This module imports neither numpy nor any table library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

if TYPE_CHECKING:
    from ..core import Encoder
    from ..registry import Registry

__all__ = ("Kind", "NoArrowForm", "Source", "provides", "source_of")

Kind = Literal["frame", "series", "array"]
"""How the orients lay a source out: rows with columns, one column with labels, or a
sequence (an array is the same list whatever the orient)."""


class NoArrowForm(ValueError):
    """The source has no Arrow form (the reason says why): content negotiation offers JSON."""


class Source(Protocol):
    """A table or column as the writers that cut it see it."""

    @property
    def kind(self) -> Kind: ...

    @property
    def rows(self) -> int | None:
        """Number of rows (``None``: not known until read)."""
        ...

    @property
    def cells(self) -> int:
        """Rows times columns: whether cutting is worth it."""
        ...

    @property
    def row_bytes(self) -> int:
        """A guess at the JSON size of one row, on the high side, to size the ranges."""
        ...

    @property
    def compact(self) -> bool:
        """Whether its JSON is one compact fragment even under ``indent`` (frames, numeric
        arrays); otherwise it is nested lists that indent, and is written whole."""
        ...

    @property
    def labelled(self) -> bool:
        """Whether a range of rows keeps its labels, so that every orient streams by ranges
        (pandas); otherwise only ``records`` and ``values`` do, and the keyed orients and
        ``split`` are written whole."""
        ...

    def prepared(self, enc: Encoder) -> Source:
        """The same table in output order (``sort_keys``), after raising what encoding it
        would raise part-way through (colliding labels, a dtype with no JSON form, NaN
        under ``nan="error"``), so that a stream fails before its first byte."""
        ...

    def part(self, i: int, j: int) -> Any:
        """Rows ``i:j``, as a value the encoder writes as those rows of the whole."""
        ...

    def index(self, i: int, j: int) -> Any:
        """The labels of rows ``i:j`` (``split``'s ``index``)."""
        ...

    def header(self) -> Any:
        """``split``'s ``columns`` of a frame, its ``name`` of a Series."""
        ...

    def width(self) -> int:
        """Number of columns (1 for a Series)."""
        ...

    def column_key(self, k: int) -> bytes:
        """Column ``k``'s name as a JSON object key (``columns`` orient)."""
        ...

    def column(self, k: int, i: int, j: int) -> Any:
        """Column ``k``, rows ``i:j``, as a Series written keyed by its labels."""
        ...

    def lines(self, i: int, j: int, enc: Encoder) -> bytes:
        """NDJSON of rows ``i:j``: each record or element as ``dumpb`` writes it, and a
        newline after each."""
        ...

    def arrow(self, rows: int) -> tuple[Iterator[Any], Any]:
        """Record batches of at most ``rows`` rows and their schema; :class:`NoArrowForm`
        when Arrow cannot hold the data, raised before any batch."""
        ...


_F = TypeVar("_F", bound=Callable[..., Any])


def provides(make: Callable[[Any], Source | None]) -> Callable[[_F], _F]:
    """Mark a built-in encoder as writing values that ``make(value)`` turns into a source
    (``None``: this value is not cut, a 0-d array say)."""

    def mark(func: _F) -> _F:
        func.table_source = make  # type: ignore[attr-defined]
        return func

    return mark


def source_of(obj: Any, registry: Registry) -> Source | None:
    """The source of ``obj`` when the encoder in charge of it is a built-in that has one
    (your own encoder for the type wins, and is written whole)."""
    entry = registry.lookup(type(obj))
    if entry is None or not entry.builtin:
        return None
    make = getattr(entry.func, "table_source", None)
    return None if make is None else make(obj)
