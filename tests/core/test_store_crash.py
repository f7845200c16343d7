"""Crash safety: 50 `kill -9` cycles against a process filing reports (bench/crash_soak.py
runs 500). After every kill, every acknowledged report is present, integrity_check is ok and
the hash chain (with its head anchor) verifies."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _soak_module():
    spec = importlib.util.spec_from_file_location("crash_soak", ROOT / "bench" / "crash_soak.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="fork and SIGKILL")
def test_fifty_kill_9_cycles_lose_nothing_acknowledged(tmp_path, monkeypatch):
    monkeypatch.setenv("AIGCVERIFY_HOME", str(tmp_path / "home"))
    soak = _soak_module()
    stats = soak.run(50, tmp_path / "home", mode="fork", seed=20250601, log=lambda *a: None)
    assert stats.failures == []
    assert stats.cycles == 50
    assert stats.acked >= 50  # the writer got work done between kills
    assert stats.entries >= stats.acked  # a kill after COMMIT, before the ack, is fine
    leftovers = list((tmp_path / "home").glob(".reports.head.json.*.part"))
    assert len(leftovers) <= 1  # stale temporaries are cleaned up when the log is opened
