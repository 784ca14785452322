"""fastjson.ns and examples/hello_rest through Flask's test client: routes, errors, decorators."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from strictjson import strict_loads
from werkzeug.test import Client

from examples import hello_rest
from fastjson import ns
from fastjson.server import create_app


@pytest.fixture
def client() -> Client:
    """The server app with hello_rest mounted, as `make run` serves it."""
    return Client(create_app({"/api/hello_rest": hello_rest.create}, discover_installed=False))


def get(client: Client, url: str, **kwargs: Any) -> tuple[int, Any]:
    response = client.get(url, **kwargs)
    assert response.mimetype == "application/json"
    return response.status_code, strict_loads(response.get_data())


class TestHelloRest:
    def test_hello(self, client: Client):
        assert get(client, "/api/hello_rest/") == (200, {"message": "Hello Rest"})

    def test_prefix_without_trailing_slash(self, client: Client):
        assert get(client, "/api/hello_rest") == (200, {"message": "Hello Rest"})

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("", "Hello tom"),
            ("?lang=en", "Hello tom"),
            ("?lang=de", "Hallo tom"),
            ("?lang=es", "Hola tom"),
        ],
    )
    def test_greet_languages(self, client: Client, query: str, message: str):
        assert get(client, f"/api/hello_rest/greet/tom{query}") == (200, {"message": message})

    def test_greet_from_a_form_post(self, client: Client):
        response = client.post("/api/hello_rest/greet/ana", data={"lang": "es"})
        assert strict_loads(response.get_data()) == {"message": "Hola ana"}

    def test_greet_path_names(self, client: Client):
        assert get(client, "/api/hello_rest/greet/tom/jones") == (
            200,
            {"message": "Hello tom/jones"},
        )

    def test_unknown_language_is_a_json_400(self, client: Client):
        assert get(client, "/api/hello_rest/greet/tom?lang=fr") == (
            400,
            {"status": 400, "error": "Bad Request", "message": "invalid language: fr"},
        )

    def test_greetings_are_not_cached(self, client: Client):
        response = client.get("/api/hello_rest/greet/tom")
        assert "no-store" in response.headers["Cache-Control"]

    def test_array(self, client: Client):
        status, body = get(client, "/api/hello_rest/data/array?n=5")
        assert status == 200 and len(body["values"]) == 5
        assert all(0 <= v < 1 for v in body["values"])

    @pytest.mark.parametrize("n", ["0", "10000001", "-3", "abc", "1e3"])
    def test_array_size_is_bounded(self, client: Client, n: str):
        status, body = get(client, f"/api/hello_rest/data/array?n={n}")
        assert status == 400 and body["message"].startswith("n must be")

    @pytest.mark.parametrize("orient", ["records", "split", "columns", "index", "values"])
    def test_frame_orients(self, client: Client, orient: str):
        status, body = get(client, f"/api/hello_rest/data/frame?rows=8&orient={orient}")
        assert status == 200
        if orient == "records":
            assert (
                len(body) == 8 and body[0]["value"] is None and body[1]["when"].endswith(":01:00")
            )

    def test_frame_orient_is_validated(self, client: Client):
        status, body = get(client, "/api/hello_rest/data/frame?orient=table")
        assert status == 400 and "orient must be one of" in body["message"]

    def test_series_with_nan_is_valid_json(self, client: Client):
        assert get(client, "/api/hello_rest/data/series") == (200, [1.5, None, 3.0, None])

    def test_dates(self, client: Client):
        assert get(client, "/api/hello_rest/data/dates?n=3") == (
            200,
            ["2024-01-01", "2024-01-02", "2024-01-03"],
        )


class TestServerApp:
    def test_healthz(self, client: Client):
        assert get(client, "/healthz") == (
            200,
            {"status": "ok", "namespaces": ["/api/hello_rest"]},
        )

    def test_index_page(self):
        from pathlib import Path

        static = Path(hello_rest.__file__).with_name("static")
        app = create_app(
            {"/api/hello_rest": hello_rest.create}, discover_installed=False, static_folder=static
        )
        response = Client(app).get("/")
        assert response.status_code == 200
        page = response.get_data()
        assert b"/api/hello_rest" in page and b"/greet/" in page and b"/data/sensors" in page

    def test_root_lists_namespaces_without_a_static_folder(self, client: Client):
        assert get(client, "/") == (200, {"namespaces": ["/api/hello_rest"]})

    @pytest.mark.parametrize("url", ["/api/hello_restx", "/api/other/x", "/nope"])
    def test_unknown_paths_are_json_404(self, client: Client, url: str):
        status, body = get(client, url)
        assert status == 404 and body["status"] == 404

    def test_script_name_lets_url_for_build_full_urls(self):
        space = ns.Namespace("urls")

        @space.get("/where")
        def where() -> Any:
            return ns.jsonify(url=ns.url_for("where"), root=ns.request.script_root)

        client = Client(create_app({"/api/urls": lambda: space}, discover_installed=False))
        assert get(client, "/api/urls/where") == (
            200,
            {"url": "/api/urls/where", "root": "/api/urls"},
        )
        nested = client.get("/api/urls/where", environ_overrides={"SCRIPT_NAME": "/app"})
        assert strict_loads(nested.get_data()) == {
            "url": "/app/api/urls/where",
            "root": "/app/api/urls",
        }

    def test_debug_puts_namespaces_in_debug_mode(self):
        space = ns.Namespace("boom")

        @space.get("/")
        def boom() -> Any:
            raise RuntimeError("secret internals")

        for debug in (False, True):
            app = create_app({"/api/boom": lambda: space}, discover_installed=False, debug=debug)
            status, body = get(Client(app), "/api/boom/")
            assert status == 500 and ("traceback" in body) is debug
        assert "RuntimeError: secret internals" in body["traceback"]

    def test_longest_prefix_wins(self):
        outer, inner = ns.Namespace("outer"), ns.Namespace("inner")
        outer.get("/<path:p>")(lambda p: ns.jsonify(app="outer", p=p))
        inner.get("/")(lambda: ns.jsonify(app="inner"))
        client = Client(
            create_app(
                {"/api/a": lambda: outer, "/api/a/b": lambda: inner}, discover_installed=False
            )
        )
        assert get(client, "/api/a/b/")[1] == {"app": "inner"}
        assert get(client, "/api/a/bc")[1] == {"app": "outer", "p": "bc"}


class TestNamespaceErrors:
    @pytest.fixture
    def app(self) -> ns.Namespace:
        app = ns.Namespace("errors")

        @app.post("/body")
        def body() -> Any:
            return ns.jsonify(size=len(ns.request.get_data()))

        @app.get("/boom")
        def boom() -> Any:
            raise RuntimeError("secret internals")

        @app.get("/abort")
        def aborted() -> Any:
            ns.abort(403, "no entry")

        return app

    def json_of(self, client: FlaskClient, method: str, url: str, **kw: Any) -> tuple[int, Any]:
        response = client.open(url, method=method, **kw)
        assert response.mimetype == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        return response.status_code, strict_loads(response.get_data())

    def test_abort(self, app: ns.Namespace):
        assert self.json_of(app.test_client(), "GET", "/abort") == (
            403,
            {"status": 403, "error": "Forbidden", "message": "no entry"},
        )

    def test_404_and_405(self, app: ns.Namespace):
        client = app.test_client()
        assert self.json_of(client, "GET", "/missing")[0] == 404
        status, body = self.json_of(client, "GET", "/body")
        assert (status, body["error"]) == (405, "Method Not Allowed")
        assert "POST" in client.get("/body").headers["Allow"]

    def test_413_with_the_default_limit(self, app: ns.Namespace):
        assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
        app.config["MAX_CONTENT_LENGTH"] = 10
        status, body = self.json_of(app.test_client(), "POST", "/body", data=b"x" * 11)
        assert (status, body["error"]) == (413, "Request Entity Too Large")

    def test_500_hides_internals(self, app: ns.Namespace):
        status, body = self.json_of(app.test_client(), "GET", "/boom")
        assert status == 500
        assert body["error"] == "Internal Server Error"
        assert "secret" not in str(body) and "traceback" not in body

    def test_500_in_debug_has_the_traceback(self, app: ns.Namespace):
        app.debug = True
        status, body = self.json_of(app.test_client(), "GET", "/boom")
        assert status == 500 and "RuntimeError: secret internals" in body["traceback"]

    def test_namespace_uses_fastjson_defaults(self):
        app = ns.Namespace("defaults")
        app.get("/")(lambda: {"é": float("nan"), "b": 1, "a": 2})
        assert app.test_client().get("/").data == '{"é":null,"b":1,"a":2}'.encode()

    def test_reexports(self):
        import flask

        import fastjson

        assert ns.jsonify is fastjson.jsonify and ns.jsonify is not flask.jsonify
        for name in (
            "request",
            "abort",
            "json_response",
            "Response",
            "make_response",
            "send_file",
            "send_from_directory",
            "url_for",
        ):
            assert getattr(ns, name) is not None


class TestDecorators:
    @pytest.fixture
    def client(self) -> FlaskClient:
        app = ns.Namespace("decorators")

        @app.get("/cached")
        @ns.cache_control(max_age=60, public=True)
        def cached() -> Any:
            return ns.jsonify(x=1)

        @app.get("/fresh")
        @ns.no_cache
        def fresh() -> Any:
            return ns.jsonify(x=1)

        @app.get("/tagged")
        @ns.etag
        def tagged() -> Any:
            return ns.jsonify(values=list(range(10)))

        return app.test_client()

    def test_cache_control(self, client: FlaskClient):
        header = client.get("/cached").headers["Cache-Control"]
        assert "max-age=60" in header and "public" in header

    def test_cache_control_validates_names(self):
        with pytest.raises(TypeError, match="max_agee"):
            ns.cache_control(max_agee=1)

    def test_no_cache(self, client: FlaskClient):
        response = client.get("/fresh")
        assert "no-store" in response.headers["Cache-Control"]
        assert response.headers["Pragma"] == "no-cache"

    def test_etag_and_304(self, client: FlaskClient):
        first = client.get("/tagged")
        tag = first.headers["ETag"]
        assert first.status_code == 200 and tag.startswith('"') and not tag.startswith("W/")
        again = client.get("/tagged", headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.data == b""
        other = client.get("/tagged", headers={"If-None-Match": '"other"'})
        assert other.status_code == 200 and other.data == first.data


class TestMounting:
    def test_prefixes_outside_api_are_refused(self):
        from fastjson.server import NamespaceError

        for bad in ["/hello", "/api", "/api/", "/apix/y", "/api/../etc"]:
            with pytest.raises(NamespaceError):
                create_app({bad: hello_rest.create}, discover_installed=False)

    @pytest.mark.parametrize(
        "bad",
        ["/api/a b", "/api/a%20b", "/api/a?b", "/api/é", "/api/a//b", "/api/a/./b", "/api/a#"],
    )
    def test_prefixes_need_url_safe_ids(self, bad: str):
        from fastjson.server import NamespaceError

        with pytest.raises(ValueError, match="URL-safe ids") as info:
            create_app({bad: hello_rest.create}, discover_installed=False)
        assert isinstance(info.value, NamespaceError) and repr(bad) in str(info.value)

    def test_url_safe_ids_are_mounted(self):
        for good in ["/api/a-b_c.d", "/api/V2", "/api/a/b.1"]:
            client = Client(create_app({good: hello_rest.create}, discover_installed=False))
            assert get(client, good + "/") == (200, {"message": "Hello Rest"})

    def test_duplicate_prefixes_are_refused(self):
        from fastjson.server import NamespaceError

        with pytest.raises(NamespaceError, match="twice"):
            create_app(
                [("/api/x", hello_rest.create), ("/api/x/", hello_rest.create)],
                discover_installed=False,
            )

    def test_factories_are_called_once_at_start_up(self):
        calls = []

        def factory() -> ns.Namespace:
            calls.append(1)
            return hello_rest.create()

        client = Client(create_app({"/api/once": factory}, discover_installed=False))
        for _ in range(3):
            client.get("/api/once/")
        assert calls == [1]

    def test_string_factories_and_bad_ones(self):
        from fastjson.server import NamespaceError

        app = create_app({"/api/h": "examples.hello_rest:create"}, discover_installed=False)
        assert get(Client(app), "/api/h/")[1] == {"message": "Hello Rest"}
        with pytest.raises(NamespaceError, match="cannot load"):
            create_app({"/api/h": "examples.nope:create"}, discover_installed=False)

    def test_entry_point_discovery(self, tmp_path: Any, monkeypatch: pytest.MonkeyPatch):
        dist = tmp_path / "demo_ns-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-ns\nVersion: 1.0\n")
        (dist / "entry_points.txt").write_text(
            "[fastjson.namespaces]\n/api/demo = examples.hello_rest:create\n"
        )
        monkeypatch.syspath_prepend(str(tmp_path))
        from fastjson.server import discover

        assert discover()["/api/demo"] == "examples.hello_rest:create"
        assert get(Client(create_app()), "/api/demo/")[1] == {"message": "Hello Rest"}


class TestRequestBodies:
    """Routes reading JSON bodies answer bad input with a 4xx JSON error, never a 500."""

    url = "/api/hello_rest/data/summary"

    def post(self, client: Client, **kwargs: Any) -> tuple[int, Any]:
        response = client.post(self.url, **kwargs)
        assert response.mimetype == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        body = strict_loads(response.get_data())
        assert "Traceback" not in str(body)
        return response.status_code, body

    def test_good_body(self, client: Client):
        status, body = self.post(client, json={"values": [1, 2, 3.5]})
        assert (status, body) == (200, {"n": 3, "mean": 6.5 / 3, "min": 1.0, "max": 3.5})

    @pytest.mark.parametrize(
        "data", [b"{", b'{"values": [1, 2,]}', b"\xff\xfe", b"", b"NaN", b'{"values": [1e999]}']
    )
    def test_malformed_json_is_400(self, client: Client, data: bytes):
        status, body = self.post(client, data=data, content_type="application/json")
        assert status == 400 and body["status"] == 400

    @pytest.mark.parametrize(
        "data", [b'{"values": [1,', b'{"values": [1, 2, x]}', b"\xff", b"", b"[" * 2000]
    )
    @pytest.mark.parametrize("debug", [False, True])
    def test_malformed_json_says_why(self, data: bytes, debug: bool):
        """The parser's reason, not Werkzeug's generic text; in debug mode nothing more."""
        import fastjson

        with pytest.raises(fastjson.DecodeError) as parsed:
            fastjson.loads(data)
        app = create_app(
            {"/api/hello_rest": hello_rest.create}, discover_installed=False, debug=debug
        )
        try:
            status, body = self.post(Client(app), data=data, content_type="application/json")
        finally:
            hello_rest.app.debug = False
        assert (status, body) == (
            400,
            {
                "status": 400,
                "error": "Bad Request",
                "message": f"malformed JSON body: {parsed.value}",
            },
        )

    @pytest.mark.parametrize("values", [[1e308, 1e308], [-1.7e308, -1.7e308, 1.0]])
    def test_a_result_that_overflows_is_422(self, client: Client, values: list[float]):
        status, body = self.post(client, json={"values": values})
        assert (status, body) == (
            422,
            {
                "status": 422,
                "error": "Unprocessable Entity",
                "message": "the mean of these values overflows a double",
            },
        )

    def test_large_values_whose_mean_fits_are_fine(self, client: Client):
        status, body = self.post(client, json={"values": [1e308, -1e308, 1.7e308]})
        assert status == 200 and body["mean"] == pytest.approx(1.7e308 / 3)

    def test_wrong_content_type_is_415(self, client: Client):
        status, body = self.post(client, data=b'{"values": [1]}', content_type="text/plain")
        assert (status, body["error"]) == (415, "Unsupported Media Type")

    @pytest.mark.parametrize("body", [[], {"values": []}, {"values": [True]}, {"values": "x"}])
    def test_wrong_shape_is_400(self, client: Client, body: Any):
        assert self.post(client, json=body)[0] == 400

    def test_oversize_body_is_413(self, client: Client):
        data = b'{"values": [' + b"1," * (9 * 1024 * 1024) + b"1]}"
        status, body = self.post(client, data=data, content_type="application/json")
        assert (status, body["error"]) == (413, "Request Entity Too Large")

    @pytest.mark.parametrize("depth", [2_000, 100_000])
    def test_absurdly_deep_json_is_400(self, client: Client, depth: int):
        for leaf in (b"1", b"12345678901234567890123"):  # the second goes through json.loads
            data = b"[" * depth + leaf + b"]" * depth
            status, _ = self.post(client, data=data, content_type="application/json")
            assert status == 400


def test_a_request_body_reads_back_every_integer_dumpb_writes():
    """``request.get_json()`` in a namespace reads integers beyond a double exactly, and
    one past the interpreter's digit limit is a 400 that says why (not a 500)."""
    import sys

    import fastjson

    space = ns.Namespace("ints")

    @space.post("/echo")
    def echo() -> Any:
        body = ns.request.get_json()
        return {"same": body == [10**400, -(2**70)], "back": body}

    client = space.test_client()
    sent = fastjson.dumpb([10**400, -(2**70)])
    reply = client.post("/echo", data=sent, content_type="application/json")
    assert reply.status_code == 200
    assert reply.get_data() == b'{"same":true,"back":' + sent + b"}"
    limit = sys.get_int_max_str_digits()
    if limit:
        too_long = b"[" + b"9" * (limit + 1) + b"]"
        reply = client.post("/echo", data=too_long, content_type="application/json")
        assert reply.status_code == 400
        assert "digit" in strict_loads(reply.get_data())["message"]
