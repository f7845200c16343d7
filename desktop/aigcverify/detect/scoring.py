"""From pixels to a detector result: patches -> logits -> calibrated score -> band.

One picture (or video frame) is scored from the logits of its K most textured patches, run as
one batched ONNX call, and aggregated as the manifest says (AGGREGATIONS; the shipped model
uses the maximum: generation traces are uneven across a picture, and measured on the dev-eval
AI sources the maximum separated better than the mean, see models/README.md); the aggregate
is mapped to a probability by the manifest's Platt scaling.
The band is what the user sees (never "real"/"fake", never a bare percentage):

    no-traces     score below the 5% threshold (~5% false positives on calibration photos)
    inconclusive  between the two thresholds, or the file was laundered (score not evidence)
    traces        at or above the high threshold (~1% false positives on calibration photos);
                  only this band makes a file suspected (the result's `threshold`)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..i18n import tr
from .laundering import REASONS
from .manifest import DetectorError, ModelInfo, calibrate
from .patches import select_patches
from .session import run_patches

__all__ = ["BANDS", "AGGREGATIONS", "FrameScore", "score_pixels", "band_for", "detector_entry"]

# manifest app.aggregation -> how patch logits become one picture logit
AGGREGATIONS = {
    "mean": lambda v: float(np.mean(v)),
    "max": lambda v: float(np.max(v)),
    "top3": lambda v: float(np.mean(np.sort(v)[-3:])),
}

# band code -> i18n key of the text shown to the user
BANDS = {
    "no-traces": "detector.band.no-traces",
    "inconclusive": "detector.band.inconclusive",
    "traces": "detector.band.traces",
}


@dataclass(frozen=True, slots=True)
class FrameScore:
    logit: float  # aggregated patch logits (uncalibrated)
    patches: int
    padded: bool
    patch_logits: tuple[float, ...]


def score_pixels(info: ModelInfo, session: object, rgb: np.ndarray, k: int | None = None,
                 extra: np.ndarray | None = None) -> FrameScore:
    """Score an H x W x 3 uint8 RGB picture; `extra` (N x 3 x P x P) joins the same batch."""
    chosen = select_patches(rgb, info.patch, k or info.patches, info.grid, info.min_texture)
    batch = chosen.batch if extra is None or len(extra) == 0 else np.concatenate([chosen.batch, extra])
    logits = run_patches(info, session, batch)
    aggregate = AGGREGATIONS.get(info.aggregation)
    if aggregate is None:
        raise DetectorError(f"unknown aggregation {info.aggregation!r} in the model manifest")
    return FrameScore(logit=aggregate(logits), patches=int(len(logits)), padded=chosen.padded,
                      patch_logits=tuple(round(float(v), 4) for v in logits))


def band_for(info: ModelInfo, score: float, laundering: str | None) -> str:
    if laundering:
        return "inconclusive"
    if score >= info.high_threshold:
        return "traces"
    if score >= info.threshold:
        return "inconclusive"
    return "no-traces"


def detector_entry(info: ModelInfo, provider: str, logit: float, patches: int,
                   laundering: str | None, lang: str) -> dict:
    """The schema's detector object plus the app's extras (band, laundering...)."""
    score = calibrate(info, logit)
    band = band_for(info, score, laundering)
    return {
        "model": info.label,
        "model_sha256": info.sha256,
        "score": round(score, 4),
        # The schema's threshold is the one that makes a file suspected. It is the high (~1%
        # FPR) threshold, not the 5% one: measured on held-out photo sources the 5% threshold
        # flagged 8-25% of real photos (models/README.md), too many for a tool whose
        # "suspected" may be used against a person. Between the two the band says inconclusive.
        "threshold": info.high_threshold,
        "high_threshold": info.high_threshold,
        "inconclusive_threshold": info.threshold,
        "provider": provider,
        "band": band,
        "band_text": tr(BANDS[band], lang),
        "laundering": tr(REASONS[laundering], lang) if laundering else None,
        "laundering_code": laundering,
        "patches": patches,
        "logit": round(logit, 4),
    }
