"""A small server that mounts namespaces under ``/api/<id>``.

Namespaces come from two places:

- the entry-point group ``fastjson.namespaces`` of installed packages, where
  the name is the prefix and the value the factory::

      [project.entry-points."fastjson.namespaces"]
      "/api/hello_rest" = "hello_rest:create"

- the command line: ``--ns /api/hello_rest=examples.hello_rest:create``
  (repeatable; modules resolve from the current directory, as with gunicorn).

Each factory is called once, at start-up, and must return a WSGI app (usually
a :class:`fastjson.ns.Namespace`). Mounting uses Werkzeug's
``DispatcherMiddleware``: the longest prefix wins on segment boundaries
(``/api/x`` never swallows ``/api/xy``) and the prefix moves into
``SCRIPT_NAME``. Prefixes must be ``/api/<id>`` with URL-safe ids; duplicates
are a start-up error.

Run it::

    python -m fastjson.server --ns /api/hello_rest=examples.hello_rest:create
    fastjson-server --port 9000 --workers 4 ...      # production, under gunicorn

or serve ``create_app(...)`` with any WSGI server.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from .ns import Namespace, jsonify, send_from_directory

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from werkzeug.serving import WSGIRequestHandler

__all__ = ("NamespaceError", "PrefixError", "create_app", "discover", "main")

ENTRY_POINT_GROUP = "fastjson.namespaces"
PREFIX_ROOT = "/api/"

Factory = Callable[[], "WSGIApplication"]


class NamespaceError(RuntimeError):
    """A namespace cannot be mounted: bad prefix, duplicate, or a factory that fails."""


class PrefixError(NamespaceError, ValueError):
    """A prefix that is not ``/api/<id>`` with URL-safe ids: a bad value, so a ``ValueError``
    as well (and a :class:`NamespaceError`, which the command line reports)."""


_ID = re.compile(r"[A-Za-z0-9._-]+")
"""A URL-safe id: what a prefix segment may hold without percent-encoding (RFC 3986's
unreserved characters but ``~``)."""


def discover() -> dict[str, str]:
    """Prefix -> ``module:factory`` for every namespace installed packages declare."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def parse_spec(spec: str) -> tuple[str, str]:
    """``/api/x=module:create`` -> (``/api/x``, ``module:create``)."""
    prefix, sep, target = spec.partition("=")
    if not sep or ":" not in target:
        raise NamespaceError(f"--ns wants PREFIX=module:factory, got {spec!r}")
    return prefix, target


def load_factory(target: str | Factory) -> Factory:
    """Import ``module:attr`` (from the current directory too) and return the factory.

    The current directory is searched *after* installed packages (see
    :func:`_search_cwd_last`), so a stray ``numpy.py`` there cannot shadow numpy.
    """
    if callable(target):
        return target
    module_name, _, attr = target.partition(":")
    _search_cwd_last()
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise NamespaceError(f"cannot load namespace factory {target!r}: {exc}") from exc
    if not callable(obj):
        raise NamespaceError(f"namespace factory {target!r} is not callable")
    factory: Factory = obj
    return factory


def _search_cwd_last() -> None:
    """Move the current directory to the end of ``sys.path`` (``python -m`` puts it first)."""
    cwd = os.getcwd()
    here = [p for p in sys.path if p in ("", ".", cwd)]
    for entry in here:
        sys.path.remove(entry)
    sys.path.append(cwd)


def normalise_prefix(prefix: str) -> str:
    """``/api/x/`` -> ``/api/x``; anything outside ``/api/<id>`` is refused (:class:`PrefixError`).

    Each id is ASCII letters, digits, ``-``, ``_`` and ``.`` (not ``.`` or
    ``..``): a prefix with a space, a ``%`` or a ``?`` could never be matched
    by the path of a request, so it is refused at start-up rather than
    mounted where nothing reaches it.
    """
    clean = "/" + prefix.strip("/")
    if not clean.startswith(PREFIX_ROOT) or clean == PREFIX_ROOT.rstrip("/"):
        raise PrefixError(f"namespace prefix {prefix!r} must be under {PREFIX_ROOT}<id>")
    for part in clean.removeprefix(PREFIX_ROOT).split("/"):
        if part in (".", "..") or not _ID.fullmatch(part):
            raise PrefixError(
                f"namespace prefix {prefix!r} must be {PREFIX_ROOT}<id> with URL-safe ids "
                f"(ASCII letters, digits, '-', '_', '.'); {part!r} is not one"
            )
    return clean


def mount_table(
    specs: Iterable[tuple[str, str | Factory]], *, debug: bool = False
) -> dict[str, WSGIApplication]:
    """Create every namespace once, checking prefixes; duplicates are an error.

    ``debug=True`` puts each Flask app in debug mode (its 500 bodies then carry
    the traceback); otherwise each is set *out* of debug mode, whatever
    ``FLASK_DEBUG`` says: only ``--debug`` may turn tracebacks on. Other WSGI
    apps are mounted as they are.
    """
    mounts: dict[str, WSGIApplication] = {}
    for raw_prefix, target in specs:
        prefix = normalise_prefix(raw_prefix)
        if prefix in mounts:
            raise NamespaceError(f"namespace prefix {prefix!r} is declared twice")
        app = load_factory(target)()
        if not callable(app):
            raise NamespaceError(f"factory for {prefix!r} did not return a WSGI app")
        if isinstance(app, Flask):
            app.debug = debug
        mounts[prefix] = _ServeBarePrefix(app)
    return mounts


class _ServeBarePrefix:
    """``/api/x`` (no trailing slash) reaches the namespace's ``/`` instead of a redirect."""

    def __init__(self, app: WSGIApplication):
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        if not environ.get("PATH_INFO"):
            environ["PATH_INFO"] = "/"
        return self.app(environ, start_response)


def create_app(
    namespaces: Mapping[str, str | Factory] | Iterable[tuple[str, str | Factory]] = (),
    *,
    discover_installed: bool = True,
    static_folder: str | os.PathLike[str] | None = None,
    debug: bool = False,
) -> WSGIApplication:
    """The server's WSGI app: ``/``, ``/healthz`` and every namespace under its prefix.

    ``namespaces`` maps prefixes to factories (``"module:create"`` or a
    callable); entry points of installed packages are added unless
    ``discover_installed=False``. ``static_folder`` is served at ``/`` (its
    ``index.html``); without it ``/`` lists the mounted namespaces.
    ``debug=True`` (``--debug``) puts the namespaces in Flask's debug mode, so
    an uncaught exception answers its traceback in the JSON error body.
    """
    given = list(namespaces.items() if isinstance(namespaces, Mapping) else namespaces)
    installed = list(discover().items()) if discover_installed else []
    mounts = mount_table([*installed, *given], debug=debug)
    root = _root_app(sorted(mounts), static_folder)
    root.debug = debug
    return DispatcherMiddleware(root, mounts)


def page_security_headers(page: Path) -> dict[str, str]:
    """Headers for an HTML page: a Content-Security-Policy allowing only this origin and
    the page's own inline scripts and styles (by hash), no framing, no referrer."""
    import base64
    import hashlib
    import re

    html = page.read_text(encoding="utf-8")

    def hashes(tag: str) -> str:
        bodies = re.findall(rf"<{tag}(?:\s[^>]*)?>(.*?)</{tag}>", html, flags=re.S)
        digests = (hashlib.sha256(body.encode()).digest() for body in bodies)
        return " ".join(f"'sha256-{base64.b64encode(d).decode()}'" for d in digests)

    policy = (
        "default-src 'self'; "
        f"script-src 'self' {hashes('script')}; "
        f"style-src 'self' {hashes('style')}; "
        "img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


def _root_app(prefixes: list[str], static_folder: str | os.PathLike[str] | None) -> Namespace:
    root = Namespace(__name__, static_folder=None)

    @root.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok", namespaces=prefixes)

    if static_folder is not None:
        folder = Path(static_folder).resolve()

        @root.get("/")
        def index() -> Any:
            return _static_file(folder, "index.html")

        @root.get("/static/<path:name>")
        def static(name: str) -> Any:
            return _static_file(folder, name)
    else:

        @root.get("/")
        def listing() -> Any:
            return jsonify(namespaces=prefixes)

    return root


_PAGE_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml")
"""Types a browser runs scripts in: each is sent with :func:`page_security_headers`."""


def _static_file(folder: Path, name: str) -> Any:
    """A file of the static folder; a page (HTML, SVG) with its security headers, whichever
    URL reaches it: ``/static/index.html`` is the page ``/`` serves, and gets the same."""
    from werkzeug.security import safe_join

    response = send_from_directory(folder, name)  # 404 for a name outside the folder
    if response.mimetype in _PAGE_TYPES:
        path = safe_join(str(folder), name)
        if path is not None:
            response.headers.update(page_security_headers(Path(path)))
    return response


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastjson-server", description="Serve fastjson namespaces under /api/<id>."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=9000, help="port to bind (9000)")
    parser.add_argument(
        "--ns",
        action="append",
        default=[],
        metavar="PREFIX=MODULE:FACTORY",
        help="mount a namespace, e.g. /api/hello_rest=examples.hello_rest:create (repeatable)",
    )
    parser.add_argument("--static", metavar="DIR", help="folder whose index.html is served at /")
    parser.add_argument(
        "--no-discover", action="store_true", help="ignore installed fastjson.namespaces"
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="debug mode (tracebacks in 500 bodies) with auto-reload",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="run under gunicorn with N worker processes"
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (``python -m fastjson.server``, ``fastjson-server``)."""
    args = build_parser().parse_args(argv)
    _search_cwd_last()
    try:  # fail fast, before binding, on any namespace problem
        specs = [parse_spec(spec) for spec in args.ns]
        app = create_app(
            specs,
            discover_installed=not args.no_discover,
            static_folder=args.static,
            debug=args.debug,
        )
    except NamespaceError as exc:
        sys.exit(f"fastjson-server: {exc}")
    url = f"http://{args.host}:{args.port}/"
    if args.workers > 0:
        _serve_gunicorn(app, args.host, args.port, args.workers, url)
    else:
        from werkzeug.serving import run_simple

        print(f"fastjson-server: serving on {url}", flush=True)
        run_simple(
            args.host,
            args.port,
            app,
            use_reloader=args.debug,
            use_debugger=args.debug,
            threaded=True,
            request_handler=quiet_request_handler(),
        )


def quiet_request_handler() -> type[WSGIRequestHandler]:
    """Werkzeug's request handler, sending ``Server: Werkzeug`` with no versions.

    Werkzeug's own sends its version and Python's (``Werkzeug/x.y.z
    Python/x.y.z``), on every response and on the errors it answers itself
    (431 for too many headers): versions tell a scanner which published
    flaws to try. gunicorn sends none either.
    """
    from werkzeug.serving import WSGIRequestHandler

    class QuietRequestHandler(WSGIRequestHandler):
        def version_string(self) -> str:
            return "Werkzeug"

    return QuietRequestHandler


def _serve_gunicorn(app: WSGIApplication, host: str, port: int, workers: int, url: str) -> None:
    """Run ``app`` under gunicorn (the ``server`` extra): the production set-up."""
    try:
        from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]
    except ImportError:
        sys.exit("fastjson-server: --workers needs gunicorn: pip install 'flask-fastjson[server]'")

    worker_class = _worker_class()

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for name, value in gunicorn_settings(host, port, workers, worker_class).items():
                self.cfg.set(name, value)

        def load(self) -> WSGIApplication:
            return app

    print(
        f"fastjson-server: serving on {url} with {workers} gunicorn {worker_class} workers",
        flush=True,
    )
    _Gunicorn().run()


def _worker_class() -> str:
    """``gevent`` when installed (the ``server`` extra), else ``gthread``.

    With gevent a connection costs a greenlet, not a thread, so clients that
    send their headers slowly cannot occupy every worker: the service stays up
    for everyone else. gthread holds a thread per connection until the request
    is read; behind a buffering proxy (nginx) that is enough.
    """
    from importlib.util import find_spec

    return "gevent" if find_spec("gevent") is not None else "gthread"


def gunicorn_settings(host: str, port: int, workers: int, worker_class: str) -> dict[str, Any]:
    """The gunicorn configuration of ``fastjson-server --workers N``, in one place."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": worker_class,
        "threads": 4,  # gthread only
        "worker_connections": 1000,  # gevent only: open connections per worker
        "timeout": 60,  # a worker silent this long is restarted
        "graceful_timeout": 30,
        "keepalive": 5,  # seconds an idle keep-alive connection is kept
        # No max_requests: recycling workers was measured (make load, fault phase) to move
        # keep-alive clients from one worker to the other rather than spread them, at a
        # cost of about 45% of throughput. A proxy spreads them instead (README).
        "limit_request_line": 8190,
    }


if __name__ == "__main__":
    main()
