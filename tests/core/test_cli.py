"""The CLI as a user runs it: a real subprocess, JSON Lines validated against the contract."""

import json
import subprocess
import sys

from PIL import Image, PngImagePlugin

LABEL = {"Label": "1", "ContentProducer": "001191110102MACQD9K64010000", "ProduceID": "p-1",
         "ReservedCode1": "", "ContentPropagator": "001191110102MACQD9K64010000",
         "PropagateID": "p-1", "ReservedCode2": ""}


def _png(path, label=None):
    info = PngImagePlugin.PngInfo()
    if label:
        info.add_text("AIGC", json.dumps(label))
    Image.new("RGB", (8, 8), (200, 10, 10)).save(path, pnginfo=info)


def run_cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "aigcverify", *args], capture_output=True,
                          text=True, timeout=120, **kw)


def test_check_json_lines_in_input_order(tmp_path, validate_result):
    folder = tmp_path / "in"
    folder.mkdir()
    _png(folder / "b_labelled.png", LABEL)
    _png(folder / "a_plain.png")
    _png(folder / "c_declared.png", {**LABEL, "Label": "2"})
    (folder / "d_junk.jpg").write_bytes(b"\xff\xd8\xff" + b"\x00" * 50)
    lone = tmp_path / "lone.png"
    _png(lone, {**LABEL, "Label": "3"})
    proc = run_cli("check", "--json", "--no-detector", "--lang", "en", str(lone), str(folder))
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    for r in results:
        validate_result(r)
    assert [r["file"]["path"].rsplit("/", 1)[-1] for r in results] == [
        "lone.png", "a_plain.png", "b_labelled.png", "c_declared.png", "d_junk.jpg"]
    assert [r["verdict"] for r in results] == ["suspected", "none", "confirmed", "declared", "unreadable"]


def test_declared_flag(tmp_path, validate_result):
    _png(tmp_path / "a.png")
    proc = run_cli("check", "--json", "--declared", "--no-detector", str(tmp_path / "a.png"))
    result = validate_result(json.loads(proc.stdout))
    assert result["verdict"] == "declared" and result["declared_by_user"] is True


def test_human_table_is_chinese_by_default(tmp_path):
    _png(tmp_path / "a.png", LABEL)
    proc = run_cli("check", "--no-detector", "--lang", "zh", str(tmp_path / "a.png"))
    assert proc.returncode == 0
    assert "确认为AI生成" in proc.stdout and "第六条第一项" in proc.stdout


def test_usage_errors_exit_2(tmp_path):
    assert run_cli("check").returncode == 2
    assert run_cli("check", str(tmp_path / "missing.png")).returncode == 2
    assert run_cli("frobnicate").returncode == 2


def test_human_table_shows_the_detector_band_and_problems(tmp_path):
    import numpy as np
    from PIL import Image

    from aigcverify.i18n import tr

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (320, 400, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "low.jpg", quality=50)
    proc = run_cli("check", "--no-explicit", "--lang", "zh", str(tmp_path / "low.jpg"))
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    band = tr("detector.band.inconclusive", "zh_CN")
    assert "    " + tr("cli.detector", "zh_CN", band=band) in lines
    assert "    ! " + tr("problem.detector-laundering", "zh_CN") in lines
    assert "      " + tr("detector.laundering.jpeg-quality", "zh_CN") in lines
