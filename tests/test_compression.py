"""Content codings: gzip, zstd and brotli chosen by Accept-Encoding, whole and streamed, and
ETags that hold whatever the coding."""

from __future__ import annotations

import gzip
import importlib.util
from collections.abc import Iterator
from typing import Any

import brotli
import numpy as np
import pytest
import zstandard
from flask import Flask

import fastjson
from fastjson import FastJSONProvider, dumpb
from fastjson._coding import CODINGS, available, choose, compress_chunks, compress_whole
from fastjson.flask import json_response, ndjson_response
from fastjson.ns import Namespace, etag

BIG = np.random.default_rng(1).standard_normal(1_100_000)  # streamed by default
SMALL = {"values": list(range(400))}  # whole, over 1 KiB


def app_with(**attributes: Any) -> Flask:
    app = Flask(__name__)
    app.json = FastJSONProvider(app)
    for name, value in attributes.items():
        setattr(app.json, name, value)
    return app


def decode_whole(data: bytes, coding: str) -> bytes:
    """The outside decoders: the standard library's gzip, zstandard's and brotli's."""
    if coding == "gzip":
        return gzip.decompress(data)
    if coding == "zstd":  # a streamed frame records no content size: read it as a stream
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    out: bytes = brotli.decompress(data)
    return out


class Decoder:
    """Decodes a coded stream chunk by chunk, as a client does while it arrives."""

    def __init__(self, coding: str) -> None:
        import zlib

        self.coding = coding
        if coding == "gzip":
            self.impl: Any = zlib.decompressobj(31)
        elif coding == "zstd":
            self.impl = zstandard.ZstdDecompressor().decompressobj()
        else:
            self.impl = brotli.Decompressor()

    def feed(self, chunk: bytes) -> bytes:
        if self.coding == "br":
            out: bytes = self.impl.process(chunk)
            return out
        out = self.impl.decompress(chunk)
        return out


# -- choosing the coding -------------------------------------------------------------

OFFERED = ("zstd", "br", "gzip")


@pytest.mark.parametrize(
    ("header", "small", "chosen"),
    [
        (None, False, "identity"),  # no header: a client that may decode nothing
        ("", False, "identity"),  # an empty header asks for no coding
        ("gzip", False, "gzip"),
        ("gzip, deflate, br, zstd", False, "zstd"),  # equal qualities: the server's order
        ("gzip;q=1, br;q=0.5", False, "gzip"),
        ("gzip;q=0.5, br;q=1.0", False, "br"),
        ("br;q=0, gzip;q=0.1", False, "gzip"),
        ("GZIP;Q=0.8", False, "gzip"),  # names and parameters are case-insensitive
        ("deflate, compress", False, "identity"),  # nothing on offer: identity
        ("*", False, "zstd"),
        ("*;q=0.5, gzip", False, "gzip"),
        ("zstd;q=0, *", False, "br"),  # "*" stands for the codings not named
        ("gzip, identity;q=0", True, "gzip"),  # identity refused: even a small body
        ("gzip", True, "identity"),  # a small body is not worth compressing
        ("identity;q=1, gzip;q=0.5", False, "identity"),  # named identity competes
        ("identity, gzip", False, "gzip"),  # a tie goes to the coding
        ("identity;q=0", False, None),  # nothing acceptable
        ("*;q=0", False, None),
        ("*;q=0, identity", False, "identity"),
        ("gzip;q=bogus, br", False, "br"),  # an entry that does not parse is left out
        ("gzip;q=2", False, "identity"),  # a quality out of range: left out too
        ("gzip;q=0.001", False, "gzip"),
    ],
)
def test_choose_honours_qualities(header: str | None, small: bool, chosen: str | None):
    assert choose(header, OFFERED, small=small) == chosen


def test_the_offer_keeps_only_installed_codings(monkeypatch: pytest.MonkeyPatch):
    assert available() == CODINGS  # all three installed here (the server extra)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "zstandard" else real(name)
    )
    available.cache_clear()
    try:
        assert available() == ("br", "gzip")
        app = app_with(compress_level=6)
        with app.test_request_context(headers={"Accept-Encoding": "zstd"}):
            response = fastjson.jsonify(SMALL)
            assert "Content-Encoding" not in response.headers  # zstd is not on offer
        with app.test_request_context(headers={"Accept-Encoding": "zstd, br"}):
            assert fastjson.jsonify(SMALL).headers["Content-Encoding"] == "br"
    finally:
        available.cache_clear()


# -- each coding, whole and streamed ---------------------------------------------------


@pytest.mark.parametrize("coding", CODINGS)
def test_each_coding_decodes_to_the_identity_body(coding: str):
    app = app_with(compress_level=6, chunk_size=65_536)
    with app.test_request_context(headers={"Accept-Encoding": coding}):
        whole = fastjson.jsonify(SMALL)
        assert whole.headers["Content-Encoding"] == coding
        assert "Accept-Encoding" in whole.headers["Vary"]
        assert int(whole.headers["Content-Length"]) == len(whole.get_data())
        assert decode_whole(whole.get_data(), coding) == dumpb(SMALL)

        streamed = fastjson.jsonify(values=BIG)
        assert streamed.is_streamed and streamed.headers["Content-Encoding"] == coding
        chunks = list(streamed.response)
        assert len(chunks) > 10
        decoder = Decoder(coding)
        first = decoder.feed(chunks[0])  # each chunk decodes as soon as it arrives
        assert first.startswith(b'{"values":[') and len(first) > 10_000
        body = first + b"".join(decoder.feed(c) for c in chunks[1:])
        assert body == dumpb({"values": BIG})
        assert decode_whole(b"".join(chunks), coding) == body  # one well-formed stream


@pytest.mark.parametrize("coding", CODINGS)
def test_each_element_of_a_slow_generator_decodes_as_it_is_sent(coding: str):
    """The compressor is flushed after every chunk: a chunk the streaming writer sends
    early (here every element: no element waits, see fastjson._pacing.Pacer) is
    readable by the client at once, not held back by the compressor."""
    import time

    def rows() -> Iterator[dict[str, int]]:
        for i in range(5):
            time.sleep(0.002)  # slow: each element on its own (a fake clock would do too)
            yield {"i": i}

    app = app_with(compress_level=6)
    with app.test_request_context(headers={"Accept-Encoding": coding}):
        response = ndjson_response(rows())
        decoder = Decoder(coding)
        lines = [decoder.feed(chunk) for chunk in response.response]
    assert [line for line in lines if line] == [dumpb({"i": i}) + b"\n" for i in range(5)]


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize("level", [1, 9])
def test_compress_chunks_and_whole_agree_with_the_decoders(coding: str, level: int):
    data = dumpb([{"i": i, "x": i / 7} for i in range(5000)])
    pieces = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    assert decode_whole(b"".join(compress_chunks(iter(pieces), coding, level)), coding) == data
    assert decode_whole(compress_whole(data, coding, level), coding) == data


def test_closing_a_compressed_stream_closes_its_source():
    closed: list[bool] = []

    def source() -> Iterator[bytes]:
        try:
            while True:
                yield b"x" * 1000
        finally:
            closed.append(True)

    stream = compress_chunks(source(), "zstd", 3)
    next(stream)
    stream.close()  # type: ignore[attr-defined]
    assert closed == [True]


def test_small_bodies_and_apps_without_compression_are_sent_as_they_are():
    app = app_with(compress_level=6)
    with app.test_request_context(headers={"Accept-Encoding": "zstd, br, gzip"}):
        small = fastjson.jsonify({"a": 1})
        assert "Content-Encoding" not in small.headers
        assert "Accept-Encoding" in small.headers["Vary"]
    with app.test_request_context(headers={"Accept-Encoding": "gzip, identity;q=0"}):
        refused = fastjson.jsonify({"a": 1})
        assert refused.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(refused.get_data()) == b'{"a":1}'
    with app.test_request_context(headers={"Accept-Encoding": "identity;q=0"}):
        nothing = json_response(SMALL)  # no form the client accepts: sent as it is
        assert "Content-Encoding" not in nothing.headers and nothing.get_data() == dumpb(SMALL)
    off = app_with()
    with off.test_request_context(headers={"Accept-Encoding": "zstd"}):
        response = fastjson.jsonify(SMALL)
        assert "Content-Encoding" not in response.headers
        assert "Vary" not in response.headers


def test_levels_and_codings_are_checked_when_set():
    app = app_with()
    for name, bad in [
        ("zstd_level", 20),
        ("zstd_level", 0),
        ("brotli_level", 12),
        ("compress_level", 10),
        ("compress_level", "6"),
        ("encodings", ("gzip", "deflate")),
        ("encodings", ["gzip"]),
    ]:
        with pytest.raises(ValueError):
            setattr(app.json, name, bad)
    with pytest.raises(ValueError, match="br level"):

        class Bad(FastJSONProvider):
            brotli_level = -1

    app.json.encodings = ("gzip",)
    app.json.compress_level = 1
    with app.test_request_context(headers={"Accept-Encoding": "zstd, br, gzip;q=0.1"}):
        assert fastjson.jsonify(SMALL).headers["Content-Encoding"] == "gzip"


# -- ETags ---------------------------------------------------------------------------------


def etag_app() -> Namespace:
    app = Namespace(__name__)
    app.json.compress_level = 6

    @app.get("/data")
    @etag
    def data() -> Any:
        return fastjson.jsonify(SMALL)

    return app


def test_an_etag_is_weak_on_a_compressed_body_and_matches_every_coding():
    client = etag_app().test_client()
    plain = client.get("/data", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    strong = plain.headers["ETag"]
    assert strong.startswith('"') and plain.data == dumpb(SMALL)
    tags = {}
    for coding in CODINGS:
        response = client.get("/data", headers={"Accept-Encoding": coding})
        assert response.headers["Content-Encoding"] == coding
        assert decode_whole(response.data, coding) == plain.data
        tags[coding] = response.headers["ETag"]
        assert "Accept-Encoding" in response.headers["Vary"]
    assert set(tags.values()) == {"W/" + strong}  # one tag: the hash of the identity body
    for sent in (strong, "W/" + strong):
        for coding in (*CODINGS, "identity"):
            again = client.get("/data", headers={"Accept-Encoding": coding, "If-None-Match": sent})
            assert again.status_code == 304 and again.data == b"", (sent, coding)
    other = client.get("/data", headers={"Accept-Encoding": "br", "If-None-Match": '"other"'})
    assert other.status_code == 200
