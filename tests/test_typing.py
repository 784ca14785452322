"""The options' types reach users: a wrong value fails the type check, not only at run time."""

from __future__ import annotations

from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api", reason="mypy is part of the dev extra")

HERE = Path(__file__).parent / "typing"


def check(path: Path) -> tuple[str, int]:
    out, err, status = mypy_api.run(["--strict", "--no-error-summary", str(path)])
    return out + err, status


def test_typical_user_code_passes_the_strict_check():
    out, status = check(HERE / "user_ok.py")
    assert status == 0, out


def test_each_wrong_option_value_fails_the_check():
    path = HERE / "user_bad.py"
    out, status = check(path)
    assert status == 1
    lines = path.read_text().splitlines()
    expected = {i + 1 for i, line in enumerate(lines) if "# error:" in line}
    reported = {int(line.split(":")[1]) for line in out.splitlines() if ": error:" in line}
    assert reported == expected, out
