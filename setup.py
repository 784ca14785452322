"""The compiled parts: fastjson/_scan.py's pass over a payload (``fastjson._cscan``) and
the rows of fastjson/encoders/_tokens.py stitched from column tokens (``fastjson._cstitch``).

Optional: where no C compiler is found the install goes on, and the same rules
run in Python, a few times slower. Everything else is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(f"fastjson.{name}", [f"fastjson/{name}.c"], optional=True)
        for name in ("_cscan", "_cstitch")
    ]
)
