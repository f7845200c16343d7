"""Fixtures of the frozen-bundle smoke test (run by `make dist-test`, skipped by `make test`).

AIGCVERIFY_DIST names the built one-folder bundle (dist/aigcverify). Without it the smoke test
(test_frozen_bundle.py) is skipped: the default test run must not need a PyInstaller build.
test_bundle_policy.py needs no build and always runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.dist.samples import Sample, make_samples
from tests.dist.sandbox import Bundle

DIST = os.environ.get("AIGCVERIFY_DIST", "")
EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""


def pytest_collection_modifyitems(config, items):
    if DIST:
        return
    skip = pytest.mark.skip(reason="frozen-bundle smoke test: run `make dist-test` "
                                   "(AIGCVERIFY_DIST=dist/aigcverify)")
    smoke_test = Path(__file__).with_name("test_frozen_bundle.py")
    for item in items:
        if Path(str(item.fspath)) == smoke_test:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def bundle() -> Bundle:
    folder = Path(DIST).resolve()
    found = Bundle(folder, folder / f"aigcverify{EXE_SUFFIX}",
                   folder / f"aigcverify-gui{EXE_SUFFIX}")
    for exe in (found.cli, found.gui):
        assert exe.is_file() and os.access(exe, os.X_OK), f"{exe} missing: run `make dist`"
    return found


@pytest.fixture(scope="session")
def samples(tmp_path_factory) -> dict[str, Sample]:
    return make_samples(tmp_path_factory.mktemp("samples"))
