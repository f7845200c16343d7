"""Step 4: calibration (Platt scaling) and thresholds, through the app's own scoring code.

  * Platt scaling: image logits of the calibration crops (real crops of sources the gradient
    never saw, and their simulated fakes) -> p = sigmoid(a * logit + b), fitted by maximum
    likelihood.
  * Thresholds on real photos only: the calibrated scores of the whole calibration pictures
    (native files, as the app reads them); "suspected" at their 95th percentile (5% false
    positives), "high" at their 99th (1%).

The exported ONNX model is run by aigcverify.detect exactly as in the app (patch selection,
batching, aggregation), so the thresholds mean the same thing there.

    python models/train/calibrate.py
"""

from __future__ import annotations

import json
import math

import numpy as np

from common import CACHE, CALIB_SOURCES, ROOT, source_files
from export import MODEL_DIR, NAME


def fit_platt(logits: np.ndarray, labels: np.ndarray, iters: int = 200) -> tuple[float, float]:
    """Newton's method on the 2-parameter logistic likelihood (tiny ridge for stability)."""
    a, b = 1.0, 0.0
    x = np.stack([logits, np.ones_like(logits)], axis=1)
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(a * logits + b)))
        grad = x.T @ (p - labels) + 1e-6 * np.array([a, b])
        w = p * (1 - p)
        hess = (x * w[:, None]).T @ x + 1e-6 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-10:
            break
    return float(a), float(b)


def main() -> None:
    from aigcverify.detect.image import decode_image
    from aigcverify.detect.manifest import load_manifest
    from aigcverify.detect.scoring import score_pixels
    from aigcverify.detect.session import get_session

    info = load_manifest(NAME, ROOT / "models")
    session, provider = get_session(info, "cpu")
    crops_real = np.load(CACHE / "calib_real.npy")
    crops_fake = np.load(CACHE / "calib_fake.npy")
    z_real = np.array([score_pixels(info, session, c).logit for c in crops_real])
    z_fake = np.array([score_pixels(info, session, c).logit for c in crops_fake])
    logits = np.concatenate([z_real, z_fake])
    labels = np.concatenate([np.zeros(len(z_real)), np.ones(len(z_fake))])
    a, b = fit_platt(logits, labels)
    print(f"platt a={a:.4f} b={b:.4f} on {len(z_real)}+{len(z_fake)} crops", flush=True)

    per_source: dict[str, list[float]] = {}
    for src in CALIB_SOURCES:
        for path in source_files(src):
            rgb = decode_image(str(path)).rgb
            per_source.setdefault(src.name, []).append(score_pixels(info, session, rgb).logit)
    image_logits = np.array([z for zs in per_source.values() for z in zs])
    scores = np.array([1 / (1 + math.exp(-(a * z + b))) for z in image_logits])
    suspected = float(np.quantile(scores, 0.95, method="higher"))
    high = float(np.quantile(scores, 0.99, method="higher"))
    high = max(high, suspected)
    man_path = MODEL_DIR / "manifest.json"
    manifest = json.loads(man_path.read_text())
    manifest["calibration"] = {
        "method": "platt", "a": round(a, 6), "b": round(b, 6),
        "fitted_on": {"real_crops": int(len(z_real)), "fake_crops": int(len(z_fake)),
                      "crop": int(crops_real.shape[1]), "sources": [s.name for s in CALIB_SOURCES],
                      "fakes": "simulated (TAEF2 and the four up-sampling simulators)"},
        "note": "a probability under the simulated-fake training distribution, not a frequency "
                "on real-world generators",
    }
    # thresholds rounded up so that the measured false-positive share never grows by rounding
    manifest["thresholds"] = {
        "suspected": round(math.ceil(suspected * 1e4) / 1e4 + 1e-4, 4),
        "high": round(math.ceil(high * 1e4) / 1e4 + 1e-4, 4),
        "chosen_on": {"images": int(len(scores)),
                      "sources": {k: len(v) for k, v in per_source.items()},
                      "rule": "suspected: 95th percentile of real-photo scores (5% FPR); "
                              "high: 99th percentile (1% FPR)"},
        "calib_real_fpr": {
            "at_suspected": float((scores >= suspected + 1e-4).mean()),
            "at_high": float((scores >= high + 1e-4).mean()),
        },
    }
    manifest["calibration"]["provider"] = provider
    man_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(manifest["thresholds"], indent=2), flush=True)


if __name__ == "__main__":
    main()
