"""Visible labels in video (GB 45438-2025 5.4): on the opening frames, for at least 2 s, glyph
height at least 5 % of the frame's shortest side.

Sampling, chosen to fit a 60 s 1080p video into ~10 s on two cores:
  * the opening DENSE_S seconds are decoded frame by frame and sampled at TRACK_FPS; full OCR
    (detection + recognition) runs on every DISCOVER_EVERY_S-th second of them;
  * after the opening only key frames are decoded (skip_frame=NONKEY: no GOP decoding cost) and
    at most SPARSE_MAX of them, evenly spread, get full OCR;
  * every label found becomes a track (same place on screen); recognition alone - cheap - then
    checks the track's box on every sampled frame, which gives when it appears and how long it
    stays, to 1/TRACK_FPS s in the opening.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import ExplicitError
from .judge import RULES, picture_entry
from .media import decode_errors, open_media
from .terms import LabelMatch, match_label

if TYPE_CHECKING:
    import numpy as np

__all__ = ["check_video", "sample_frames", "Sample", "DENSE_S", "TRACK_FPS"]

log = logging.getLogger(__name__)

DENSE_S = 3.0  # the opening, decoded densely (the rule needs 2 s; one more for margin)
TRACK_FPS = 8  # samples per second in the opening (duration resolution 0.125 s)
DISCOVER_EVERY_S = 1.0  # full OCR in the opening every this many seconds
SPARSE_MAX = 10  # key frames with full OCR after the opening
SPARSE_MIN_GAP_S = 2.0
FRAME_SHORT_SIDE = 720  # frames are scaled to this shortest side before any OCR
DET_SHORT_SIDE = 544  # detection size for frames (a 2 % label is ~11 px there)
MAX_FRAME_PIXELS = 8192 * 4320  # 8K; more is treated as hostile
MAX_READ_S = 4 * 3600.0  # stop walking key frames after this much media time
TRACK_OVERLAP = 0.3  # two hits with this much box overlap are the same on-screen label
TRACK_MARGIN = 0.15  # a track's box is grown by this fraction of its height for recognition
# Recognition alone misreads small labels now and then; up to this many consecutive samples
# without it, between two with it, and none of them checked by full OCR, do not end a track.
FILL_GAP = 3


@dataclass(slots=True)
class Sample:
    t: float  # seconds from the start of the video stream
    bgr: "np.ndarray"
    discover: bool  # run full OCR on it
    hits: list = field(default_factory=list)  # (box, text, match, ink, score) from full OCR


@dataclass(slots=True)
class Track:
    box: tuple[float, float, float, float]
    text: str
    match: LabelMatch
    inks: list[float]
    score: float
    present: dict[float, bool] = field(default_factory=dict)  # sample time -> on screen


def _scaled_size(width: int, height: int) -> tuple[int, int]:
    short = min(width, height)
    scale = min(1.0, FRAME_SHORT_SIDE / short)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _to_bgr(frame, size: tuple[int, int]) -> "np.ndarray":
    import numpy as np

    array = frame.reformat(width=size[0], height=size[1], format="bgr24").to_ndarray()
    rotation = int(getattr(frame, "rotation", 0) or 0) % 360
    if rotation:  # display matrix: the picture is shown turned by this many degrees
        array = np.ascontiguousarray(np.rot90(array, k=rotation // 90))
    return array


def _check_size(width: int, height: int, allow_unknown: bool = False) -> None:
    if allow_unknown and width == 0 and height == 0:
        return
    if width <= 0 or height <= 0 or width * height > MAX_FRAME_PIXELS:
        raise ExplicitError(f"video frame size {width}x{height} is out of range")


def sample_frames(path: str, fmt: str) -> tuple[list[Sample], float | None, tuple[int, int]]:
    """The sampled frames (scaled), the stream duration (s) if known, and the coded frame size."""
    samples: list[Sample] = []
    with open_media(path, fmt) as container:
        if not container.streams.video:
            return [], None, (0, 0)
        stream = container.streams.video[0]
        if stream.codec_context is None:  # a damaged header left the stream without a decoder
            raise ExplicitError("the video stream has no decoder")
        width, height = stream.codec_context.width, stream.codec_context.height
        _check_size(width, height, allow_unknown=True)
        size = _scaled_size(width, height) if width and height else None
        stream.thread_type = "AUTO"
        tb = stream.time_base
        duration = float(stream.duration * tb) if stream.duration and tb else None
        if duration is None and container.duration:
            duration = container.duration / 1_000_000
        start = float(stream.start_time * tb) if stream.start_time is not None and tb else None
        sparse_gap = SPARSE_MIN_GAP_S
        if duration:
            sparse_gap = max(SPARSE_MIN_GAP_S, (duration - DENSE_S) / SPARSE_MAX)
        next_track = 0.0
        next_discover = 0.0
        next_sparse = DENSE_S
        sparse_count = 0
        try:
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                if start is None:
                    start = frame.time
                if size is None or (frame.width, frame.height) != (width, height):
                    width, height = frame.width, frame.height  # the stream header may not know
                    _check_size(width, height)
                    size = _scaled_size(width, height)
                t = frame.time - start
                if t < DENSE_S:
                    if t + 1e-6 >= next_track:
                        discover = t + 1e-6 >= next_discover
                        samples.append(Sample(round(t, 3), _to_bgr(frame, size), discover))
                        next_track += 1 / TRACK_FPS
                        if discover:
                            next_discover += DISCOVER_EVERY_S
                    continue
                if stream.codec_context.skip_frame != "NONKEY":
                    stream.codec_context.skip_frame = "NONKEY"  # key frames only from here on
                if t > MAX_READ_S or sparse_count >= SPARSE_MAX:
                    break
                if t + 1e-6 >= next_sparse:
                    samples.append(Sample(round(t, 3), _to_bgr(frame, size), True))
                    sparse_count += 1
                    next_sparse = t + sparse_gap
        except decode_errors() as err:
            if not samples:
                raise ExplicitError(
                    f"video could not be decoded: {type(err).__name__}: {err}") from err
            log.info("video decoding stopped early: %s", err)
    return samples, duration, (width, height)


def _overlap(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / smaller if smaller > 0 else 0.0


def _discover(samples: list[Sample]) -> list[Track]:
    from . import ocr

    tracks: list[Track] = []
    for sample in samples:
        if not sample.discover:
            continue
        for line in ocr.read_lines(sample.bgr, short_side=DET_SHORT_SIDE, fine=False):
            match = match_label(line.text, "ocr")
            if match is None:
                continue
            sample.hits.append(line.box)
            track = next((tr for tr in tracks if _overlap(tr.box, line.box) >= TRACK_OVERLAP), None)
            if track is None:
                tracks.append(Track(line.box, line.text, match, [line.ink_height], line.score))
                continue
            track.inks.append(line.ink_height)
            if line.score > track.score:
                track.text, track.match, track.score = line.text, match, line.score
    return tracks


def _follow(track: Track, samples: list[Sample]) -> None:
    """Is the track's label on each sampled frame? Full-OCR hits count; elsewhere recognition
    alone on the track's (slightly grown) box decides. Coarse first (every other opening sample
    and all later ones), then only the opening samples between two coarse ones that disagree:
    the time resolution of 1/TRACK_FPS where it matters, at about half the recognition cost."""
    for sample in samples:
        if any(_overlap(track.box, box) >= TRACK_OVERLAP for box in sample.hits):
            track.present[sample.t] = True
    opening = [s for s in samples if s.t < DENSE_S]
    coarse = [s for i, s in enumerate(opening) if i % 2 == 0] + samples[len(opening):]
    _recognize_track(track, [s for s in coarse if s.t not in track.present])
    between = []
    for i in range(1, len(opening), 2):
        before = track.present.get(opening[i - 1].t)
        after = track.present.get(opening[i + 1].t) if i + 1 < len(opening) else None
        if opening[i].t in track.present:
            continue
        if after is None or before != after:
            between.append(opening[i])
        else:
            track.present[opening[i].t] = before
    _recognize_track(track, between)
    _fill_gaps(track, samples)


def _recognize_track(track: Track, samples: list[Sample]) -> None:
    from . import ocr

    if not samples:
        return
    x0, y0, x1, y1 = track.box
    grow = TRACK_MARGIN * (y1 - y0)
    boxes = []
    for sample in samples:
        h, w = sample.bgr.shape[:2]
        boxes.append((max(0.0, x0 - grow), max(0.0, y0 - grow),
                      min(w, x1 + grow), min(h, y1 + grow)))
    results = ocr.recognize_regions([s.bgr for s in samples], boxes)
    for sample, (text, score) in zip(samples, results, strict=False):
        seen = score >= ocr.MIN_REC_SCORE and match_label(text, "ocr") is not None
        track.present[sample.t] = seen


def _fill_gaps(track: Track, samples: list[Sample]) -> None:
    """Short runs of recognition-only misses inside an appearance are misreadings, not gaps."""
    times = [s.t for s in samples]
    checked_by_ocr = {s.t for s in samples if s.discover}
    i = 0
    while i < len(times):
        if track.present[times[i]]:
            i += 1
            continue
        j = i
        while j < len(times) and not track.present[times[j]]:
            j += 1
        run = times[i:j]
        bracketed = i > 0 and j < len(times)
        if bracketed and len(run) <= FILL_GAP and not checked_by_ocr & set(run):
            for t in run:
                track.present[t] = True
        i = j


def _timing(track: Track, times: list[float], duration: float | None) -> tuple[float, float]:
    """(start_s, duration_s) of the label's first continuous appearance. The end is the first
    sample without it (or the end of the video): accurate to one sampling interval."""
    first = next(i for i, t in enumerate(times) if track.present[t])
    end_index = next((i for i in range(first, len(times)) if not track.present[times[i]]), None)
    if end_index is not None:
        end = times[end_index]
    elif duration:
        end = max(duration, times[-1])
    else:
        end = times[-1] + 1 / TRACK_FPS
    return times[first], end - times[first]


def check_video(path: str, fmt: str) -> list[dict]:
    import statistics

    samples, duration, coded = sample_frames(path, fmt)
    if not samples:
        return []
    height, width = samples[0].bgr.shape[:2]  # as displayed (after any rotation), scaled
    to_coded = min(coded) / min(width, height)  # boxes are reported in full-size pixels
    tracks = _discover(samples)
    times = [s.t for s in samples]
    rules = RULES["video-text"]
    entries = []
    for track in tracks:
        _follow(track, samples)
        if not any(track.present.values()):
            continue
        start_s, duration_s = _timing(track, times, duration)
        entry = picture_entry("video-text", track.match, track.text, track.box,
                              statistics.median(track.inks), width, height, track.score)
        entry["start_s"] = round(start_s, 3)
        entry["duration_s"] = round(duration_s, 3)
        entry["time_resolution_s"] = round(1 / TRACK_FPS if start_s < DENSE_S else
                                           max(SPARSE_MIN_GAP_S, 1 / TRACK_FPS), 3)
        entry["frames_seen"] = sum(track.present.values())
        entry["frames_checked"] = len(track.present)
        entry["box"] = [round(v * to_coded) for v in track.box]
        on_opening = start_s <= (rules.opening_window_s or 0.0)
        if not on_opening or duration_s + 1e-6 < (rules.min_opening_s or 0.0):
            entry["problems"].append("explicit-label-too-short")
            entry["compliant"] = False
        entries.append(entry)
    return entries
