"""Video: the picture detector on sampled frames, plus face crops, aggregated.

Frames: key frames only (decoding every frame of a 1080p minute takes seconds), about one per
second and at most MAX_FRAMES, spread evenly over longer videos. Faces: OpenCV's Haar cascade
(shipped inside the opencv-python-headless wheel) on a reduced copy of each sampled frame; a
native-resolution patch centred on each face joins that frame's batch (face swaps change the
face only, so the face must be looked at). Aggregation: per-frame mean logits, summarised by
their median and their top quartile; the video's logit is the mean of the two, so one odd
frame cannot decide and a partly generated video still moves the score.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

import numpy as np

from ..errors import LimitExceeded
from .image import MAX_PIXELS
from .manifest import DetectorError, ModelInfo
from .scoring import FrameScore, score_pixels
from .video_quality import DECODER_OPTIONS, frame_qp, video_qp

__all__ = ["MAX_FRAMES", "SampledFrame", "VideoScore", "sample_frames", "face_patches",
           "score_video"]

log = logging.getLogger(__name__)

MAX_FRAMES = 32
FRAME_INTERVAL_S = 1.0
FRAME_SLACK = 0.25  # a key frame this share of an interval early still counts
MAX_KEYFRAMES_DECODED = 4000  # hostile files with a key frame per packet stop here
FACE_DETECT_SIDE = 360  # faces are searched on a copy with this short side
MAX_FACES_PER_FRAME = 2


class SampledFrame(NamedTuple):
    time: float  # seconds
    rgb: np.ndarray  # H x W x 3 uint8
    qp: float | None  # upper-quartile macroblock quantiser (H.264), else None (video_quality.py)


@dataclass(slots=True)
class VideoScore:
    frames: list[FrameScore] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    qps: list[float | None] = field(default_factory=list)
    faces: int = 0
    width: int = 0
    height: int = 0

    @property
    def qp(self) -> float | None:
        """The sampled frames' median quantiser (H.264 only), for the laundering check."""
        return video_qp(self.qps)

    def aggregate(self) -> tuple[float, float, float]:
        """(video logit, median, top quartile) of the per-frame logits."""
        logits = np.asarray([f.logit for f in self.frames], dtype=np.float64)
        median = float(np.median(logits))
        top_quartile = float(np.percentile(logits, 75))
        return (median + top_quartile) / 2.0, median, top_quartile


def _duration(container, stream) -> float:  # noqa: ANN001 - PyAV objects
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000.0
    return 0.0


def sample_frames(path: str, max_frames: int = MAX_FRAMES):
    """Yield a SampledFrame for each sampled key frame; sets no state."""
    import av  # noqa: PLC0415

    try:
        container = av.open(path, options={"protocol_whitelist": "file"})
    except (av.FFmpegError, OSError, ValueError) as err:
        raise DetectorError(f"video could not be opened: {err}"[:300]) from err
    with container:
        stream = next((s for s in container.streams if s.type == "video"), None)
        if stream is None:
            return
        if stream.codec_context is None:  # a damaged header left the stream without a decoder
            raise DetectorError("the video stream has no decoder")
        duration = _duration(container, stream)
        interval = max(FRAME_INTERVAL_S, duration / max_frames) if duration > 0 else FRAME_INTERVAL_S
        stream.codec_context.skip_frame = "NONKEY"
        stream.codec_context.options = dict(DECODER_OPTIONS)
        next_t, taken, seen = 0.0, 0, 0
        try:
            for frame in container.decode(stream):
                seen += 1
                if seen > MAX_KEYFRAMES_DECODED:
                    break
                t = float(frame.time) if frame.time is not None else next_t
                if t < next_t - FRAME_SLACK * interval:  # key frames rarely fall on the second
                    continue
                if frame.width * frame.height > MAX_PIXELS:
                    raise LimitExceeded(f"video frame of {frame.width}x{frame.height} is too large")
                yield SampledFrame(t, frame.to_ndarray(format="rgb24"), frame_qp(frame))
                taken += 1
                next_t = t + interval
                if taken >= max_frames:
                    break
        except (av.FFmpegError, ValueError) as err:
            if taken == 0:
                raise DetectorError(f"video could not be decoded: {err}"[:300]) from err
            log.info("video decoding stopped after %d frames: %s", taken, err)


@cache
def _face_cascade():  # noqa: ANN202
    try:
        import cv2  # noqa: PLC0415
    except ImportError:
        return None
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    return None if cascade.empty() else cascade


def face_patches(rgb: np.ndarray, patch: int, grid: int) -> np.ndarray:
    """N x 3 x P x P float32 patches centred on detected faces (native resolution)."""
    cascade = _face_cascade()
    h, w, _ = rgb.shape
    if cascade is None or min(h, w) < patch:
        return np.zeros((0, 3, patch, patch), dtype=np.float32)
    import cv2  # noqa: PLC0415

    scale = min(1.0, FACE_DETECT_SIDE / min(h, w))
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        gray = cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    found = cascade.detectMultiScale(gray, scaleFactor=1.2, minNeighbors=5,
                                     minSize=(max(24, round(patch * scale / 2)),) * 2)
    out = []
    boxes = sorted((tuple(int(v) for v in b) for b in found), key=lambda b: -b[2] * b[3])
    for x, y, bw, bh in boxes[:MAX_FACES_PER_FRAME]:
        cx, cy = (x + bw / 2) / scale, (y + bh / 2) / scale
        top = int(min(max(0, cy - patch / 2), h - patch)) // grid * grid
        left = int(min(max(0, cx - patch / 2), w - patch)) // grid * grid
        out.append(rgb[top:top + patch, left:left + patch])
    if not out:
        return np.zeros((0, 3, patch, patch), dtype=np.float32)
    return np.ascontiguousarray(np.stack(out).transpose(0, 3, 1, 2), dtype=np.float32) / 255.0


def score_video(info: ModelInfo, session: object, path: str) -> VideoScore:
    result = VideoScore()
    for t, rgb, qp in sample_frames(path):
        faces = face_patches(rgb, info.patch, info.grid)
        result.faces += int(len(faces))
        result.frames.append(score_pixels(info, session, rgb, k=info.video_patches, extra=faces))
        result.times.append(round(t, 3))
        result.qps.append(qp)
        result.height, result.width = rgb.shape[:2]
    return result
