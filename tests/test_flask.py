"""Flask integration: jsonify, json_response and FastJSONProvider (Flask's behaviours too)."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import uuid
from typing import Any

import flask
import numpy as np
import pandas as pd
import pytest
from strictjson import strict_loads
from werkzeug.http import http_date

import fastjson
from fastjson import FastJSONProvider, json_response, jsonify


class HttpProvider(FastJSONProvider):
    datetime_format = "http"


@pytest.fixture
def app() -> flask.Flask:
    app = flask.Flask(__name__)
    app.json = FastJSONProvider(app)
    return app


@pytest.fixture
def plain_app() -> flask.Flask:
    """An app that keeps Flask's own provider."""
    return flask.Flask(__name__)


class TestJsonify:
    @pytest.mark.parametrize(
        ("args", "kwargs", "expected"),
        [
            ((), {}, None),
            ((1,), {}, 1),
            ((1, "a"), {}, [1, "a"]),
            ((), {"a": 1}, {"a": 1}),
            (([1, 2],), {}, [1, 2]),
        ],
    )
    def test_flask_argument_rules(
        self, plain_app: flask.Flask, args: Any, kwargs: Any, expected: Any
    ):
        with plain_app.app_context():
            response = jsonify(*args, **kwargs)
        assert response.mimetype == "application/json"
        assert response.get_json() == expected

    def test_args_and_kwargs_together_is_a_type_error(self, plain_app: flask.Flask):
        with plain_app.app_context(), pytest.raises(TypeError):
            jsonify(1, a=2)

    def test_outside_an_app_context_is_a_runtime_error(self):
        with pytest.raises(RuntimeError, match="application context"):
            jsonify(1)

    def test_numpy_pandas_and_nan_in_a_plain_flask_app(self, plain_app: flask.Flask):
        @plain_app.get("/data")
        def data() -> Any:
            return jsonify(
                a=np.array([1.5, np.nan]),
                df=pd.DataFrame({"x": [1, 2]}),
                when=pd.Timestamp("2024-01-01"),
            )

        body = plain_app.test_client().get("/data").data
        assert strict_loads(body) == {
            "a": [1.5, None],
            "df": [{"x": 1}, {"x": 2}],
            "when": "2024-01-01T00:00:00",
        }

    def test_uses_the_provider_settings(self, app: flask.Flask):
        app.json.sort_keys = False
        app.json.ensure_ascii = False
        app.json.nan = "string"
        with app.app_context():
            assert jsonify({"b": "é", "a": float("nan")}).data == '{"b":"é","a":"NaN"}'.encode()

    def test_flask_defaults_sort_and_escape(self, app: flask.Flask):
        with app.app_context():
            assert jsonify({"b": "é", "a": 1}).data == b'{"a":1,"b":"\\u00e9"}'

    def test_debug_indents_unless_compact(self, app: flask.Flask):
        app.debug = True
        with app.app_context():
            assert jsonify(a=[1]).data == b'{\n  "a": [\n    1\n  ]\n}'
            app.json.compact = True
            assert jsonify(a=[1]).data == b'{"a":[1]}'


class TestJsonResponse:
    def test_status_headers_and_options(self, app: flask.Flask):
        with app.app_context():
            response = json_response(
                {"x": float("inf")}, status=201, headers={"X-Thing": "1"}, nan="string"
            )
        assert response.status_code == 201
        assert response.headers["X-Thing"] == "1"
        assert response.mimetype == "application/json"
        assert response.data == b'{"x":"Infinity"}'

    def test_indents_as_jsonify_does(self, app: flask.Flask):
        app.debug = True
        with app.app_context():
            assert json_response([1]).data == b"[\n  1\n]"
            assert json_response([1], nan="string").data == b"[\n  1\n]"
            assert json_response([1], indent=None).data == b"[1]"
            app.json.compact = True
            assert json_response([1]).data == b"[1]"

    def test_error_option(self, plain_app: flask.Flask):
        with plain_app.app_context(), pytest.raises(ValueError, match=r"\$\.x"):
            json_response({"x": float("nan")}, nan="error")


class TestProvider:
    def test_attributes_have_flasks_defaults(self, app: flask.Flask):
        flask_default = flask.json.provider.DefaultJSONProvider(app)
        for name in ("ensure_ascii", "sort_keys", "compact", "mimetype"):
            assert getattr(app.json, name) == getattr(flask_default, name)
        assert app.json.default is flask_default.default

    def test_one_line_switch_with_the_class_attribute(self):
        class App(flask.Flask):
            json_provider_class = FastJSONProvider

        app = App(__name__)
        assert isinstance(app.json, FastJSONProvider)

    def test_views_returning_dicts_use_the_fast_path(self, app: flask.Flask):
        app.get("/")(lambda: {"a": np.arange(3)})
        assert app.test_client().get("/").get_json() == {"a": [0, 1, 2]}

    @pytest.mark.parametrize(("ascii_", "expected"), [(True, '"\\u2603"'), (False, '"\u2603"')])
    def test_unicode_escaping(self, app: flask.Flask, ascii_: bool, expected: str):
        app.json.ensure_ascii = ascii_
        with app.app_context():
            assert app.json.dumps("\N{SNOWMAN}") == expected
            assert jsonify("\N{SNOWMAN}").data == expected.encode()

    def test_dump_to_a_file_and_load(self, app: flask.Flask):
        out = io.StringIO()
        with app.app_context():
            flask.json.dump({"name": "Flask"}, out)
            out.seek(0)
            assert flask.json.load(out) == {"name": "Flask"}

    @pytest.mark.parametrize(
        "value",
        [
            dt.datetime(1973, 3, 11, 6, 30, 45),
            dt.date(1975, 1, 5),
            dt.datetime(2017, 1, 1, 12, 34, 56, tzinfo=dt.timezone(dt.timedelta(hours=-8))),
            dt.datetime(2017, 1, 1, 12, 34, 56, tzinfo=dt.timezone(dt.timedelta(hours=9))),
        ],
    )
    def test_http_dates_like_flask(self, value: Any):
        app = flask.Flask(__name__)
        app.json = HttpProvider(app)
        app.get("/")(lambda: jsonify(value=value))
        assert app.test_client().get("/").get_json()["value"] == http_date(value)
        with app.app_context():
            assert flask.json.dumps(value) == json.dumps(http_date(value))

    def test_iso_dates_by_default(self, app: flask.Flask):
        with app.app_context():
            assert jsonify(dt.datetime(2024, 1, 1)).data == b'"2024-01-01T00:00:00"'

    def test_uuid_and_decimal(self, app: flask.Flask):
        u = uuid.UUID(bytes=b"\xde\xad\xbe\xef" * 4)
        with app.app_context():
            assert flask.json.loads(jsonify(x=u).data)["x"] == str(u)
            assert flask.json.dumps(decimal.Decimal("0.003")) == '"0.003"'

    def test_html_objects(self, app: flask.Flask):
        class WithHtml:
            def __html__(self) -> str:
                return "<p>test</p>"

        with app.app_context():
            assert flask.json.dumps(WithHtml()) == '"<p>test</p>"'

    def test_tojson_filter_formats_as_flask(self):
        app = flask.Flask(__name__)
        app.json = HttpProvider(app)
        with app.test_request_context():
            rendered = flask.render_template_string(
                "const data = {{ data|tojson }};",
                data={"name": "</script>", "time": dt.datetime(2021, 2, 1, 7, 15)},
            )
        assert rendered == (
            'const data = {"name": "\\u003c/script\\u003e",'
            ' "time": "Mon, 01 Feb 2021 07:15:00 GMT"};'
        )

    def test_dumps_matches_flask_byte_for_byte(self, app: flask.Flask, plain_app: flask.Flask):
        value = {"b": [1, 2.5, None, True], "a": {"é": "x", "3": [{}]}, "c": 10**30}
        assert app.json.dumps(value) == plain_app.json.dumps(value)
        assert app.json.dumps(value, indent=2) == plain_app.json.dumps(value, indent=2)
        ints = {10: "a", 2: "b"}
        assert app.json.dumps(ints) == plain_app.json.dumps(ints)

    def test_dumps_sorts_mixed_keys_where_flask_raises(self, app: flask.Flask):
        assert app.json.dumps({"b": 1, 3: 2}) == '{"3": 2, "b": 1}'

    def test_dumps_writes_valid_json_for_nan_unlike_flask(self, app: flask.Flask):
        assert app.json.dumps([float("nan")]) == "[null]"
        assert app.json.dumps([float("nan")], nan="string") == '["NaN"]'

    def test_key_sorting_with_int_keys(self, app: flask.Flask):
        app.debug = True
        app.get("/")(lambda: jsonify(values=dict.fromkeys(range(20), "foo")))
        lines = [x.strip() for x in app.test_client().get("/").data.decode().splitlines()]
        assert lines[:4] == ["{", '"values": {', '"0": "foo",', '"1": "foo",']
        assert len(lines) == 24

    def test_custom_default(self, app: flask.Flask):
        class X:
            def __init__(self, val: int):
                self.val = val

        def default(o: Any) -> Any:
            if isinstance(o, X):
                return f"<{o.val}>"
            return flask.json.provider.DefaultJSONProvider.default(o)

        app.json.default = default
        with app.app_context():
            assert flask.json.dumps(X(42)) == '"<42>"'
            assert jsonify(X(42)).data == b'"<42>"'
            with pytest.raises(TypeError, match="not JSON serializable"):
                jsonify(object())

    def test_loads_and_request_json(self, app: flask.Flask):
        @app.post("/echo")
        def echo() -> Any:
            return jsonify(flask.request.get_json())

        client = app.test_client()
        assert client.post("/echo", json={"a": [1, 2]}).get_json() == {"a": [1, 2]}
        bad = client.post("/echo", data="malformed", content_type="application/json")
        assert bad.status_code == 400
        assert app.json.loads('{"a": 1}', object_hook=lambda d: sorted(d)) == ["a"]

    def test_the_request_class_says_why_a_body_is_malformed(self, app: flask.Flask):
        from fastjson.flask import FastJSONRequest

        app.request_class = FastJSONRequest
        app.post("/echo")(lambda: jsonify(flask.request.get_json()))
        bad = app.test_client().post("/echo", data='{"a": [1,', content_type="application/json")
        assert bad.status_code == 400
        assert b"malformed JSON body: unexpected end of data: line 1 column 10" in bad.data
        other = app.test_client().post("/echo", data="{}", content_type="text/plain")
        assert other.status_code == 415

    def test_app_registry(self, app: flask.Flask):
        class Money:
            def __init__(self, cents: int):
                self.cents = cents

        app.json.registry = fastjson.Registry()
        app.json.registry.register(Money, lambda m: f"{m.cents / 100:.2f}")
        with app.app_context():
            assert jsonify(Money(1999)).data == b'"19.99"'
        with pytest.raises(TypeError):
            fastjson.dumpb(Money(1))

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("nan", "bogus"),
            ("orient", "rows"),
            ("datetime_format", "rfc"),
            ("big_int", True),
            ("backend", "simplejson"),
            ("sort_keys", "yes"),
            ("ensure_ascii", 1),
            ("default", "str"),
            ("registry", {}),
        ],
    )
    def test_attributes_are_validated_when_set(self, app: flask.Flask, name: str, value: Any):
        with pytest.raises(ValueError) as expected:
            fastjson.Encoder(**{name: value})
        before = app.json.options()
        with pytest.raises(ValueError) as raised:
            setattr(app.json, name, value)
        assert str(raised.value) == str(expected.value)
        assert app.json.options() == before, "a refused value is not kept"

    def test_subclass_attributes_are_validated_when_the_class_is_made(self):
        with pytest.raises(ValueError, match="nan must be one of 'null', 'error', 'string'"):

            class Bad(FastJSONProvider):
                nan = "bogus"

        class Good(FastJSONProvider):
            nan = "error"
            default = None

        assert Good(flask.Flask(__name__)).encoder().option("nan") == "error"

    @pytest.mark.parametrize("backend", ["ujson", "json"])
    def test_backends(self, app: flask.Flask, backend: str):
        app.json.backend = backend
        with app.app_context():
            assert strict_loads(jsonify(a=np.arange(2), b=float("nan")).data) == {
                "a": [0, 1],
                "b": None,
            }
