"""Every crash sample ever found stays a test (architecture rule 6).

tests/data/crash/ holds tiny files that once broke a contract; README.md there says where each
came from. Each sample is run (1) through the fuzz target(s) that found it, strictly: nothing
but the reader's allowed errors may escape; (2) through pipeline.check_file: it never raises;
(3) through a WorkerPool together with a good file: both get a result and the parent survives.

A sample whose fix is pending in a module this suite does not own is marked xfail(strict):
the test turns red (XPASS) when the fix lands, so the marker is removed and the sample then
guards the fix forever.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from aigcverify.pipeline import CheckOptions, check_file
from aigcverify.worker import WorkerPool
from bench.fuzz_targets import TARGETS
from tests.fixtures.image_fixtures import SAMPLE_JSON, write_png

CRASH_DIR = Path(__file__).resolve().parents[1] / "data" / "crash"


def _options(crash: Crash) -> CheckOptions:
    return CheckOptions(detector=crash.full, explicit=crash.full, lang="en")


@dataclass(frozen=True)
class Crash:
    targets: tuple[str, ...]  # bench/fuzz_targets.py names whose contract the sample broke
    pending: str = ""  # why it still fails (module, function, owner), empty once fixed
    pipeline_pending: str = ""  # check_file still raises on it
    pool_pending: str = ""  # the WorkerPool (the parent process) still breaks on it
    full: bool = False  # run the slow stages (explicit labels, detector) too


CRASHES: dict[str, Crash] = {
    "sniff-id3-short-header.mp3": Crash(("sniff", "pipeline")),
    "package-verify-deep-report-json.zip": Crash(("package-verify",)),
    "pdf-objstm-type-assert.pdf": Crash(("carrier-pdf", "pipeline")),
    "explicit-video-stream-without-codec.mkv": Crash(("explicit", "detector"), full=True),
    "pixels-avif-missing-image-item.avif": Crash(("pixels", "explicit", "detector"), full=True),
    "explicit-gif-extreme-aspect-ocr-timeout.gif": Crash(("explicit",), full=True),
}


def _samples() -> list[str]:
    return sorted(p.name for p in CRASH_DIR.iterdir() if p.is_file() and p.name != "README.md")


def _xfail(reason: str) -> list:
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def test_every_sample_is_listed_and_documented():
    readme = (CRASH_DIR / "README.md").read_text(encoding="utf-8")
    assert _samples() == sorted(CRASHES), "list every tests/data/crash file in CRASHES"
    for name, crash in CRASHES.items():
        assert name in readme, f"{name} is not described in tests/data/crash/README.md"
        assert all(t in TARGETS for t in crash.targets)
        assert (CRASH_DIR / name).stat().st_size <= 64 * 1024, f"{name}: keep samples tiny"


@pytest.mark.parametrize(("name", "target"), [
    pytest.param(n, t, marks=_xfail(c.pending)) for n, c in CRASHES.items() for t in c.targets])
def test_sample_keeps_the_reader_contract(name, target):
    TARGETS[target].run((CRASH_DIR / name).read_bytes())  # raises ContractBroken if broken


@pytest.mark.parametrize("name", [pytest.param(n, marks=_xfail(c.pipeline_pending))
                                  for n, c in CRASHES.items()])
def test_pipeline_gives_a_result(name, tmp_path, validate_result):
    path = tmp_path / name
    shutil.copyfile(CRASH_DIR / name, path)
    validate_result(check_file(path, _options(CRASHES[name])))


@pytest.mark.parametrize("name", [pytest.param(n, marks=_xfail(c.pool_pending))
                                  for n, c in CRASHES.items()])
def test_worker_pool_survives_and_goes_on(name, tmp_path):
    path = tmp_path / name
    shutil.copyfile(CRASH_DIR / name, path)
    good = write_png(tmp_path / "good.png", text={"AIGC": SAMPLE_JSON})
    with WorkerPool(workers=1) as pool:
        results = pool.run([str(path), str(good)], _options(CRASHES[name]))
    assert results[0] is not None and results[0]["file"]["path"] == str(path)
    assert results[1]["verdict"] == "confirmed"
