"""What a dict or list holds that orjson would mishandle, found before orjson reads it.

orjson writes dicts, lists and tuples itself, without a ``default`` call, and
two of its rules are not fastjson's:

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

:data:`payload_flags` finds both in one pass that reads only types: a
payload is sent to the walk (which bounds tuples as lists and checks
fragments) when it holds a container at level :data:`LIMIT` or a fragment.
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

from collections.abc import Callable
from functools import partial
from itertools import chain, compress
from typing import Any

import orjson

__all__ = (
    "COMPILED",
    "DEEP",
    "FRAGMENT",
    "LIMIT",
    "TUPLE",
    "TUPLES_BOUNDED",
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
LIMIT = 254
"""The level at which orjson checks its nesting count (0 is the outermost container)."""


_CONTAINERS = frozenset((dict, list, tuple))


def _scan_python(obj: Any, limit: int, mask: int) -> int:
    """The rules of ``fastjson/_cscan.c`` in Python: the flags of what ``obj``
    holds among those in ``mask``, reading only exact dicts, lists and tuples
    (what orjson reads itself) and counting levels from ``obj``.

    It reads a level at a time, so that the work per value is done by
    builtins (``map``, ``compress``) and Python runs once per container."""
    found = 0
    level: list[Any] = [obj]
    for depth in range(limit + 1):
        types = list(map(type, level))
        if orjson.Fragment in types:
            found |= FRAGMENT
        containers = list(filter(None, compress(level, map(_CONTAINERS.__contains__, types))))
        if not containers:  # empty ones open no level
            break
        if tuple in map(type, containers):
            found |= TUPLE
        if depth == limit:
            found |= DEEP
        if found & mask or depth == limit:
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

_RESULT = DEEP | FRAGMENT if TUPLES_BOUNDED else TUPLE | DEEP | FRAGMENT

payload_flags: Callable[[Any], int]
"""Non-zero (:data:`DEEP`, :data:`FRAGMENT`): this dict or list goes to the walk, not to orjson."""
result_flags: Callable[[Any], int]
"""Non-zero: an encoder's result that orjson must not write where it stands, at
a level the hook does not know (a tuple there might stand at 254); it is written
by an orjson call of its own instead (:meth:`fastjson.core.Encoder._defer`)."""

try:
    from . import _cscan
except ImportError:  # built without a compiler: the same rules, in Python
    payload_flags = partial(_scan_python, limit=LIMIT, mask=DEEP | FRAGMENT)
    result_flags = partial(_scan_python, limit=LIMIT, mask=_RESULT)
    COMPILED = False
else:
    _cscan.configure(orjson.Fragment, LIMIT, _RESULT)
    payload_flags = _cscan.payload
    result_flags = _cscan.result
    COMPILED = True
