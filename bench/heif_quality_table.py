"""Re-measure the AVIF and HEIF quality tables of desktop/aigcverify/detect/heif_quality.py.

    nice -n 10 python bench/heif_quality_table.py --codec avif   # 756 s here (shared 2 cores)
    nice -n 10 python bench/heif_quality_table.py --codec heif --low 20   # 968 s (x265 is slower)

For every Kodak24 photo and every quality LOW..100 (Pillow's AVIF encoder, pillow-heif's HEIF
encoder, default settings otherwise), encode, read the quantiser with the app's own reader
(coded_quality) and print the median quantiser per quality (the table pasted into the module),
how far a leave-one-photo-out estimate lands from the true quality, and how many photo/quality
pairs at 70..90 land on the wrong side of 80.

It also prints, at each quality, two measures of loss beside JPEG and WebP at quality 80: the
mean luma PSNR against the PNG (as bench/h264_quality_equivalence.py measures it for video) and
the mean "trace correlation", the correlation between the high-pass residual (luma minus its
3x3 mean) of the photo and of the decoded copy, a stand-in for the pixel-level traces the
detector reads. For each it gives the lowest quality that keeps as much as JPEG 80 does: the
encoders' quality scales are not JPEG's, and this is where "as lossy as the JPEG cut" falls on
each (heif_quality.JPEG80_QUANTISER).
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import numpy as np
from PIL import AvifImagePlugin, Image, features

from aigcverify.detect.heif_quality import coded_quality, quality_for_quantiser
from luma import luma, luma_psnr

KODAK = (Path(__file__).resolve().parents[2] / "shared" / "data" / "detector" / "dev-eval"
         / "real-kodak24")
CUT = 80  # quality 80 on the encoder's own scale: how often an estimate lands across it
FORMATS = {"avif": "AVIF", "heif": "HEIF"}


def _residual(rgb: np.ndarray) -> np.ndarray:
    """Luma minus its 3x3 mean: the fine texture and noise that re-compression removes first."""
    y = luma(rgb)
    padded = np.pad(y, 1, mode="edge")
    mean = sum(padded[dy:dy + y.shape[0], dx:dx + y.shape[1]]
               for dy in range(3) for dx in range(3)) / 9.0
    return y - mean


def _trace(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = _residual(a).ravel(), _residual(b).ravel()
    return float(ra @ rb / np.sqrt((ra @ ra) * (rb @ rb)))


def _encode(rgb: Image.Image, fmt: str, quality: int) -> tuple[bytes, np.ndarray]:
    buf = io.BytesIO()
    rgb.save(buf, fmt, quality=quality)
    data = buf.getvalue()
    with Image.open(io.BytesIO(data)) as im:
        return data, np.asarray(im.convert("RGB"))


def measure(paths: list[Path], fmt: str, qualities: range
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(quantiser, PSNR, trace correlation) per photo and quality."""
    quantisers = np.zeros((len(paths), len(qualities)))
    psnr = np.zeros_like(quantisers)
    trace = np.zeros_like(quantisers)
    for i, path in enumerate(paths):
        with Image.open(path) as im:
            rgb = im.convert("RGB")
        source = np.asarray(rgb)
        for j, quality in enumerate(qualities):
            data, decoded = _encode(rgb, fmt, quality)
            result = coded_quality(data)
            if result is None:
                raise SystemExit(f"{path.name} at quality {quality}: quantiser not read")
            quantisers[i, j] = result.quantiser
            psnr[i, j] = luma_psnr(source, decoded)
            trace[i, j] = _trace(source, decoded)
    return quantisers, psnr, trace


def reference(paths: list[Path], fmt: str, quality: int) -> tuple[float, float]:
    """Mean (PSNR, trace correlation) of the photos saved in `fmt` at `quality`."""
    values = []
    for path in paths:
        with Image.open(path) as im:
            rgb = im.convert("RGB")
        source, decoded = np.asarray(rgb), _encode(rgb, fmt, quality)[1]
        values.append((luma_psnr(source, decoded), _trace(source, decoded)))
    return tuple(np.mean(values, axis=0))  # type: ignore[return-value]


def _leave_one_out(qualities: range, m: np.ndarray) -> None:
    errors = np.zeros_like(m, dtype=int)
    for i in range(m.shape[0]):
        loo = np.median(np.delete(m, i, axis=0), axis=0)
        padded = [float("inf")] * 101  # the module's tables are indexed by quality 0..100
        for j, q in enumerate(qualities):
            padded[q] = loo[j]
        errors[i] = [quality_for_quantiser(m[i, j], padded) - q for j, q in enumerate(qualities)]
    print(f"  leave-one-out |error|: median {np.median(np.abs(errors)):.0f}, "
          f"max {np.abs(errors).max()} quality points")
    near = [j for j, q in enumerate(qualities) if 70 <= q <= 90]
    truth = np.array([qualities[j] for j in near])
    estimates = truth + errors[:, near]
    crossed = int(((estimates < CUT) != (truth < CUT)).sum())
    print(f"  photo/quality pairs at 70..90 put on the wrong side of {CUT}: "
          f"{crossed} of {estimates.size}")


def report(name: str, qualities: range, m: np.ndarray, psnr: np.ndarray, trace: np.ndarray,
           references: dict[str, tuple[float, float]]) -> None:
    table = np.median(m, axis=0)
    print(f"{name}: {m.shape[0]} photos, qualities {qualities.start}..{qualities.stop - 1}")
    print(f"  quantiser spread over photos at one quality: max {np.ptp(m, axis=0).max():.0f}")
    for start in range(0, len(qualities), 10):
        q0 = qualities[start]
        print(f"  {q0:3d}..: " + ", ".join(f"{v:g}" for v in table[start:start + 10]))
    if qualities.step != 1 or m.shape[0] < 2:
        print("  (leave-one-out errors need every quality and at least two photos)")
    else:
        _leave_one_out(qualities, m)
    measures = (("PSNR", psnr, 0, " dB"), ("trace correlation", trace, 1, ""))
    for label, values, column, unit in measures:
        mean = values.mean(axis=0)
        print(f"  mean {label} by quality: " + ", ".join(
            f"{q}:{v:.3f}" for q, v in zip(qualities, mean) if q % 5 == 0))
        for ref_name, ref in references.items():
            reaching = [j for j, v in enumerate(mean) if v >= ref[column]]
            where = (f"quality {qualities[reaching[0]]} (quantiser {table[reaching[0]]:g})"
                     if reaching else "none")
            print(f"    {ref_name} keeps {label} {ref[column]:.3f}{unit}: lowest {name} "
                  f"quality keeping as much: {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codec", choices=[*FORMATS, "both"], default="both")
    parser.add_argument("--low", type=int, default=0, help="lowest quality measured")
    parser.add_argument("--photos", type=int, default=24, help="use the first N photos")
    parser.add_argument("--step", type=int, default=1, help="quality step (the tables need 1)")
    args = parser.parse_args()
    import pillow_heif  # noqa: PLC0415 - only this bench and the app's decoder need it

    pillow_heif.register_heif_opener()
    paths = sorted(KODAK.glob("*.png"))[:args.photos]
    print(f"Pillow AVIF: {features.version('avif')} ({AvifImagePlugin._avif.codec_versions()}); "
          f"pillow-heif {pillow_heif.__version__}, libheif {pillow_heif.libheif_version()}")
    references = {f"{fmt} {CUT}": reference(paths, fmt, CUT) for fmt in ("JPEG", "WEBP")}
    qualities = range(args.low, 101, args.step)
    for codec in FORMATS if args.codec == "both" else [args.codec]:
        start = time.monotonic()
        m, psnr, trace = measure(paths, FORMATS[codec], qualities)
        report(codec, qualities, m, psnr, trace, references)
        print(f"  {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
