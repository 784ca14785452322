"""fastjson._options: every option declared once; defaults and validation derived from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args, get_type_hints

import pytest

import fastjson
from fastjson._options import DEFAULTS, NAMES, Options, resolve


def test_every_option_has_a_default_and_a_row_in_the_readme():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert set(NAMES) == set(Options.__annotations__) == set(DEFAULTS)
    for name in NAMES:
        assert f"`{name}`" in readme, name


@pytest.mark.parametrize(
    ("name", "bad", "message"),
    [
        ("nan", "bogus", "nan must be one of 'null', 'error', 'string'; got 'bogus'"),
        ("indent", 4, "indent must be one of 2 or None; got 4"),
        ("sort_keys", 1, "sort_keys must be a bool; got 1"),
        ("default", 3, "default must be callable or None; got 3"),
        ("orient", "rows", "orient must be one of"),
    ],
)
def test_values_outside_an_options_type_are_refused(name: str, bad: Any, message: str):
    with pytest.raises(ValueError) as info:
        resolve({name: bad})
    assert str(info.value).startswith(message)
    with pytest.raises(ValueError):
        fastjson.Encoder(**{name: bad})


def test_unknown_names_are_a_type_error_that_lists_the_options():
    with pytest.raises(TypeError) as info:
        resolve({"indnet": 2})
    assert "indnet" in str(info.value) and all(n in str(info.value) for n in NAMES)


def test_true_is_not_the_indent_2():
    """``Literal[2]`` means the int 2: ``True == 1`` must not slip through as a number."""
    with pytest.raises(ValueError):
        resolve({"indent": True})
    assert resolve({"indent": 2})["indent"] == 2


def test_resolve_applies_changes_over_a_base_without_touching_it():
    base = resolve({"nan": "error"})
    changed = resolve({"sort_keys": True}, base)
    assert changed["nan"] == "error" and changed["sort_keys"] is True
    assert base["sort_keys"] is False and DEFAULTS["nan"] == "null"
    hints = get_type_hints(Options, include_extras=True)
    assert get_args(hints["nan"])[1] == "null"  # Annotated[type, default]
