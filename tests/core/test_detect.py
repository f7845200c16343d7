"""Smoke test of the shipped detector (CI): the model loads, its hash matches the manifest,
pictures and a video get schema-conformant results, laundering forces "inconclusive", other
media are left alone, telemetry is off, one session per process, providers are chosen right."""

import io
import json
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from PIL import Image

from aigcverify.detect import manifest as man
from aigcverify.detect import session as sess
from aigcverify.detect.scoring import BANDS
from aigcverify.errors import VerifyError
from aigcverify.i18n import tr
from aigcverify.pipeline import CheckOptions, check_file
from aigcverify.resources import models_dir

ROOT = Path(__file__).resolve().parents[2]
KODAK = ROOT.parent / "shared" / "data" / "detector" / "dev-eval" / "real-kodak24" / "kodim05.png"
OPTIONS = CheckOptions(detector=True, explicit=False, lang="en")


def _textured(h=512, w=640, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([128 + 70 * np.sin(xx / (9 + c) + yy / 23) for c in range(3)], axis=2)
    return np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)


def _check(path: Path) -> dict:
    return check_file(path, OPTIONS)


def _assert_detector(result: dict, schema: dict) -> dict:
    jsonschema.validate(result, schema)
    det = result["detector"]
    info = man.load_manifest()
    assert det["model"] == info.label and det["model_sha256"] == info.sha256
    assert 0.0 <= det["score"] <= 1.0
    # the verdict threshold is the high (~1% FPR) one; the 5% one only bounds "inconclusive"
    assert det["threshold"] == info.high_threshold == det["high_threshold"]
    assert det["inconclusive_threshold"] == info.threshold
    assert (det["band"] == "traces") == (det["score"] >= det["threshold"] and not det["laundering"])
    assert det["provider"] in sess.PREFERRED_PROVIDERS
    assert det["band"] in BANDS and det["band_text"]
    assert det["patches"] >= 1
    return det


def test_manifest_and_hash():
    info = man.load_manifest()
    data = json.loads((models_dir() / man.DEFAULT_MODEL / "manifest.json").read_text())
    assert info.sha256 == data["sha256"] == man._sha256(info.path)
    assert data["input"]["patch"] == info.patch == 128
    assert data["format"]["onnx_opset"] == 17
    assert 0 < info.threshold <= info.high_threshold < 1
    for key in ("calibration", "thresholds", "training", "provenance", "evaluation", "parity"):
        assert data.get(key), key
    assert data["parity"]["max_abs_diff"] < 1e-4


def test_tampered_model_is_refused(tmp_path):
    src = models_dir() / man.DEFAULT_MODEL
    dst = tmp_path / man.DEFAULT_MODEL
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.pt"))
    blob = bytearray((dst / "model.onnx").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (dst / "model.onnx").write_bytes(bytes(blob))
    with pytest.raises(man.DetectorError, match="hash"):
        man.load_manifest(man.DEFAULT_MODEL, tmp_path)
    assert issubclass(man.DetectorError, VerifyError)


def test_png_and_jpeg_pictures(tmp_path, result_schema):
    rgb = _textured()
    Image.fromarray(rgb).save(tmp_path / "a.png")
    Image.fromarray(rgb).save(tmp_path / "b.jpg", quality=95)
    Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 200, np.uint8)])).save(tmp_path / "c.png")
    for name in ("a.png", "b.jpg", "c.png"):
        result = _check(tmp_path / name)
        det = _assert_detector(result, result_schema)
        assert det["laundering"] is None and det["patches"] == man.load_manifest().patches
        assert "detector" in result["stages"]


def test_same_pixels_same_score(tmp_path):
    rgb = _textured(seed=4)
    Image.fromarray(rgb).save(tmp_path / "a.png")
    Image.fromarray(rgb).save(tmp_path / "b.tiff")
    a, b = _check(tmp_path / "a.png")["detector"], _check(tmp_path / "b.tiff")["detector"]
    assert a["score"] == b["score"] and a["logit"] == b["logit"]


@pytest.mark.skipif(not KODAK.exists(), reason="shared test data not present")
def test_real_photo_scores(result_schema):
    det = _assert_detector(_check(KODAK), result_schema)
    assert det["laundering"] is None


def test_low_quality_jpeg_forces_inconclusive(tmp_path, result_schema):
    Image.fromarray(_textured()).save(tmp_path / "low.jpg", quality=50)
    result = _check(tmp_path / "low.jpg")
    det = _assert_detector(result, result_schema)
    assert det["band"] == "inconclusive" and det["laundering"]
    assert det["laundering_code"] == "jpeg-quality"
    assert any(p["code"] == "detector-laundering" for p in result["problems"])
    assert "detector" not in [result["reason"]["code"], *result["reason"]["also"]]


def test_thumbnail_forces_inconclusive(tmp_path, result_schema):
    Image.fromarray(_textured(128, 128)).save(tmp_path / "thumb.png")
    det = _assert_detector(_check(tmp_path / "thumb.png"), result_schema)
    assert det["band"] == "inconclusive" and det["laundering_code"] == "small"


def test_damaged_picture_raises_only_verify_error(tmp_path):
    from aigcverify.detect import score_image_file

    buf = io.BytesIO()
    Image.fromarray(_textured()).save(buf, "PNG")
    (tmp_path / "cut.png").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 3])
    (tmp_path / "junk.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    for name in ("cut.png", "junk.jpg"):
        with pytest.raises(VerifyError):
            score_image_file(str(tmp_path / name), man.load_manifest())


def test_audio_is_left_alone(tmp_path):
    with wave.open(str(tmp_path / "a.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * 8000)
    result = _check(tmp_path / "a.wav")
    assert result["detector"] is None and result["watermarks"] == []


def _clip(path: Path, codec: str = "libx264", options: dict | None = None) -> Path:
    """3 s of textured frames at 8 fps, one key frame per second."""
    av = pytest.importorskip("av")
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=8)
        stream.width, stream.height, stream.pix_fmt = 320, 256, "yuv420p"
        stream.options = {"g": "8", "keyint_min": "8", "sc_threshold": "0", **(options or {})}
        for i in range(24):
            frame = av.VideoFrame.from_ndarray(_textured(256, 320, seed=i), format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def test_video_frames_are_sampled_and_aggregated(tmp_path, result_schema):
    result = _check(_clip(tmp_path / "clip.mp4", options={"crf": "18"}))
    det = _assert_detector(result, result_schema)
    assert det["frames"] == 3 and len(det["frame_times"]) == 3
    agg = det["aggregation"]
    assert agg["median_logit"] <= agg["top_quartile_logit"] + 1e-9
    assert len(agg["frame_logits"]) == 3
    assert det["caveat"] == tr("detector.caveat.video", OPTIONS.lang)  # video: weak evidence


@pytest.mark.parametrize(("qp", "laundered"), [(16, False), (26, False), (27, True), (36, True)])
def test_coarse_h264_forces_inconclusive(tmp_path, result_schema, qp, laundered):
    from aigcverify.detect.video_quality import H264_QP_MAX

    # constant QP, no adaptive quantisation, key frames not favoured: every macroblock of every
    # sampled frame gets exactly this quantiser
    path = _clip(tmp_path / f"qp{qp}.mp4",
                 options={"qp": str(qp), "x264-params": "aq-mode=0:ipratio=1"})
    det = _assert_detector(_check(path), result_schema)
    assert det["video_qp"] == qp
    assert (det["video_qp"] > H264_QP_MAX) == laundered
    if laundered:
        assert det["laundering_code"] == "video-quality" and det["band"] == "inconclusive"
        assert det["laundering"] == tr("detector.laundering.video-quality", OPTIONS.lang)
    else:
        assert det["laundering_code"] is None


@pytest.mark.parametrize(("codec", "options"), [("libvpx-vp9", {"crf": "40", "b": "0"}),
                                                ("mpeg4", {"qscale": "20"})])
def test_unmeasured_codecs_have_no_quantiser_check(tmp_path, result_schema, codec, options):
    suffix = ".webm" if codec == "libvpx-vp9" else ".mp4"
    det = _assert_detector(_check(_clip(tmp_path / f"clip{suffix}", codec, options)),
                           result_schema)
    assert det["frames"] >= 1
    assert det["video_qp"] is None and det["laundering_code"] != "video-quality"


def test_telemetry_disabled_before_onnxruntime_import():
    code = ("import sys, os; import aigcverify.detect; "
            "assert 'onnxruntime' not in sys.modules; "
            "assert os.environ['ORT_DISABLE_TELEMETRY'] == '1'; "
            "from aigcverify.detect.session import get_session; "
            "from aigcverify.detect.manifest import load_manifest; "
            "get_session(load_manifest()); assert 'onnxruntime' in sys.modules")
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)


def test_one_session_per_process():
    info = man.load_manifest()
    first, provider = sess.get_session(info)
    again, provider2 = sess.get_session(info)
    assert first is again and provider == provider2


@pytest.mark.parametrize(("available", "requested", "expected"), [
    (["CUDAExecutionProvider", "CPUExecutionProvider"], "auto", "CUDAExecutionProvider"),
    (["DmlExecutionProvider", "CPUExecutionProvider"], "auto", "DmlExecutionProvider"),
    (["CoreMLExecutionProvider", "CPUExecutionProvider"], "auto", "CoreMLExecutionProvider"),
    (["AzureExecutionProvider", "CPUExecutionProvider"], "auto", "CPUExecutionProvider"),
    (["CUDAExecutionProvider", "CPUExecutionProvider"], "cpu", "CPUExecutionProvider"),
    (["DmlExecutionProvider", "CPUExecutionProvider"], "directml", "DmlExecutionProvider"),
])
def test_provider_choice(available, requested, expected):
    assert sess.choose_provider(requested, available) == expected


def test_unavailable_provider_is_an_error():
    with pytest.raises(man.DetectorError):
        sess.choose_provider("cuda", ["CPUExecutionProvider"])


def test_bands_follow_thresholds_and_laundering():
    from dataclasses import replace

    from aigcverify.detect.scoring import band_for, detector_entry

    info = replace(man.load_manifest(), threshold=0.6, high_threshold=0.9, platt_a=1.0, platt_b=0.0)
    assert band_for(info, 0.59, None) == "no-traces"
    assert band_for(info, 0.6, None) == "inconclusive"
    assert band_for(info, 0.95, None) == "traces"
    assert band_for(info, 0.99, "jpeg-quality") == "inconclusive"
    entry = detector_entry(info, "CPUExecutionProvider", 5.0, 12, None, "zh_CN")
    assert entry["band"] == "traces" and entry["score"] == pytest.approx(0.9933, abs=1e-4)
    assert "AI" in entry["band_text"] and "%" not in entry["band_text"]
    assert man.calibrate(info, -1000.0) == 0.0 and man.calibrate(info, 1000.0) == 1.0


ASTRONAUT = Path("/usr/lib/python3/dist-packages/skimage/data/astronaut.png")  # python3-skimage


@pytest.mark.skipif(not ASTRONAUT.exists(), reason="Debian python3-skimage not installed")
def test_face_crops_are_native_patches_on_the_face():
    from aigcverify.detect.video import face_patches

    rgb = np.asarray(Image.open(ASTRONAUT).convert("RGB"))
    faces = face_patches(rgb, 128, 8)
    assert faces.shape == (1, 3, 128, 128)
    # the patch is cut from the picture (no resizing): it occurs at a grid position
    patch = (faces[0].transpose(1, 2, 0) * 255).round().astype(np.uint8)
    hits = [(y, x) for y in range(0, 512 - 127, 8) for x in range(0, 512 - 127, 8)
            if np.array_equal(rgb[y:y + 128, x:x + 128], patch)]
    assert len(hits) == 1 and 40 <= hits[0][0] <= 200 and 120 <= hits[0][1] <= 300
