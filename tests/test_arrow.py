"""fastjson.encoders.arrow: pyarrow tables, batches and arrays, through polars, as the
pandas frames they convert to."""

from __future__ import annotations

import datetime as dt
import decimal

import pandas as pd
import pyarrow as pa
import pytest

import fastjson
from fastjson import DuplicateKeyError, EncodeError, dumpb

TABLE = pa.table(
    {
        "i": [1, None, 3],
        "f": [0.5, 1e-7, None],
        "s": ["a", None, "é"],
        "d64": pa.array([dt.date(2024, 1, 1), None, dt.date(1, 1, 1)], type=pa.date64()),
    }
)


RECORDS = [
    {"i": 1, "f": 0.5, "s": "a", "d64": "2024-01-01"},
    {"i": None, "f": 1e-7, "s": None, "d64": None},
    {"i": 3, "f": None, "s": "é", "d64": "0001-01-01"},
]


@pytest.mark.parametrize("orient", ["records", "split", "columns", "index", "values"])
def test_a_table_is_written_as_the_frame_of_its_values(orient: str):
    """The row position is the index; integers stay exact and date64 stays a date (the
    frame of the same values, as objects, is the oracle)."""
    expected = dumpb(pd.DataFrame(RECORDS, dtype=object), orient=orient)
    assert dumpb(TABLE, orient=orient) == expected
    assert dumpb(TABLE.to_batches()[0], orient=orient) == expected


def test_values_and_dates():
    assert fastjson.loads(dumpb(TABLE)) == RECORDS
    assert dumpb(TABLE["d64"]) == b'["2024-01-01",null,"0001-01-01"]'
    assert dumpb(pa.chunked_array([[1, 2], [3]])) == b"[1,2,3]"


def test_duplicate_names_are_fine_for_split_and_values_only():
    table = pa.table([pa.array([1]), pa.array([2])], names=["a", "a"])
    assert dumpb(table, orient="values") == b"[[1,2]]"
    assert dumpb(table, orient="split") == b'{"columns":["a","a"],"index":[0],"data":[[1,2]]}'
    with pytest.raises(DuplicateKeyError):
        dumpb(table)


def test_decimal256_as_decimal_strings():
    values = [decimal.Decimal("1.50"), decimal.Decimal("-0.0000001000"), None]
    array = pa.array(values, type=pa.decimal256(50, 10))
    assert fastjson.loads(dumpb(array)) == [
        str(decimal.Decimal("1.50").quantize(decimal.Decimal("1E-10"))),
        str(decimal.Decimal("-0.0000001000").quantize(decimal.Decimal("1E-10"))),
        None,
    ]


def test_slices_of_fixed_size_lists_with_nulls_are_written_as_the_whole():
    """polars misreads the nulls of a fixed-size list array at an offset (a slice, as
    streaming cuts): such slices are copied before polars reads them."""
    items = [[1, 2], None, [3, 4], [5, None]] * 500
    array = pa.array(items, type=pa.list_(pa.int64(), 2))
    nested = pa.array([[pair] for pair in items], type=pa.list_(pa.list_(pa.int64(), 2)))
    for value in (array, pa.chunked_array([array[:3], array[3:]]), nested):
        assert fastjson.loads(dumpb(value[1:])) == value[1:].to_pylist()
        assert b"".join(fastjson.iter_encode(value, chunk_size=64)) == dumpb(value)
        lines = b"".join(fastjson.iter_ndjson(value, chunk_size=64)).split(b"\n")[:-1]
        assert lines == [dumpb(item) for item in value.to_pylist()]
    table = pa.table({"f": array, "n": range(len(array))})
    assert b"".join(fastjson.iter_encode(table, chunk_size=64)) == dumpb(table)


def test_what_polars_cannot_read_is_an_encode_error():
    union = pa.UnionArray.from_sparse(
        pa.array([0, 1], type=pa.int8()), [pa.array([1, 2]), pa.array(["a", "b"])]
    )
    with pytest.raises(EncodeError) as info:
        dumpb({"u": union})
    assert info.value.path == "$.u"


def test_arrow_backed_pandas_columns_match_numpy_backed_ones():
    numpy_backed = pd.DataFrame({"i": [1, 2], "s": ["x", "y"]})
    arrow_backed = numpy_backed.convert_dtypes(dtype_backend="pyarrow")
    assert dumpb(arrow_backed) == dumpb(numpy_backed)


def test_binary_columns_are_written_as_numpy_bytes_are():
    """One rule for bytes: the UTF-8 text they hold (Arrow's binary was refused)."""
    import numpy as np
    import polars as pl

    values = [b"ab", "\u00e9".encode()]
    expected = dumpb(np.array(values))
    assert dumpb(pa.array(values)) == expected == dumpb(pl.Series(values))
    assert dumpb(pa.table({"b": values})) == dumpb(pd.DataFrame({"b": ["ab", "\u00e9"]}))
    for bad in (pa.array([b"\xff"]), np.array([b"\xff"])):
        with pytest.raises(EncodeError, match="UTF-8"):
            dumpb(bad)
