"""Re-measure the WebP quality table of desktop/aigcverify/detect/webp_quality.py.

    python bench/webp_quality_table.py

For every Kodak24 photo and every libwebp quality 0..100 (Pillow's encoder, default method),
encode, parse the VP8 header with the app's own reader, and print the median quantiser per
quality (the QUALITY_QUANTISER table) plus how far a leave-one-photo-out estimate lands from
the true quality: the numbers behind "within about 2 quality points".
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, features

from aigcverify.detect.webp_quality import quality_for_quantiser, webp_quantiser

KODAK = Path(__file__).resolve().parents[2] / "shared" / "data" / "detector" / "dev-eval" / "real-kodak24"


def quantisers(path: Path) -> list[float]:
    with Image.open(path) as im:
        rgb = im.convert("RGB")
    row = []
    for quality in range(101):
        buf = io.BytesIO()
        rgb.save(buf, "WEBP", quality=quality)
        row.append(float(webp_quantiser(buf.getvalue())))
    return row


def main() -> None:
    photos = sorted(KODAK.glob("*.png"))
    m = np.array([quantisers(p) for p in photos])
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
    near = errors[:, 70:91]
    truth = np.arange(70, 91)
    crossed = int((((truth + near) < 80) != (truth < 80)).sum())
    print(f"photo/quality pairs at 70..90 put on the wrong side of 80: {crossed} of {near.size}")


if __name__ == "__main__":
    main()
