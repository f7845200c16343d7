"""Signs that a picture was laundered (re-compressed, resized), which wipes generation traces.

When one is found the detector's band is forced to "inconclusive" with the reason, and
verdict.py ignores the score: a low score on a laundered file is not evidence of anything.
Checks, in the order they are tried (their meanings live in REASONS):

  jpeg-quality  the file is a JPEG whose quantisation tables correspond to an IJG quality below
                JPEG_QUALITY_MIN: the pixel-level traces the model reads are quantised away.
  webp-quality  the file is a lossy WebP whose VP8 quantiser corresponds to a libwebp quality
                below WEBP_QUALITY_MIN (webp_quality.py; within about 2 quality points).
  avif-quality, heif-quality
                an AVIF (AV1) or HEIF (HEVC) picture whose quantiser is coarser than
                heif_quality.JPEG80_QUANTISER.
  video-quality a video whose sampled H.264 key frames were quantised coarser than
                H264_QP_MAX (video_quality.py). Other video codecs are not checked.
  small         the short side is below MIN_SIDE: thumbnails and previews are almost always
                resized copies.
  resized       the picture shows interpolation lines of an enlargement (resampling.py): an
                enlarged photo carries regular patterns the model can read as generated.
                Caught 87% of the time for 1.25x-3x enlargements, 56% after a JPEG q90
                re-save; 0.8% of native photos are flagged (bench/resampling_eval.py). Shrunk
                pictures are mostly not recognised. Not applied to video (not measured).

Every codec is cut where it costs a photo as much as JPEG quality 80 (mean luma PSNR on
Kodak24, measured by the bench scripts named beside each cut), not at "quality 80" on its
own scale: the scales differ (pillow-heif's quality 50 keeps more than JPEG 90).
"""

from __future__ import annotations

import numpy as np

from .heif_quality import CodedQuality
from .video_quality import H264_QP_MAX

__all__ = ["REASONS", "JPEG_QUALITY_MIN", "WEBP_QUALITY_MIN", "MIN_SIDE", "jpeg_quality",
           "laundering_reason"]

JPEG_QUALITY_MIN = 80
# Every codec is cut where it loses as much as JPEG quality 80 (mean luma PSNR on Kodak24):
# libwebp quality 76 (bench/webp_quality_table.py). cwebp's default (75) is below the cut,
# Pillow's (80) above.
WEBP_QUALITY_MIN = 76
MIN_SIDE = 256

# reason code -> i18n key of its plain-language explanation
REASONS = {
    "jpeg-quality": "detector.laundering.jpeg-quality",
    "webp-quality": "detector.laundering.webp-quality",
    "avif-quality": "detector.laundering.avif-quality",
    "heif-quality": "detector.laundering.heif-quality",
    "video-quality": "detector.laundering.video-quality",
    "small": "detector.laundering.small",
    "resized": "detector.laundering.resized",
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


_CODED_REASON = {"av1": "avif-quality", "hevc": "heif-quality"}


def laundering_reason(width: int, height: int, quality: int | None,
                      webp_quality: int | None = None, video_qp: float | None = None,
                      coded: CodedQuality | None = None, resized: bool = False) -> str | None:
    """The first laundering sign found (a REASONS key), or None. `quality` is the estimated
    JPEG quality (jpeg_quality), `webp_quality` the estimated lossy WebP quality
    (webp_quality.webp_quality), `video_qp` a video's key-frame quantiser
    (video_quality.video_qp), `coded` an AVIF's or HEIF's quantiser (heif_quality); None when
    the file is not of that kind. `resized`: resampling.py found an enlargement."""
    if quality is not None and quality < JPEG_QUALITY_MIN:
        return "jpeg-quality"
    if webp_quality is not None and webp_quality < WEBP_QUALITY_MIN:
        return "webp-quality"
    if coded is not None and coded.coarser_than_jpeg80:
        return _CODED_REASON[coded.codec]
    if video_qp is not None and video_qp > H264_QP_MAX:
        return "video-quality"
    if min(width, height) < MIN_SIDE:
        return "small"
    if resized:
        return "resized"
    return None
