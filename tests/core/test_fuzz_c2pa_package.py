"""Short property-based fuzzing of the C2PA adapter, the complaint-package verifier and the
whole metadata pipeline (the long runs are `make fuzz`, bench/fuzz.py).

  * c2pa_check.read_c2pa never raises, whatever a C2PA-signed JPEG/PNG was turned into;
  * export.standalone_verify.verify raises OSError at most, for byte-level damage to a real
    package and for a well-formed ZIP (repacked with the package's own ZIP writer and correct
    manifests) whose report.json is any JSON document: so the report checks are reached too;
  * pipeline.check_file never raises for any content, with any extension.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.fuzz_seeds import build_family, mutation_strategy
from bench.fuzz_targets import run_checked

SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def seed_root(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-seeds")


@pytest.mark.parametrize(("target", "family", "examples"), [
    ("c2pa", "c2pa", 80), ("package-verify", "package", 100), ("pipeline", "pipeline", 150)])
def test_mutated_inputs_keep_the_contract(seed_root, target, family, examples):
    seeds = [p.read_bytes() for p in build_family(seed_root, family)]

    @settings(SETTINGS, max_examples=examples)
    @given(mutation_strategy(seeds))
    def fuzz(data: bytes) -> None:
        run_checked(target, data)

    fuzz()


# -- package verifier: structurally valid ZIPs with wild report.json ----------------------------
def _repack(members: dict[str, bytes]) -> bytes:
    """A package ZIP written by the app's own writer, with manifests that match the members:
    only report.json's content is left for the verifier to judge."""
    from aigcverify.export.standalone_verify import MANIFESTS, sm3_new  # noqa: PLC0415
    from aigcverify.export.zipwriter import Member, write_zip  # noqa: PLC0415

    payload = {n: d for n, d in members.items() if n not in MANIFESTS}
    for manifest, algo in MANIFESTS.items():
        lines = []
        for name, data in payload.items():
            digest = hashlib.sha256() if algo == "sha256" else sm3_new()
            digest.update(data)
            lines.append(f"{digest.hexdigest()}  {name}\n")
        members[manifest] = "".join(lines).encode("ascii")
    out = io.BytesIO()
    write_zip(out, [Member(n, d) for n, d in members.items()], datetime(2025, 9, 1, 12, 0, 0))
    return out.getvalue()


ENTRY_KEYS = ("seq", "entry_id", "report_id", "rev", "kind", "supersedes", "created_utc",
              "tz_offset", "body", "prev_hash", "hash")
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=20), st.sampled_from(["0" * 64, "report", "R-1"]))
VALUES = st.recursive(SCALARS, lambda k: st.one_of(
    st.lists(k, max_size=4), st.dictionaries(st.sampled_from(ENTRY_KEYS + ("file", "sha256")),
                                             k, max_size=6)), max_leaves=20)
ENTRIES = st.lists(st.fixed_dictionaries({}, optional={k: VALUES for k in ENTRY_KEYS}),
                   max_size=4)
REPORTS = st.lists(st.fixed_dictionaries({"entries": ENTRIES}, optional={
    "report_id": SCALARS, "original": st.one_of(st.none(), st.text(max_size=30)),
    "current": SCALARS}), max_size=3)
DOCS = st.one_of(VALUES, st.fixed_dictionaries({
    "format": st.sampled_from(["aigcverify-complaint/1", "x"]), "reports": REPORTS}))


@settings(SETTINGS, max_examples=40)
@given(doc=DOCS, canonical=st.booleans())
def test_verifier_on_any_report_document(seed_root, doc, canonical):
    [package] = build_family(seed_root, "package")
    with zipfile.ZipFile(package) as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist()}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":") if canonical else (", ", ": "),
                      ensure_ascii=False)
    members["report.json"] = text.encode("utf-8", "surrogatepass")
    run_checked("package-verify", _repack(members))


def test_unchanged_package_verifies(seed_root):
    """The seed is a real package: the verifier must accept it (else the fuzzing is moot)."""
    from aigcverify.export.standalone_verify import verify  # noqa: PLC0415

    [package] = build_family(seed_root, "package")
    ok, problems, summary = verify(str(package))
    assert ok, problems
    assert summary["reports"] == 1
    with zipfile.ZipFile(package) as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist()}
    repacked = seed_root / "repacked.zip"
    repacked.write_bytes(_repack(members))
    assert verify(str(repacked))[0], "the test's repacker must write a valid package"
