"""Registering encoders while other threads encode stays consistent; registries do not leak."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import fastjson


class Tagged:
    pass


def test_registrations_during_encoding_and_isolated_registries():
    first, second = fastjson.Registry(name="first"), fastjson.Registry(name="second")
    first.register(Tagged, lambda o: "first")
    second.register(Tagged, lambda o: "second")
    stop = threading.Event()
    errors: list[BaseException] = []
    changes: list[int] = []

    def churn() -> None:
        """Keep changing both layers (and the global one) with unrelated types."""
        i = 0
        try:
            while not stop.is_set():
                kind = type(f"Churn{i}", (), {})
                first.register(kind, str)
                fastjson.register(kind, repr)
                first.unregister(kind)
                fastjson.unregister(kind)
                i += 1
        except BaseException as exc:  # a dead churner would leave nothing to test
            errors.append(exc)
        changes.append(i)

    def encode(n: int) -> None:
        registry = first if n % 2 else second
        expected = b'["first",[0,1]]' if n % 2 else b'["second",[0,1]]'
        for k in range(200):
            value = [Tagged(), np.arange(2)]
            if k % 2:  # new encoders start watching the registries while they change
                out = fastjson.Encoder(registry=registry).encode(value)
            else:
                out = fastjson.dumpb(value, registry=registry)
            if out != expected:
                errors.append(AssertionError(out))

    churner = threading.Thread(target=churn)
    churner.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(encode, range(32)))
    finally:
        stop.set()
        churner.join()
    assert errors == []
    assert changes and changes[0] > 10, "the registries changed while others encoded"
    assert fastjson.dumpb(Tagged(), registry=first) == b'"first"'


def test_first_use_of_numpy_support_from_many_threads():
    """The lazy import of the numpy encoders happens once, whichever thread gets there first."""
    import subprocess
    import sys

    code = (
        "import numpy as np, fastjson\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "with ThreadPoolExecutor(16) as pool:\n"
        "    outs = set(pool.map(lambda i: fastjson.dumpb(np.arange(3) * i), range(64)))\n"
        "print(len(outs))\n"
    )
    assert subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "64"
