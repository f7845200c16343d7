"""The shipped model's manifest (models/<name>/manifest.json) and its integrity check.

The manifest is the single place for what the app needs to run the model: input spec, patch
size, how many patches, the calibration (Platt scaling of the image logit) and the thresholds
chosen on real photos. The model file's SHA-256 is checked before a session is created, so a
swapped or damaged model never produces a score.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..errors import VerifyError
from ..resources import models_dir

__all__ = ["DetectorError", "ModelInfo", "DEFAULT_MODEL", "load_manifest", "calibrate"]

DEFAULT_MODEL = "trace-npr"
MAX_MANIFEST_BYTES = 1 << 20


class DetectorError(VerifyError):
    """The detector could not run (model missing, damaged, or onnxruntime failed)."""

    code = "detector-failed"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    version: str
    sha256: str
    path: Path
    input_name: str
    output_name: str
    patch: int
    patches: int  # K patches per image, scored in one batched call
    grid: int  # patch positions are multiples of this (the generators' latent grid)
    min_texture: float
    platt_a: float
    platt_b: float
    threshold: float  # calibrated probability at ~5% false positives on real photos
    high_threshold: float  # ~1% false positives
    video_patches: int
    aggregation: str  # how patch logits become the picture's logit (scoring.AGGREGATIONS)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@cache
def load_manifest(name: str = DEFAULT_MODEL, folder: Path | None = None) -> ModelInfo:
    """Read and verify a model's manifest. Raises DetectorError when anything is off."""
    base = (folder or models_dir()) / name
    man_path = base / "manifest.json"
    try:
        raw = man_path.read_bytes()
        if len(raw) > MAX_MANIFEST_BYTES:
            raise DetectorError(f"{man_path}: manifest too large")
        data = json.loads(raw)
        inp, cal, thr, app = data["input"], data["calibration"], data["thresholds"], data["app"]
        model_path = base / data["file"]
        info = ModelInfo(
            name=str(data["name"]), version=str(data["version"]), sha256=str(data["sha256"]),
            path=model_path, input_name=str(inp["name"]), output_name=str(data["output"]["name"]),
            patch=int(inp["patch"]), patches=int(app["patches"]), grid=int(app["grid"]),
            min_texture=float(app["min_texture"]), platt_a=float(cal["a"]),
            platt_b=float(cal["b"]), threshold=float(thr["suspected"]),
            high_threshold=float(thr["high"]), video_patches=int(app["video_patches"]),
            aggregation=str(app.get("aggregation", "mean")),
        )
    except FileNotFoundError as err:
        raise DetectorError(f"model manifest not found: {man_path}") from err
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DetectorError(f"model manifest unreadable: {man_path}: {err}") from err
    if not model_path.is_file():
        raise DetectorError(f"model file missing: {model_path}")
    actual = _sha256(model_path)
    if actual != info.sha256:
        raise DetectorError(f"model file {model_path.name} does not match its manifest hash")
    return info


def calibrate(info: ModelInfo, logit: float) -> float:
    """Image logit -> calibrated probability (Platt scaling), clamped to [0, 1]."""
    z = info.platt_a * logit + info.platt_b
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    ez = math.exp(z)
    return ez / (1.0 + ez)
