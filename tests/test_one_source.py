"""One source of truth: options, native types and errors declared once, and the data losses
and inconsistencies that followed from copies drifting apart (one regression test each)."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import enum
import json
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any, get_type_hints

import numpy as np
import pandas as pd
import pytest
from flask import Flask
from strictjson import strict_loads

import fastjson
from fastjson import Encoder, dumpb, dumps, loads
from fastjson import registry as registry_module
from fastjson._options import DEFAULTS, NAMES, Options

# -- the redesign --------------------------------------------------------------


def test_every_option_has_one_declaration_with_type_and_default():
    hints = get_type_hints(Options, include_extras=True)
    assert tuple(hints) == NAMES
    assert set(DEFAULTS) == set(NAMES)
    assert Encoder().options == DEFAULTS


def test_validation_comes_from_the_declared_types():
    with pytest.raises(ValueError, match="nan must be one of 'null', 'error', 'string'"):
        dumps([1], nan="bogus")  # type: ignore[typeddict-item]
    with pytest.raises(ValueError, match="indent"):
        dumpb([1], indent=4)  # type: ignore[typeddict-item]
    with pytest.raises(ValueError, match="sort_keys"):
        dumpb([1], sort_keys=1)  # type: ignore[typeddict-item]
    with pytest.raises(ValueError, match="default must be callable"):
        Encoder(default=3)  # type: ignore[typeddict-item]
    with pytest.raises(TypeError, match="unknown fastjson option 'options'"):
        dumpb([1], options={})  # type: ignore[call-arg]


def test_provider_attributes_are_the_options_but_indent():
    provider = fastjson.FastJSONProvider(Flask(__name__))
    for name in NAMES:
        if name == "indent":
            continue
        flask_default = {"ensure_ascii": True, "sort_keys": True}
        if name == "default":
            assert callable(provider.default)
            continue
        assert getattr(provider, name) == flask_default.get(name, DEFAULTS[name]), name
    hints = get_type_hints(fastjson.FastJSONProvider)
    option_hints = get_type_hints(Options)
    for name in NAMES:
        if name != "indent":
            assert hints[name] == option_hints[name], name


def test_encoder_is_reusable_and_its_options_compile_once():
    enc = Encoder(sort_keys=True, nan="string")
    assert enc.encode({"b": float("nan"), "a": 1}) == b'{"a":1,"b":"NaN"}'
    assert enc.encode_str([float("inf")]) == '["Infinity"]'
    assert enc.replace(indent=2) is enc.replace(indent=2)
    assert enc.replace(indent=2).options["sort_keys"] is True
    assert repr(enc) == "fastjson.Encoder(nan='string', sort_keys=True)"
    options: Options = {"nan": "error"}
    assert Encoder(**options).options["nan"] == "error"
    assert dumpb([1], **options) == b"[1]"


def test_error_tree():
    assert issubclass(fastjson.EncodeError, TypeError)
    for cls in (
        fastjson.NonFiniteError,
        fastjson.CircularReferenceError,
        fastjson.NestingTooDeepError,
        fastjson.DuplicateKeyError,
    ):
        assert issubclass(cls, fastjson.EncodeError) and issubclass(cls, ValueError)
    assert issubclass(fastjson.DecodeError, ValueError)
    loop: list[Any] = []
    loop.append({"x": loop})
    cases = [
        (lambda: dumpb({"a": [float("nan")]}, nan="error"), fastjson.NonFiniteError, "$.a[0]"),
        (lambda: dumpb(loop), fastjson.CircularReferenceError, "$[0].x"),
        (lambda: dumpb(_nested(900)), fastjson.NestingTooDeepError, None),
        (lambda: dumpb({"k": [object()]}), fastjson.EncodeError, "$.k[0]"),
        (lambda: dumpb({1: 1, "1": 2}), fastjson.DuplicateKeyError, "$"),
    ]
    for call, cls, path in cases:
        with pytest.raises(cls) as info:
            call()
        assert info.value.path.startswith("$")
        if path is not None:
            assert info.value.path == path, str(info.value)
            assert str(info.value).endswith(f" at {path}")
    with pytest.raises(fastjson.DecodeError):
        loads(b"[1,")


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def test_big_int_option():
    safe = 2**53 - 1
    assert dumpb([safe, -safe], big_int="string") == f"[{safe},{-safe}]".encode()
    assert dumpb([safe + 1, -safe - 1, 2**70], big_int="string") == (
        f'["{safe + 1}","{-safe - 1}","{2**70}"]'.encode()
    )
    assert dumpb({"n": np.int64(2**60)}, big_int="string") == b'{"n":"1152921504606846976"}'
    array = np.array([1, 2**60, -(2**60)], dtype=">i8")
    assert strict_loads(dumpb(array, big_int="string")) == [1, str(2**60), str(-(2**60))]
    assert strict_loads(dumpb(np.array([2**64 - 1], np.uint64), big_int="string")) == [
        str(2**64 - 1)
    ]
    frame = pd.DataFrame({"a": [2**60, 1], "b": pd.array([None, 2**55], dtype="Int64")})
    expected = [{"a": str(2**60), "b": None}, {"a": 1, "b": str(2**55)}]
    assert strict_loads(dumpb(frame, big_int="string")) == expected
    with _no_polars():
        assert strict_loads(dumpb(frame, big_int="string")) == expected
    for backend in ("json", "ujson"):
        assert dumpb([2**60], big_int="string", backend=backend) == b'["1152921504606846976"]'
    assert dumpb({2**60: 1}, big_int="string") == b'{"1152921504606846976":1}'  # keys: strings


def _no_polars() -> Any:
    """Every table on the pure route (numpy and orjson only)."""
    from fastjson.encoders import route

    return route("pure")


# -- data losses ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["-9223372036854775809", "18446744073709551616", "-" + "9" * 40, "9" * 30]
)
def test_1_loads_keeps_every_integer_exact(text: str):
    assert loads(text) == int(text)
    assert loads(f'{{"a": [{text}]}}'.encode()) == {"a": [int(text)]}
    assert loads(dumpb(-(2**63) - 1)) == -(2**63) - 1


def test_1_digits_inside_strings_keep_the_fast_parser(monkeypatch: pytest.MonkeyPatch):
    from fastjson import _parse

    monkeypatch.setattr(_parse, "_stdlib_loads", lambda data: pytest.fail("slow parser used"))
    assert loads('{"id": "12345678901234567890123"}') == {"id": "12345678901234567890123"}
    assert loads(b"[1e19, 12345.5]") == [1e19, 12345.5]


class _OneShot:
    """A value that can be read once, like a cursor."""

    def __init__(self) -> None:
        self.rows: list[int] | None = [1, 2, 3]

    def take(self) -> list[int]:
        rows, self.rows = self.rows, None
        assert rows is not None, "read twice"
        return rows


def test_2_default_runs_once_per_value():
    calls: list[Any] = []

    def default(o: Any) -> Any:
        calls.append(o)
        return o.take()

    out = dumps({"it": _OneShot(), "big": 2**70}, default=default)
    assert out == '{"it":[1,2,3],"big":1180591620717411303424}'
    assert len(calls) == 1
    assert dumps([_OneShot(), "\ud800"], default=_OneShot.take) == '[[1,2,3],"\\ud800"]'
    # iterators have a built-in encoder now (a list, consumed once) and stay exact
    assert dumps({"it": iter([1, 2, 3]), "big": 2**70}) == out


def test_2_each_encoder_runs_once_per_value():
    class Once:
        count = 0

    def encode(o: Once) -> str:
        Once.count += 1
        return "once"

    reg = fastjson.Registry()
    reg.register(Once, encode)
    dumpb([Once(), 2**70, [Once()]], registry=reg)
    assert Once.count == 2
    Once.count = 0
    with pytest.raises(fastjson.EncodeError):
        dumpb([Once(), object()], registry=reg)
    assert Once.count == 1


@pytest.mark.parametrize("unit", ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps"])
def test_3_big_endian_datetimes(unit: str):
    little = np.array(["2024-02-29", "NaT"], dtype=f"M8[{unit}]")
    big = little.astype(little.dtype.newbyteorder(">"))
    assert dumpb(big) == dumpb(little)
    assert strict_loads(dumpb(big))[1] is None
    assert dumpb(big[:1][0]) == dumpb(little[:1][0])


def test_3_big_endian_extreme_units():
    for unit in ("fs", "as"):
        little = np.array([1, 2], dtype=f"M8[{unit}]")
        assert dumpb(little.astype(little.dtype.newbyteorder(">"))) == dumpb(little)


def test_4_the_first_second_of_the_ns_range():
    low = np.iinfo(np.int64).min
    values = np.array([low + 1, low + 999_999_999, low + 10**9, 0, -1], dtype="M8[ns]")
    expected = [pd.Timestamp(v).isoformat() for v in values]
    assert strict_loads(dumpb(values)) == expected
    frame = pd.DataFrame({"t": values}, index=list("abcde"))
    assert strict_loads(dumpb(frame, orient="index")) == {
        k: {"t": v} for k, v in zip("abcde", expected, strict=True)
    }
    assert strict_loads(dumpb(frame, orient="columns")) == {
        "t": dict(zip("abcde", expected, strict=True))
    }
    assert [r["t"] for r in strict_loads(dumpb(frame))] == expected


def test_5_private_dataclass_fields_are_written_as_flask_writes_them():
    @dataclasses.dataclass
    class Row:
        a: int
        _hidden: str

    app = Flask(__name__)
    flask_out = json.loads(app.json.dumps(Row(1, "x")))
    assert flask_out == {"a": 1, "_hidden": "x"}
    for backend in ("orjson", "json", "ujson"):
        assert strict_loads(dumpb([Row(1, "x")], backend=backend)) == [flask_out]  # type: ignore[arg-type]
    assert strict_loads(dumpb(Row(1, "x"))) == flask_out


# -- inconsistencies -----------------------------------------------------------


def test_6_sort_keys_reaches_inside_frames():
    frame = pd.DataFrame({"b": [1, 2], "a": [3, 4], "c": ["x", "y"]}, index=["y", "x"])
    for orient in ("records", "columns", "index"):
        expected = json.dumps(
            json.loads(frame.to_json(orient=orient)), sort_keys=True, separators=(",", ":")
        )
        assert dumps(frame, orient=orient, sort_keys=True) == expected, orient
        with _no_polars():
            assert dumps(frame, orient=orient, sort_keys=True) == expected, orient
        assert dumps(frame, orient=orient, sort_keys=True, backend="json") == expected
    app = Flask(__name__)
    app.json = fastjson.FastJSONProvider(app)
    with app.app_context():
        body = fastjson.jsonify({"z": 1, "df": frame}).get_data()
    assert body.startswith(b'{"df":[{"a":3,"b":1,"c":"x"}')


def test_7_integer_keys_sort_as_numbers():
    value = {10: "a", 9: "b", 100: "c"}
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"))
    assert dumps(value, sort_keys=True) == expected == '{"9":"b","10":"a","100":"c"}'
    app = Flask(__name__)
    app.json = fastjson.FastJSONProvider(app)
    with app.app_context():
        assert fastjson.jsonify(value).get_data().decode() == expected
        assert app.json.dumps(value) == json.dumps(value, sort_keys=True)
    # Mixed types (json raises): sorted by the strings they are written as.
    assert dumps({"b": 1, 2: 2, "a": 3}, sort_keys=True) == '{"2":2,"a":3,"b":1}'


def test_8_ordered_dicts_keep_their_order():
    od = collections.OrderedDict(a=1, b=2, c=3)
    od.move_to_end("a")
    assert dumps(od) == dumps([od])[1:-1] == '{"b":2,"c":3,"a":1}'
    app = Flask(__name__)
    app.json = fastjson.FastJSONProvider(app)
    app.json.sort_keys = False
    assert app.json.dumps(od) == json.dumps(od)


def test_9_ensure_ascii_escapes_del_like_json():
    text = "a\x7fé\U0001f600"
    for backend in ("orjson", "json", "ujson"):
        assert dumps([text], ensure_ascii=True, backend=backend) == json.dumps(  # type: ignore[arg-type]
            [text], separators=(",", ":")
        )


def test_10_loads_reads_back_what_dumpb_writes():
    for value in (["\ud800"], {"\udfff": "x"}, "a\ud83dz"):
        assert loads(dumpb(value)) == value
        assert loads(dumpb(value).decode()) == value
    for bad in (b"\xef\xbb\xbf[1]", "\ufeff[1]", b"[NaN]", b'"\xed\xa0\x80"', b"[1e400]"):
        with pytest.raises(fastjson.DecodeError):
            loads(bad)
    for bad in (b"\xef\xbb\xbf[12345678901234567890]", b'["\\ud800", NaN]'):
        with pytest.raises(fastjson.DecodeError):
            loads(bad)


class _Color(enum.Enum):
    RED = 1


class _Tags(dict[str, Any]):
    pass


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (dt.datetime, dt.datetime(2024, 1, 2, 3, 4, 5)),
        (dt.date, dt.date(2024, 1, 2)),
        (uuid.UUID, uuid.UUID(int=7)),
        (_Tags, _Tags(a=1)),
        (_Color, _Color.RED),
    ],
)
def test_11_registered_encoders_apply_everywhere(key: type, value: Any):
    reg = fastjson.Registry()
    reg.register(key, lambda o: "mine")
    for backend in ("orjson", "json", "ujson"):
        for nan in ("null", "string"):
            enc = Encoder(registry=reg, backend=backend, nan=nan)  # type: ignore[arg-type]
            assert enc.encode(value) == b'"mine"'
            assert enc.encode([value]) == b'["mine"]'
            assert enc.encode({"k": [value]}) == b'{"k":["mine"]}'


def test_11_one_rule_without_registrations():
    class Text(str):
        pass

    values = [Text("t"), _Tags(a=1), _Color.RED, uuid.UUID(int=7), dt.time(1, 2, tzinfo=dt.UTC)]
    whole = dumpb(values)
    for backend in ("json", "ujson"):
        assert dumpb(values, backend=backend) == whole  # type: ignore[arg-type]
    assert dumpb(values, nan="string") == whole
    assert b"".join([b"[", b",".join(dumpb(v) for v in values), b"]"]) == whole
    offset = dt.timezone(dt.timedelta(hours=5, minutes=30, seconds=7))
    moment = dt.datetime(2024, 1, 1, tzinfo=offset)
    for backend in ("orjson", "json"):
        # RFC 3339 has no offset of seconds: the same instant in UTC (fastjson._dates)
        assert dumps([moment], backend=backend) == '["2023-12-31T18:29:53+00:00"]'
        assert moment == dt.datetime(2023, 12, 31, 18, 29, 53, tzinfo=dt.UTC)


def test_12_errors_inside_frame_cells_name_the_row_and_column():
    frame = pd.DataFrame({"n": [1, 2, 3], "o": [1, "x", object()]}, index=["a", "b", "c"])
    paths = {
        "records": "$.payload.df[2].o",
        "values": "$.payload.df[2][1]",
        "split": "$.payload.df.data[2][1]",
        "columns": "$.payload.df.o.c",
        "index": "$.payload.df.c.o",
    }
    for orient, path in paths.items():
        with pytest.raises(fastjson.EncodeError) as info:
            dumpb({"payload": {"df": frame}}, orient=orient)  # type: ignore[arg-type]
        assert info.value.path == path, orient
    with pytest.raises(fastjson.EncodeError) as info:
        dumpb({"s": pd.Series([1, object()], dtype=object)})
    assert info.value.path == "$.s[1]"
    with pytest.raises(fastjson.EncodeError, match=r"column 'c'.* at \$\.payload\.df$"):
        dumpb({"payload": {"df": pd.DataFrame({"c": [1j]})}})


def test_13_sparse_columns_are_densified():
    sparse = pd.arrays.SparseArray([0, 0, 1.5, np.nan])
    frame = pd.DataFrame({"s": sparse, "i": pd.arrays.SparseArray([0, 3, 0, 0])})
    expected = [{"s": 0.0, "i": 0}, {"s": 0.0, "i": 3}, {"s": 1.5, "i": 0}, {"s": None, "i": 0}]
    for orient in ("records", "values", "split", "columns", "index"):
        assert strict_loads(dumpb(frame, orient=orient)) == strict_loads(
            dumpb(frame.sparse.to_dense(), orient=orient)
        )
    assert strict_loads(dumpb(frame)) == expected
    assert strict_loads(dumpb(pd.Series(sparse))) == [0.0, 0.0, 1.5, None]
    assert strict_loads(dumpb(sparse)) == [0.0, 0.0, 1.5, None]


def test_14_one_broken_plugin_does_not_disable_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "fj_good.py").write_text(
        textwrap.dedent(
            """
            class Good:
                pass

            def setup(registry):
                registry.register(Good, lambda o: "good")
            """
        )
    )
    (tmp_path / "fj_bad.py").write_text("def setup(registry):\n    raise RuntimeError('boom')\n")
    dist = tmp_path / "fj_plugins-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fj-plugins\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[fastjson.encoders]\naaa_bad = fj_bad:setup\nzzz_good = fj_good:setup\n"
        "missing = fj_not_there:setup\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry_module, "_plugins_loaded", False)
    import fj_good

    try:
        with pytest.warns(RuntimeWarning) as warned:
            assert dumpb(fj_good.Good()) == b'"good"'
        messages = " ".join(str(w.message) for w in warned)
        assert "'aaa_bad'" in messages and "boom" in messages and "'missing'" in messages
    finally:
        registry_module._plugins.unregister(fj_good.Good)
        sys.modules.pop("fj_good", None)
        sys.modules.pop("fj_bad", None)


def test_15_http_dates_apply_everywhere():
    moment = dt.datetime(2024, 3, 1, 12, 30)
    http = '"Fri, 01 Mar 2024 12:30:00 GMT"'
    values = [
        moment,
        pd.Timestamp(moment),
        np.datetime64(moment),
        np.array([moment], dtype="M8[us]"),
        np.array(["2024-03-01T12:30"], dtype=">M8[m]"),
        pd.Series([moment]),
        pd.DataFrame({"t": [moment]}),
        pd.DataFrame({"t": [pd.Timestamp(moment, tz="UTC")]}),
        pd.DataFrame({"t": [pd.Timestamp("2024-03-01T13:30", tz="Europe/Paris")]}),
    ]
    for value in values:
        out = dumps(value, datetime_format="http")
        assert http in out, (type(value), out)
        with _no_polars():
            assert dumps(value, datetime_format="http") == out
    days = np.arange("1969-12-25", "1970-03-03", dtype="M8[D]")
    from werkzeug.http import http_date

    assert strict_loads(dumpb(days, datetime_format="http")) == [
        http_date(d.astype(dt.date)) for d in days
    ]
    # dict keys and frame labels used as keys stay ISO, whatever the format
    frame = pd.DataFrame({"v": [1]}, index=pd.DatetimeIndex([moment]))
    assert dumps(frame, orient="index", datetime_format="http") == (
        '{"2024-03-01T12:30:00":{"v":1}}'
    )
    assert dumps({moment: 1}, datetime_format="http") == '{"2024-03-01T12:30:00":1}'


def test_namespace_error_bodies_go_through_the_provider():
    from fastjson.ns import Namespace, abort

    app = Namespace(__name__)
    app.json.ensure_ascii = True  # type: ignore[attr-defined]

    @app.get("/x")
    def x() -> Any:
        abort(400, "invalid language: é")

    body = app.test_client().get("/x").get_data()
    assert body.isascii() and b"\\u00e9" in body
