"""Short property-based fuzzing of every carrier module, the sniffer, the XMP/EXIF expanders
and the detector's pixel decoder (the long runs are `make fuzz`, bench/fuzz.py).

Inputs are the project's own fixtures (bench/fuzz_seeds.py) with up to six shrinkable edits;
the contract checked is bench/fuzz_targets.py's: only VerifyError subclasses escape a reader.
Examples are derandomized (the same inputs every run) and nothing is stored on disk.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from bench.fuzz_seeds import build_family, mutation_strategy
from bench.fuzz_targets import CARRIER_TARGETS, TARGETS, run_checked

# Pillow warns about the corrupt data it is fed here (corrupt EXIF, invalid APNG): expected
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))

CASES = [(f"carrier-{m}", f"carrier-{m}") for m in CARRIER_TARGETS] + [
    ("sniff", "pipeline"), ("metadata-xmp", "xmp"), ("metadata-exif", "exif"),
    ("pixels", "pixels"), ("coded-quality", "coded")]


@pytest.fixture(scope="module")
def seed_root(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-seeds")


def test_every_carrier_module_has_a_harness():
    from aigcverify.carriers import CARRIER_MODULES  # noqa: PLC0415

    assert set(CARRIER_MODULES) == set(CARRIER_TARGETS)
    assert all(name in TARGETS for name, _ in CASES)


@pytest.mark.parametrize(("target", "family"), CASES)
def test_only_verify_errors_escape(seed_root, target, family):
    seeds = [p.read_bytes() for p in build_family(seed_root, family)]
    assert seeds

    @SETTINGS
    @given(mutation_strategy(seeds))
    def fuzz(data: bytes) -> None:
        run_checked(target, data)

    fuzz()


@pytest.mark.parametrize(("target", "family"), CASES)
def test_seeds_and_their_truncations(seed_root, target, family):
    """Every seed, and every seed cut at 16 evenly spaced points (the classic damaged file)."""
    for path in build_family(seed_root, family):
        data = path.read_bytes()
        run_checked(target, data)
        for k in range(16):
            run_checked(target, data[: len(data) * k // 16])


@pytest.mark.parametrize("target", ["explicit", "detector"])
def test_slow_stages_only_verify_errors_escape(seed_root, target):
    """The stages that decode pixels and media (OCR, video frames, audio, the ONNX detector)
    on mutated pictures, audio and video: a few examples only, each costs a model run."""
    seeds = [p.read_bytes() for p in build_family(seed_root, "media")]

    @settings(SETTINGS, max_examples=12)
    @given(mutation_strategy(seeds))
    def fuzz(data: bytes) -> None:
        run_checked(target, data)

    fuzz()
