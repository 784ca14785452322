"""Wrong option values: ``mypy --strict`` must reject each marked line (a test checks it)."""

from __future__ import annotations

from fastjson import Encoder, dumpb, dumps, json_response

dumps([1], nan="bogus")  # error: nan
dumpb([1], indent=4)  # error: indent
Encoder(orient="rows")  # error: orient
json_response([1], orient="rows")  # error: orient
dumpb([1], big_int="str")  # error: big_int
dumpb([1], unknown=True)  # error: unknown
