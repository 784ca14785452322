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
``SCRIPT_NAME``. Prefixes must sit under ``/api/``; duplicates are a start-up
error.

Run it::

    python -m fastjson.server --ns /api/hello_rest=examples.hello_rest:create
    fastjson-server --port 9000 --workers 4 ...      # production, under gunicorn

or serve ``create_app(...)`` with any WSGI server.
"""

from __future__ import annotations

import argparse
import importlib
import os
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

__all__ = ("NamespaceError", "create_app", "discover", "main")

ENTRY_POINT_GROUP = "fastjson.namespaces"
PREFIX_ROOT = "/api/"

Factory = Callable[[], "WSGIApplication"]


class NamespaceError(RuntimeError):
    """A namespace cannot be mounted: bad prefix, duplicate, or a factory that fails."""


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
    """Import ``module:attr`` (from the current directory too) and return the factory."""
    if callable(target):
        return target
    module_name, _, attr = target.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise NamespaceError(f"cannot load namespace factory {target!r}: {exc}") from exc
    if not callable(obj):
        raise NamespaceError(f"namespace factory {target!r} is not callable")
    factory: Factory = obj
    return factory


def normalise_prefix(prefix: str) -> str:
    """``/api/x/`` -> ``/api/x``; anything outside ``/api/<id>`` is refused."""
    clean = "/" + prefix.strip("/")
    if not clean.startswith(PREFIX_ROOT) or clean == PREFIX_ROOT.rstrip("/"):
        raise NamespaceError(f"namespace prefix {prefix!r} must be under {PREFIX_ROOT}<id>")
    if "//" in clean or any(part in (".", "..") for part in clean.split("/")):
        raise NamespaceError(f"namespace prefix {prefix!r} is not a clean path")
    return clean


def mount_table(
    specs: Iterable[tuple[str, str | Factory]], *, debug: bool = False
) -> dict[str, WSGIApplication]:
    """Create every namespace once, checking prefixes; duplicates are an error.

    ``debug=True`` puts each Flask app in debug mode (its 500 bodies then carry
    the traceback); other WSGI apps are mounted as they are.
    """
    mounts: dict[str, WSGIApplication] = {}
    for raw_prefix, target in specs:
        prefix = normalise_prefix(raw_prefix)
        if prefix in mounts:
            raise NamespaceError(f"namespace prefix {prefix!r} is declared twice")
        app = load_factory(target)()
        if not callable(app):
            raise NamespaceError(f"factory for {prefix!r} did not return a WSGI app")
        if debug and isinstance(app, Flask):
            app.debug = True
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
    return DispatcherMiddleware(root, mounts)


def _root_app(prefixes: list[str], static_folder: str | os.PathLike[str] | None) -> Namespace:
    root = Namespace(__name__, static_folder=None)

    @root.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok", namespaces=prefixes)

    if static_folder is not None:
        folder = Path(static_folder).resolve()

        @root.get("/")
        def index() -> Any:
            return send_from_directory(folder, "index.html")

        @root.get("/static/<path:name>")
        def static(name: str) -> Any:
            return send_from_directory(folder, name)
    else:

        @root.get("/")
        def listing() -> Any:
            return jsonify(namespaces=prefixes)

    return root


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
        )


def _serve_gunicorn(app: WSGIApplication, host: str, port: int, workers: int, url: str) -> None:
    """Run ``app`` under gunicorn (the ``server`` extra): the production set-up."""
    try:
        from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]
    except ImportError:
        sys.exit("fastjson-server: --workers needs gunicorn: pip install 'flask-fastjson[server]'")

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 4)

        def load(self) -> WSGIApplication:
            return app

    print(f"fastjson-server: serving on {url} with {workers} gunicorn workers", flush=True)
    _Gunicorn().run()


if __name__ == "__main__":
    main()
