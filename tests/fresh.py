"""Run a script in a fresh interpreter: for crashes (a segfault is exit -11, an abort
-6) and for module state that one process would carry from test to test."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(code: str, prelude: str = "import fastjson\n") -> str:
    """Run ``prelude`` then ``code`` (dedented) with this checkout on the path; its
    stdout. Fails on a non-zero exit."""
    proc = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    return proc.stdout
