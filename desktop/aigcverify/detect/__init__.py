"""The detector stage: the ONNX generation-trace model and known invisible watermarks.

    run(path, result, sites, options)   pipeline stage entry point (pipeline.SLOW_STAGES)

For pictures and videos it sets result["detector"] (schema fields model, model_sha256, score,
threshold, provider, plus band, band_text, high_threshold, laundering, patches; for video also
frames, faces and the aggregation), appends strict watermark hits to result["watermarks"], and
adds a "detector-laundering" problem when the file was re-compressed or resized. Other media
types are left alone (detector stays None). Only VerifyError subclasses escape.
"""

from __future__ import annotations

import dataclasses
import logging

from ..findings import problem
from ..i18n import tr
from .image import decode_image
from .laundering import laundering_reason
from .manifest import DEFAULT_MODEL, DetectorError, ModelInfo, load_manifest
from .resampling import THRESHOLD as RESAMPLING_THRESHOLD
from .resampling import resampling_evidence
from .scoring import detector_entry, score_pixels
from .session import get_session
from .watermark import decode_marks

__all__ = ["run", "score_image_file", "score_video_file", "DetectorError", "load_manifest",
           "DEFAULT_MODEL"]

log = logging.getLogger(__name__)

MEDIA_TYPES = ("image", "video")


def score_image_file(path: str, info: ModelInfo, provider: str = "auto",
                     lang: str = "zh_CN") -> tuple[dict, list[dict]]:
    """(detector entry, watermark hits) for a picture file."""
    session, used = get_session(info, provider)
    decoded = decode_image(path)
    rgb = decoded.rgb
    frame = score_pixels(info, session, rgb)
    h, w, _ = rgb.shape
    resampling = resampling_evidence(rgb)
    reason = laundering_reason(w, h, decoded.jpeg_quality, webp_quality=decoded.webp_quality,
                               coded=decoded.coded, resized=resampling.resized)
    entry = detector_entry(info, used, frame.logit, frame.patches, reason, lang)
    entry["jpeg_quality"] = decoded.jpeg_quality
    entry["webp_quality"] = decoded.webp_quality
    entry["coded_quality"] = dataclasses.asdict(decoded.coded) if decoded.coded else None
    entry["resampling"] = {"score": round(resampling.score, 2), "threshold": RESAMPLING_THRESHOLD,
                           "factors": [round(f, 3) for f in resampling.factor_candidates]}
    return entry, decode_marks(rgb)


def score_video_file(path: str, info: ModelInfo, provider: str = "auto",
                     lang: str = "zh_CN") -> dict | None:
    """Detector entry for a video file; None when it has no decodable video frames."""
    from .video import score_video  # noqa: PLC0415 - PyAV and OpenCV only for videos

    session, used = get_session(info, provider)
    scored = score_video(info, session, path)
    if not scored.frames:
        return None
    logit, median, top_quartile = scored.aggregate()
    reason = laundering_reason(scored.width, scored.height, None, video_qp=scored.qp)
    entry = detector_entry(info, used, logit, sum(f.patches for f in scored.frames), reason, lang)
    entry.update(
        # measured (models/README.md): video re-encoding costs the model much of what it sees
        caveat=tr("detector.caveat.video", lang),
        frames=len(scored.frames),
        faces=scored.faces,
        video_qp=scored.qp,
        frame_times=scored.times,
        aggregation={"method": "mean of median and top quartile of frame logits",
                     "median_logit": round(median, 4), "top_quartile_logit": round(top_quartile, 4),
                     "frame_logits": [round(f.logit, 4) for f in scored.frames]},
    )
    return entry


def run(path: str, result: dict, sites: list, options) -> None:  # noqa: ANN001 - CheckOptions
    """Pipeline stage: adds detector evidence to result (see module docstring)."""
    media = result.get("file", {}).get("media_type")
    if media not in MEDIA_TYPES:
        return
    lang = options.lang
    info = load_manifest()
    if media == "image":
        entry, marks = score_image_file(path, info, options.provider, lang)
        result.setdefault("watermarks", []).extend(marks)
    else:
        entry = score_video_file(path, info, options.provider, lang)
        if entry is None:
            return
    result["detector"] = entry
    if entry.get("laundering"):
        result["problems"].append(problem("detector-laundering", lang, detail=entry["laundering"]))
