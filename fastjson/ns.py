"""Namespaces: small Flask apps mounted under ``/api/<id>/`` by :mod:`fastjson.server`.

A plugin module needs nothing but this module::

    from fastjson.ns import Namespace, abort, jsonify, request

    app = Namespace(__name__)

    @app.route("/greet/<path:name>")
    def greet(name):
        return jsonify({"message": f"Hello {name}"})

    def create():
        return app

The server strips the mount prefix (moving it into ``SCRIPT_NAME``, so
``url_for`` still builds full URLs): the plugin sees ``/greet/tom`` for
``/api/hello_rest/greet/tom``.

Every error a namespace answers is JSON, in one shape::

    {"status": 400, "error": "Bad Request", "message": "invalid language: xx"}

Uncaught exceptions answer 500 with a generic message; the traceback is
added (as ``"traceback"``) only in debug mode.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from flask import (
    Flask,
    Response,
    abort,
    make_response,
    request,
    send_file,
    send_from_directory,
    stream_with_context,
    url_for,
)
from werkzeug.datastructures import ResponseCacheControl
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from ._http import error_body, json_values_exceed
from .flask import (
    FastJSONProvider,
    FastJSONRequest,
    arrow_response,
    csv_response,
    identity_body,
    json_response,
    jsonify,
    ndjson_response,
    respond,
)
from .streaming import iter_encode, iter_ndjson

__all__ = (
    "MAX_CONTENT_LENGTH",
    "MAX_JSON_VALUES",
    "MEMORY_BUDGET",
    "Namespace",
    "NamespaceJSONProvider",
    "Response",
    "abort",
    "arrow_response",
    "cache_control",
    "csv_response",
    "error_body",
    "etag",
    "iter_encode",
    "iter_ndjson",
    "json_response",
    "jsonify",
    "make_response",
    "memory_budget",
    "ndjson_response",
    "no_cache",
    "request",
    "respond",
    "send_file",
    "send_from_directory",
    "stream_with_context",
    "url_for",
)

MAX_CONTENT_LENGTH = 16 * 1024 * 1024
"""Default request body limit (16 MiB); set ``app.config["MAX_CONTENT_LENGTH"]`` to change it."""

MAX_JSON_VALUES = 1_000_000
"""Default bound on the values in a JSON request body; ``app.config["MAX_JSON_VALUES"]``
changes it (``None``: no bound)."""

_log = logging.getLogger(__name__)
_View = TypeVar("_View", bound=Callable[..., Any])


class NamespaceJSONProvider(FastJSONProvider):
    """fastjson's defaults rather than Flask's: compact, UTF-8, insertion order, ISO dates.

    Request bodies are parsed with a budget on the number of values as well as
    bytes (:data:`MAX_JSON_VALUES`): a 16 MiB body of ``[{},{},...]`` would
    otherwise take over half a gigabyte to parse.
    """

    ensure_ascii = False
    sort_keys = False
    compact = True

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse, refusing (413, in the JSON error shape) a body with more values than
        ``app.config["MAX_JSON_VALUES"]``: counted as commas and opening brackets outside
        strings, plus one (:func:`~fastjson._http.json_values_exceed`), an upper bound
        found at C speed before any value is built."""
        limit = self._flask.config.get("MAX_JSON_VALUES", MAX_JSON_VALUES)
        if limit is not None and json_values_exceed(s, limit):
            raise RequestEntityTooLarge(
                f"the JSON body holds more than {limit:,} values; "
                "send it in parts, or raise MAX_JSON_VALUES"
            )
        return super().loads(s, **kwargs)


class Namespace(Flask):
    """A Flask app meant to be mounted under ``/api/<id>/``, with JSON everywhere.

    Responses use fastjson (:class:`NamespaceJSONProvider`); errors, including
    404, 405, 413 and uncaught exceptions, answer JSON in the shape of
    :func:`error_body`; every response carries ``X-Content-Type-Options: nosniff``;
    request bodies are limited to :data:`MAX_CONTENT_LENGTH` unless configured; a
    malformed JSON body answers 400 saying why (:class:`~fastjson.flask.FastJSONRequest`).
    """

    json_provider_class = NamespaceJSONProvider
    request_class = FastJSONRequest

    def __init__(self, import_name: str, **kwargs: Any):
        super().__init__(import_name, **kwargs)
        self.config.setdefault("MAX_CONTENT_LENGTH", MAX_CONTENT_LENGTH)
        if self.config["MAX_CONTENT_LENGTH"] is None:
            self.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
        self.register_error_handler(HTTPException, _http_error)
        self.register_error_handler(Exception, _unexpected_error)
        self.before_request(_whole_body_within_limit)
        self.after_request(_nosniff)


def _whole_body_within_limit() -> None:
    """A chunked body (no ``Content-Length``) longer than ``MAX_CONTENT_LENGTH`` is refused
    with 413, not cut at the limit and parsed as if complete.

    Werkzeug stops reading such a body at the limit without an error, so the
    request could succeed on a truncated body. It is read here, up to one
    byte past the limit, and handed on as a body of known length.
    """
    from flask import current_app

    environ = request.environ
    if request.content_length is not None or "wsgi.input_terminated" not in environ:
        return
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit is None:
        return
    import io

    data = environ["wsgi.input"].read(limit + 1)
    if len(data) > limit:
        raise RequestEntityTooLarge()
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    request.__dict__.pop("stream", None)  # let Werkzeug wrap the new input


def _http_error(exc: HTTPException) -> Response:
    """Abort, 404, 405, 413...: keep the exception's status and headers, answer JSON.

    The body goes through the app's provider, like every other response
    (an ``ensure_ascii=True`` app gets ASCII error bodies too).
    """
    status = exc.code or 500
    body = error_body(status, exc.name, exc.description or exc.name)
    headers = [
        (name, value)
        for name, value in exc.get_response().headers.items()
        if name.lower() not in ("content-type", "content-length")
    ]
    if status == 413:  # the rest of the body is unread: the connection cannot be reused
        headers.append(("Connection", "close"))
    return json_response(body, status=status, headers=headers)


def _unexpected_error(exc: Exception) -> Response:
    """Uncaught exceptions: 500, logged, with the traceback in the body only in debug mode."""
    from flask import current_app

    _log.exception("unhandled error in %s %s", request.method, request.path)
    extra = {"traceback": traceback.format_exc()} if current_app.debug else {}
    generic = InternalServerError()
    body = error_body(500, generic.name, generic.description or generic.name, **extra)
    return json_response(body, status=500)


def _nosniff(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


MEMORY_BUDGET = 512 * 1024 * 1024
"""Default memory budget of a namespace, per worker process (512 MiB): see
:func:`memory_budget`; ``app.config["MEMORY_BUDGET"]`` changes it (``None``: none)."""


class _Budget:
    """Bytes promised to requests in flight in one process, for one namespace."""

    def __init__(self) -> None:
        import threading

        self.lock = threading.Lock()  # threading's: gevent's patching makes it a greenlet lock
        self.in_use = 0

    def take(self, cost: int, limit: int) -> bool:
        with self.lock:
            if self.in_use and self.in_use + cost > limit:
                return False
            self.in_use += cost
            return True

    def give(self, cost: int) -> None:
        with self.lock:
            self.in_use -= cost


def memory_budget(estimate: Callable[[], int]) -> Callable[[_View], _View]:
    """Admit the view only while the memory it will take fits the namespace's budget.

    ``estimate()`` (called before the view, with the request available) says
    how many bytes the response will need at its peak, e.g. the frame it
    builds. Requests in flight share ``app.config["MEMORY_BUDGET"]`` per
    worker process; one that does not fit answers ``503`` with
    ``Retry-After`` in the JSON error shape, rather than pushing the worker
    into a ``MemoryError``, a crash or the OOM killer. A request is always
    admitted when nothing else is in flight. The bytes are given back when
    the view returns a whole body, and when the response is closed for a
    streamed one, which holds its data until the last byte is sent.
    """

    def decorate(view: _View) -> _View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            from flask import current_app

            limit = current_app.config.get("MEMORY_BUDGET", MEMORY_BUDGET)
            if limit is None:
                return make_response(view(*args, **kwargs))
            budget: _Budget = current_app.extensions.setdefault("fastjson.budget", _Budget())
            cost = max(0, int(estimate()))
            if not budget.take(cost, limit):
                response = json_response(
                    error_body(503, "Service Unavailable", "busy: too much data in flight"),
                    status=503,
                    headers={"Retry-After": "1"},
                )
                return response
            try:
                response = make_response(view(*args, **kwargs))
            except BaseException:
                budget.give(cost)
                raise
            if response.is_streamed:  # the data stays alive until the last chunk is sent
                response.call_on_close(lambda: budget.give(cost))
            else:  # the body is built: what the view made for it is already let go
                budget.give(cost)
            return response

        return wrapper  # type: ignore[return-value]

    return decorate


def no_cache(view: _View) -> _View:
    """Forbid caching of the view's responses (``Cache-Control: no-store``, ``Pragma``)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        response = make_response(view(*args, **kwargs))
        response.cache_control.no_store = True
        response.cache_control.no_cache = True
        response.cache_control.must_revalidate = True
        response.cache_control.max_age = 0
        response.headers["Pragma"] = "no-cache"
        response.expires = 0  # type: ignore[assignment]
        return response

    return wrapper  # type: ignore[return-value]


def cache_control(**directives: Any) -> Callable[[_View], _View]:
    """Set ``Cache-Control`` directives, e.g. ``@cache_control(max_age=60, public=True)``.

    Names are those of Werkzeug's ``ResponseCacheControl`` (``max_age``,
    ``public``, ``private``, ``no_cache``, ``immutable``...); unknown ones
    raise ``TypeError`` when the decorator is applied, not at request time.
    """
    unknown = [name for name in directives if not hasattr(ResponseCacheControl, name)]
    if unknown:
        raise TypeError(f"unknown Cache-Control directive(s): {', '.join(unknown)}")

    def decorate(view: _View) -> _View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            response = make_response(view(*args, **kwargs))
            for name, value in directives.items():
                setattr(response.cache_control, name, value)
            return response

        return wrapper  # type: ignore[return-value]

    return decorate


def etag(view: _View) -> _View:
    """An ETag over the encoded body; ``If-None-Match`` then answers 304 with no body.

    Applies to successful GET and HEAD responses that are not streamed (a
    hash needs the whole body, which a streamed response never holds). The
    view still runs (the tag is a hash of what it returns), but an unchanged
    payload costs the client no transfer.

    The tag is the SHA-256 of the body before content coding: strong
    (``"..."``) on an uncompressed body, weak (``W/"..."``) on a compressed
    one, whose bytes depend on the coding and its level. ``If-None-Match``
    compares weakly (RFC 9110), so either tag answers 304 whatever the coding
    of the request that sends it.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        response = make_response(view(*args, **kwargs))
        if response.is_streamed:
            return response
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            digest = hashlib.sha256(identity_body(response)).hexdigest()
            response.set_etag(digest, weak="Content-Encoding" in response.headers)
            response.make_conditional(request)
        return response

    return wrapper  # type: ignore[return-value]
