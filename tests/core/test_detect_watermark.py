"""Known invisible watermarks: bit-for-bit agreement with invisible-watermark's own decoder,
strict hits on marked pictures (marked with the package's encoder), none on clean ones."""

import importlib.util
import io

import numpy as np
import pytest
from PIL import Image

from aigcverify.detect import watermark as wm

pytest.importorskip("cv2")
pytest.importorskip("pywt")


def _package_maxdct():
    """invisible-watermark's DWT-DCT module, loaded without the package __init__ (which
    imports torch for RivaGAN)."""
    spec = importlib.util.find_spec("imwatermark")
    if spec is None:
        pytest.skip("invisible-watermark not installed")
    path = list(spec.submodule_search_locations)[0] + "/maxDct.py"
    sub = importlib.util.spec_from_file_location("_test_imwatermark_maxdct", path)
    module = importlib.util.module_from_spec(sub)
    sub.loader.exec_module(module)
    return module


def _photo_like(h=512, w=640, seed=3):
    """Smooth colour fields plus mild noise: decodes like a photo, not like pure noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([128 + 60 * np.sin(xx / 37 + c) * np.cos(yy / 53 - c) for c in range(3)], axis=2)
    return np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)


def _mark(rgb: np.ndarray, mark: wm.KnownMark) -> np.ndarray:
    mod = _package_maxdct()
    src = np.ascontiguousarray(rgb[:, :, ::-1]) if mark.bgr else rgb.copy()
    out = mod.EmbedMaxDct(list(mark.bits), wmLen=len(mark.bits)).encode(src)
    return np.ascontiguousarray(out[:, :, ::-1]) if mark.bgr else out


@pytest.mark.parametrize("seed", [0, 1])
def test_decoder_equals_the_package_bit_for_bit(seed):
    mod = _package_maxdct()
    img = _photo_like(seed=seed)
    for mark in wm.KNOWN_MARKS:
        marked = _mark(img, mark)
        for picture in (img, marked):
            theirs = mod.EmbedMaxDct([], wmLen=len(mark.bits)).decode(picture).astype(int)
            ours = wm.message_bits(wm.block_scores(picture), len(mark.bits))
            np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("mark", [m for m in wm.KNOWN_MARKS if len(m.bits) <= 48],
                         ids=lambda m: m.name)
def test_strict_hit_on_marked_picture(mark):
    hits = wm.decode_marks(_mark(_photo_like(), mark))
    assert [h["name"] for h in hits] == [mark.name]
    assert hits[0]["matched_bits"] == hits[0]["bits"] == len(mark.bits) and hits[0]["strict"]


def test_no_hit_on_clean_or_tiny_pictures():
    assert wm.decode_marks(_photo_like()) == []
    assert wm.decode_marks(_photo_like(128, 128)) == []


def test_jpeg_resave_breaks_the_mark():
    """The mark is fragile: its absence means nothing (documented in the model card)."""
    marked = _mark(_photo_like(), wm.KNOWN_MARKS[0])
    buf = io.BytesIO()
    Image.fromarray(marked).save(buf, "JPEG", quality=90)
    buf.seek(0)
    assert wm.decode_marks(np.asarray(Image.open(buf).convert("RGB"))) == []
