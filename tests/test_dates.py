"""fastjson._dates: one rule writes every date and time, on every route.

The rule: the text always denotes the value's exact instant. Wall time and
offset where the offset is a whole number of minutes; otherwise the same
instant in UTC with ``+00:00``. The oracle is :mod:`datetime` with
:mod:`zoneinfo`, which no one here wrote: each expected text is built from
``astimezone`` and ``utcoffset`` alone, and every written text must parse
back (``fromisoformat``) to the same instant.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from typing import Any

import numpy as np
import orjson
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastjson
from fastjson import dumpb, dumps, iter_encode, iter_ndjson
from fastjson._dates import iso, iso_datetime, iso_time, offset_label, whole_minutes
from fastjson.encoders import route

UTC = dt.UTC
ZONES = [
    "UTC",
    "Europe/Amsterdam",  # +00:19:32 before 1937
    "America/New_York",  # -04:56:02 before 1883
    "Asia/Tokyo",  # +09:18:59 before 1888
    "Asia/Kolkata",  # +05:30, and +05:53:28 once
    "Pacific/Chatham",  # +12:45
    "America/St_Johns",  # -03:30
    "Africa/Monrovia",  # -00:44:30 until 1972
]


def oracle(moment_utc: dt.datetime, zone: str) -> str:
    """What the rule writes for ``moment_utc`` seen in ``zone``, from zoneinfo alone."""
    local = moment_utc.astimezone(zoneinfo.ZoneInfo(zone))
    offset = local.utcoffset()
    assert offset is not None
    naive = local.replace(tzinfo=None)
    if offset % dt.timedelta(minutes=1) == dt.timedelta(0):
        minutes = int(offset / dt.timedelta(minutes=1))
        sign = "-" if minutes < 0 else "+"
        return f"{naive.isoformat()}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return moment_utc.replace(tzinfo=None).isoformat() + "+00:00"


def polars_oracle(moment_utc: dt.datetime, zone: str) -> str:
    """The rule with polars' own time-zone data (which, built from tzdata without its
    ``backzone``, knows Amsterdam's 1937-1940 offset as Brussels' +00:00)."""
    wall = pl.Series([moment_utc]).dt.convert_time_zone(zone).dt.replace_time_zone(None)[0]
    offset = wall - moment_utc.replace(tzinfo=None)
    return oracle(moment_utc, "UTC") if offset % dt.timedelta(minutes=1) else _label(wall, offset)


def _label(wall: dt.datetime, offset: dt.timedelta) -> str:
    minutes = int(offset / dt.timedelta(minutes=1))
    sign = "-" if minutes < 0 else "+"
    return f"{wall.isoformat()}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def same_instant(text: str, moment_utc: dt.datetime) -> None:
    parsed = dt.datetime.fromisoformat(text)
    assert parsed == moment_utc, (text, moment_utc)
    assert text[-6] in "+-" and text[-3] == ":"  # RFC 3339: an offset of hours and minutes


# -- the rule for Python values ---------------------------------------------------


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(
    "wall",
    [
        dt.datetime(1, 1, 2, 0, 0),
        dt.datetime(1850, 1, 1, 12),
        dt.datetime(1900, 1, 1, 12),
        dt.datetime(1969, 12, 31, 23, 59, 59, 999999),
        dt.datetime(2024, 3, 31, 2, 30),
        dt.datetime(2024, 7, 1, 12, 0, 0, 5),
        dt.datetime(9999, 12, 30, 23, 59, 59),
    ],
)
def test_aware_datetimes_denote_their_instant(zone: str, wall: dt.datetime):
    utc = wall.replace(tzinfo=UTC)
    moment = utc.astimezone(zoneinfo.ZoneInfo(zone))  # real local times, no DST gap
    expected = oracle(utc, zone)
    assert dumps(moment) == f'"{expected}"'
    assert dumps([moment], backend="json") == f'["{expected}"]'
    assert dumps({moment: 1}) == f'{{"{expected}":1}}'  # keys: the same text
    same_instant(expected, utc)


def test_a_wall_time_in_a_gap_keeps_its_own_offset():
    """02:30 on the night clocks go forward does not exist; Python gives it the offset
    before the change, and the text says that instant (01:30 UTC), as ``isoformat``."""
    moment = dt.datetime(2024, 3, 31, 2, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam"))
    assert dumps(moment) == '"2024-03-31T02:30:00+01:00"' == f'"{moment.isoformat()}"'
    same_instant("2024-03-31T02:30:00+01:00", moment.astimezone(UTC))


def test_odd_fixed_offsets_are_written_in_utc():
    """RFC 3339 offsets are ±HH:MM; orjson wrote +23:60, +00:60 and +00:00 for these."""
    cases = {
        dt.timedelta(seconds=86370): "1999-12-31T00:00:30+00:00",
        dt.timedelta(seconds=3599, microseconds=500000): "1999-12-31T23:00:00.500000+00:00",
        dt.timedelta(days=-1, microseconds=1): "2000-01-01T23:59:59.999999+00:00",
        dt.timedelta(seconds=-30): "2000-01-01T00:00:30+00:00",
        dt.timedelta(hours=5, minutes=30): "2000-01-01T00:00:00+05:30",
        dt.timedelta(hours=-23, minutes=-59): "2000-01-01T00:00:00-23:59",
    }
    for offset, text in cases.items():
        moment = dt.datetime(2000, 1, 1, tzinfo=dt.timezone(offset))
        assert iso_datetime(moment) == text
        assert dumps(moment) == f'"{text}"'
        same_instant(text, moment.astimezone(UTC))


def test_times_keep_the_leading_zeros_of_their_microseconds():
    """orjson writes ``dt.time(1, 2, 3, 12345)`` as ``01:02:03.12345``."""
    for t, text in [
        (dt.time(1, 2, 3, 12345), "01:02:03.012345"),
        (dt.time(1, 2, 3, 1), "01:02:03.000001"),
        (dt.time(1, 2, 3), "01:02:03"),
        (dt.time(1, 2, 3, tzinfo=dt.timezone(dt.timedelta(hours=2))), "01:02:03+02:00"),
        (dt.time(0, 0, 10, tzinfo=dt.timezone(dt.timedelta(seconds=30))), "23:59:40+00:00"),
    ]:
        assert iso_time(t) == iso(t) == text
        if t.utcoffset() in (None, dt.timedelta(hours=2)):
            assert text == t.isoformat()
        assert dumps([t, {t: 1}]) == f'["{text}",{{"{text}":1}}]'
        assert dumps([t], backend="ujson") == f'["{text}"]'


def test_subclasses_and_plain_dates_follow_the_rule():
    class When(dt.datetime):
        pass

    amsterdam = zoneinfo.ZoneInfo("Europe/Amsterdam")
    assert iso(When(1900, 1, 1, 12, tzinfo=amsterdam)) == "1900-01-01T11:40:28+00:00"
    assert iso(dt.date(2024, 2, 29)) == "2024-02-29"
    assert dumps([dt.date(1, 1, 1), dt.date(9999, 12, 31)]) == '["0001-01-01","9999-12-31"]'


def test_offset_labels_and_whole_minutes():
    assert [offset_label(m) for m in (0, 330, -210, -1439)] == [
        "+00:00",
        "+05:30",
        "-03:30",
        "-23:59",
    ]
    assert whole_minutes(dt.timedelta(hours=-4))
    assert not whole_minutes(dt.timedelta(hours=-4, minutes=-56, seconds=-2))
    assert not whole_minutes(dt.timedelta(days=1))


# -- every route writes the same text -------------------------------------------


def _moments(zone: str) -> list[dt.datetime]:
    walls = [
        dt.datetime(1800, 6, 1, 12),
        dt.datetime(1850, 1, 1, 12),
        dt.datetime(1900, 1, 1, 12),
        dt.datetime(1937, 6, 30, 23, 59),
        dt.datetime(2024, 1, 1, 0, 0, 0, 500000),
        dt.datetime(2024, 7, 1, 12),
    ]
    return [w.replace(tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(UTC) for w in walls]


@pytest.mark.parametrize("zone", ZONES)
def test_every_route_writes_the_oracles_text(zone: str):
    """pandas (Series, frame on both routes, object column, Timestamp, index labels),
    polars (Series and frame) and NDJSON write what zoneinfo says."""
    utc = _moments(zone)
    expected = [oracle(u, zone) for u in utc]
    quoted = "[" + ",".join(f'"{e}"' for e in expected) + "]"
    series = pd.Series(pd.DatetimeIndex(utc).tz_convert(zone)).dt.as_unit("us")
    frame = series.to_frame("t")
    records = "[" + ",".join(f'{{"t":"{e}"}}' for e in expected) + "]"
    assert dumps(series) == quoted
    assert dumps(series.astype(object)) == quoted
    assert dumps(list(series)) == quoted  # Timestamps one by one
    for name in ("auto", "pure", "python"):
        with route(name):  # type: ignore[arg-type]
            assert dumps(frame) == records, name
            assert dumps(frame, nan="string") == records, name
    keyed = pd.Series(range(len(utc)), index=pd.DatetimeIndex(series))
    assert list(fastjson.loads(dumpb(keyed, orient="index"))) == expected
    lines = b"".join(iter_ndjson(series)).decode().splitlines()
    assert lines == [f'"{e}"' for e in expected]
    for text, u in zip(expected, utc, strict=True):
        same_instant(text, u)
    polars = pl.Series("t", utc).dt.convert_time_zone(zone)  # polars' own zone data
    by_polars = [polars_oracle(u, zone) for u in utc]
    assert fastjson.loads(dumpb(polars)) == by_polars
    assert fastjson.loads(dumpb(polars.to_frame())) == [{"t": e} for e in by_polars]
    lines = b"".join(iter_ndjson(polars)).decode().splitlines()
    assert lines == [f'"{e}"' for e in by_polars]
    assert fastjson.loads(dumpb(pa.array(utc, type=pa.timestamp("us", tz=zone)))) == by_polars
    for text, u in zip(by_polars, utc, strict=True):
        same_instant(text, u)


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
def test_far_dates_with_a_time_zone_keep_their_year(unit: str):
    """pandas 3 keeps ``us`` by default, so 9999-12-31 sentinels are common: they were cast
    to ``ns`` and wrapped to 1816 in a Series, an index and under ``nan="string"``."""
    moments = ["0001-01-01", "1500-06-01", "9999-12-31 23:59:59"]
    stamps = pd.to_datetime(moments, format="ISO8601").as_unit(unit)
    series = pd.Series(stamps.tz_localize("UTC"))
    expected = '["0001-01-01T00:00:00+00:00","1500-06-01T00:00:00+00:00",'
    expected += '"9999-12-31T23:59:59+00:00"]'
    assert dumps(series) == expected
    assert dumps(series, nan="string") == expected
    for name in ("auto", "pure", "python"):
        with route(name):  # type: ignore[arg-type]
            body = fastjson.loads(dumpb(series.to_frame("t"), orient="values"))
            assert [row[0] for row in body] == fastjson.loads(expected.encode())
    keys = fastjson.loads(
        dumpb(pd.Series([1, 2, 3], index=stamps.tz_localize("UTC")), orient="index")
    )
    assert list(keys) == fastjson.loads(expected.encode())
    assert b"".join(iter_encode(series, chunk_size=8)) == expected.encode()
    http = dumps(series, datetime_format="http")
    assert http.endswith('"Fri, 31 Dec 9999 23:59:59 GMT"]')


@pytest.mark.parametrize("unit", ["D", "s", "ms", "us"])
def test_years_beyond_0_to_9999_take_the_expanded_form_everywhere(unit: str):
    """ISO 8601's expanded years, a sign and six digits, as JavaScript's ``Date`` parses
    them: numpy writes ``-005`` and ``10000``, polars' strftime ``+10000``."""
    a = np.array(["-0005-01-01", "0000-06-01", "10000-01-01", "2024-01-01", "NaT"], f"M8[{unit}]")
    clock = "" if unit == "D" else "T00:00:00"
    dates = ["-000005-01-01", "0000-06-01", "+010000-01-01", "2024-01-01"]
    expected = [d + clock for d in dates] + [None]
    assert fastjson.loads(dumpb(a)) == expected
    assert fastjson.loads(dumpb({"k": a[2]})) == {"k": expected[2]}
    if unit != "D":  # pandas' own scalars and columns, naive and zoned
        stamps = pd.Series(a)
        assert dumpb(stamps) == dumpb(a) == dumpb(list(stamps))
        zoned_stamps = stamps.dt.tz_localize("UTC")
        assert dumpb(list(zoned_stamps)) == dumpb(zoned_stamps)
    if unit in ("D", "s"):  # polars holds ms, us and ns
        return
    ticks = a.view(np.int64)
    naive = pl.Series(ticks, dtype=pl.Int64).cast(pl.Datetime(unit))  # type: ignore[arg-type]
    naive = naive.scatter([4], None)
    assert dumpb(naive) == dumpb(a)
    zoned = naive.dt.replace_time_zone("UTC")
    assert fastjson.loads(dumpb(zoned)) == [e and e + "+00:00" for e in expected]
    arrow = pa.array(ticks, type=pa.timestamp(unit, tz="UTC"), mask=np.isnat(a))
    assert dumpb(arrow) == dumpb(zoned)


def test_moments_at_the_ends_of_the_ns_range_keep_their_instant_in_a_zone():
    """Their wall time 14 hours on would leave int64: polars wrapped it round to 1677
    (and wrote that with +14:00), pandas raised. Both write the UTC time."""
    ticks = [2**63 - 2, 0, -(2**63) + 5]
    expected = [
        "2262-04-11T23:47:16.854775806+00:00",
        "1970-01-01T14:00:00+14:00",
        "1677-09-21T00:12:43.145224197+00:00",
    ]
    utc = pl.Series(ticks, dtype=pl.Int64).cast(pl.Datetime("ns")).dt.replace_time_zone("UTC")
    assert fastjson.loads(dumpb(utc.dt.convert_time_zone("Etc/GMT-14"))) == expected
    stamps = pd.Series(pd.to_datetime(ticks, unit="ns", utc=True)).dt.tz_convert("Etc/GMT-14")
    assert fastjson.loads(dumpb(stamps)) == expected


def test_nanoseconds_are_kept_on_every_route():
    ns = pd.Timestamp("2024-01-01T00:00:00.000000001")
    assert dumps(ns) == '"2024-01-01T00:00:00.000000001"'
    assert dumps(pd.Series([ns])) == '["2024-01-01T00:00:00.000000001"]'
    assert dumps(pl.Series([ns.value], dtype=pl.Datetime("ns"))) == dumps(pd.Series([ns]))
    t = pl.Series([54321], dtype=pl.Int64).cast(pl.Time)
    assert dumps(t) == '["00:00:00.000054321"]'
    assert b"".join(iter_ndjson(pl.Series([1], dtype=pl.Datetime("ns")))) == (
        b'"1970-01-01T00:00:00.000000001"\n'
    )


def test_date_labels_of_mixed_indexes_are_iso():
    """They were written with ``str()`` (``2020-01-01 00:00:00``)."""
    stamp = pd.Timestamp("2020-01-01")
    for index in (
        pd.Index([stamp, "x"], dtype=object),
        pd.CategoricalIndex([stamp, pd.Timestamp("2021-01-01")]),
        pd.Index([dt.date(2020, 1, 1), 3], dtype=object),
    ):
        keys = list(fastjson.loads(dumpb(pd.Series([1, 2], index=index), orient="index")))
        assert keys[0] in ("2020-01-01T00:00:00", "2020-01-01"), keys


def test_arrow_backed_pandas_timestamps_use_pandas_zone_data():
    zone = "Europe/Amsterdam"
    utc = _moments(zone)
    array = pa.array(utc, type=pa.timestamp("us", tz=zone))
    expected = [oracle(u, zone) for u in utc]
    assert fastjson.loads(dumpb(pd.Series(pd.arrays.ArrowExtensionArray(array)))) == expected


@settings(max_examples=150, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)),
    st.sampled_from(ZONES),
)
def test_any_moment_in_any_zone(wall: dt.datetime, zone: str):
    utc = wall.replace(tzinfo=UTC)
    expected = oracle(utc, zone)
    moment = utc.astimezone(zoneinfo.ZoneInfo(zone))
    assert iso_datetime(moment) == expected
    same_instant(expected, utc)
    stamp: Any = pd.Timestamp(utc).as_unit("us").tz_convert(zone)
    assert (
        dumps([moment, stamp, pd.Series([stamp])]) == f'["{expected}","{expected}",["{expected}"]]'
    )
    assert dumps(np.datetime64(wall, "us")) == f'"{wall.isoformat()}"'


# orjson writes some dates itself (fastjson._scan.DATES): the text must be the rule's.


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.dates(),
        st.datetimes(),
        st.datetimes(timezones=st.just(UTC)),
    )
)
def test_the_dates_orjson_writes_itself_are_written_by_the_rule(value: dt.date):
    """An exact date, and an exact datetime naive or in ``timezone.utc``, are left to
    orjson in a dict or list: its text must be the rule's and ``isoformat``'s."""
    assert orjson.dumps(value) == f'"{iso(value)}"'.encode() == f'"{value.isoformat()}"'.encode()
    walked = dumpb([value, {"k": value}], default=lambda o: None)  # a default: any route
    assert dumpb([value, {"k": value}]) == walked
    assert dumpb({"a": [value]}, sort_keys=True, indent=2) == dumpb(
        {"a": (value,)}, indent=2, sort_keys=True
    )


def test_a_payload_with_any_other_date_hands_every_date_back():
    """One time, zone or subclass anywhere in the payload, and orjson hands back all of them."""
    amsterdam = dt.datetime(1900, 1, 1, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam"))
    naive = dt.datetime(2024, 5, 17, 8, 30, 12, 5)
    stamp = pd.Timestamp("2024-01-01T00:00:00.000000001")
    assert dumps({"a": naive, "b": [[amsterdam]]}) == (
        '{"a":"2024-05-17T08:30:12.000005","b":[["1900-01-01T11:40:28+00:00"]]}'
    )
    assert dumps({"t": [dt.time(1, 2, 3, 12345)], "d": dt.date(2024, 1, 2)}) == (
        '{"t":["01:02:03.012345"],"d":"2024-01-02"}'
    )
    assert dumps({"s": stamp, "d": naive}) == (
        '{"s":"2024-01-01T00:00:00.000000001","d":"2024-05-17T08:30:12.000005"}'
    )


@dataclasses.dataclass
class Event:
    at: Any


def test_dates_inside_what_an_encoder_returns_follow_the_rule():
    """A dataclass's dict, or an encoder's result, is written by orjson where the
    payload's pass cannot see it: a date there that orjson writes otherwise is
    written from level 0 with dates handed back (Encoder._defer)."""
    amsterdam = dt.datetime(1900, 1, 1, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam"))
    expected = '"1900-01-01T11:40:28+00:00"'
    assert dumps({"e": Event(amsterdam)}) == f'{{"e":{{"at":{expected}}}}}'
    assert dumps([Event([dt.time(0, 0, 0, 5)])]) == '[{"at":["00:00:00.000005"]}]'
    stamp = pd.Timestamp("2024-01-01T00:00:00.000000001")
    assert (
        dumps({"e": [Event({"s": stamp})]})
        == '{"e":[{"at":{"s":"2024-01-01T00:00:00.000000001"}}]}'
    )

    class Moment:
        pass

    registry = fastjson.Registry()
    registry.register(Moment, lambda o: amsterdam)
    assert dumps({"m": [Moment()]}, registry=registry) == f'{{"m":[{expected}]}}'
    assert dumps({"m": [Moment()]}, default=lambda o: amsterdam) == f'{{"m":[{expected}]}}'
    assert dumps({"m": Moment()}, default=lambda o: dt.time(1, 2, 3, 12345)) == (
        '{"m":"01:02:03.012345"}'
    )
    # a built-in encoder (no code of yours, so not deferred for that) that returns a date
    inner = fastjson.Registry()
    inner._add(
        Moment,
        lambda o, enc: amsterdam,
        priority=0,
        force=False,
        with_options=True,
        user_code=False,
    )
    assert dumps({"m": [Moment()]}, registry=inner) == f'{{"m":[{expected}]}}'
