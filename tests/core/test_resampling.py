"""Resampling (up-scaling) check: native pictures pass, interpolated enlargements are flagged,
hostile shapes never raise, and the cost stays bounded.

Pictures are made at test time: a synthetic "photo" (1/f noise field, drawn shapes, blur, sensor
noise; no resampling anywhere in its making) and, when the shared data folder is present, a
Kodak picture. Enlargements are made with Pillow, the way a user or a website would.
"""

import io
import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from aigcverify.detect.resampling import (MIN_SIDE, THRESHOLD, ResamplingEvidence,
                                          resampling_evidence)

ROOT = Path(__file__).resolve().parents[2]
# the shared evaluation data, where models/train/common.py looks for it
DATA = Path(os.environ.get("DETECTOR_DATA", ROOT.parent / "shared" / "data" / "detector"))
KODAK = DATA / "dev-eval" / "real-kodak24"
BICUBIC = Image.Resampling.BICUBIC


def _synthetic_photo(h: int = 640, w: int = 800, seed: int = 3) -> np.ndarray:
    """A natural-looking picture built at native resolution: smooth 1/f field, a few shapes,
    a slight blur and sensor noise."""
    rng = np.random.default_rng(seed)
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    amplitude = 1.0 / np.maximum(np.hypot(fy, fx), 1.0 / max(h, w))
    channels = []
    for _ in range(3):
        phase = rng.normal(size=amplitude.shape) + 1j * rng.normal(size=amplitude.shape)
        field = np.fft.irfft2(amplitude * phase, s=(h, w))
        field = (field - field.min()) / (np.ptp(field) + 1e-9)
        channels.append(40 + 170 * field)
    img = Image.fromarray(np.clip(np.stack(channels, axis=2), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        x1, y1 = x0 + int(rng.integers(10, 200)), y0 + int(rng.integers(10, 200))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    img = img.filter(ImageFilter.GaussianBlur(0.8))
    noisy = np.asarray(img).astype(np.float32) + rng.normal(0, 2.5, (h, w, 3))
    return np.clip(noisy + 0.5, 0, 255).astype(np.uint8)


def _enlarge(rgb: np.ndarray, factor: float, kernel=BICUBIC) -> np.ndarray:
    h, w, _ = rgb.shape
    return np.asarray(Image.fromarray(rgb).resize((round(w * factor), round(h * factor)), kernel))


def _kodak(name: str) -> np.ndarray:
    path = KODAK / name
    if not path.is_file():
        pytest.skip(f"shared data not present: {path}")
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return _synthetic_photo()


def test_native_synthetic_photo_is_not_flagged(photo):
    ev = resampling_evidence(photo)
    assert isinstance(ev, ResamplingEvidence)
    assert not ev.resized and ev.score < THRESHOLD / 2, ev


@pytest.mark.parametrize("factor, frequency", [(1.5, 1 / 3), (2.5, 0.4), (1.25, 0.2)])
def test_bicubic_enlargement_is_flagged_at_its_frequency(photo, factor, frequency):
    ev = resampling_evidence(_enlarge(photo, factor))
    assert ev.resized and ev.line == "off-grid", ev
    assert abs(ev.frequency - frequency) < 0.005
    assert any(abs(f - factor) < 0.02 for f in ev.factor_candidates)
    assert ev.period == pytest.approx(1 / ev.frequency, rel=1e-3)


def test_twofold_enlargement_is_flagged_by_the_half_line(photo):
    ev = resampling_evidence(_enlarge(photo, 2.0, Image.Resampling.BILINEAR))
    assert ev.resized and ev.line == "half", ev
    assert ev.frequency == 0.5 and 2.0 in ev.factor_candidates


def _jpeg(rgb: np.ndarray, quality: int = 90) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"))


@pytest.mark.parametrize("name", ["kodim05.png", "kodim13.png", "kodim23.png"])
def test_kodak_native_passes_and_enlargements_are_flagged(name):
    rgb = _kodak(name)
    for native in (rgb, _jpeg(rgb)):  # a JPEG re-save alone adds only k/8 grid lines
        ev = resampling_evidence(native)
        assert not ev.resized and ev.score < THRESHOLD / 2, ev
    for factor in (1.5, 2.5):
        ev = resampling_evidence(_enlarge(rgb, factor))
        assert ev.resized, (factor, ev)
    ev = resampling_evidence(_jpeg(_enlarge(rgb, 2.5)))  # the line at 0.4 survives a q90 re-save
    assert ev.resized and abs(ev.frequency - 0.4) < 0.005, ev


@pytest.mark.parametrize("shape", [(1, 1, 3), (10, 500, 3), (MIN_SIDE - 1, 300, 3),
                                   (300, MIN_SIDE - 1, 3)])
def test_too_small_gives_nothing(shape):
    ev = resampling_evidence(np.full(shape, 7, dtype=np.uint8))
    assert ev.score == 0.0 and not ev.resized and ev.period is None and ev.frequency is None
    assert ev.factor_candidates == ()


@pytest.mark.parametrize("shape", [(MIN_SIDE, MIN_SIDE, 3), (64, 4000, 3), (4000, 64, 3),
                                   (65, 97, 3), (1023, 1025, 3), (2049, 67, 3)])
def test_odd_shapes_never_raise(shape):
    rng = np.random.default_rng(sum(shape))
    ev = resampling_evidence(rng.integers(0, 256, shape, dtype=np.uint8))
    assert np.isfinite(ev.score) and ev.score >= 0
    assert not ev.resized  # white noise has no interpolation lines


@pytest.mark.parametrize("value", [0, 128, 255])
def test_flat_pictures(value):
    ev = resampling_evidence(np.full((700, 900, 3), value, dtype=np.uint8))
    assert ev.score == 0.0 and not ev.resized


def test_greyscale_like_and_four_channels(photo):
    grey = np.repeat(photo[:, :, 1:2], 3, axis=2)
    assert not resampling_evidence(grey).resized
    assert resampling_evidence(_enlarge(grey, 1.5)).resized
    rgba = np.concatenate([photo, np.full(photo.shape[:2] + (1,), 255, np.uint8)], axis=2)
    assert resampling_evidence(rgba) == resampling_evidence(photo)
    assert resampling_evidence(photo[:, :, 0]).score == 0.0  # 2-D input: nothing, no exception


def test_non_contiguous_input(photo):
    view = _enlarge(photo, 1.5)[::-1, ::-1]  # negative strides, as a rotated view would have
    assert resampling_evidence(view).resized


def test_deterministic(photo):
    big = _enlarge(photo, 1.25)
    assert resampling_evidence(big) == resampling_evidence(big.copy())


def test_cost_is_bounded_on_a_large_picture():
    rng = np.random.default_rng(11)
    big = rng.integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
    resampling_evidence(big[:256, :256])  # first call pays numpy's FFT set-up
    started = time.perf_counter()
    ev = resampling_evidence(big)
    ms = (time.perf_counter() - started) * 1000
    print(f"resampling_evidence on 4000x3000: {ms:.1f} ms, score {ev.score}")
    assert ms < 1000
    assert not ev.resized
