"""Which route writes a table's rows: decided in one function, switchable for tests.

Every table is written by one of these routes, and each gives the same bytes:

- **pure**: numpy and orjson make each column's tokens and the rows are
  stitched from them, compiled (``fastjson/_cstitch.c``) where a C compiler
  was found at install. It writes every pandas frame and Series, and every
  table that polars would not write exactly as it does;
- **python**: the pure route with the rows joined in Python, as an install
  without a C compiler runs it: the differential oracle of the compiled code;
- **polars**: polars builds each block's rows in Rust, for polars frames and
  Arrow tables, wherever it writes exactly what the pure route writes.

:func:`use_polars` is the decision; :func:`route` forces one route inside a
``with`` block (tests and benchmarks), per thread and per task:

>>> from fastjson.encoders import route
>>> with route("pure"):
...     body = fastjson.dumpb(df)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal, TypeAlias

__all__ = ("Route", "joined_in_python", "route", "use_polars")

Route: TypeAlias = Literal["auto", "polars", "pure", "python"]

_FORCED: ContextVar[Route] = ContextVar("fastjson_table_route", default="auto")


@contextmanager
def route(name: Route) -> Iterator[None]:
    """Write every table inside the block by one route (``"polars"``: wherever it writes
    what the pure route writes; ``"auto"``: the choice of :func:`use_polars`)."""
    if name not in ("auto", "polars", "pure", "python"):
        raise ValueError(f"route must be 'auto', 'polars', 'pure' or 'python'; got {name!r}")
    token = _FORCED.set(name)
    try:
        yield
    finally:
        _FORCED.reset(token)


def use_polars(exact: bool, pure_faster: bool = False) -> bool:
    """Whether polars writes a table's rows: only where it writes them ``exact``-ly as the
    pure route, and, unless forced, not where the pure route is measured faster
    (``pure_faster``, see ``bench/README.md``)."""
    forced = _FORCED.get()
    if forced in ("pure", "python") or not exact:
        return False
    return forced == "polars" or not pure_faster


def joined_in_python() -> bool:
    """Whether the rows are joined in Python even where the compiled module is built."""
    return _FORCED.get() == "python"
