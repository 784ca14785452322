"""``python -m examples.hello_rest``: the demo service on http://127.0.0.1:9000/."""

from __future__ import annotations

import sys
from pathlib import Path

from fastjson.server import main

STATIC = Path(__file__).with_name("static")

if __name__ == "__main__":
    main(
        [
            "--ns",
            "/api/hello_rest=examples.hello_rest:create",
            "--static",
            str(STATIC),
            *sys.argv[1:],
        ]
    )
