"""Suite-wide settings: the app's data folder and language are the test's own, never the user's."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # so tests can import tests.fixtures.*
SHARED_DATA = ROOT.parent / "shared" / "data"
SCHEMA_PATH = ROOT.parent / "shared" / "contracts" / "check-result.schema.json"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def home(tmp_path_factory, monkeypatch):
    """The app's data folder for this test (AIGCVERIFY_HOME). It does not exist yet: creating it
    is the app's job, and tests that ask for `home` check what the app put there."""
    path = tmp_path_factory.mktemp("aigcverify") / "home"
    monkeypatch.setenv("AIGCVERIFY_HOME", str(path))
    return path


@pytest.fixture(scope="session")
def result_schema():
    import json

    # the contract lives in ../shared; a copy is kept in tests/golden for clones without it
    path = SCHEMA_PATH if SCHEMA_PATH.exists() else ROOT / "tests" / "golden" / "check-result.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def validate_result(result_schema):
    import jsonschema

    validator = jsonschema.Draft202012Validator(result_schema)

    def check(result: dict) -> dict:
        errors = sorted(validator.iter_errors(result), key=lambda e: list(e.path))
        assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
        return result

    return check
