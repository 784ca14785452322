"""When the elements of a lazy iterator are sent: by size, as any sequence, and by time.

:mod:`fastjson.streaming` writes generators and other iterators through a
:class:`Pacer`, so that a slow producer's elements reach the client as they
are made, while a fast one is still sent in full chunks.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

__all__ = ("FLUSH_INTERVAL", "SLOW_ELEMENT", "Pacer")

FLUSH_INTERVAL = 0.05
"""Seconds (50 ms) after which whatever a lazy iterator has made is sent when its next
element arrives; see :class:`Pacer` for the rule."""

SLOW_ELEMENT = 0.001
"""An element of a lazy iterator that took this long (1 ms) or more to arrive is sent at
once: the producer is slow enough that a chunk per element costs it nothing."""


class Pacer:
    """When a lazy iterator's elements are sent: by size as any sequence, and by time.

    ``next()`` on a generator blocks, and how long the next element will take
    cannot be known before asking for it. So the decision is taken when an
    element arrives, and everything waiting is sent with it when

    1. it is the first element (the client learns at once that data flows);
    2. it took :data:`SLOW_ELEMENT` (1 ms) or more to arrive: a slow producer
       (a cursor fetching row by row, a sensor read every 250 ms) has each
       element on the wire as soon as it is made; a chunk per element costs
       little beside such a wait;
    3. it arrives :data:`FLUSH_INTERVAL` (50 ms) or more after the last flush:
       a fast producer that makes a chunk slowly still sends every 50 ms or so.

    Otherwise the element waits in the batch, and elements are sent in full
    chunks, as a list is. The clock is read once per element, in a Python
    loop: what that costs the fastest producer there is (a generator
    expression of small dicts) is measured in bench/README.md, "Generators";
    a producer that does any work per element pays less.

    What the rule cannot do without a thread beside the producer: an element
    that came within 1 ms of the one before waits for the next element (or
    the end), so a producer that yields a quick burst and then pauses holds
    the burst's last elements until it resumes. (Calling ``next()`` from
    another thread would break generators that read Flask's ``request``,
    which belongs to the thread of the response.)

    The clock is ``time.monotonic``, looked up when the pacer is made, so that
    a test can put a fake clock in its place.
    """

    __slots__ = ("clock", "last")

    def __init__(self) -> None:
        self.clock = time.monotonic
        self.last: float | None = None  # no flush yet: the first element goes at once

    def take(self, items: Iterator[Any], n: int) -> tuple[list[Any], bool]:
        """Up to ``n`` elements of ``items``, and whether to flush after them: the batch
        ends early at the first element that is due (rules 1 to 3)."""
        clock = self.clock
        if self.last is None:  # rule 1
            return list(itertools.islice(items, 1)), True
        deadline = self.last + FLUSH_INTERVAL
        batch: list[Any] = []
        append = batch.append
        before = clock()
        for element in itertools.islice(items, n):
            append(element)
            now = clock()
            if now >= deadline or now - before >= SLOW_ELEMENT:  # rules 3 and 2
                return batch, True
            before = now
        return batch, False

    def flushed(self) -> None:
        """The chunk has been taken by the consumer: the interval starts again now."""
        self.last = self.clock()
