"""Re-measure the WebP quality table of desktop/aigcverify/detect/webp_quality.py.

    python bench/webp_quality_table.py

For every Kodak24 photo and every libwebp quality 0..100 (Pillow's encoder, default method),
encode, parse the VP8 header with the app's own reader, and print the median quantiser per
quality (the QUALITY_QUANTISER table) plus how far a leave-one-photo-out estimate lands from
the true quality: the numbers behind "within about 2 quality points". Then the cut the
laundering check uses (WEBP_QUALITY_MIN): the lowest WebP quality whose mean luma PSNR on these
photos is at least that of JPEG quality 80, so that every codec is cut where it loses as much
as JPEG 80.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, features

from aigcverify.detect.laundering import JPEG_QUALITY_MIN, WEBP_QUALITY_MIN
from aigcverify.detect.webp_quality import quality_for_quantiser, webp_quantiser
from luma import luma_psnr

KODAK = Path(__file__).resolve().parents[2] / "shared" / "data" / "detector" / "dev-eval" / "real-kodak24"


def roundtrip(rgb: Image.Image, fmt: str, quality: int) -> tuple[bytes, Image.Image]:
    buf = io.BytesIO()
    rgb.save(buf, fmt, quality=quality)
    with Image.open(io.BytesIO(buf.getvalue())) as im:
        return buf.getvalue(), im.convert("RGB")


def measure(path: Path) -> tuple[list[float], list[float], float]:
    """(quantiser per WebP quality, luma PSNR per WebP quality, luma PSNR of JPEG 80)."""
    with Image.open(path) as im:
        rgb = im.convert("RGB")
    quantiser, psnr = [], []
    for quality in range(101):
        data, decoded = roundtrip(rgb, "WEBP", quality)
        quantiser.append(float(webp_quantiser(data)))
        psnr.append(luma_psnr(rgb, decoded))
    return quantiser, psnr, luma_psnr(rgb, roundtrip(rgb, "JPEG", JPEG_QUALITY_MIN)[1])


def main() -> None:
    photos = sorted(KODAK.glob("*.png"))
    rows = [measure(p) for p in photos]
    m = np.array([r[0] for r in rows])
    table = np.median(m, axis=0)
    print(f"libwebp {features.version('webp')}, {len(photos)} photos")
    for start in range(0, 101, 10):
        print(f"  {start:3d}..: " + ", ".join(f"{v:.1f}" for v in table[start:start + 10]))
    errors = np.zeros_like(m, dtype=int)
    for i in range(len(photos)):
        loo = np.median(np.delete(m, i, axis=0), axis=0)
        errors[i] = [quality_for_quantiser(m[i, q], loo) - q for q in range(101)]
    print(f"leave-one-out |error|: median {np.median(np.abs(errors)):.0f}, "
          f"max {np.abs(errors).max()} quality points")
    cut = WEBP_QUALITY_MIN
    near = errors[:, cut - 10:cut + 11]
    truth = np.arange(cut - 10, cut + 11)
    crossed = int((((truth + near) < cut) != (truth < cut)).sum())
    print(f"photo/quality pairs at {cut - 10}..{cut + 10} put on the wrong side of {cut} "
          f"(WEBP_QUALITY_MIN): {crossed} of {near.size}")
    psnr = np.mean([r[1] for r in rows], axis=0)
    jpeg = float(np.mean([r[2] for r in rows]))
    equivalent = int(np.argmax(psnr >= jpeg))
    print(f"mean luma PSNR: JPEG q{JPEG_QUALITY_MIN} {jpeg:.2f} dB; WebP " + ", ".join(
        f"q{q} {psnr[q]:.2f}" for q in range(60, 91, 4)))
    print(f"lowest WebP quality keeping as much as JPEG q{JPEG_QUALITY_MIN}: {equivalent} "
          f"(WEBP_QUALITY_MIN is {WEBP_QUALITY_MIN})")


if __name__ == "__main__":
    main()
