"""Which H.264 quantiser loses as much as JPEG quality 80? Prints the numbers behind
detect/video_quality.py's H264_QP_MAX.

The picture detector treats JPEG below quality 80 as laundered (the traces it reads are
quantised away). For video it reads the sampled key frames, so the fair cut is the H.264
intra quantiser that costs a photo as much luma fidelity as JPEG quality 80. Every Kodak24
photo is encoded both ways (Pillow JPEG, 4:2:0 as Pillow does by default; libx264 through
PyAV, yuv420p, preset medium) and decoded; the QP reported is what the app reads: the upper
quartile of the decoder's per-macroblock QP map (frame QP plus adaptive-quantisation offsets).

Then, what the app reads from ordinary videos: 4 s clips (24 fps, a key frame a second) of one
photo, still and panning, at several CRFs, scored by the app's own frame sampler.

    python bench/h264_quality_equivalence.py [--photos N]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "desktop"))
from aigcverify.detect.video import sample_frames  # noqa: E402
from aigcverify.detect.video_quality import H264_QP_MAX, frame_qp, video_qp  # noqa: E402
from luma import luma_psnr  # noqa: E402 - bench/luma.py, beside this script

KODAK = ROOT.parent / "shared" / "data" / "detector" / "dev-eval" / "real-kodak24"
JPEG_QUALITIES = (70, 75, 80, 85, 90)
CRFS = (16, 18, 20, 21, 22, 23, 24, 25, 26, 28, 30)


def jpeg_roundtrip(rgb: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"))


def h264_intra(rgb: np.ndarray, crf: int) -> tuple[np.ndarray, float]:
    """(decoded first frame, its upper-quartile macroblock QP) of a short libx264 clip."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = rgb.shape[1], rgb.shape[0], "yuv420p"
        stream.options = {"crf": str(crf), "preset": "medium"}
        for _ in range(3):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(stream.encode())
    buf.seek(0)
    with av.open(buf) as clip:
        video = clip.streams.video[0]
        video.codec_context.options = {"export_side_data": "venc_params"}
        frame = next(clip.decode(video))
        return frame.to_ndarray(format="rgb24"), frame_qp(frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=24)
    args = parser.parse_args()
    files = sorted(KODAK.glob("*.png"))[: args.photos]
    if not files:
        sys.exit(f"no photos in {KODAK}")
    started = time.perf_counter()
    jpeg = {q: [] for q in JPEG_QUALITIES}
    h264 = {c: ([], []) for c in CRFS}
    for path in files:
        rgb = np.asarray(Image.open(path).convert("RGB"))
        rgb = np.ascontiguousarray(rgb[: rgb.shape[0] // 2 * 2, : rgb.shape[1] // 2 * 2])
        for q in JPEG_QUALITIES:
            jpeg[q].append(luma_psnr(rgb, jpeg_roundtrip(rgb, q)))
        for crf in CRFS:
            decoded, qp = h264_intra(rgb, crf)
            h264[crf][0].append(luma_psnr(rgb, decoded))
            h264[crf][1].append(qp)
    print(f"{len(files)} Kodak24 photos, luma PSNR (dB), mean over photos")
    for q, values in jpeg.items():
        print(f"  JPEG q{q:<3d}            {np.mean(values):6.2f}")
    rows = []
    for crf, (values, qps) in h264.items():
        rows.append((float(np.mean(qps)), float(np.mean(values))))
        print(f"  H.264 crf {crf:<3d} QP {np.mean(qps):5.1f}  {np.mean(values):6.2f}")
    # the QP at which H.264 matches JPEG q80, by linear interpolation of PSNR over QP
    target = float(np.mean(jpeg[80]))
    qps, psnrs = zip(*sorted(rows))
    matching = float(np.interp(-target, [-p for p in psnrs], qps))
    print(f"H.264 upper-quartile macroblock QP with the luma PSNR of JPEG q80 ({target:.2f} dB): "
          f"{matching:.1f}")
    print(f"key frames of 4 s libx264 clips of {files[0].name} (app's sampler; laundered above "
          f"{H264_QP_MAX}):")
    for crf in (18, 23, 28, 30, 32):
        for motion, step in (("still", 0), ("pan 40 px/s", 40)):
            path = clip(files[0], crf, step)
            qp = video_qp([f.qp for f in sample_frames(str(path))])
            path.unlink()
            print(f"  crf {crf:<3d} {motion:<12s} key-frame QP {qp:5.1f}"
                  f"{'  laundered' if qp > H264_QP_MAX else ''}")
    print(f"{time.perf_counter() - started:.0f} s")


def clip(photo: Path, crf: int, pan: int, seconds: int = 4, fps: int = 24) -> Path:
    """A libx264 MP4 of a 640x448 window of the photo moving `pan` pixels per second."""
    rgb = np.asarray(Image.open(photo).convert("RGB"))
    path = Path(tempfile.gettempdir()) / f"h264-equivalence-{crf}-{pan}.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 640, 448, "yuv420p"
        stream.options = {"crf": str(crf), "g": str(fps), "keyint_min": str(fps),
                          "sc_threshold": "0"}
        for i in range(seconds * fps):
            dx = i * pan // fps % (rgb.shape[1] - 640)
            window = np.ascontiguousarray(rgb[:448, dx:dx + 640])
            out.mux(stream.encode(av.VideoFrame.from_ndarray(window, format="rgb24")))
        out.mux(stream.encode())
    return path


if __name__ == "__main__":
    main()
