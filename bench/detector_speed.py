"""End-to-end speed of the detector stage on this machine.

    python bench/detector_speed.py [--runs 30] [--video] [--cache DIR]

Picture: a 1024x1024 crop of a held-back real photo, as PNG and as JPEG q95, scored through
aigcverify.detect.score_image_file (decode, patch selection, one batched ONNX call, calibration,
laundering and watermark checks). The session is created once (as in a worker process); its
creation time is reported separately. Targets: <= 100 ms per 1024x1024 picture on 2 CPU cores.

Video (--video): a 60 s 1080p 30 fps H.264 clip (a slow pan over a held-back photo, GOP 2 s,
written once with PyAV into the cache), scored through score_video_file. Target: <= 3 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from aigcverify.detect import score_image_file, score_video_file
from aigcverify.detect.manifest import load_manifest
from aigcverify.detect.session import get_session

ROOT = Path(__file__).resolve().parents[1]
PHOTO_CANDIDATES = (
    Path("/usr/share/backgrounds/Fossa_by_Jasper_Roks.jpg"),  # lomiri-wallpapers-20.04 (held back)
    ROOT.parent / "shared" / "data" / "detector" / "dev-eval" / "real-kodak24" / "kodim05.png",
)
Image.MAX_IMAGE_PIXELS = 60_000_000


def _photo() -> np.ndarray:
    for path in PHOTO_CANDIDATES:
        if path.exists():
            rgb = np.asarray(Image.open(path).convert("RGB"))
            if min(rgb.shape[:2]) < 1024:
                rgb = np.tile(rgb, (3, 3, 1))
            return rgb
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (2048, 2048, 3), dtype=np.uint8)


def _stats(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return (f"median {statistics.median(ms):7.1f} ms  p90 {ms[int(0.9 * (len(ms) - 1))]:7.1f} ms  "
            f"min {ms[0]:7.1f} ms")


def bench_pictures(runs: int) -> None:
    info = load_manifest()
    started = time.perf_counter()
    _, provider = get_session(info)
    print(f"model {info.label}, provider {provider}, cpu_count {os.cpu_count()}, "
          f"session created in {(time.perf_counter() - started) * 1000:.0f} ms")
    photo = _photo()
    h, w, _ = photo.shape
    crop = np.ascontiguousarray(photo[(h - 1024) // 2:(h - 1024) // 2 + 1024,
                                      (w - 1024) // 2:(w - 1024) // 2 + 1024])
    with tempfile.TemporaryDirectory() as tmp:
        files = {"png": Path(tmp) / "p.png", "jpeg-q95": Path(tmp) / "p.jpg"}
        Image.fromarray(crop).save(files["png"])
        Image.fromarray(crop).save(files["jpeg-q95"], quality=95)
        for name, path in files.items():
            score_image_file(str(path), info)  # warm-up
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                entry, _marks = score_image_file(str(path), info)
                times.append(time.perf_counter() - t0)
            print(f"1024x1024 {name:9} end to end: {_stats(times)}  "
                  f"(K={entry['patches']} patches, score {entry['score']})")


def _make_video(path: Path, seconds: int = 60, fps: int = 30) -> None:
    import av

    photo = _photo()
    h, w, _ = photo.shape
    if h < 1080 or w < 1920 + seconds * 4:
        photo = np.tile(photo, (2, 3, 1))
        h, w, _ = photo.shape
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        stream.options = {"g": str(2 * fps), "preset": "veryfast", "crf": "20"}
        for i in range(seconds * fps):
            x = int(i * (w - 1920) / (seconds * fps))
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(photo[:1080, x:x + 1920]),
                                               format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def bench_video(cache: Path, runs: int) -> None:
    info = load_manifest()
    path = cache / "bench_1080p_60s.mp4"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        _make_video(path)
        print(f"wrote {path} in {time.perf_counter() - t0:.0f} s")
    score_video_file(str(path), info)  # warm-up (OpenCV cascade load)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        entry = score_video_file(str(path), info)
        times.append(time.perf_counter() - t0)
    print(f"60 s 1080p video end to end: {_stats(times)}  (frames {entry['frames']}, "
          f"faces {entry['faces']}, patches {entry['patches']}, score {entry['score']})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--video", action="store_true")
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("DETECTOR_CACHE", Path.home() / ".cache" / "aigcverify-detector")))
    args = ap.parse_args()
    bench_pictures(args.runs)
    if args.video:
        bench_video(args.cache, max(3, args.runs // 10))


if __name__ == "__main__":
    main()
