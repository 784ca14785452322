"""What a dict or list holds that orjson would mishandle, found before orjson reads it.

orjson writes dicts, lists and tuples itself, without a ``default`` call, and
three of its rules are not fastjson's:

- **Tuples and nesting.** orjson counts open containers and stops a list or
  dict opened at level 254, but checks the count *only* for lists and dicts,
  and for equality: since orjson 3.12 a tuple opened at level 254 passes it,
  and from there nothing stops the descent. A tuple chain a few thousand deep
  then overruns orjson's buffer, and a cycle through a tuple
  (``l = [(l,)]; {"a": l}``) recurses until the process dies. orjson 3.11
  checks tuples too; :data:`TUPLES_BOUNDED` says which kind is installed,
  found by trying (:func:`_tuples_bounded`), not by version number.
- **Fragments.** An ``orjson.Fragment`` is copied out unread, so a broken one
  makes invalid JSON. fastjson checks a fragment as it checks :class:`Raw`.
- **Dates.** orjson rounds an offset of seconds to the minute and drops the
  leading zeros of a ``time``'s microseconds; it writes subclasses (a pandas
  ``Timestamp``) as their base class. Asking orjson to hand every datetime
  back costs a ``default`` call, about 0.7 us, each (bench/README.md). So
  orjson writes the dates whose text it gets right, which are the common
  ones: an exact ``date``, and an exact ``datetime`` that is naive or in
  ``timezone.utc`` (tested against :func:`fastjson._dates.iso` for every
  year); a payload holding any other date or time is encoded with datetimes
  handed back (:data:`DATES`).

:data:`payload_flags` finds all three in one pass that reads only types
(and a datetime's zone): a payload is sent to the walk (which bounds tuples
as lists and checks fragments) when it holds a container at level
:data:`LIMIT` or a fragment (:data:`WALK`).
An array or a frame is one object to it. What the pass costs on plain values
is measured in bench/README.md ("Nesting and fragments"); no cheaper
complete answer was found there: orjson older than 3.12 needs no pass for
tuples but writes float arrays more slowly, and without reading the payload
nothing tells where a tuple stands. The pass runs compiled
(``fastjson/_cscan.c``, built on install); where no compiler was found,
:func:`_scan_python` gives the same answers at several times the cost
(bench/README.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from itertools import chain, compress
from typing import Any

import orjson

__all__ = (
    "COMPILED",
    "DATES",
    "DEEP",
    "FRAGMENT",
    "LIMIT",
    "TUPLE",
    "TUPLES_BOUNDED",
    "WALK",
    "payload_flags",
    "result_flags",
)

TUPLE = 1
"""A non-empty tuple: orjson may not bound what it holds (see the module text)."""
DEEP = 2
"""A non-empty container at level :data:`LIMIT` or deeper: where orjson stops,
or, past a tuple, does not."""
FRAGMENT = 4
"""An ``orjson.Fragment``, which orjson would write unread."""
DATES = 8
"""A date or time orjson would write otherwise than :mod:`fastjson._dates`: any but an
exact ``date`` and an exact ``datetime`` that is naive or in ``timezone.utc``."""
WALK = DEEP | FRAGMENT
"""The flags for which a payload goes to the walk rather than to orjson."""
LIMIT = 254
"""The level at which orjson checks its nesting count (0 is the outermost container)."""


_CONTAINERS = frozenset((dict, list, tuple))
_WRITTEN_BY_ORJSON = frozenset((dt.date, dt.datetime))
_PLAIN = frozenset((str, int, float, bool, type(None), dict, list, tuple))


def _moments(values: list[Any], types: list[type], kinds: set[type]) -> int:
    """:data:`DATES` if one of ``values`` (of ``types``, the set of which is ``kinds``)
    is a date orjson would write otherwise than fastjson."""
    if dt.datetime in kinds:
        zones = {v.tzinfo for v, kind in zip(values, types, strict=True) if kind is dt.datetime}
        if zones - {None, dt.UTC}:
            return DATES
    for kind in kinds - _WRITTEN_BY_ORJSON - _PLAIN:
        if issubclass(kind, (dt.date, dt.time)):
            return DATES
    return 0


def _scan_python(obj: Any, limit: int, mask: int, stop: int) -> int:
    """The rules of ``fastjson/_cscan.c`` in Python: the flags of what ``obj``
    holds among those in ``mask``, reading only exact dicts, lists and tuples
    (what orjson reads itself) and counting levels from ``obj``; a flag in
    ``stop`` ends the pass.

    It reads a level at a time, so that the work per value is done by
    builtins (``map``, ``set``, ``compress``) and Python runs once per container."""
    found = 0
    level: list[Any] = [obj]
    for depth in range(limit + 1):
        types = list(map(type, level))
        kinds = set(types)
        if orjson.Fragment in kinds:
            found |= FRAGMENT
        if mask & DATES and not found & DATES and not kinds <= _PLAIN:
            found |= _moments(level, types, kinds)
        if kinds.isdisjoint(_CONTAINERS):
            break
        containers = list(filter(None, compress(level, map(_CONTAINERS.__contains__, types))))
        if not containers:  # empty ones open no level
            break
        if tuple in kinds and tuple in map(type, containers):
            found |= TUPLE
        if depth == limit:
            found |= DEEP
        if found & stop or depth == limit:
            break
        level = list(chain.from_iterable(c.values() if type(c) is dict else c for c in containers))
    return found & mask


def _tuples_bounded() -> bool:
    """Whether orjson stops a tuple at its nesting limit, asked with a tuple at
    level 254 that holds a list. Where the tuple is not stopped, the output is
    about 500 bytes, well inside orjson's first 4 kB buffer, so the question
    itself cannot overrun it."""
    probe: Any = (["x"],)
    for _ in range(LIMIT):
        probe = [probe]
    try:
        orjson.dumps(probe)
    except orjson.JSONEncodeError:
        return True
    return False


TUPLES_BOUNDED = _tuples_bounded()
"""True where the installed orjson bounds tuples as it bounds lists (orjson 3.11 and before)."""

_RESULT = DEEP | FRAGMENT | DATES if TUPLES_BOUNDED else TUPLE | DEEP | FRAGMENT | DATES

payload_flags: Callable[[Any], int]
"""What a dict or list holds: with a flag of :data:`WALK` it goes to the walk, not
to orjson; with :data:`DATES` alone, to orjson with its datetimes handed back."""
result_flags: Callable[[Any], int]
"""Non-zero: an encoder's result that orjson must not write where it stands, at
a level the hook does not know (a tuple there might stand at 254), or with its
datetimes written by orjson; it is written by an orjson call of its own instead
(:meth:`fastjson.core.Encoder._defer`)."""

try:
    from . import _cscan
except ImportError:  # built without a compiler: the same rules, in Python
    payload_flags = partial(_scan_python, limit=LIMIT, mask=WALK | DATES, stop=WALK)
    result_flags = partial(_scan_python, limit=LIMIT, mask=_RESULT, stop=_RESULT)
    COMPILED = False
else:
    _cscan.configure(orjson.Fragment, LIMIT, _RESULT)
    payload_flags = _cscan.payload
    result_flags = _cscan.result
    COMPILED = True
