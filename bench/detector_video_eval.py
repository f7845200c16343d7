"""How well the shipped detector works on video, compared with the same pictures as stills.

    python bench/detector_video_eval.py [--limit N] [--workdir DIR] [--out FILE] [--boot 1000]

For every still picture of a source, short H.264 videos are written with PyAV (libx264 inside
the av wheel): SECONDS s at FPS fps, a key frame every second (GOP = FPS, no scene-cut key
frames), yuv420p, in MP4. The frames are the picture itself at native resolution: cut to even
dimensions and, when larger than 1080p, cropped (centred, origin on the 16-pixel grid) to at
most 1920x1080 (1080x1920 upright); never resized, since resampling wipes the traces the model
reads. Two motions, each at two rate settings:

    static   every frame the same window
    pan      the window moves by an integer number of pixels per frame (--pan, default 3 px/s
             right and 2 px/s down), so the codec has motion and later key frames sit off the
             picture's 8-pixel grid
    crf18    high quality;  crf28  a typical platform re-encode

Both motions use the same frame size (the pan's travel is left out of the window), so pictures
whose frame would fall below the laundering check's MIN_SIDE are skipped for every condition.
Each video is scored through the app's own code path for a video file
(aigcverify.detect.score_video_file: key frames about 1/s, face crops, median/top-quartile
aggregation) and the original picture file through the picture path (score_image_file), with
the shipped model (models/trace-npr, integrity-checked by load_manifest).

Sources: AI = dev-eval/ai-kolors-repo (all pictures of at least MIN_SIDE px); real = the
detector's held-back photo sources (models/train/common.py HOLDOUT_SOURCES, Debian packages
must be installed). Printed per condition: ROC-AUC of the AI source against all real sources
pooled (bootstrap 95% interval), TPR at 5% FPR (threshold on the pooled real scores of that
condition), TPR/FPR at the manifest thresholds "suspected" (5%) and "high" (1%; the app's
result threshold: only scores at or above it make a file suspected), the share of files whose
band was forced to "inconclusive" by the laundering check, the median paired logit change
against the still, and mean seconds per file for scoring (encoding reported separately).
Not a test: nothing here is collected by pytest. `make detector-video-eval` runs it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "models" / "train"))

from common import DATA, DEV_AI_SOURCES, HOLDOUT_SOURCES, Source, source_files  # noqa: E402
from detector_eval import auc, auc_ci  # noqa: E402

from aigcverify.detect import score_image_file, score_video_file  # noqa: E402
from aigcverify.detect.image import decode_image  # noqa: E402
from aigcverify.detect.laundering import MIN_SIDE  # noqa: E402
from aigcverify.detect.manifest import ModelInfo, load_manifest  # noqa: E402
from aigcverify.detect.session import get_session  # noqa: E402
from aigcverify.errors import VerifyError  # noqa: E402

AI_SOURCE = next(s for s in DEV_AI_SOURCES if s.name == "ai-kolors-repo")
MOTIONS = ("static", "pan")
CRFS = (18, 28)
CONDITIONS = ("still",) + tuple(f"{m}-crf{c}" for m in MOTIONS for c in CRFS)
MAX_FRAME = (1920, 1080)  # (long, short) side of the largest frame written: 1080p
ORIGIN_GRID = 16  # crop origins on this grid keep the picture's 8-px latent grid and chroma pairs


@dataclass(slots=True)
class Scores:
    """One condition of one source: a row per file (None where the file failed)."""

    logit: list[float] = field(default_factory=list)
    score: list[float] = field(default_factory=list)
    forced: list[bool] = field(default_factory=list)
    flagged: list[bool] = field(default_factory=list)  # band "traces": the app says suspected
    seconds: list[float] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)
    qp: list[float] = field(default_factory=list)  # the video's key-frame quantiser (H.264)
    failed: int = 0


@dataclass(slots=True)
class SourceResult:
    name: str
    skipped: int = 0
    encode_seconds: list[float] = field(default_factory=list)
    conds: dict[str, Scores] = field(default_factory=lambda: {c: Scores() for c in CONDITIONS})


# --- videos -------------------------------------------------------------------------------------

def frame_window(h: int, w: int, span: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """(top, left, frame height, frame width) of the video frame cut from an h x w picture, with
    room for a pan of span = (x, y) pixels; None when the frame would be under MIN_SIDE."""
    long_side, short_side = MAX_FRAME
    cap_w, cap_h = (long_side, short_side) if w >= h else (short_side, long_side)
    fw = min(w - span[0], cap_w) // 2 * 2
    fh = min(h - span[1], cap_h) // 2 * 2
    if min(fw, fh) < MIN_SIDE:
        return None
    top = (h - fh - span[1]) // 2 // ORIGIN_GRID * ORIGIN_GRID
    left = (w - fw - span[0]) // 2 // ORIGIN_GRID * ORIGIN_GRID
    return top, left, fh, fw


def pan_offsets(n_frames: int, fps: int, pan: tuple[int, int]) -> list[tuple[int, int]]:
    """Integer (x, y) offset of every frame for a pan of pan = (x, y) pixels per second."""
    return [(i * pan[0] // fps, i * pan[1] // fps) for i in range(n_frames)]


def write_video(rgb: np.ndarray, path: Path, window: tuple[int, int, int, int],
                offsets: list[tuple[int, int]], crf: int, args: argparse.Namespace) -> None:
    """Encode the frames (the window moved by each offset) as H.264 in MP4, atomically."""
    import av  # noqa: PLC0415

    top, left, fh, fw = window
    part = path.with_name(path.name + ".part")
    with av.open(str(part), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=args.fps)
        stream.width, stream.height, stream.pix_fmt = fw, fh, "yuv420p"
        # keyint_min = GOP and no scene-cut detection: exactly one key frame per second
        stream.options = {"crf": str(crf), "preset": args.preset, "g": str(args.fps),
                          "keyint_min": str(args.fps), "sc_threshold": "0",
                          "threads": str(args.threads)}
        for i, (dx, dy) in enumerate(offsets):
            pixels = np.ascontiguousarray(rgb[top + dy:top + dy + fh, left + dx:left + dx + fw])
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, args.fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    part.replace(path)


# --- scoring ------------------------------------------------------------------------------------

def _record(rows: Scores, entry: dict | None, seconds: float, frames: int) -> None:
    if entry is None:
        rows.failed += 1
        return
    rows.logit.append(float(entry["logit"]))
    rows.score.append(float(entry["score"]))
    rows.forced.append(entry.get("laundering_code") is not None)
    rows.flagged.append(entry.get("band") == "traces")
    rows.seconds.append(seconds)
    rows.frames.append(frames)
    if entry.get("video_qp") is not None:
        rows.qp.append(float(entry["video_qp"]))


def score_source(src: Source, files: list[Path], info: ModelInfo, span: tuple[int, int],
                 workdir: Path, keep: bool, args: argparse.Namespace) -> SourceResult:
    result = SourceResult(src.name)
    n_frames = args.seconds * args.fps
    moves = {"static": [(0, 0)] * n_frames, "pan": pan_offsets(n_frames, args.fps, args.pan)}
    folder = workdir / src.name
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        try:
            decoded = decode_image(str(path))
        except VerifyError as err:
            print(f"  {path.name}: not decodable ({err})", file=sys.stderr)
            result.skipped += 1
            continue
        window = frame_window(*decoded.rgb.shape[:2], span)
        if window is None:
            result.skipped += 1
            continue
        t0 = time.perf_counter()
        try:
            entry, _marks = score_image_file(str(path), info)
        except VerifyError as err:
            print(f"  {path.name}: {err}", file=sys.stderr)
            entry = None
        _record(result.conds["still"], entry, time.perf_counter() - t0, 1)
        for motion, offsets in moves.items():
            for crf in CRFS:
                cond = f"{motion}-crf{crf}"
                video = folder / f"{path.stem}-{cond}.mp4"
                if not video.exists():
                    t0 = time.perf_counter()
                    write_video(decoded.rgb, video, window, offsets, crf, args)
                    result.encode_seconds.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                try:
                    entry = score_video_file(str(video), info)
                except VerifyError as err:
                    print(f"  {video.name}: {err}", file=sys.stderr)
                    entry = None
                frames = entry["frames"] if entry else 0
                _record(result.conds[cond], entry, time.perf_counter() - t0, frames)
                if not keep:
                    video.unlink()
    print(f"  scored {src.name}: {len(files) - result.skipped} pictures "
          f"({result.skipped} skipped)", file=sys.stderr, flush=True)
    return result


# --- report -------------------------------------------------------------------------------------

def _mean(values: list) -> float:
    return float(np.mean(values)) if values else float("nan")


def _delta(rows: Scores, still: Scores) -> float:
    """Median paired logit change against the still (files that failed nowhere)."""
    if rows.failed or still.failed or not rows.logit:
        return float("nan")
    return float(np.median(np.asarray(rows.logit) - np.asarray(still.logit)))


def condition_block(cond: str, ai: SourceResult, real: list[SourceResult], info: ModelInfo,
                    boot: int, rng: np.random.Generator) -> list[str]:
    pooled = np.array([v for r in real for v in r.conds[cond].logit])
    pos_rows = ai.conds[cond]
    pos, pos_score = np.array(pos_rows.logit), np.array(pos_rows.score)
    lines = [f"== {cond} (AI n={len(pos)}, real pooled n={len(pooled)}) =="]
    if len(pos) == 0 or len(pooled) == 0:
        return lines + ["  no scores", ""]
    thr5 = float(np.quantile(pooled, 0.95, method="higher"))  # as bench/detector_eval.py
    lo, hi = auc_ci(pooled, pos, boot, rng)
    lines += [f"{'AI source':<24}{'n':>4}{'AUC':>7}{'95% CI':>16}{'TPR@5%FPR':>11}{'TPR@susp':>10}"
              f"{'TPR@high':>10}{'flagged':>9}{'forced':>8}{'dlogit':>8}{'s/file':>8}",
              f"{ai.name:<24}{len(pos):>4}{auc(pooled, pos):>7.3f}  [{lo:.3f}, {hi:.3f}]"
              f"{(pos > thr5).mean():>11.3f}{(pos_score >= info.threshold).mean():>10.3f}"
              f"{(pos_score >= info.high_threshold).mean():>10.3f}{_mean(pos_rows.flagged):>9.3f}"
              f"{_mean(pos_rows.forced):>8.2f}"
              f"{_delta(pos_rows, ai.conds['still']):>8.2f}{_mean(pos_rows.seconds):>8.2f}",
              f"{'real source':<24}{'n':>4}{'FPR@susp':>10}{'FPR@high':>10}{'flagged':>9}"
              f"{'forced':>8}"
              f"{'dlogit':>8}{'s/file':>8}"]
    for r in real:
        rows = r.conds[cond]
        neg = np.array(rows.score)
        if len(neg) == 0:
            lines.append(f"{r.name:<24}{0:>4}")
            continue
        lines.append(f"{r.name:<24}{len(neg):>4}{(neg >= info.threshold).mean():>10.3f}"
                     f"{(neg >= info.high_threshold).mean():>10.3f}{_mean(rows.flagged):>9.3f}"
                     f"{_mean(rows.forced):>8.2f}"
                     f"{_delta(rows, r.conds['still']):>8.2f}{_mean(rows.seconds):>8.2f}")
    failed = ai.conds[cond].failed + sum(r.conds[cond].failed for r in real)
    frames = sorted({f for r in (ai, *real) for f in r.conds[cond].frames})
    qps = [q for r in (ai, *real) for q in r.conds[cond].qp]
    qp_text = (f"; key-frame QP (upper-quartile macroblock) median {np.median(qps):.1f}, "
               f"range {min(qps):.1f}-{max(qps):.1f}" if qps else "")
    lines.append(f"failed files: {failed}; frames scored per file: {frames}{qp_text}")
    return lines + [""]


def report(ai: SourceResult, real: list[SourceResult], info: ModelInfo, provider: str,
           args: argparse.Namespace, span: tuple[int, int], wall: float) -> str:
    rng = np.random.default_rng(7)
    encodes = [s for r in (ai, *real) for s in r.encode_seconds]
    lines = [
        f"Detector on video: {info.label} (sha256 {info.sha256[:16]}...), provider {provider}",
        f"thresholds: suspected {info.threshold:.4f} (5% FPR on calibration photos), high "
        f"{info.high_threshold:.4f} (1%; the app's result threshold: only 'traces' makes a file "
        "suspected)",
        f"videos: H.264 (libx264 preset {args.preset}) yuv420p MP4, {args.seconds} s at {args.fps} "
        f"fps, key frame every second, frames <= 1080p cropped never resized; pan "
        f"{args.pan[0]},{args.pan[1]} px/s (window {span[0]}x{span[1]} px smaller than the "
        "picture)",
        "columns: flagged = band 'traces' (what the app reports as suspected: score >= high and "
        "not laundered); forced = band forced to 'inconclusive' by the laundering check (stills: "
        "JPEG quality < 80 or small; videos: H.264 key-frame QP above the JPEG-q80 equivalent "
        "or small); dlogit = median paired logit change "
        "against the still; s/file = scoring time (video: the app's video path, still: the "
        "picture path incl. watermark check); AUC and TPR@5%FPR on logits",
        "still = the original picture file, whole (not the video's <= 1080p crop)",
        f"skipped pictures (undecodable or frame under {MIN_SIDE} px): "
        + ", ".join(f"{r.name} {r.skipped}" for r in (ai, *real)),
        "",
    ]
    for cond in CONDITIONS:
        lines += condition_block(cond, ai, real, info, args.boot, rng)
    lines.append(f"encoding: {len(encodes)} videos, mean {_mean(encodes):.2f} s per video; "
                 f"wall time {wall / 60:.1f} min")
    return "\n".join(lines)


def _pan(text: str) -> tuple[int, int]:
    x, _, y = text.partition(",")
    return int(x), int(y or 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=0, help="at most N pictures per source (0 = all)")
    ap.add_argument("--workdir", type=Path,
                    help="keep the videos here and reuse them on the next run (default: a "
                         "temporary folder, each video deleted once scored)")
    ap.add_argument("--out", type=Path, help="also write the report here")
    ap.add_argument("--boot", type=int, default=1000, help="bootstrap resamples for the AUC CI")
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--pan", type=_pan, default=(3, 2), help="pan speed 'X,Y' in px per second")
    ap.add_argument("--preset", default="medium", help="libx264 preset")
    ap.add_argument("--threads", type=int, default=2, help="libx264 threads")
    args = ap.parse_args()
    if args.seconds < 1 or args.fps < 1 or min(args.pan) < 0:
        ap.error("--seconds, --fps and --pan must be positive")

    started = time.perf_counter()
    info = load_manifest()
    _, provider = get_session(info, "auto")  # created once, as in a worker process
    last = args.seconds * args.fps - 1
    span = pan_offsets(last + 1, args.fps, args.pan)[last]
    tmp = None
    if args.workdir is None:
        tmp = tempfile.mkdtemp(prefix="aigcverify-video-eval-")
        workdir, keep = Path(tmp), False
    else:  # the settings name the folder, so videos written with other settings are not reused
        workdir = args.workdir / (f"{args.seconds}s-{args.fps}fps-pan{args.pan[0]}x{args.pan[1]}"
                                  f"-{args.preset}")
        keep = True
    try:
        def files(src: Source) -> list[Path]:
            found = source_files(src, min_side=MIN_SIDE)
            return found[:args.limit] if args.limit else found

        if not (DATA / AI_SOURCE.where).is_dir():
            raise SystemExit(f"AI source folder missing: {DATA / AI_SOURCE.where}")
        ai = score_source(AI_SOURCE, files(AI_SOURCE), info, span, workdir, keep, args)
        real = [score_source(src, files(src), info, span, workdir, keep, args)
                for src in HOLDOUT_SOURCES]
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    text = report(ai, real, info, provider, args, span, time.perf_counter() - started)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
