"""HTTP pieces without Flask: the error shape, Arrow IPC streams, the size rule that
decides when a response streams, and the count of a request body's values that decides
whether it is parsed. Content codings (gzip, zstd, brotli) are in :mod:`fastjson._coding`.

:mod:`fastjson.flask` builds responses from these; keeping them here keeps
that module about Flask.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from ._values import NATIVE

__all__ = (
    "ARROW",
    "JSON",
    "NDJSON",
    "NDJSON_TYPES",
    "arrow_chunks",
    "arrow_form",
    "arrow_offer",
    "error_body",
    "json_values_exceed",
    "large",
    "logged",
)

JSON = "application/json"
NDJSON = "application/x-ndjson"
NDJSON_TYPES = (NDJSON, "application/jsonl")
ARROW = "application/vnd.apache.arrow.stream"

_log = logging.getLogger("fastjson")


def error_body(status: int, error: str, message: str, **extra: Any) -> dict[str, Any]:
    """The one shape of every error fastjson answers."""
    return {"status": status, "error": error, "message": message, **extra}


_COMMAS = bytes.maketrans(b"[{", b",,")
_UNCOUNTED = bytes(sorted(set(range(256)) - set(b',[{"')))


def json_values_exceed(data: bytes | str, limit: int) -> bool:
    """Whether the JSON text ``data`` holds more than ``limit`` values, known before parsing.

    Values are counted as the commas and opening brackets outside strings,
    plus one: every value but the first follows one of them, so this is an
    upper bound, exact but for empty containers (``[]`` counts two). A body
    of ``[{},{},...]`` is refused before it is parsed into millions of
    objects; a string full of commas is one value.

    One ``bytes.translate`` keeps only commas (brackets become commas) and
    quotes, as fast as the ``bytes.count`` of commas alone. Only when that
    count, strings' contents included, is over the limit are the strings
    taken out: escaped backslashes and quotes first, then adjacent quotes
    (an empty string, or two strings with nothing counted between them,
    change nothing), then what lies between the remaining pairs.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    marks = raw.translate(_COMMAS, _UNCOUNTED)
    quotes = marks.count(b'"') if b'"' in marks else 0
    if len(marks) - quotes < limit:
        return False
    if not quotes:
        return True
    if b"\\" in raw:
        unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
        marks = unescaped.translate(_COMMAS, _UNCOUNTED)
    outside = marks.replace(b'""', b"").split(b'"')[0::2]
    return sum(map(len, outside)) >= limit


def large(threshold: int) -> Callable[[Any], bool]:
    """The rule for streaming: true for a value known to be large, an array or frame
    with more than ``threshold`` elements, or a generator or other iterator, a query
    result or a reader (its size is unknown until it ends). Asked about single values,
    never about every element."""

    def big(obj: Any) -> bool:
        if type(obj) in NATIVE:
            return False
        if _is_stream(obj):  # a query's size is unknown until it has run (never ask .shape)
            return True
        size = getattr(obj, "size", None)  # numpy arrays, pandas frames and Series
        if not isinstance(size, int):
            shape = getattr(obj, "shape", None)  # polars frames, Arrow tables
            size = _product(shape) if isinstance(shape, tuple) else None
        if isinstance(size, int) and size > threshold:
            return True
        return hasattr(obj, "__next__") and hasattr(obj, "__iter__")

    return big


def _is_stream(obj: Any) -> bool:
    from .encoders._source import stream_of
    from .registry import builtins

    return stream_of(obj, builtins) is not None


def _product(shape: tuple[Any, ...]) -> int | None:
    total = 1
    for n in shape:
        if not isinstance(n, int):
            return None
        total *= n
    return total


def logged(chunks: Iterator[bytes], what: str) -> Iterator[bytes]:
    """``chunks``, logging an error that ends a stream after its first byte, and letting
    other requests run between chunks.

    With gunicorn's gevent worker a fast client never blocks the socket, so a
    big stream would otherwise run to its end before any other connection of
    the worker is served (a health check timed out behind four 1M-row frames).

    The exception still propagates: the server then ends the response
    without its final chunk, so the client sees a broken transfer rather than
    a short body it could take for complete JSON.
    """
    sent = 0
    try:
        for chunk in chunks:
            sent += len(chunk)
            yield chunk
            time.sleep(0)  # under gevent a yield to the other connections; else a GIL pause
    except GeneratorExit:
        raise  # the client went away: nothing to report
    except Exception:
        _log.exception("streaming %s failed after %d bytes; the response is cut short", what, sent)
        raise
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


# -- Arrow ---------------------------------------------------------------------


def arrow_form(obj: Any, rows_per_batch: int = 65_536) -> tuple[Iterator[Any], Any] | None:
    """Record batches of ``obj`` and their schema, or ``None`` when Arrow has no form for
    it: the value's table source (pandas frames and Series, numpy arrays of one or two
    dimensions, polars and Arrow tables and columns) is asked, and says no for what Arrow
    cannot hold (column names that write alike, mixed objects...) before any batch. A
    query result or reader gives its batches as they are read (not read until asked)."""
    if type(obj) in NATIVE:
        return None
    from .encoders._source import NoArrowForm, source_of, stream_of
    from .registry import builtins

    stream = stream_of(obj, builtins)
    source = source_of(obj, builtins) if stream is None else None
    try:
        if stream is not None:
            return stream.arrow(rows_per_batch)
        return None if source is None else source.arrow(rows_per_batch)
    except (NoArrowForm, ImportError):
        return None


def arrow_offer(
    obj: Any, rows_per_batch: int = 65_536
) -> Callable[[], tuple[Iterator[Any], Any] | None] | None:
    """Whether Arrow can be offered for ``obj``: ``None`` when not, else a function that
    makes its :func:`arrow_form`. A table's form is made at once (what Arrow cannot hold
    is known before any batch); a query result's or reader's only when the function is
    called, so that offering Arrow in content negotiation never runs a query or opens a
    stream that another representation is then written from."""
    if type(obj) in NATIVE:
        return None
    from .encoders._source import stream_of
    from .registry import builtins

    if stream_of(obj, builtins) is not None:
        return lambda: arrow_form(obj, rows_per_batch)
    form = arrow_form(obj, rows_per_batch)
    return None if form is None else lambda: form


def arrow_chunks(form: tuple[Iterator[Any], Any]) -> Iterator[bytes]:
    """An Arrow IPC stream (``pyarrow.ipc.new_stream``) of ``form`` (:func:`arrow_form`),
    one record batch at a time.

    pandas frames keep their index and dtypes (``pandas.read_feather``,
    ``pyarrow.ipc.open_stream(...).read_pandas()`` restore them); a Series
    is one column named after it (``values`` when unnamed); a 1-D array one
    column ``values``; a 2-D array one column per array column, named
    ``"0"``, ``"1"``...; column names that are not strings as JSON writes
    them (``str``).
    """
    import io

    import pyarrow as pa

    batches, schema = form
    sink = io.BytesIO()
    writer = pa.ipc.new_stream(sink, schema)
    try:
        yield _drain(sink)
        for batch in batches:
            writer.write_batch(batch)
            yield _drain(sink)
        writer.close()
        yield _drain(sink)
    finally:  # a client that went away: the query's reader is closed now, not by the GC
        close = getattr(batches, "close", None)
        if close is not None:
            close()


def _drain(sink: Any) -> bytes:
    """The bytes written to ``sink`` so far, and a reset: one batch in memory at most."""
    data: bytes = sink.getvalue()
    sink.seek(0)
    sink.truncate()
    return data
