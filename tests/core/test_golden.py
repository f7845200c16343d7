"""Golden results: the full JSON of a set of scenario samples, compared field by field.

Regenerate after an intended change with `UPDATE_GOLDEN=1 make test` and review the diff.
Hashes, sizes and paths are left out: the writers' bytes may move with their versions, the
meaning of the result must not.
"""

import json
import os
from pathlib import Path

import pytest

from aigcverify.pipeline import CheckOptions, check_file
from tests.fixtures import image_fixtures as img
from tests.fixtures.corpus import CARRIER_CASES, LABEL_FIELDS, label_text, write_case

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CASES = {c.name: c for c in CARRIER_CASES}


def _nonconformant(p: Path) -> Path:
    fields = {k: v for k, v in LABEL_FIELDS.items() if k != "ProduceID"}
    return img.write_png(p, text={"AIGC": json.dumps(fields)})


def _conflict(p: Path) -> Path:
    return img.write_png(p, text={"AIGC": label_text("1")}, xmp=img.xmp_packet(label_text("2")))


def _duplicate(p: Path) -> Path:
    return img.write_png(p, text={"AIGC": label_text("1")}, xmp=img.xmp_packet(label_text("1")))


def _bad_enum(p: Path) -> Path:
    return img.write_png(p, text={"AIGC": json.dumps({**LABEL_FIELDS, "Label": "yes"})})


def _comfy(p: Path) -> Path:
    return img.write_png(p, text={"prompt": json.dumps({"3": {"class_type": "KSampler", "inputs": {}}}),
                                  "workflow": json.dumps({"nodes": []})})


def _junk(p: Path) -> Path:
    p.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 2)
    return p


SCENARIOS = {
    "png-text-label1": (".png", lambda p: write_case(CASES["png-text"], p.parent, "1", stem=p.stem)),
    "jpeg-xmp-label2": (".jpg", lambda p: write_case(CASES["jpeg-xmp"], p.parent, "2", stem=p.stem)),
    "wav-chunk-label3": (".wav", lambda p: write_case(CASES["wav-chunk"], p.parent, "3", stem=p.stem)),
    "md-front-matter-wrapped": (".md", lambda p: write_case(CASES["md-front-matter"], p.parent, "1",
                                                            wrapped=True, stem=p.stem)),
    "png-missing-produceid": (".png", _nonconformant),
    "png-conflicting-sites": (".png", _conflict),
    "png-duplicate-sites": (".png", _duplicate),
    "png-label-not-enum": (".png", _bad_enum),
    "png-comfyui-workflow": (".png", _comfy),
    "jpeg-junk": (".jpg", _junk),
}

VOLATILE_FILE_KEYS = {"path", "name", "size", "sha256", "sm3"}


def normalize(result: dict) -> dict:
    out = json.loads(json.dumps(result))
    out.pop("elapsed_ms", None)
    for key in VOLATILE_FILE_KEYS:
        out["file"].pop(key, None)
    for p in out["problems"]:
        p.pop("detail", None)  # library error texts vary between versions
    return out


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_golden(name, tmp_path, validate_result):
    suffix, write = SCENARIOS[name]
    path = write(tmp_path / f"{name}{suffix}")
    result = normalize(validate_result(check_file(path, CheckOptions(detector=False, explicit=False, lang="en"))))
    golden = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN") or not golden.exists():
        golden.write_text(json.dumps(result, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                          encoding="utf-8")
    assert result == json.loads(golden.read_text(encoding="utf-8"))
