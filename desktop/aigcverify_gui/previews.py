"""Preview decoding: pictures, video keyframes, audio waveforms and text heads, as QImage/data.

Runs on the background helper's io lane (tasks.py), never on the GUI thread: QImage (unlike
QPixmap) may be built in any thread. The bytes are untrusted, so every decode is bounded:
decoded pixels, frames decoded per seek, seconds of audio, bytes of text, and wall time.
FFmpeg may only open local files (protocol_whitelist=file): a playlist inside a file cannot
make it reach the network.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtGui import QImage, QImageReader

__all__ = ["PreviewData", "PREVIEW_LIMITS", "decode_preview", "PREVIEW_KIND"]

log = logging.getLogger(__name__)

# Bounds of one preview. Decoding more than this would not make a better preview.
PREVIEW_LIMITS = {
    "image_max_side": 1600,  # pixels of the decoded preview (the source may be larger)
    "image_max_pixels": 120_000_000,  # refuse to decode larger sources at all
    "image_alloc_mb": 512,  # QImageReader allocation limit
    "video_frames": 8,  # thumbnails in the keyframe strip
    "video_thumb_height": 120,
    "video_frames_per_seek": 240,  # decoded frames to reach one target time
    "audio_rate": 4000,  # Hz after downsampling: enough for an envelope
    "audio_max_seconds": 900,
    "audio_buckets": 1200,
    "text_bytes": 16 * 1024,
    "text_lines": 40,
    "wall_seconds": 20.0,
}

# media_type -> preview kind
PREVIEW_KIND: dict[str, str] = {
    "image": "image",
    "video": "video",
    "audio": "audio",
    "text": "text",
    "document": "none",
    "unknown": "none",
}

# FFmpeg may open nothing but the file itself
_AV_OPTIONS = {"protocol_whitelist": "file"}

StopCheck = Callable[[], bool]


class _Stopped(Exception):
    """A newer preview was requested: stop decoding this one."""


@dataclass
class PreviewData:
    path: str
    token: int
    kind: str = "none"  # image | video | audio | text | none
    image: QImage | None = None
    source_size: tuple[int, int] | None = None  # pixel size of the original picture
    frames: list[tuple[float, QImage]] = field(default_factory=list)  # (time s, thumbnail)
    duration_s: float | None = None
    peaks: np.ndarray | None = None  # 0..1 per bucket, over duration_s
    text: str = ""
    error: str = ""  # catalog key of why there is no preview ("" when there is one)


def _qimage_from_rgb(arr: np.ndarray) -> QImage:
    h, w = arr.shape[:2]
    arr = np.ascontiguousarray(arr)
    return QImage(arr.data, w, h, arr.strides[0], QImage.Format.Format_RGB888).copy()


def _decode_image_qt(path: str, data: PreviewData) -> bool:
    reader = QImageReader(path)
    reader.setAllocationLimit(PREVIEW_LIMITS["image_alloc_mb"])
    size = reader.size()
    if not size.isValid():
        return False
    if size.width() * size.height() > PREVIEW_LIMITS["image_max_pixels"]:
        data.error = "gui.preview.too-large"
        return True
    data.source_size = (size.width(), size.height())
    side = PREVIEW_LIMITS["image_max_side"]
    if max(size.width(), size.height()) > side:
        reader.setScaledSize(size.scaled(QSize(side, side), _keep_aspect()))
    image = reader.read()
    if image.isNull():
        data.source_size = None
        return False
    data.image = image
    return True


def _keep_aspect():
    from PySide6.QtCore import Qt

    return Qt.AspectRatioMode.KeepAspectRatio


def _decode_image_pillow(path: str, data: PreviewData) -> None:
    """Formats Qt cannot read (HEIF, AVIF): Pillow, with its pixel bound set explicitly."""
    from PIL import Image

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:
        log.debug("pillow-heif not available: no HEIF/AVIF previews")
    Image.MAX_IMAGE_PIXELS = PREVIEW_LIMITS["image_max_pixels"]
    try:
        with Image.open(path) as img:
            if img.width * img.height > PREVIEW_LIMITS["image_max_pixels"]:
                data.error = "gui.preview.too-large"
                return
            data.source_size = img.size
            img.draft("RGB", (PREVIEW_LIMITS["image_max_side"],) * 2)
            img = img.convert("RGB")
            img.thumbnail((PREVIEW_LIMITS["image_max_side"],) * 2)
            data.image = _qimage_from_rgb(np.asarray(img))
    except Image.DecompressionBombError:
        data.error = "gui.preview.too-large"
    except (OSError, ValueError, SyntaxError, RuntimeError) as err:  # RuntimeError: AVIF
        log.info("no image preview for %s: %s", path, err)
        data.source_size = None
        data.error = "gui.preview.failed"


def _video_duration(container, stream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return 0.0


def _decode_video(path: str, data: PreviewData, stop: StopCheck) -> None:
    import av

    deadline = time.monotonic() + PREVIEW_LIMITS["wall_seconds"]
    with av.open(path, options=_AV_OPTIONS) as container:
        if not container.streams.video:
            data.error = "gui.preview.no-video"
            return
        stream = container.streams.video[0]
        duration = _video_duration(container, stream)
        data.duration_s = duration or None
        count = PREVIEW_LIMITS["video_frames"]
        # the first frame always: the law wants the label on the opening frames
        targets = [0.0] + [duration * i / count for i in range(1, count)] if duration else [0.0]
        thumb_h = PREVIEW_LIMITS["video_thumb_height"]
        for target in targets:
            if stop():
                raise _Stopped
            if time.monotonic() > deadline:
                break
            if target > 0 and stream.time_base:
                container.seek(int(target / stream.time_base), stream=stream, backward=True)
            frame = None
            for n, frame in enumerate(container.decode(stream)):
                if frame.time is None or frame.time + 1e-3 >= target:
                    break
                if n >= PREVIEW_LIMITS["video_frames_per_seek"] or stop():
                    break
            if frame is None:
                continue
            width = max(2, round(frame.width * thumb_h / max(1, frame.height)))
            rgb = frame.reformat(width=width, height=thumb_h, format="rgb24").to_ndarray()
            data.frames.append((float(frame.time or 0.0), _qimage_from_rgb(rgb)))
        if not data.frames:
            data.error = "gui.preview.failed"


def _decode_audio(path: str, data: PreviewData, stop: StopCheck) -> None:
    import av

    rate = PREVIEW_LIMITS["audio_rate"]
    max_samples = rate * PREVIEW_LIMITS["audio_max_seconds"]
    deadline = time.monotonic() + PREVIEW_LIMITS["wall_seconds"]
    chunks: list[np.ndarray] = []
    total = 0
    with av.open(path, options=_AV_OPTIONS) as container:
        if not container.streams.audio:
            data.error = "gui.preview.no-audio"
            return
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                arr = out.to_ndarray().reshape(-1).copy()  # the frame buffer is reused
                chunks.append(arr)
                total += arr.size
            if total >= max_samples or time.monotonic() > deadline:
                break
            if stop():
                raise _Stopped
    if not total:
        data.error = "gui.preview.failed"
        return
    samples = np.abs(np.concatenate(chunks)[:max_samples])
    buckets = min(PREVIEW_LIMITS["audio_buckets"], samples.size)
    # bucket edges over the whole signal (a reshape would drop the remainder at the end)
    edges = np.linspace(0, samples.size, buckets + 1).astype(np.int64)[:-1]
    peaks = np.maximum.reduceat(samples, edges)
    top = float(peaks.max()) or 1.0
    data.peaks = peaks / top
    data.duration_s = samples.size / rate


def _decode_text(path: str, data: PreviewData) -> None:
    with open(path, "rb") as fh:
        raw = fh.read(PREVIEW_LIMITS["text_bytes"])
    text = None
    for encoding in ("utf-8-sig", "utf-16", "gb18030"):
        if encoding == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            # the last character may be cut in half by the byte limit
            try:
                text = raw[:-3].decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if text is None:
        text = raw.decode("utf-8", errors="replace")
    data.text = "\n".join(text.splitlines()[: PREVIEW_LIMITS["text_lines"]])


def _av_error() -> type[Exception]:
    try:
        import av
    except ImportError:
        return OSError
    return av.FFmpegError


def decode_preview(path: str, media_type: str, token: int, stop: StopCheck) -> PreviewData | None:
    """Decode the preview of one file; None when stop() said a newer request replaced it."""
    kind = PREVIEW_KIND.get(media_type, "none")
    data = PreviewData(path=path, token=token, kind=kind)
    try:
        if kind == "image":
            if not _decode_image_qt(path, data):
                _decode_image_pillow(path, data)
        elif kind == "video":
            _decode_video(path, data, stop)
        elif kind == "audio":
            _decode_audio(path, data, stop)
        elif kind == "text":
            _decode_text(path, data)
        else:
            data.error = "gui.preview.none"
    except _Stopped:
        return None
    except (OSError, ValueError, MemoryError, _av_error()) as err:
        # unreadable file, or a decoder that rejected damaged data or hostile sizes: the check
        # result is unaffected, only the picture is missing
        log.info("no preview for %s: %s", path, err)
        data.error = "gui.preview.failed"
    return data
