"""Content codings of responses: which one a request accepts, and each one chunk by chunk.

gzip (the standard library's ``zlib``) is always on offer; zstd (the
``zstandard`` package) and brotli (``brotli``) when they are installed (the
``server`` extra installs both), and a coding whose package is missing is
simply not offered. A streamed body is compressed as it is sent, by one
compressor per response that is flushed after every chunk: the client can
decode each chunk as it arrives, so a chunk that the streaming writer sends
early (a slow generator's element) is not held back by the compressor.

This module imports neither Flask nor the optional packages until a response
asks for them.
"""

from __future__ import annotations

import functools
import importlib.util
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

__all__ = (
    "CODINGS",
    "LEVELS",
    "available",
    "choose",
    "compress_chunks",
    "compress_whole",
    "gzip_chunks",
)

CODINGS = ("zstd", "br", "gzip")
"""Every coding fastjson can send, in its order of preference when the client accepts
several equally (measured in bench/README.md: zstd compresses JSON the most per second
spent; brotli's default level compresses more than gzip's at about its speed)."""

LEVELS = {"gzip": range(10), "zstd": range(1, 20), "br": range(12)}
"""The levels accepted for each coding. zstd stops at 19: above it the window exceeds
the 8 MiB that browsers' decoders accept."""

_PACKAGES = {"zstd": "zstandard", "br": "brotli"}


@functools.cache
def available() -> tuple[str, ...]:
    """The codings whose package is installed, in :data:`CODINGS`' order (looked up once,
    without importing them)."""
    return tuple(
        coding
        for coding in CODINGS
        if coding not in _PACKAGES or importlib.util.find_spec(_PACKAGES[coding]) is not None
    )


def check_level(coding: str, level: int) -> None:
    """``ValueError`` for a level the coding does not have (so that a bad setting fails
    where it is made, not in a response)."""
    allowed = LEVELS[coding]
    if type(level) is not int or level not in allowed:
        raise ValueError(
            f"{coding} level must be an integer from {allowed[0]} to {allowed[-1]}; got {level!r}"
        )


def _qualities(header: str) -> dict[str, float]:
    """``Accept-Encoding`` as {coding: quality}; an entry whose quality does not parse is
    left out (RFC 9110 section 12.5.3), the first of repeated entries kept."""
    out: dict[str, float] = {}
    for entry in header.split(","):
        name, _, params = entry.partition(";")
        name = name.strip().lower()
        if not name:
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = -1.0
        if 0.0 <= quality <= 1.0:
            out.setdefault(name, quality)
    return out


def choose(header: str | None, offered: Sequence[str], *, small: bool = False) -> str | None:
    """The coding to send for a request's ``Accept-Encoding`` ``header``: one of
    ``offered``, ``"identity"`` (no coding), or ``None`` when the client refuses every
    coding on offer and identity too.

    - No header: identity (a client that sends none, ``curl`` without
      ``--compressed``, may not decode anything).
    - The highest quality wins; at equal quality the order of ``offered``
      decides; a quality of 0 refuses; ``*`` stands for every coding not named.
    - Identity is acceptable unless refused (``identity;q=0``, or ``*;q=0``
      without ``identity``). Named, it competes by its quality (ties go to the
      coding); not named, it is chosen only when no coding on offer is acceptable,
      or for a ``small`` body (not worth compressing) whenever it is acceptable.
    """
    if header is None:
        return "identity"
    qualities = _qualities(header)
    star = qualities.get("*")
    best, best_q = None, 0.0
    for coding in offered:
        q = qualities.get(coding, star if star is not None else 0.0)
        if q > best_q:
            best, best_q = coding, q
    identity_q = qualities.get("identity", star if star is not None else None)
    if identity_q is None:  # not named: acceptable, least preferred
        return "identity" if small or best is None else best
    if identity_q > 0 and (small or best is None or identity_q > best_q):
        return "identity"
    return best


def compress_whole(body: bytes, coding: str, level: int) -> bytes:
    """``body`` in ``coding`` at ``level``, in one piece (the content size recorded where
    the format has room for it)."""
    if coding == "gzip":
        import gzip

        return gzip.compress(body, compresslevel=level, mtime=0)
    if coding == "zstd":
        import zstandard

        return zstandard.ZstdCompressor(level=level).compress(body)
    if coding == "br":
        import brotli

        out: bytes = brotli.compress(body, quality=level)
        return out
    raise ValueError(f"unknown content coding {coding!r}")


def compress_chunks(chunks: Iterable[bytes], coding: str, level: int) -> Iterator[bytes]:
    """``chunks`` in ``coding``, one compressed chunk per chunk, never the whole body.

    Each chunk is flushed (gzip's ``Z_SYNC_FLUSH``, zstd's block flush, brotli's
    ``flush``) so that the client decodes it as soon as it arrives; the end of
    the stream (its trailer) follows the last chunk. Closing the iterator
    closes ``chunks``.
    """
    step, finish = _compressor(coding, level)
    try:
        for chunk in chunks:
            out = step(chunk)
            if out:
                yield out
        yield finish()
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def gzip_chunks(chunks: Iterable[bytes], level: int) -> Iterator[bytes]:
    """``compress_chunks(chunks, "gzip", level)``."""
    return compress_chunks(chunks, "gzip", level)


def _compressor(coding: str, level: int) -> tuple[Any, Any]:
    """(compress and flush one chunk, end the stream) for one response."""
    if coding == "gzip":
        gz = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: gzip header and trailer
        return (lambda chunk: gz.compress(chunk) + gz.flush(zlib.Z_SYNC_FLUSH)), gz.flush
    if coding == "zstd":
        import zstandard

        zs = zstandard.ZstdCompressor(level=level).compressobj()
        block = zstandard.COMPRESSOBJ_FLUSH_BLOCK
        return (lambda chunk: zs.compress(chunk) + zs.flush(block)), zs.flush
    if coding == "br":
        import brotli

        br = brotli.Compressor(quality=level)
        return (lambda chunk: br.process(chunk) + br.flush()), br.finish
    raise ValueError(f"unknown content coding {coding!r}")
