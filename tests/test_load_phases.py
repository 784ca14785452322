"""Smoke test of bench/load.py's slow, memory and fault phases, scaled down to seconds
(make load runs them at full size). Nothing is written to bench/README.md."""

from __future__ import annotations

import importlib.util
import socket
import sys
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("gunicorn") is None, reason="gunicorn (a dev dependency) is missing"
)


def _load_module() -> object:
    """bench/load.py by its path: importing it as ``bench.load`` would make ``bench`` a
    namespace package for the rest of the session, which breaks bench/'s own modules."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "bench" / "load.py"
    spec = importlib.util.spec_from_file_location("bench_load", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = module
    spec.loader.exec_module(module)
    return module


load: Any = _load_module()


def test_slow_phase_probes_beside_slow_clients():
    (run,) = load.slow_phase(
        connections=3, seconds=4, configs={"default": load.SERVER}, write=False
    )
    assert run.latencies_s and not run.failures
    assert len(run.trickles) == 3


def test_memory_phase_reports_statuses_and_rss():
    rounds = load.memory_phase(rows=1000, concurrency=3, orients=("records", "index"), write=False)
    assert [r.orient for r in rounds] == ["records", "index"]
    for r in rounds:
        assert r.statuses_ok and r.workers_kept
        assert r.peak_total >= r.idle_total > 0
        assert set(r.peak) == set(r.workers_before) and len(r.workers_before) == load.WORKERS


def test_fault_phase_kills_a_worker_and_sees_its_replacement():
    (run,) = load.fault_phase(
        connections=2,
        before_s=2,
        after_s=3,
        configs={"no recycling": ([sys.executable, "-c", load.NO_RECYCLING], None)},
        write=False,
    )
    summary = load.fault_summary(run)
    assert run.born[run.killed] < run.kill_at <= run.gone[run.killed]
    assert summary["replacement"] is not None and summary["respawn_s"] < 3
    assert len(summary["errors"]) <= 2  # at most one in-flight request per connection
    # without recycling no connection is closed by the server: every worker was found
    assert all(h.pid is not None for h in run.hits if h.error is None)
    assert "killed" in load.snapshot(run, run.kill_at - 0.5)


def test_connection_owner_is_none_for_an_unknown_connection():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert load.connection_owner(port, port, []) is None
