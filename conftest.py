"""The whole suite's (tests/ and bench/) demo database: small, and in a temporary folder.

``examples.hello_rest`` builds its DuckDB database of 5,000,000 readings under
the repository's ``instance/`` folder at first start; the suite sets the
``HELLO_REST_*`` variables its factory reads (servers started as processes
inherit them), so every app made here shares one database of 50,000 readings,
built in seconds and removed at the end. Variables already set are kept.
"""

from __future__ import annotations

import os
import shutil
import tempfile

_FOLDER = tempfile.mkdtemp(prefix="hello_rest-readings-")
os.environ.setdefault("HELLO_REST_READINGS_ROWS", "50000")
os.environ.setdefault("HELLO_REST_READINGS_FOLDER", _FOLDER)


def pytest_unconfigure(config: object) -> None:
    shutil.rmtree(_FOLDER, ignore_errors=True)
