"""Column tokens and the rows stitched from them (``fastjson/encoders/_tokens.py``):
every token form, the compiled stitch (``fastjson/_cstitch.c``) against the rows joined
in Python, and the compiled stitch's refusals of what it would read astray."""

from __future__ import annotations

import numpy as np
import pytest
from fresh import run
from hypothesis import given
from hypothesis import strategies as st

from fastjson.encoders import _tokens as tok
from fastjson.encoders import route

TOKEN = st.binary(max_size=8).filter(lambda t: b"\0" not in t and b"\n" not in t)


@st.composite
def tokens(draw: st.DrawFn, n: int) -> tok.Tokens:
    """``n`` tokens in one of the forms encoding gives them."""
    values = draw(st.lists(TOKEN, min_size=n, max_size=n))
    form = draw(
        st.sampled_from(["list", "joined", "numbers", "indented", "lookup", "padded", "leads"])
    )
    if form == "list":
        return values
    if form == "joined":
        return tok.Joined(b"\n".join(values), b"\n")
    if form == "numbers":  # orjson's list of numbers: a comma between two, none inside
        values = [v.replace(b",", b"") for v in values]
        return tok.Joined(b",".join(values), b",")
    if form == "indented":  # orjson's indented list of scalars: one a line
        return tok.Joined(b",\n  ".join(values), b",\n  ")
    if form == "lookup":
        table = sorted(set(values)) or [b""]
        return tok.Lookup(table, np.array([table.index(v) for v in values], np.int64))
    if form == "padded":
        width = max(max(map(len, values), default=0) + draw(st.integers(0, 2)), 1)
        matrix = np.array(values, dtype=f"S{width}").reshape(n)
        return tok.Padded(matrix.view(np.uint8).reshape(n, width))
    return tok.leads(tok.Joined(b"\n".join(v or b"k" for v in values), b"\n"), True)


@st.composite
def rows(draw: st.DrawFn) -> tuple[int, list[tok.Slot]]:
    n = draw(st.integers(0, 30))
    constant = st.binary(max_size=4).filter(lambda c: b"\0" not in c)  # JSON's never do
    slot = st.one_of(constant, tokens(n))
    return n, draw(st.lists(slot, max_size=6))


def test_the_compiled_stitch_was_built():
    """``make test`` runs where a C compiler is installed: the stitch must be compiled."""
    assert tok.STITCHED, "fastjson._cstitch was not built: is a C compiler installed?"


@given(rows())
def test_compiled_rows_are_the_rows_joined_in_python(case: tuple[int, list[tok.Slot]]):
    n, slots = case
    want = b"".join(
        b"".join(s if isinstance(s, bytes) else tok.as_list(s)[row] for s in slots)
        for row in range(n)
    )
    assert tok.joined_rows(n, slots) == want
    assert tok.assemble(n, slots) == want
    with route("python"):
        assert tok.assemble(n, slots) == want


@given(tokens(5))
def test_every_form_gives_the_same_tokens_every_way(tokens: tok.Tokens):
    listed = tok.as_list(tokens)
    text, bounds = tok.bounded(tokens)
    assert [text[a:b] for a, b in bounds.reshape(-1, 2).tolist()] == listed
    joined = tok.as_joined(tokens)
    assert joined.as_list() == listed


@pytest.mark.parametrize(
    ("slot", "message"),
    [
        ((b"a,b", np.array([0, 1, 2, 9], np.int64)), "outside their text"),
        ((b"a,b", np.array([-1, 1, 2, 3], np.int64)), "outside their text"),
        ((b"a,b", np.array([1, 0, 2, 3], np.int64)), "outside their text"),
        ((b"a,b", np.array([0, 1], np.int64)), "4 int64 values expected"),
        ((b"a,b", np.array([0, 1, 2, 3], np.int32)), "4 int64 values expected"),
        ((b"ab", np.array([0, 1, 1, 2], np.int64), np.array([0, 2], np.int64)), "picks no"),
        ((b"ab", np.array([0, 1, 1, 2], np.int64), np.array([0, -1], np.int64)), "picks no"),
        ((b"ab", np.array([0, 2], np.int64), np.array([0], np.int64)), "2 int64 values"),
    ],
)
def test_the_compiled_stitch_refuses_what_it_would_read_astray(slot: tuple, message: str):
    """Every bound and code is checked before the first byte is copied."""
    from fastjson._cstitch import stitch

    with pytest.raises(ValueError, match=message):
        stitch(2, [b"{", slot, b"}"])


@pytest.mark.parametrize(
    ("slot", "message"),
    [
        ((b"a,b", ord(","), 0, 1), "one token a row"),  # two tokens, three rows
        ((b"a,b,c,d", ord(","), 0, 1), "one token a row"),  # four
        ((b"a", ord(","), 0, 1), "one token a row"),  # n - 1 separators are missing
        ((b"ab,\n  cd", ord("\n"), 1, 3), "one token a row"),
        ((b"ab,c", ord(","), 0, 0), "one marker byte"),
        ((b"ab,c", 256, 0, 1), "one marker byte"),
        ((b"a,b,c", ord(","), 1, 2**63 - 1), "one marker byte"),  # a sum that would wrap
        ((b"a,b,c", ord(","), 2**63 - 1, 1), "one marker byte"),
    ],
)
def test_the_compiled_stitch_refuses_separated_texts_that_do_not_hold_their_rows(
    slot: tuple, message: str
):
    """Separators are found as tokens are copied: a wrong count raises and writes nothing
    past the output, wherever it is found."""
    from fastjson._cstitch import stitch

    with pytest.raises(ValueError, match=message):
        stitch(3, [b"{", slot, b"}"])


def test_the_compiled_stitch_refuses_other_slots():
    from fastjson._cstitch import stitch

    with pytest.raises(TypeError):
        stitch(1, [3])
    with pytest.raises(TypeError):
        stitch(1, [(b"a",)])
    with pytest.raises(ValueError):
        stitch(-1, [])
    assert stitch(0, [b"x", (b"", np.zeros(0, np.int64))]) == b""


def test_without_the_compiled_stitch_the_bytes_are_the_same():
    """Where the extension could not be built, rows are joined in Python: same bytes."""
    script = """
        import hashlib, numpy as np, pandas as pd, fastjson
        from fastjson.encoders import _tokens
        n = 3000
        df = pd.DataFrame({
            "i": np.arange(n), "f": np.linspace(-1, 1, n), "s": [f"s{k}\\u00e9" for k in range(n)],
            "b": np.arange(n) % 3 == 0, "c": pd.Categorical(["x", "y", None] * 1000),
            "t": pd.date_range("1900-01-01", periods=n, freq="h", tz="Europe/Amsterdam"),
        }, index=[f"r{k}" for k in range(n)])
        digest = hashlib.sha256()
        for orient in ("records", "split", "values", "columns", "index"):
            digest.update(fastjson.dumpb(df, orient=orient))
            digest.update(fastjson.dumpb(df["f"], orient=orient))
        print(_tokens.STITCHED, digest.hexdigest())
    """
    compiled = run(script).split()
    python = run(script, prelude='import sys\nsys.modules["fastjson._cstitch"] = None\n').split()
    assert compiled[0] == "True" and python[0] == "False"
    assert compiled[1] == python[1]
