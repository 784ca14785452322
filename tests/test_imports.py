"""``import fastjson`` stays light: no numpy, pandas, polars, Arrow, DuckDB, Dask or Flask,
and quick."""

from __future__ import annotations

import subprocess
import sys


def run(code: str) -> str:
    return subprocess.check_output([sys.executable, "-c", code], text=True).strip()


def test_import_pulls_in_no_heavy_modules():
    code = (
        "import sys, fastjson; "
        "print(','.join(m for m in ('numpy', 'pandas', 'polars', 'pyarrow', 'duckdb', 'dask', "
        "'distributed', 'flask') if m in sys.modules))"
    )
    assert run(code) == ""


def test_import_skips_stdlib_modules_it_can_defer():
    """``decimal`` costs a tenth of fastjson's import time; it loads on the first Decimal.

    (``typing`` is imported: the option declaration is read from its annotations.)
    """
    code = "import sys, fastjson; print(','.join(m for m in ('decimal',) if m in sys.modules))"
    assert run(code) == ""


def test_decimal_support_loads_on_first_decimal():
    code = (
        "import sys, fastjson; from decimal import Decimal; "
        "print(fastjson.dumps([Decimal('0.10')]), 'fastjson.encoders._decimal' in sys.modules)"
    )
    assert run(code) == '["0.10"] True'


def test_numpy_support_activates_on_first_use_without_pandas():
    code = (
        "import sys, numpy, fastjson; print(fastjson.dumpb(numpy.arange(2)).decode(), "
        "'pandas' in sys.modules)"
    )
    assert run(code) == "[0,1] False"


def test_flask_names_load_on_first_use():
    assert run("import fastjson; print(fastjson.jsonify.__module__)") == "fastjson.flask"


def test_import_time_is_small():
    """Median of several fresh interpreters, minus a bare interpreter's own start-up."""
    code = "import time; t = time.perf_counter(); import fastjson; print(time.perf_counter() - t)"
    times = sorted(float(run(code)) for _ in range(5))
    assert times[2] < 0.1, f"import fastjson took {times[2] * 1000:.1f} ms"


def test_module_getattr_steps_aside_once_flask_names_load():
    """A module ``__getattr__`` stops CPython caching look-ups such as ``fastjson.dumpb``."""
    code = (
        "import fastjson; a = hasattr(fastjson, '__getattr__'); fastjson.jsonify; "
        "print(a, hasattr(fastjson, '__getattr__'), fastjson.json_response.__module__)"
    )
    assert run(code) == "True False fastjson.flask"
