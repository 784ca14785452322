"""Which route writes a table's rows: decided in one function, switchable for tests.

Two routes write every table, and give the same bytes:

- **polars**: polars builds each block's rows in Rust, wherever it writes
  exactly what the pure route writes (the dtypes and options it covers);
- **pure**: numpy and orjson make each column's tokens and the column code
  stitches them. It is the fallback when polars or pyarrow is not installed,
  and the differential oracle the tests hold the other route to.

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

__all__ = ("Route", "route", "use_polars")

Route: TypeAlias = Literal["auto", "polars", "pure"]

_FORCED: ContextVar[Route] = ContextVar("fastjson_table_route", default="auto")


@contextmanager
def route(name: Route) -> Iterator[None]:
    """Write every table inside the block by one route (``"polars"``: wherever it writes
    what the pure route writes; ``"auto"``: the choice of :func:`use_polars`)."""
    if name not in ("auto", "polars", "pure"):
        raise ValueError(f"route must be 'auto', 'polars' or 'pure'; got {name!r}")
    token = _FORCED.set(name)
    try:
        yield
    finally:
        _FORCED.reset(token)


def use_polars(exact: bool, pure_faster: bool = False) -> bool:
    """Whether polars writes a table's rows: only where it writes them ``exact``-ly as the
    pure route, and, unless forced, not where the pure route is measured faster
    (``pure_faster``: keyed cells alternated by Arrow, see ``bench/README.md``)."""
    forced = _FORCED.get()
    if forced == "pure" or not exact:
        return False
    return forced == "polars" or not pure_faster
