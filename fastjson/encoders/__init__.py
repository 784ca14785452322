"""Built-in encoders, one module per family.

``stdlib`` is registered when fastjson is imported; ``numpy``, ``pandas`` and
``_decimal`` are imported by the registry the first time an object of theirs
is seen.

:func:`route` forces the route every table is written by (``"pure"``: numpy and
orjson only; ``"polars"``; ``"auto"``, the default), for tests and benchmarks.
"""

from ._route import Route, route

__all__ = ("Route", "route")
