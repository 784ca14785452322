"""Built-in encoders, one module per family, and :func:`route`, one switch for tests and
benchmarks: how a table's columns are read and its rows joined.

``stdlib`` is registered when fastjson is imported; the others are imported by
the registry the first time an object of their library is seen.

Every table (pandas, polars or Arrow) is written by one route: each column's
tokens (:mod:`._tokens`), stitched into rows. Two of its parts have a second
form, and :func:`route` selects it, so that each is held to the other:

- **auto**: the default. Columns are read the fastest exact way: strings,
  categories and null masks from Arrow's buffers, nested polars columns and
  dates written by polars' expressions; rows are stitched by the compiled
  ``fastjson/_cstitch.c`` where a C compiler was found at install;
- **pure**: columns read by numpy and orjson alone (``to_numpy``,
  ``to_list``), as without pyarrow: the differential oracle of the readers;
- **python**: rows joined in Python, as an install without a C compiler
  joins them: the differential oracle of the compiled stitch.

:func:`route` holds inside a ``with`` block, per thread and per task:

>>> from fastjson.encoders import route
>>> with route("pure"):
...     body = fastjson.dumpb(df)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal, TypeAlias

__all__ = ("Route", "joined_in_python", "reads_arrow", "route")

Route: TypeAlias = Literal["auto", "pure", "python"]

_FORCED: ContextVar[Route] = ContextVar("fastjson_table_route", default="auto")


@contextmanager
def route(name: Route) -> Iterator[None]:
    """Write every table inside the block by one route (see the module docstring)."""
    if name not in ("auto", "pure", "python"):
        raise ValueError(f"route must be 'auto', 'pure' or 'python'; got {name!r}")
    token = _FORCED.set(name)
    try:
        yield
    finally:
        _FORCED.reset(token)


def reads_arrow() -> bool:
    """Whether columns may be read from Arrow's buffers and by polars' expressions."""
    return _FORCED.get() != "pure"


def joined_in_python() -> bool:
    """Whether the rows are joined in Python even where the compiled module is built."""
    return _FORCED.get() == "python"
