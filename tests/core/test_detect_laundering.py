"""Laundering signs: JPEG quality from quantisation tables, lossy WebP quality from the VP8
header, AVIF/HEIF quantisers (unit and end to end through the shipped detector), thumbnails."""

import io

import numpy as np
import pytest
from PIL import Image

from aigcverify.detect.laundering import (JPEG_QUALITY_MIN, MIN_SIDE, jpeg_quality,
                                          laundering_reason)


def _jpeg_tables(quality: int, subsampling: int = 2) -> dict:
    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, subsampling=subsampling)
    buf.seek(0)
    with Image.open(buf) as im:
        return im.quantization


@pytest.mark.parametrize("quality", [20, 50, 60, 75, 79, 80, 85, 90, 95, 98, 100])
def test_jpeg_quality_matches_the_writer(quality):
    assert jpeg_quality(_jpeg_tables(quality)) == quality


def test_jpeg_quality_needs_a_table():
    assert jpeg_quality(None) is None
    assert jpeg_quality({}) is None
    assert jpeg_quality({0: [1, 2, 3]}) is None  # damaged table: not a quality


def test_laundering_reasons():
    assert laundering_reason(1024, 1024, JPEG_QUALITY_MIN - 1) == "jpeg-quality"
    assert laundering_reason(1024, 1024, JPEG_QUALITY_MIN) is None
    assert laundering_reason(1024, 1024, None) is None
    assert laundering_reason(MIN_SIDE - 1, 1024, 95) == "small"
    assert laundering_reason(MIN_SIDE, MIN_SIDE, 95) is None


# --- lossy WebP ----------------------------------------------------------------------------

def _textured_rgb(h=384, w=448, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([128 + 70 * np.sin(xx / (9 + c) + yy / 23) for c in range(3)], axis=2)
    return np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)


def test_webp_laundering_reason():
    from aigcverify.detect.laundering import REASONS, WEBP_QUALITY_MIN

    # WebP keeps more than JPEG at the same number: its cut is never the stricter one
    assert 70 <= WEBP_QUALITY_MIN <= JPEG_QUALITY_MIN
    assert laundering_reason(1024, 1024, None, webp_quality=WEBP_QUALITY_MIN - 1) == "webp-quality"
    assert laundering_reason(1024, 1024, None, webp_quality=WEBP_QUALITY_MIN) is None
    assert laundering_reason(1024, 1024, None, webp_quality=None) is None
    assert laundering_reason(MIN_SIDE - 1, 1024, None, webp_quality=95) == "small"
    # the compression sign comes before the size sign, as for JPEG
    assert laundering_reason(64, 64, None, webp_quality=10) == "webp-quality"
    assert REASONS["webp-quality"] == "detector.laundering.webp-quality"


def test_decode_image_reports_webp_quality(tmp_path):
    from aigcverify.detect.image import decode_image

    rgb = _textured_rgb()
    Image.fromarray(rgb).save(tmp_path / "q40.webp", quality=40)
    Image.fromarray(rgb).save(tmp_path / "lossless.webp", lossless=True)
    Image.fromarray(rgb).save(tmp_path / "a.png")
    low = decode_image(str(tmp_path / "q40.webp"))
    assert abs(low.webp_quality - 40) <= 3 and low.jpeg_quality is None
    assert low.rgb.shape == rgb.shape
    assert decode_image(str(tmp_path / "lossless.webp")).webp_quality is None
    assert decode_image(str(tmp_path / "a.png")).webp_quality is None


@pytest.fixture(scope="module")
def en_options():
    from aigcverify.pipeline import CheckOptions

    return CheckOptions(detector=True, explicit=False, lang="en")


def test_low_quality_webp_forces_inconclusive(tmp_path, result_schema, en_options):
    import jsonschema

    from aigcverify.i18n import tr
    from aigcverify.pipeline import check_file

    Image.fromarray(_textured_rgb()).save(tmp_path / "low.webp", quality=50)
    result = check_file(tmp_path / "low.webp", en_options)
    jsonschema.validate(result, result_schema)
    det = result["detector"]
    assert det["laundering_code"] == "webp-quality" and det["band"] == "inconclusive"
    assert det["laundering"] == tr("detector.laundering.webp-quality", "en")
    assert abs(det["webp_quality"] - 50) <= 3 and det["jpeg_quality"] is None
    assert any(p["code"] == "detector-laundering" for p in result["problems"])
    assert "detector" not in [result["reason"]["code"], *result["reason"]["also"]]


@pytest.mark.parametrize(("name", "options"), [("high.webp", {"quality": 95}),
                                               ("lossless.webp", {"lossless": True})])
def test_high_quality_and_lossless_webp_are_not_flagged(tmp_path, result_schema, en_options,
                                                        name, options):
    import jsonschema

    from aigcverify.pipeline import check_file

    Image.fromarray(_textured_rgb(seed=2)).save(tmp_path / name, **options)
    result = check_file(tmp_path / name, en_options)
    jsonschema.validate(result, result_schema)
    det = result["detector"]
    assert det["laundering"] is None and det["laundering_code"] is None
    assert not any(p["code"] == "detector-laundering" for p in result["problems"])
    if options.get("lossless"):
        assert det["webp_quality"] is None
    else:
        assert abs(det["webp_quality"] - 95) <= 3


# --- AVIF and HEIF ---------------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "quality", "reason"), [
    ("AVIF", 40, "avif-quality"),  # base_q_idx 172, coarser than the JPEG-80 equivalent (116)
    ("AVIF", None, None),  # Pillow's default (75): base_q_idx 76, keeps more than JPEG 80
    ("HEIF", 25, "heif-quality"),  # QP 34, coarser than the JPEG-80 equivalent (26)
    ("HEIF", None, None),  # pillow-heif's default (50): QP 22
])
def test_coarse_avif_and_heif_force_inconclusive(tmp_path, result_schema, en_options, fmt,
                                                 quality, reason):
    import jsonschema

    from aigcverify.i18n import tr
    from aigcverify.pipeline import check_file

    if fmt == "HEIF":
        pillow_heif = pytest.importorskip("pillow_heif")
        pillow_heif.register_heif_opener()
    path = tmp_path / f"picture.{fmt.lower()}"
    options = {} if quality is None else {"quality": quality}
    Image.fromarray(_textured_rgb()).save(path, fmt, **options)
    result = check_file(path, en_options)
    jsonschema.validate(result, result_schema)
    det = result["detector"]
    coded = det["coded_quality"]
    assert coded["codec"] == {"AVIF": "av1", "HEIF": "hevc"}[fmt] and not coded["lossless"]
    if quality is not None:
        assert abs(coded["quality"] - quality) <= 3
    assert det["laundering_code"] == reason
    if reason:
        assert det["band"] == "inconclusive"
        assert det["laundering"] == tr(f"detector.laundering.{reason}", "en")


# --- enlarged pictures -----------------------------------------------------------------------

def test_resized_reason_comes_after_compression_and_size():
    assert laundering_reason(1024, 1024, None, resized=True) == "resized"
    assert laundering_reason(1024, 1024, 50, resized=True) == "jpeg-quality"
    assert laundering_reason(MIN_SIDE - 1, 1024, None, resized=True) == "small"


def test_an_enlarged_photo_is_inconclusive_and_its_original_is_not(tmp_path, en_options):
    from pathlib import Path

    from aigcverify.i18n import tr
    from aigcverify.pipeline import check_file

    kodak = (Path(__file__).resolve().parents[3] / "shared" / "data" / "detector" / "dev-eval"
             / "real-kodak24" / "kodim23.png")
    if not kodak.exists():
        pytest.skip("shared detector data not present")
    with Image.open(kodak) as im:
        im.convert("RGB").save(tmp_path / "original.png")
        im.convert("RGB").resize((im.width * 3 // 2, im.height * 3 // 2),
                                 Image.Resampling.BICUBIC).save(tmp_path / "enlarged.png")
    original = check_file(tmp_path / "original.png", en_options)["detector"]
    assert original["laundering_code"] is None
    assert original["resampling"]["score"] < original["resampling"]["threshold"]
    enlarged = check_file(tmp_path / "enlarged.png", en_options)["detector"]
    assert enlarged["laundering_code"] == "resized" and enlarged["band"] == "inconclusive"
    assert enlarged["laundering"] == tr("detector.laundering.resized", "en")
    assert any(abs(f - 1.5) < 0.02 for f in enlarged["resampling"]["factors"])
