"""The one compiled part: fastjson/_scan.py's pass over a payload (``fastjson._cscan``).

Optional: where no C compiler is found the install goes on, and the same rules
run in Python, a few times slower. Everything else is in pyproject.toml.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("fastjson._cscan", ["fastjson/_cscan.c"], optional=True)])
