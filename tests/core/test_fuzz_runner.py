"""The fuzz runner itself (bench/fuzz.py): both engines run a harness in a child process and
report executions; crashes already kept in tests/data/crash/ are recognised as known."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import fuzz_targets

ROOT = Path(__file__).resolve().parents[2]
CRASH_DIR = ROOT / "tests" / "data" / "crash"


def _run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "fuzz.py"), "--work",
                           str(tmp_path), *args], capture_output=True, text=True, timeout=300)
    summary = tmp_path / "summary.json"
    return proc, json.loads(summary.read_text()) if summary.exists() else []


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["mutate", "atheris"])
def test_runner_fuzzes_and_reports(tmp_path, engine):
    if engine == "atheris":
        pytest.importorskip("atheris")
    proc, rows = _run(tmp_path, "--engine", engine, "--seconds", "1",
                      "--harness", "labels-yaml", "metadata-exif")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [r["harness"] for r in rows] == ["labels-yaml", "metadata-exif"]
    for row in rows:
        assert row["engine"] == engine and row["execs"] and row["execs"] > 10, row
        assert row["crashes"] == []
    assert "2 harnesses" in proc.stdout


def test_every_harness_is_listed():
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "fuzz.py"), "--list"],
                          capture_output=True, text=True, timeout=60)
    listed = [line.split()[0] for line in proc.stdout.splitlines() if line.strip()]
    assert listed == list(fuzz_targets.TARGETS)


def test_known_crashes_point_at_kept_samples():
    for sample in fuzz_targets.KNOWN_CRASHES.values():
        assert (ROOT / sample).is_file(), sample


def test_a_kept_crash_is_recognised_as_known():
    data = (CRASH_DIR / "sniff-id3-short-header.mp3").read_bytes()
    try:
        fuzz_targets.TARGETS["sniff"].run(data)
    except fuzz_targets.ContractBroken as err:
        assert fuzz_targets.known_crash(err) == "tests/data/crash/sniff-id3-short-header.mp3"
        assert fuzz_targets.run_checked("sniff", data) is not None
    else:  # fixed: then KNOWN_CRASHES must not list it any more
        assert "tests/data/crash/sniff-id3-short-header.mp3" not in \
            fuzz_targets.KNOWN_CRASHES.values()
