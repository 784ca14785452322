"""Built-in encoders, one module per family.

``stdlib`` is registered when fastjson is imported; the others are imported by
the registry the first time an object of their library is seen. :func:`route`
forces the route every table is written by (:mod:`._route`).
"""

from ._route import Route, route

__all__ = ("Route", "route")
