"""Visible labels on pictures: real CJK text (WenQuanYi Micro Hei) on Kodak photos and flat
colour, JPEG-recompressed, read by the real OCR engine. A handful of pictures only: the broad
evaluation is bench/explicit_eval.py."""

import subprocess
import sys

import pytest
from tests.fixtures.explicit_fixtures import label_image, need_cjk_font, need_kodak

from aigcverify.explicit import ocr
from aigcverify.explicit.image import check_image
from aigcverify.pipeline import CheckOptions, check_file

OPTIONS = CheckOptions(detector=False, lang="en")


@pytest.fixture(autouse=True)
def _font():
    need_cjk_font()


def _labels(result):
    return [e for e in result["explicit_labels"] if e["modality"] == "image-text"]


def test_compliant_corner_label_on_a_photo(tmp_path, validate_result):
    need_kodak()
    path = tmp_path / "doubao.jpg"
    truth = label_image(path, "豆包AI生成", 0.07, "bottom-right", size=(1280, 720), background=4)
    result = check_file(path, OPTIONS)
    validate_result(result)
    labels = _labels(result)
    assert len(labels) == 1
    label = labels[0]
    assert label["text"] == "豆包AI生成" and label["vendor"] == "Doubao"
    assert label["height_ratio"] == pytest.approx(0.07, rel=0.15)
    assert label["position"] == "bottom-right" and label["compliant"]
    x0, y0, x1, y1 = label["box"]
    assert x0 <= truth[0] + 5 and y0 <= truth[1] + 5 and x1 >= truth[2] - 5 and y1 >= truth[3] - 5
    assert result["verdict"] == "suspected"
    codes = [p["code"] for p in result["problems"]]
    assert "explicit-without-implicit" in codes and "explicit-label-too-small" not in codes


def test_small_label_is_found_and_called_too_small(tmp_path, validate_result):
    need_kodak()
    path = tmp_path / "small.png"
    label_image(path, "AI生成", 0.025, "top-left", size=(1920, 1080), background=12, quality=70)
    result = check_file(path, OPTIONS)
    validate_result(result)
    labels = _labels(result)
    assert len(labels) == 1 and labels[0]["position"] == "top-left"
    assert labels[0]["height_ratio"] == pytest.approx(0.025, rel=0.25)
    assert labels[0]["problems"] == ["explicit-label-too-small"]
    assert "explicit-label-too-small" in [p["code"] for p in result["problems"]]


def test_label_in_the_centre_breaks_the_position_rule(tmp_path):
    path = tmp_path / "centre.jpg"
    label_image(path, "人工智能生成", 0.08, "centre", size=(1024, 768), background=(40, 90, 160),
                style="plain")
    labels = check_image(str(path))
    found = [(e["position"], e["problems"]) for e in labels]
    assert found == [("centre", ["explicit-label-position"])]


def test_photos_and_signs_without_a_label_give_no_hit(tmp_path, validate_result):
    need_kodak()
    plain = tmp_path / "photo.jpg"
    label_image(plain, None, 0, "centre", size=(1280, 853), background=20)  # kodim21: a lighthouse
    sign = tmp_path / "sign.jpg"
    label_image(sign, "人民路 出口 EXIT", 0.06, "bottom", size=(1280, 720), background=7)
    for path in (plain, sign):
        result = check_file(path, OPTIONS)
        validate_result(result)
        assert result["explicit_labels"] == [], path.name
        assert result["verdict"] == "none"


def test_ocr_engine_is_loaded_once_per_process(tmp_path):
    for i, text in enumerate(("AI生成", "可灵AI")):
        path = tmp_path / f"f{i}.png"
        label_image(path, text, 0.08, "bottom-left", size=(640, 480), background=(200, 200, 200),
                    style="plain", quality=None)
        assert check_image(str(path))
    assert ocr.engine_loads() == 1


def test_importing_the_core_does_not_load_the_ocr_engine():
    code = ("import sys, aigcverify.pipeline, aigcverify.explicit, aigcverify.explicit.image, "
            "aigcverify.explicit.video; "
            "print(sorted(m for m in sys.modules if m.startswith(('rapidocr', 'cv2'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_broken_media_raise_only_the_explicit_error(tmp_path):
    """The pipeline skips unreadable files, but a file can parse and still fail to decode:
    only ExplicitError (a VerifyError) may escape, which the pipeline turns into
    explicit-failed."""
    from aigcverify.errors import VerifyError
    from aigcverify.explicit.audio_rhythm import check_audio
    from aigcverify.explicit.video import check_video

    path = tmp_path / "broken.jpg"
    label_image(path, "AI生成", 0.08, "bottom-left", size=(320, 240), background=(9, 9, 9))
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(VerifyError):
        check_image(str(path))
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 8)
    with pytest.raises(VerifyError):
        check_video(str(junk), "mp4")
    with pytest.raises(VerifyError):
        check_audio(str(junk), "mp3", "en")


@pytest.mark.slow
def test_big_photo_small_corner_label_found_by_the_fine_pass(tmp_path):
    need_kodak()
    path = tmp_path / "big.jpg"
    truth = label_image(path, "AI生成", 0.02, "top-right", size=(4000, 3000), background=9)
    labels = check_image(str(path))
    assert len(labels) == 1
    label = labels[0]
    x0, y0, x1, y1 = label["box"]  # in the original 4000x3000 pixels
    assert abs(x1 - truth[2]) < 60 and abs(y0 - truth[1]) < 60
    assert label["height_ratio"] == pytest.approx(0.02, rel=0.3)
    assert label["problems"] == ["explicit-label-too-small"]
