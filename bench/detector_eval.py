"""Evaluate the shipped generation-trace detector by source, under three conditions.

    python bench/detector_eval.py [--out FILE] [--write-manifest] [--boot 1000]

Sources: the dev-eval AI folders (never trained on), the held-back real photo sources (Kodak24
and Debian packages no training or calibration step saw) and, for reference, the calibration
sources. Conditions, applied alike to both classes:
    native        the files as they are
    jpeg90        decoded and re-encoded as JPEG quality 90
    resize512     short side scaled to 512 (Lanczos), then JPEG quality 90
Per AI source: ROC-AUC against all held-back real photos pooled (bootstrap 95% interval), TPR
at 5% FPR (threshold set on the pooled real scores of that condition), TPR at the shipped
threshold. Per real source: FPR at the shipped "suspected" and "high" thresholds. Also: how
often the laundering check forces "inconclusive", strict watermark hits, and time per image.
Scores come from the app's own code path (aigcverify.detect) and the shipped ONNX model.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "models" / "train"))

from common import CALIB_SOURCES, DEV_AI_SOURCES, HOLDOUT_SOURCES, source_files  # noqa: E402

from aigcverify.detect.image import decode_image  # noqa: E402
from aigcverify.detect.laundering import jpeg_quality, laundering_reason  # noqa: E402
from aigcverify.detect.resampling import resampling_evidence  # noqa: E402
from aigcverify.detect.manifest import calibrate, load_manifest  # noqa: E402
from aigcverify.detect.scoring import score_pixels  # noqa: E402
from aigcverify.detect.session import get_session  # noqa: E402
from aigcverify.detect.watermark import decode_marks  # noqa: E402

CONDITIONS = ("native", "jpeg90", "resize512")
Image.MAX_IMAGE_PIXELS = 60_000_000


def _jpeg(rgb: np.ndarray, quality: int) -> tuple[np.ndarray, int | None]:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB")), jpeg_quality(im.quantization)


def _resize_short(rgb: np.ndarray, side: int) -> np.ndarray:
    h, w, _ = rgb.shape
    s = side / min(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))


def variants(path: Path):
    decoded = decode_image(str(path))
    yield "native", decoded.rgb, decoded.jpeg_quality
    yield ("jpeg90", *_jpeg(decoded.rgb, 90))
    yield ("resize512", *_jpeg(_resize_short(decoded.rgb, 512), 90))


def auc(neg: np.ndarray, pos: np.ndarray) -> float:
    neg = np.sort(neg)
    less = np.searchsorted(neg, pos, side="left")
    less_eq = np.searchsorted(neg, pos, side="right")
    return float((less + 0.5 * (less_eq - less)).sum() / (len(pos) * len(neg)))


def auc_ci(neg: np.ndarray, pos: np.ndarray, boot: int, rng: np.random.Generator) -> tuple[float, float]:
    vals = [auc(rng.choice(neg, len(neg)), rng.choice(pos, len(pos))) for _ in range(boot)]
    return float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))


def score_sources(sources, info, session, min_side: int, kind: str, marks: dict) -> dict:
    out = {}
    for src in sources:
        rows = {c: {"score": [], "laundered": []} for c in CONDITIONS}
        files = source_files(src, min_side=min_side)
        started = time.perf_counter()
        for path in files:
            for cond, rgb, quality in variants(path):
                fs = score_pixels(info, session, rgb)
                h, w, _ = rgb.shape
                rows[cond]["score"].append(calibrate(info, fs.logit))
                resized = resampling_evidence(rgb).resized
                rows[cond]["laundered"].append(laundering_reason(w, h, quality, resized=resized))
                if cond == "native":
                    marks.setdefault(kind, {}).setdefault(src.name, 0)
                    marks[kind][src.name] += len(decode_marks(rgb))
        per_image = (time.perf_counter() - started) / max(1, len(files)) / len(CONDITIONS)
        out[src.name] = {"count": len(files), "ms_per_image": round(per_image * 1000, 1), **rows}
        print(f"  scored {src.name}: {len(files)} files", file=sys.stderr, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, help="also write the report here")
    ap.add_argument("--write-manifest", action="store_true", help="store the figures in the manifest")
    ap.add_argument("--boot", type=int, default=1000)
    args = ap.parse_args()
    info = load_manifest()
    session, provider = get_session(info, "auto")
    rng = np.random.default_rng(7)
    marks: dict = {}
    ai = score_sources(DEV_AI_SOURCES, info, session, 64, "ai", marks)
    real = score_sources(HOLDOUT_SOURCES, info, session, 256, "real", marks)
    calib = score_sources(CALIB_SOURCES, info, session, 256, "calibration", marks)

    lines = [f"Detector evaluation: {info.label} (sha256 {info.sha256[:16]}...), provider {provider}",
             f"thresholds: suspected {info.threshold:.4f} (5% FPR on calibration photos), "
             f"high {info.high_threshold:.4f} (1%)", ""]
    summary: dict = {"model": info.label, "conditions": list(CONDITIONS), "ai": {}, "real": {},
                     "calibration_sources": {}, "watermark_hits": marks}
    for cond in CONDITIONS:
        pooled = np.array([s for r in real.values() for s in r[cond]["score"]])
        thr5 = float(np.quantile(pooled, 0.95, method="higher"))
        lines.append(f"== condition: {cond} (real pooled n={len(pooled)}) ==")
        lines.append(f"{'AI source':<22}{'n':>5}{'AUC':>8}{'95% CI':>17}{'TPR@5%FPR':>11}"
                     f"{'TPR@thr':>9}{'laundered':>11}")
        for name, r in ai.items():
            pos = np.array(r[cond]["score"])
            a = auc(pooled, pos)
            lo, hi = auc_ci(pooled, pos, args.boot, rng)
            tpr5 = float((pos > thr5).mean())
            tpr_thr = float((pos >= info.threshold).mean())
            laund = float(np.mean([x is not None for x in r[cond]["laundered"]]))
            lines.append(f"{name:<22}{len(pos):>5}{a:>8.3f}   [{lo:.3f}, {hi:.3f}]{tpr5:>11.3f}"
                         f"{tpr_thr:>9.3f}{laund:>11.2f}")
            summary["ai"].setdefault(name, {})[cond] = {
                "n": len(pos), "auc": round(a, 4), "auc_ci95": [round(lo, 4), round(hi, 4)],
                "tpr_at_5pct_fpr": round(tpr5, 4), "tpr_at_threshold": round(tpr_thr, 4),
                "laundered_share": round(laund, 4)}
        lines.append(f"{'real source':<26}{'n':>5}{'FPR@thr':>9}{'FPR@high':>10}{'laundered':>11}")
        for group, table in (("real", real), ("calibration_sources", calib)):
            for name, r in table.items():
                neg = np.array(r[cond]["score"])
                fpr = float((neg >= info.threshold).mean())
                fpr_hi = float((neg >= info.high_threshold).mean())
                laund = float(np.mean([x is not None for x in r[cond]["laundered"]]))
                tag = name + (" (calib)" if group != "real" else "")
                lines.append(f"{tag:<26}{len(neg):>5}{fpr:>9.3f}{fpr_hi:>10.3f}{laund:>11.2f}")
                summary[group].setdefault(name, {})[cond] = {
                    "n": len(neg), "fpr_at_threshold": round(fpr, 4),
                    "fpr_at_high": round(fpr_hi, 4), "laundered_share": round(laund, 4)}
        lines.append("")
    lines.append("strict watermark hits on native files: " + json.dumps(marks))
    times = {n: r["ms_per_image"] for t in (ai, real, calib) for n, r in t.items()}
    lines.append("mean ms per image (decode excluded for re-encoded variants, incl. watermark "
                 "decode): " + json.dumps(times))
    report = "\n".join(lines)
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")
    if args.write_manifest:
        man_path = info.path.parent / "manifest.json"
        manifest = json.loads(man_path.read_text(encoding="utf-8"))
        manifest["evaluation"] = summary
        man_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
