"""Flask's own tests/test_json.py, unchanged, against a FastJSONProvider subclass.

The test file is taken from the sdist of the installed Flask version (fetched
from PyPI with pip at test time), so the check follows Flask upgrades and no
Flask code is copied into this repository.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import textwrap
from importlib.metadata import version
from pathlib import Path

CONFTEST = textwrap.dedent(
    """
    import os

    import pytest
    from flask import Flask

    import fastjson


    class HttpDateProvider(fastjson.FastJSONProvider):
        datetime_format = "http"


    Flask.json_provider_class = HttpDateProvider


    @pytest.fixture
    def app():
        app = Flask("flask_test", root_path=os.path.dirname(__file__))
        app.config.update(TESTING=True, SECRET_KEY="test key")
        assert isinstance(app.json, HttpDateProvider)
        return app


    @pytest.fixture
    def app_ctx(app):
        with app.app_context() as ctx:
            yield ctx


    @pytest.fixture
    def req_ctx(app):
        with app.test_request_context() as ctx:
            yield ctx


    @pytest.fixture
    def client(app):
        return app.test_client()
    """
)


def test_flask_test_json_passes_against_the_provider(tmp_path: Path):
    flask_version = version("flask")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"flask=={flask_version}",
            "-d",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    (sdist,) = tmp_path.glob("flask-*.tar.gz")
    suite = tmp_path / "suite"
    suite.mkdir()
    with tarfile.open(sdist) as archive:
        member = archive.getmember(f"flask-{flask_version}/tests/test_json.py")
        (suite / "test_json.py").write_bytes(archive.extractfile(member).read())  # type: ignore[union-attr]
    (suite / "conftest.py").write_text(CONFTEST)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:benchmark",
            str(suite),
        ],
        capture_output=True,
        text=True,
        cwd=suite,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout
