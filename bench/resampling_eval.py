"""Measure the resampling (up-scaling) check of aigcverify.detect.resampling.

    python bench/resampling_eval.py [--quick] [--threshold X] [--copies N] [--natives N]

Prints numbers only (no assertions):
  1. NATIVE real photos (every source of models/train/common.py: training, calibration and
     held-back), as the files are: the fraction flagged per source (false positives, if the
     files themselves were never resized: some were, see the list of flagged files).
  2. ENLARGED copies of the calibration and held-back photos: factors 1.1 .. 4 with Pillow
     BILINEAR, BICUBIC and LANCZOS. To bound memory and time the copy is made from a centre
     crop of the source of ceil(1536 / factor) + 2 pixels a side, so that the enlarged copy is
     at most 1536 pixels a side (then cut to 1536). Detection rate per factor and kernel.
  3. SHRUNK copies (0.5, 0.75, 0.9, Lanczos, whole picture): the rate (expected low).
  4. The same copies after a JPEG quality 90 re-save.
  5. Dev-eval AI pictures: the Kolors repo files as they are (each one flagged would make the
     app say "inconclusive") and the Fooocus 128-px thumbnails enlarged to 512 with Lanczos,
     also followed by JPEG quality 90 (bench/detector_eval.py's "resize512" condition).
  6. Time per picture (mean, max) and a threshold sweep.

Samples: native photos all files of each source (default; --natives N caps them); resized copies
at most --copies (default 60) files per source, a fixed-seed sample. --quick: 8 natives and 3
copies per source. --threshold X adds the tables for a candidate threshold X (the module's
THRESHOLD is always shown; the half-line score is scaled so that one threshold covers both).
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "models" / "train"))

from common import (CALIB_SOURCES, DEV_AI_SOURCES, HOLDOUT_SOURCES, SEED,  # noqa: E402
                    TRAIN_SOURCES, load_rgb, source_files)

from aigcverify.detect.resampling import THRESHOLD, resampling_evidence  # noqa: E402

Image.MAX_IMAGE_PIXELS = 60_000_000

UP_FACTORS = (1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)
DOWN_FACTORS = (0.5, 0.75, 0.9)
KERNELS = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC,
           "lanczos": Image.Resampling.LANCZOS}
CAP = 1536  # enlarged copies are at most this many pixels a side
JPEG_QUALITY = 90
MAIN_FACTORS = (1.25, 1.5, 1.75, 2.0, 2.5, 3.0)  # the headline: 1.25x-3x bilinear/bicubic
SWEEP = (8.0, 10.0, 12.0, 14.0, 16.0, 20.0, 25.0)
FLAT = "(one-colour pictures)"


def sample(files: list[Path], limit: int, rng: np.random.Generator) -> list[Path]:
    if limit and len(files) > limit:
        return [files[i] for i in sorted(rng.choice(len(files), limit, replace=False))]
    return files


def enlarge(rgb: np.ndarray, factor: float, kernel: str) -> np.ndarray:
    h, w, _ = rgb.shape
    side = math.ceil(CAP / factor) + 2
    ch, cw = min(h, side), min(w, side)
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    crop = Image.fromarray(np.ascontiguousarray(rgb[y0:y0 + ch, x0:x0 + cw]))
    out = crop.resize((round(cw * factor), round(ch * factor)), KERNELS[kernel])
    return np.asarray(out)[:CAP, :CAP]


def shrink(rgb: np.ndarray, factor: float) -> np.ndarray:
    h, w, _ = rgb.shape
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))


def jpeg(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"))


class Timer:
    """Time of each resampling_evidence call, by picture size class."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = defaultdict(list)

    def run(self, rgb: np.ndarray):
        started = time.perf_counter()
        ev = resampling_evidence(rgb)
        ms = (time.perf_counter() - started) * 1000
        px = rgb.shape[0] * rgb.shape[1]
        size = "<=0.5 MP" if px <= 500_000 else "<=2.5 MP" if px <= 2_500_000 else ">2.5 MP"
        self.ms[size].append(ms)
        self.ms["all"].append(ms)
        return ev


def rate(scores: list[float], thr: float) -> float:
    return float(np.mean(np.asarray(scores) >= thr)) if scores else float("nan")


def native_rows(sources, limit: int, rng, timer: Timer) -> tuple[dict, dict]:
    """Per source: rows (score, name, evidence) of the files as they are, and of the same files
    re-saved as JPEG (a re-save must not make a photo look enlarged)."""
    out, resaved = {}, {}
    for src in sources:
        files = sample(source_files(src), limit, rng)
        rows, rows_jpeg = [], []
        for path in files:
            rgb = load_rgb(path)
            ev = timer.run(rgb)
            rows.append((ev.score, path.name, ev))
            ev = resampling_evidence(jpeg(rgb))
            rows_jpeg.append((ev.score, path.name, ev))
        out[src.name], resaved[src.name] = rows, rows_jpeg
        print(f"  natives {src.name}: {len(rows)} files", file=sys.stderr, flush=True)
    return out, resaved


def copy_scores(sources, limit: int, rng, timer: Timer) -> tuple[dict, dict, int]:
    """({(kind, factor, kernel, jpeg?): [score]}, the same per source, number of files)."""
    scores: dict[tuple, list[float]] = defaultdict(list)
    by_source: dict[tuple, list[float]] = defaultdict(list)
    count = 0
    for src in sources:
        files = sample(source_files(src), limit, rng)
        for path in files:
            rgb = load_rgb(path)
            count += 1
            # a one-colour picture (some wallpapers, or transparent ones composited on white)
            # has nothing to resample: its copies are counted apart as well
            name = FLAT if float(rgb.std()) < 1.0 else src.name
            variants = [("up", f, k, enlarge(rgb, f, k)) for f in UP_FACTORS for k in KERNELS]
            variants += [("down", f, "lanczos", shrink(rgb, f)) for f in DOWN_FACTORS]
            for kind, factor, kernel, copy in variants:
                for jpg, pixels in ((False, copy), (True, jpeg(copy))):
                    score = timer.run(pixels).score
                    scores[(kind, factor, kernel, jpg)].append(score)
                    by_source[(name, kind, factor, kernel, jpg)].append(score)
        print(f"  copies {src.name}: {len(files)} files", file=sys.stderr, flush=True)
    return scores, by_source, count


def ai_scores(limit: int, rng, timer: Timer) -> dict[str, list[tuple[float, str, object]]]:
    out: dict[str, list] = defaultdict(list)
    kolors, fooocus = DEV_AI_SOURCES
    for path in sample(source_files(kolors, min_side=64), limit, rng):
        ev = timer.run(load_rgb(path))
        out["kolors native"].append((ev.score, path.name, ev))
    for path in sample(source_files(fooocus, min_side=64), limit, rng):
        rgb = load_rgb(path)
        ev = timer.run(rgb)
        out["fooocus native (128 px)"].append((ev.score, path.name, ev))
        h, w, _ = rgb.shape
        s = 512 / min(h, w)
        size = (round(w * s), round(h * s))
        big = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))
        ev = timer.run(big)
        out["fooocus 512 lanczos"].append((ev.score, path.name, ev))
        ev = timer.run(jpeg(big))
        out["fooocus 512 lanczos + jpeg90 (resize512)"].append((ev.score, path.name, ev))
    print("  AI sources done", file=sys.stderr, flush=True)
    return out


def describe(ev) -> str:
    cands = "/".join(f"{f:g}" for f in ev.factor_candidates)
    return f"{ev.score:.1f} ({ev.line}, f={ev.frequency}, factor {cands})"


def print_natives(natives: dict, thr: float, groups: dict[str, set[str]],
                  title: str = "native real photos") -> None:
    print(f"-- {title}, threshold {thr:g}: flagged / files (rate), max score")
    for name, rows in natives.items():
        scores = [r[0] for r in rows]
        flagged = sorted((r for r in rows if r[0] >= thr), key=lambda r: -r[0])
        print(f"  {name:28s} {len(flagged):3d} / {len(rows):4d} ({rate(scores, thr):6.2%})  "
              f"max {max(scores):7.2f}")
        for score, fname, ev in flagged[:6]:
            print(f"      {fname}: {describe(ev)}")
        if len(flagged) > 6:
            print(f"      ... and {len(flagged) - 6} more")
    for label, names in groups.items():
        scores = [r[0] for n in names for r in natives.get(n, [])]
        flagged = sum(s >= thr for s in scores)
        print(f"  pooled {label:21s} {flagged:3d} / {len(scores):4d} ({rate(scores, thr):6.2%})")


def print_copies(scores: dict, by_source: dict, thr: float, count: int) -> None:
    print(f"-- resized copies of {count} calibration + held-back photos, threshold {thr:g}: "
          "detection rate")
    head = "  ".join(f"{f:>5g}" for f in UP_FACTORS)
    print(f"  {'enlarged':22s} {head}   1.25-3x")
    for jpg in (False, True):
        for kernel in KERNELS:
            cells = [rate(scores[("up", f, kernel, jpg)], thr) for f in UP_FACTORS]
            main = [s for f in MAIN_FACTORS for s in scores[("up", f, kernel, jpg)]]
            label = f"{kernel}{' + jpeg90' if jpg else ''}"
            print(f"  {label:22s} " + "  ".join(f"{c:5.2f}" for c in cells)
                  + f"   {rate(main, thr):5.3f}")
    for jpg in (False, True):
        main = [s for f in MAIN_FACTORS for k in ("bilinear", "bicubic")
                for s in scores[("up", f, k, jpg)]]
        print(f"  1.25x-3x bilinear+bicubic{' + jpeg90' if jpg else ''}: {rate(main, thr):.3f} "
              f"(n={len(main)})")
    print("  1.25x-3x bilinear+bicubic by source (no re-save / jpeg90):")
    for name in sorted({key[0] for key in by_source}):
        cells = []
        for jpg in (False, True):
            main = [s for f in MAIN_FACTORS for k in ("bilinear", "bicubic")
                    for s in by_source[(name, "up", f, k, jpg)]]
            cells.append(rate(main, thr))
        n = len(by_source[(name, "up", MAIN_FACTORS[0], "bilinear", False)])
        print(f"    {name:28s} n={n:3d}  {cells[0]:5.3f} / {cells[1]:5.3f}")
    cells = []
    for jpg in (False, True):
        main = [s for (name, kind, f, k, j), v in by_source.items() for s in v
                if name != FLAT and kind == "up" and f in MAIN_FACTORS
                and k in ("bilinear", "bicubic") and j == jpg]
        cells.append(rate(main, thr))
    print(f"    {'all but one-colour pictures':28s}        {cells[0]:5.3f} / {cells[1]:5.3f}")
    head = "  ".join(f"{f:>5g}" for f in DOWN_FACTORS)
    print(f"  {'shrunk (lanczos)':22s} {head}")
    for jpg in (False, True):
        cells = [rate(scores[("down", f, "lanczos", jpg)], thr) for f in DOWN_FACTORS]
        label = "lanczos" + (" + jpeg90" if jpg else "")
        print(f"  {label:22s} " + "  ".join(f"{c:5.2f}" for c in cells))


def print_ai(ai: dict, thr: float) -> None:
    print(f"-- dev-eval AI pictures, threshold {thr:g}: flagged (each would be 'inconclusive')")
    for label, rows in ai.items():
        scores = [r[0] for r in rows]
        flagged = sum(s >= thr for s in scores)
        print(f"  {label:42s} {flagged:3d} / {len(rows):3d} ({rate(scores, thr):6.2%})")
        if label == "kolors native":
            for score, fname, ev in sorted((r for r in rows if r[0] >= thr), key=lambda r: -r[0]):
                print(f"      {fname}: {describe(ev)}")


def print_sweep(natives: dict, scores: dict, ai: dict, groups: dict[str, set[str]]) -> None:
    print("-- threshold sweep: native FPR (pooled, worst source), enlargement detection, "
          "Kolors flagged")
    print("  thr    FPR all  FPR train+cal  worst source         1.25-3x  +jpeg90   1.1x  +jpeg90"
          "  Kolors")
    for thr in SWEEP:
        all_native = [r[0] for rows in natives.values() for r in rows]
        tc = [r[0] for n in groups["train+calibration"] for r in natives.get(n, [])]
        worst = max(natives, key=lambda n: rate([r[0] for r in natives[n]], thr))
        main = {j: [s for f in MAIN_FACTORS for k in ("bilinear", "bicubic")
                    for s in scores[("up", f, k, j)]] for j in (False, True)}
        small = {j: [s for k in ("bilinear", "bicubic") for s in scores[("up", 1.1, k, j)]]
                 for j in (False, True)}
        kol = [r[0] for r in ai["kolors native"]]
        print(f"  {thr:5.1f}  {rate(all_native, thr):7.2%}  {rate(tc, thr):13.2%}  "
              f"{worst[:14]:14s} {rate([r[0] for r in natives[worst]], thr):5.1%}  "
              f"{rate(main[False], thr):7.3f}  {rate(main[True], thr):7.3f}  "
              f"{rate(small[False], thr):5.2f}  {rate(small[True], thr):7.2f}  "
              f"{rate(kol, thr):6.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="a small subset (8 natives, 3 copies per source)")
    ap.add_argument("--threshold", type=float,
                    help="also print the tables for this candidate threshold")
    ap.add_argument("--copies", type=int, default=60,
                    help="source files per source for resized copies")
    ap.add_argument("--natives", type=int, default=0, help="native files per source (0: all)")
    args = ap.parse_args()
    natives_limit, copies_limit = (8, 3) if args.quick else (args.natives, args.copies)
    rng = np.random.default_rng(SEED)
    timer = Timer()
    started = time.perf_counter()

    natives, natives_jpeg = native_rows(TRAIN_SOURCES + CALIB_SOURCES + HOLDOUT_SOURCES,
                                        natives_limit, rng, timer)
    scores, by_source, count = copy_scores(CALIB_SOURCES + HOLDOUT_SOURCES, copies_limit, rng,
                                           timer)
    ai = ai_scores(0 if not args.quick else 10, rng, timer)
    groups = {"train+calibration": {s.name for s in TRAIN_SOURCES + CALIB_SOURCES},
              "held-back": {s.name for s in HOLDOUT_SOURCES},
              "all": set(natives)}

    print("Resampling (up-scaling) check: aigcverify.detect.resampling")
    print(f"module THRESHOLD {THRESHOLD:g}; seed {SEED}; natives: "
          f"{'all files' if not natives_limit else f'at most {natives_limit} files'} per source; "
          f"resized copies: at most {copies_limit} files per source (fixed-seed sample), "
          f"enlarged copies from a centre crop, at most {CAP} px a side; "
          f"JPEG quality {JPEG_QUALITY}")
    for thr in [THRESHOLD] + ([args.threshold] if args.threshold is not None else []):
        print()
        print(f"==== threshold {thr:g} ====")
        print_natives(natives, thr, groups)
        print_natives(natives_jpeg, thr, groups,
                      f"the same photos re-saved as JPEG quality {JPEG_QUALITY}")
        print_copies(scores, by_source, thr, count)
        print_ai(ai, thr)
    print()
    print_sweep(natives, scores, ai, groups)
    print()
    print("-- time per resampling_evidence call (ms), by picture size")
    for size, ms in sorted(timer.ms.items()):
        print(f"  {size:9s} n={len(ms):5d}  mean {np.mean(ms):6.1f}  "
              f"p99 {np.percentile(ms, 99):6.1f}  max {np.max(ms):6.1f}")
    print(f"total run time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
