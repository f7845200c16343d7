"""Signs that a picture was laundered (re-compressed, resized), which wipes generation traces.

When one is found the detector's band is forced to "inconclusive" with the reason, and
verdict.py ignores the score: a low score on a laundered file is not evidence of anything.
Checks, cheapest first (each a small function; their meanings live in REASONS):

  jpeg-quality  the file is a JPEG whose quantisation tables correspond to an IJG quality below
                JPEG_QUALITY_MIN: the pixel-level traces the model reads are quantised away.
  small         the short side is below MIN_SIDE: thumbnails and previews are almost always
                resized copies.
  resampled     the pixel grid shows the periodic interpolation pattern that resizing by a
                non-trivial factor leaves (linear-predictor residual spectrum, Kirchner-style).
                Peaks at multiples of 1/8 of the sampling rate are ignored: the JPEG block grid
                and the generators' own 2x/4x/8x up-sampling live there.
"""

from __future__ import annotations

import numpy as np

__all__ = ["REASONS", "JPEG_QUALITY_MIN", "MIN_SIDE", "jpeg_quality", "resampling_score",
           "laundering_reason"]

JPEG_QUALITY_MIN = 80
MIN_SIDE = 256
RESAMPLE_BLOCK = 512
RESAMPLE_PEAK_MIN = 12.0  # peak-to-background ratio; chosen on real photos (see model card)

# reason code -> i18n key of its plain-language explanation
REASONS = {
    "jpeg-quality": "detector.laundering.jpeg-quality",
    "small": "detector.laundering.small",
    "resampled": "detector.laundering.resampled",
}

# IJG (libjpeg) standard luminance table (Annex K of ITU-T T.81). Compared sorted, so the
# zig-zag or natural order of the file does not matter.
_IJG_LUMA = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)


def _ijg_table(quality: int) -> np.ndarray:
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    table = (np.asarray(_IJG_LUMA, dtype=np.int64) * scale + 50) // 100
    return np.sort(np.clip(table, 1, 255))


_IJG_SORTED = {q: _ijg_table(q) for q in range(1, 101)}


def jpeg_quality(quantization: dict | None) -> int | None:
    """Estimated IJG quality (1..100) from a JPEG's quantisation tables (Pillow's
    `im.quantization`): the quality whose scaled standard luminance table is closest.
    None when there is no usable table."""
    if not quantization:
        return None
    table = quantization.get(0)
    if table is None or len(table) != 64:
        return None
    actual = np.sort(np.asarray([int(v) for v in table], dtype=np.int64))
    errors = {q: int(np.abs(ref - actual).sum()) for q, ref in _IJG_SORTED.items()}
    return min(errors, key=lambda q: (errors[q], -q))


def resampling_score(gray: np.ndarray) -> float:
    """Strongest isolated spectral peak of the interpolation residual (peak / median), on the
    central RESAMPLE_BLOCK square. High values mean the grid was resampled."""
    h, w = gray.shape
    n = min(RESAMPLE_BLOCK, h, w) // 8 * 8
    if n < 64:
        return 0.0
    y0, x0 = (h - n) // 2, (w - n) // 2
    g = gray[y0:y0 + n, x0:x0 + n].astype(np.float64)
    # residual of a fixed linear predictor from the 8 neighbours (interpolation makes it small
    # and periodic); the map p = exp(-e^2) turns "well predicted" into a periodic pattern
    pred = (0.5 * (g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:])
            - 0.25 * (g[:-2, :-2] + g[:-2, 2:] + g[2:, :-2] + g[2:, 2:]))
    resid = g[1:-1, 1:-1] - pred
    pmap = np.exp(-(resid ** 2) / 2.0)
    pmap -= pmap.mean()
    m = pmap.shape[0]
    spec = np.abs(np.fft.fft2(pmap * np.outer(np.hanning(m), np.hanning(m))))
    spec = np.fft.fftshift(spec)
    c = m // 2
    yy, xx = np.mgrid[0:m, 0:m]
    fy, fx = (yy - c) / m, (xx - c) / m  # cycles per pixel
    radius = np.hypot(fy, fx)
    mask = radius > 0.06  # ignore the content's low frequencies
    for f in (fy, fx):  # ignore the 1/8-cycle lattice (JPEG blocks, 2x/4x/8x up-sampling)
        dist = np.abs(f * 8 - np.round(f * 8))
        mask &= dist > 8.0 / m
    vals = spec[mask]
    if vals.size == 0:
        return 0.0
    background = float(np.median(vals)) + 1e-9
    return float(vals.max() / background)


def laundering_reason(width: int, height: int, quality: int | None,
                      rgb: np.ndarray | None) -> str | None:
    """The first laundering sign found (a REASONS key), or None. rgb: H x W x 3 uint8 or None
    (only its central RESAMPLE_BLOCK square is read)."""
    if quality is not None and quality < JPEG_QUALITY_MIN:
        return "jpeg-quality"
    if min(width, height) < MIN_SIDE:
        return "small"
    if rgb is not None:
        h, w = rgb.shape[:2]
        n = min(RESAMPLE_BLOCK + 2, h, w)
        y0, x0 = (h - n) // 2, (w - n) // 2
        gray = rgb[y0:y0 + n, x0:x0 + n].astype(np.float32).mean(axis=2)
        if resampling_score(gray) >= RESAMPLE_PEAK_MIN:
            return "resampled"
    return None
