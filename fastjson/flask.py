"""Flask integration: a JSON provider, ``jsonify`` and ``json_response``.

Switch an app with one line::

    app.json = FastJSONProvider(app)            # or
    Flask.json_provider_class = FastJSONProvider

The provider's attributes are fastjson's options (:class:`fastjson.Options`,
the one declaration they are derived from) plus Flask's ``compact`` and
``mimetype``. It keeps Flask's default values (``ensure_ascii=True``,
``sort_keys=True``, ``compact=None``, Flask's ``default``) so that an existing
app sees no difference but speed and validity. Every method encodes with the
provider's :class:`~fastjson.Encoder`, so one set of rules holds for
``jsonify``, views returning dicts, ``flask.json.dumps`` and the ``tojson``
filter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeAlias, Unpack, cast

from flask import Request, current_app, has_request_context, request, stream_with_context
from flask.json.provider import DefaultJSONProvider, JSONProvider
from werkzeug.exceptions import BadRequest

from ._coding import CODINGS, available, check_level, choose, compress_chunks, compress_whole
from ._csv import CSV, csv_available, csv_sources
from ._errors import DecodeError, EncodeError
from ._http import (
    ARROW,
    JSON,
    NDJSON,
    NDJSON_TYPES,
    arrow_chunks,
    arrow_form,
    arrow_offer,
    error_body,
    large,
    logged,
)
from ._light import plain_response
from ._options import (
    DEFAULTS,
    NAMES,
    Backend,
    BigInt,
    DatetimeFormat,
    NanPolicy,
    Options,
    Orient,
    check,
)
from ._walk import walk
from .core import Encoder, loads
from .registry import Registry
from .streaming import CHUNK_SIZE

if TYPE_CHECKING:
    from flask import Flask, Response

__all__ = (
    "FastJSONProvider",
    "FastJSONRequest",
    "arrow_response",
    "csv_response",
    "identity_body",
    "json_response",
    "jsonify",
    "ndjson_response",
    "respond",
)

Headers: TypeAlias = dict[str, str] | list[tuple[str, str]] | None
"""Extra response headers, as Flask takes them."""

_ATTRIBUTES = tuple(name for name in NAMES if name != "indent")
"""Options that are provider attributes. ``indent`` is not: Flask spells it ``compact``."""

_FLASK_DEFAULTS: dict[str, Any] = {
    "default": staticmethod(DefaultJSONProvider.default),
    "ensure_ascii": True,
    "sort_keys": True,
}
"""Where Flask's provider has another default than fastjson's, Flask's wins here."""


class FastJSONProvider(JSONProvider):
    """A Flask JSON provider on fastjson's encoder.

    Attributes: every option of :class:`fastjson.Options` but ``indent``
    (fastjson's defaults, except Flask's ``default``, ``ensure_ascii=True``
    and ``sort_keys=True``), plus ``compact`` and ``mimetype`` as in Flask.
    Set them on the instance or in a subclass; a change takes effect on the
    next call.
    """

    # Types for type checkers (a test holds them equal to the declaration's);
    # the values are set below the class, from the declaration.
    nan: NanPolicy
    sort_keys: bool
    ensure_ascii: bool
    default: Callable[[Any], Any] | None
    datetime_format: DatetimeFormat
    orient: Orient
    big_int: BigInt
    backend: Backend
    registry: Registry | None

    compact: bool | None = None
    """Flask's spelling of ``indent``: ``False`` (or ``None`` in debug mode) indents
    responses by two spaces; ``True`` (or ``None`` outside debug mode) does not."""

    mimetype: str = "application/json"
    """The mimetype of :meth:`response`."""

    stream_threshold: int | None = 1_000_000
    """Stream a response (chunked, no ``Content-Length``, memory bounded by the chunk)
    when it holds an array or frame of more elements than this, or a generator;
    ``None``: never stream unless asked (``json_response(obj, stream=True)``)."""

    chunk_size: int = CHUNK_SIZE
    """Bytes per chunk of a streamed response."""

    compress_level: int | None = None
    """Compression on or off: ``None`` (the default) sends every body as it is; an integer
    turns compression on for clients that accept it (``Accept-Encoding``) and is gzip's
    level (0-9). See bench/README.md for what each level costs and saves."""

    zstd_level: int = 1
    """zstd's level (1-19) when compression is on and the client takes zstd (the
    ``zstandard`` package must be installed). 1: on JSON records it is the fastest level
    and also smaller than 2 to 6 (bench/README.md, "Content codings")."""

    brotli_level: int = 1
    """brotli's level (0-11) when compression is on and the client takes ``br`` (the
    ``brotli`` package must be installed). 1: gzip level 6's size, faster than gzip
    level 1; higher levels save little for several times the time (bench/README.md,
    "Content codings")."""

    encodings: tuple[str, ...] = CODINGS
    """The codings on offer, in the order preferred when a client accepts several equally
    (``("zstd", "br", "gzip")``; those whose package is missing are left out)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass's option attributes are validated when the class is made
        (``nan = "bogus"`` raises the ``ValueError`` that ``Encoder`` raises)."""
        super().__init_subclass__(**kwargs)
        for name in _ATTRIBUTES:
            if name in vars(cls):
                check(name, getattr(cls, name))
        for name in _COMPRESSION_NAMES:
            if name in vars(cls):
                _check_compression(name, getattr(cls, name))

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self._flask = app
        self._encoders: dict[tuple[Any, ...], Encoder] = {}
        self._bounded_encoders: dict[tuple[Any, ...], Callable[[Any], bytes | None]] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        """An option attribute is validated when it is set, not on the next response, and
        the cached encoders are dropped; so are the compression levels and codings."""
        if name in _COMPRESSION_NAMES:
            _check_compression(name, value)
            super().__setattr__(name, value)
        elif name in _ATTRIBUTES:
            check(name, value)
            super().__setattr__(name, value)
            self.__dict__.get("_encoders", {}).clear()
            self.__dict__.get("_bounded_encoders", {}).clear()
        else:
            super().__setattr__(name, value)

    def options(self) -> Options:
        """The provider's attributes as fastjson options (``indent`` from ``compact``)."""
        values = cast(Options, {name: getattr(self, name) for name in _ATTRIBUTES})
        values["indent"] = 2 if self.indents() else None
        return values

    def encoder(self, **changes: Unpack[Options]) -> Encoder:
        """The provider's :class:`~fastjson.Encoder` with ``changes`` applied (cached
        until an attribute changes)."""
        key = (self.indents(), *((k, type(v), v) for k, v in changes.items()))
        try:
            return self._encoders[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable option value
            key = ()
        options: Options = {**self.options(), **changes}
        encoder = Encoder(**options)
        if key:
            self._encoders[key] = encoder
        return encoder

    def indents(self) -> bool:
        """Indent responses? ``compact=False``, or ``None`` in debug mode (Flask's rule)."""
        return self.compact is False or (self.compact is None and self._flask.debug)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize to ``str`` as Flask's provider formats it (``json.dumps`` layout).

        Keyword arguments are fastjson's options (``sort_keys``,
        ``ensure_ascii``, ``default``, ``nan``...), defaulting to the
        attributes, plus :func:`json.dumps`'s layout arguments (``indent``,
        ``separators``). Values are encoded by the provider's encoder with the
        same rules as :meth:`response`; :func:`json.dumps` only lays them out.
        """
        changes = {name: kwargs.pop(name) for name in list(kwargs) if name in _ATTRIBUTES}
        encoder = self.encoder(backend="json", **changes)
        tree = walk(obj, encoder)  # keys already sorted, values already JSON
        return json.dumps(
            tree, ensure_ascii=encoder.option("ensure_ascii"), allow_nan=False, **kwargs
        )

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse with :func:`fastjson.loads`; keyword arguments (``object_hook``...)
        select :func:`json.loads`. Either way a refusal is a :class:`~fastjson.DecodeError`."""
        if not kwargs:
            return loads(s)
        try:
            return json.loads(s, **kwargs)
        except json.JSONDecodeError as exc:
            raise DecodeError(str(exc)) from exc

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """``jsonify``: Flask's argument rules, fastjson's encoder, no trailing newline.

        Streams when the payload is large (:attr:`stream_threshold`).
        """
        obj = _response_obj(args, kwargs)
        body = self._bounded()(obj)
        if body is None:
            return self.stream(self.encoder(), obj, 200, None, self.mimetype)
        if self.compress_level is not None:
            return self.finish(body, 200, None, self.mimetype)
        return plain_response(self._flask.response_class, body, self.mimetype)

    def _bounded(self) -> Callable[[Any], bytes | None]:
        """The encoder's :meth:`~fastjson.Encoder.bounded` form for :attr:`stream_threshold`
        (cached with the encoders): ``None`` means "stream this one"."""
        threshold = self.stream_threshold
        key = ("bounded", self.indents(), threshold)
        cached = self._bounded_encoders.get(key)
        if cached is None:
            encoder = self.encoder()
            cached = encoder.encode if threshold is None else encoder.bounded(large(threshold))
            self._bounded_encoders[key] = cached
        return cached

    def stream(
        self,
        encoder: Encoder,
        obj: Any,
        status: int,
        headers: Headers,
        mimetype: str,
        *,
        ndjson: bool = False,
    ) -> Response:
        """A streamed response: :func:`~fastjson.iter_encode` (or ``iter_ndjson``) chunks.

        The chunks after the first are made after the view has returned, so
        inside a request they are made under :func:`flask.stream_with_context`:
        a generator that reads ``request`` as it goes would otherwise fail
        part-way and cut the response short.
        """
        from .streaming import iter_encode, iter_ndjson

        writer = iter_ndjson if ndjson else iter_encode
        chunks = writer(obj, chunk_size=self.chunk_size, **encoder.options)
        return self.send(chunks, status, headers, mimetype)

    def send(
        self, chunks: Iterator[bytes], status: int, headers: Headers, mimetype: str
    ) -> Response:
        """A streamed response of ``chunks``: the first made now (errors that can be known
        answer 500, not a cut body), the rest under :func:`flask.stream_with_context`."""
        first = next(chunks, b"")
        body = _prepend(first, chunks, mimetype)
        if has_request_context():
            body = stream_with_context(body)
        return self.finish(body, status, headers, mimetype)

    def finish(
        self, body: bytes | Iterator[bytes], status: int, headers: Headers, mimetype: str
    ) -> Response:
        """A response for ``body`` (whole or chunks), compressed when the app turns
        compression on (:attr:`compress_level`) and the client accepts a coding on offer
        (``Vary: Accept-Encoding`` then in every case). A whole body under 1 KiB is sent
        as it is unless the client refuses identity; one that the client accepts no form
        of (``identity;q=0`` and no coding on offer) is sent as it is too."""
        identity: bytes | None = None
        coding = self.coding(body) if self.compress_level is not None else None
        if coding is not None:
            level = self.level(coding)
            if isinstance(body, bytes):
                identity, body = body, compress_whole(body, coding, level)
            else:
                body = compress_chunks(body, coding, level)
            headers = _with(headers, "Content-Encoding", coding)
        response: Response = self._flask.response_class(
            body, status=status, headers=headers, content_type=mimetype
        )
        if self.compress_level is not None:
            response.vary.add("Accept-Encoding")
        if identity is not None:
            setattr(response, _IDENTITY, identity)
        return response

    def coding(self, body: bytes | Iterator[bytes]) -> str | None:
        """The content coding for ``body`` in this request, or ``None`` for none."""
        if not has_request_context():
            return None
        offered = [c for c in self.encodings if c in available()]
        small = isinstance(body, bytes) and len(body) < 1024
        chosen = choose(request.headers.get("Accept-Encoding"), offered, small=small)
        return None if chosen in (None, "identity") else chosen

    def level(self, coding: str) -> int:
        """The level set for ``coding``."""
        if coding == "zstd":
            return self.zstd_level
        if coding == "br":
            return self.brotli_level
        return self.compress_level or 0


for _name in _ATTRIBUTES:
    setattr(FastJSONProvider, _name, _FLASK_DEFAULTS.get(_name, DEFAULTS[_name]))  # type: ignore[literal-required]
del _name

_COMPRESSION = {"compress_level": "gzip", "zstd_level": "zstd", "brotli_level": "br"}
"""Provider attributes that set a coding's level."""

_COMPRESSION_NAMES = (*_COMPRESSION, "encodings")
"""Provider attributes checked when set: the levels and the codings on offer."""

_IDENTITY = "fastjson_identity_body"
"""Attribute of a response whose whole body was compressed: the body before (an ETag is
a hash of it, whatever the coding; :func:`identity_body`)."""


def _check_compression(name: str, value: Any) -> None:
    if name == "encodings":
        if not isinstance(value, tuple) or not set(value) <= set(CODINGS):
            raise ValueError(f"encodings must be a tuple of {', '.join(CODINGS)}; got {value!r}")
    elif not (name == "compress_level" and value is None):
        check_level(_COMPRESSION[name], value)


def identity_body(response: Response) -> bytes:
    """The body of a whole (not streamed) response before any content coding: what an
    ETag is computed from, so that every coding of one body has the same tag."""
    identity: bytes | None = getattr(response, _IDENTITY, None)
    return response.get_data() if identity is None else identity


class FastJSONRequest(Request):
    """A request whose malformed JSON body answers 400 with the reason the parser gave.

    Flask answers such a body with a generic "The browser (or proxy) sent a
    request that this server could not understand", and the reason only in
    debug mode. For a JSON API the reason is what the client needs to fix its
    request, and it describes only the client's own bytes, so it is sent in
    every mode: ``malformed JSON body: unexpected end of data: line 1 column
    15 (char 14)``. :class:`fastjson.ns.Namespace` uses it; a plain Flask app
    sets ``app.request_class = FastJSONRequest``.
    """

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:  # not a JSON content type: Werkzeug's 415
            return super().on_json_loading_failed(e)
        raise BadRequest(f"malformed JSON body: {e}") from e


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """Flask's ``jsonify`` on fastjson's encoder, with Flask's argument rules.

    No arguments give ``null``, one gives itself, several a list, keyword
    arguments an object; both at once raise ``TypeError``.

    Uses the app's provider settings when ``app.json`` is a
    :class:`FastJSONProvider`, fastjson's defaults otherwise. Needs an
    application context, as Flask's does (``RuntimeError`` outside one).
    """
    return _provider().response(*args, **kwargs)


def _response_obj(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Flask's argument rules (``JSONProvider._prepare_response_obj``), on the hot path."""
    if kwargs:
        if args:
            raise TypeError("jsonify() takes either args or kwargs, not both")
        return kwargs
    if len(args) == 1:
        return args[0]
    return list(args) if args else None


def json_response(
    obj: Any,
    *,
    status: int = 200,
    headers: Headers = None,
    stream: bool | None = None,
    **options: Unpack[Options],
) -> Response:
    """A JSON response with a status, headers and per-call options (``nan="error"``...).

    Options not given come from the app's :class:`FastJSONProvider` (indented
    when its ``jsonify`` would be), or fastjson's defaults when the app uses
    another provider. ``stream=True`` streams the body in chunks (no
    ``Content-Length``), ``False`` builds it whole, ``None`` (the default)
    streams when the provider's ``stream_threshold`` says the payload is large.
    """
    provider = _provider()
    encoder = provider.encoder(**options)
    body: bytes | None = None
    if not stream:
        threshold = provider.stream_threshold
        if stream is None and threshold is not None:
            body = encoder.bounded(large(threshold))(obj)
        else:
            body = encoder.encode(obj)
    if body is None:
        return provider.stream(encoder, obj, status, headers, provider.mimetype)
    return provider.finish(body, status, headers, provider.mimetype)


def ndjson_response(
    obj: Any,
    *,
    status: int = 200,
    headers: Headers = None,
    mimetype: str = NDJSON,
    **options: Unpack[Options],
) -> Response:
    """A streamed NDJSON response (``application/x-ndjson``): one JSON value per line.

    A DataFrame gives one record per row, a 2-D array one row per line, a
    Series or 1-D array one value per line, any other iterable (a generator,
    a database cursor) one line per element. See :func:`fastjson.iter_ndjson`.
    """
    provider = _provider()
    encoder = provider.encoder(**options)
    return provider.stream(encoder, obj, status, headers, mimetype, ndjson=True)


def arrow_response(obj: Any, *, status: int = 200, headers: Headers = None) -> Response:
    """A streamed Arrow IPC response (``application/vnd.apache.arrow.stream``), lossless.

    For pandas and polars frames and Series, 1-D and 2-D numpy arrays, pyarrow
    tables, and query results and readers (batch by batch); ``TypeError`` for
    anything else. ``pyarrow.ipc.open_stream``,
    ``polars.read_ipc_stream`` and the JavaScript ``apache-arrow`` package read it.
    """
    form = arrow_form(obj)
    if form is None:
        raise TypeError(f"Arrow has no form for {type(obj).__qualname__}")
    return _arrow(form, status, headers)


def csv_response(
    obj: Any, *, status: int = 200, headers: Headers = None, **options: Unpack[Options]
) -> Response:
    """A streamed CSV response (``text/csv; charset=utf-8; header=present``, RFC 4180) of
    a pandas or polars frame or Series, an Arrow table or record batch, or a query result
    or reader (batch by batch); :class:`EncodeError` (a ``TypeError``) for anything else.
    See :mod:`fastjson._csv` for the layout (header row, CRLF, quoting, the index)."""
    provider = _provider()
    encoder = provider.encoder(**options)
    sources = csv_sources(obj, encoder.registry)
    if sources is None:
        raise EncodeError(f"CSV has no form for {type(obj).__qualname__}")
    return _csv(sources, encoder, status, headers)


def _csv(sources: Iterator[Any], encoder: Encoder, status: int, headers: Headers) -> Response:
    from ._csv import csv_chunks

    provider = _provider()
    chunks = csv_chunks(sources, chunk_size=provider.chunk_size, **encoder.options)
    return provider.send(chunks, status, headers, _CSV_TYPE)


def _arrow(form: tuple[Iterator[Any], Any], status: int, headers: Headers) -> Response:
    chunks = arrow_chunks(form)
    first = next(chunks)
    return _provider().finish(_prepend(first, chunks, ARROW), status, headers, ARROW)


def respond(
    obj: Any, *, status: int = 200, headers: Headers = None, **options: Unpack[Options]
) -> Response:
    """``obj`` in the representation the request's ``Accept`` header asks for.

    - ``application/json`` (also for ``*/*`` or no ``Accept``): :func:`json_response`;
    - ``application/x-ndjson`` or ``application/jsonl``: :func:`ndjson_response`;
    - ``application/vnd.apache.arrow.stream``, for frames, Series, 1-D and 2-D arrays,
      Arrow or polars tables that Arrow can hold, and query results and readers (Arrow
      readers, DuckDB relations, polars lazy frames, Dask collections, their batches
      passed through as they are read): :func:`arrow_response`;
    - ``text/csv``, for pandas and polars frames and Series, Arrow tables and record
      batches, and query results and readers (pyarrow installed): :func:`csv_response`.

    Anything else answers ``406`` in the JSON error shape, naming what is on offer
    (a frame whose column names collide as strings has no Arrow form, say); never a
    500. ``Vary: Accept`` is set.
    """
    offers = [JSON, *NDJSON_TYPES]
    named = {value for value, quality in request.accept_mimetypes if quality > 0}
    arrow = arrow_offer(obj) if ARROW in named else None  # asked only when named: not */*
    if arrow is not None:
        offers.append(ARROW)
    encoder = table = None
    if CSV in named and csv_available():
        encoder = _provider().encoder(**options)
        table = csv_sources(obj, encoder.registry)
        if table is not None:
            offers.append(CSV)
    chosen = _best(offers)
    form = arrow() if chosen == ARROW and arrow is not None else None
    if chosen == ARROW and form is None:  # a query's columns that Arrow cannot hold
        offers.remove(ARROW)
        chosen = _best(offers)
    if chosen is None:
        message = f"this resource is available as {', '.join(offers)}"
        response = json_response(error_body(406, "Not Acceptable", message), status=406)
    elif chosen == ARROW and form is not None:
        response = _arrow(form, status, headers)
    elif chosen == CSV and table is not None and encoder is not None:
        response = _csv(table, encoder, status, headers)
    elif chosen in NDJSON_TYPES:
        response = ndjson_response(obj, status=status, headers=headers, mimetype=chosen, **options)
    else:
        response = json_response(obj, status=status, headers=headers, **options)
    response.vary.add("Accept")
    return response


def _best(offers: list[str]) -> str | None:
    """The offer the request's ``Accept`` prefers (JSON when it names nothing)."""
    return request.accept_mimetypes.best_match(offers) if request.accept_mimetypes else JSON


def _provider() -> FastJSONProvider:
    """The app's provider, or a default one for apps that use another provider."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    provider = app.json
    if isinstance(provider, FastJSONProvider):
        return provider
    fallback: FastJSONProvider | None = app.extensions.get("fastjson.provider")
    if fallback is None:
        fallback = app.extensions["fastjson.provider"] = _DefaultsProvider(app)
    return fallback


class _DefaultsProvider(FastJSONProvider):
    """fastjson's own defaults, for ``json_response`` in apps that keep Flask's provider."""

    ensure_ascii = False
    sort_keys = False
    compact = True
    default = None


def _prepend(first: bytes, rest: Iterator[bytes], what: str) -> Iterator[bytes]:
    """``first`` then ``rest``, with an error after the first byte logged (and still raised)."""

    def chunks() -> Iterator[bytes]:
        try:
            if first:
                yield first
            yield from rest
        finally:
            close = getattr(rest, "close", None)
            if close is not None:
                close()

    return logged(chunks(), what)


_CSV_TYPE = CSV + "; charset=utf-8; header=present"
"""CSV's media type, saying that the first line is the header (RFC 4180)."""


def _with(headers: Headers, name: str, value: str) -> Headers:
    items = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    return [*items, (name, value)]
