"""How hard a video's sampled frames were quantised, for the laundering check (H.264 only).

The detector reads a video's key frames. When their quantiser is coarser than what costs a
photo as much as JPEG quality 80, the traces it looks for are quantised away, as with a
re-saved JPEG, and its band is forced to "inconclusive" (laundering reason `video-quality`).

FFmpeg's H.264 decoder exports each frame's per-macroblock QP when asked
(`export_side_data=venc_params`); the frame's figure is the upper quartile over its macroblocks:
adaptive quantisation gives flat areas a finer quantiser and textured ones a coarser one, and
the detector reads textured areas, so a median would understate the loss in pictures that are
mostly sky or wall. Other codecs (HEVC, AV1, VP9) get None: their quantiser
scales differ and were not measured.
"""

from __future__ import annotations

import numpy as np

__all__ = ["H264_QP_MAX", "DECODER_OPTIONS", "frame_qp", "video_qp"]

# bench/h264_quality_equivalence.py: on Kodak24, H.264 intra frames lose as much luma PSNR as
# JPEG quality 80 (36.8 dB) at an upper-quartile macroblock QP of 26.2. In ordinary libx264
# clips (one key frame a second) key frames get a QP about 4 below the CRF in a still scene and
# about the CRF in a moving one: the default CRF 23 passes, CRF 28 is flagged when the scene
# moves, and CRF 30 and coarser always.
H264_QP_MAX = 26.2

DECODER_OPTIONS = {"export_side_data": "venc_params"}  # set on the decoder before decoding


def frame_qp(frame) -> float | None:  # noqa: ANN001 - a PyAV VideoFrame
    """Upper-quartile macroblock QP of a decoded H.264 frame, or None when none was exported."""
    from av.sidedata.encparams import VideoEncParams, VideoEncParamsType  # noqa: PLC0415

    # iterate the container itself: PyAV 18's .values() fails on entries of some other types
    for data in frame.side_data:
        if not isinstance(data, VideoEncParams):
            continue
        if data.codec_type != VideoEncParamsType.H264:
            return None
        if data.nb_blocks == 0:
            return float(data.qp)
        return float(np.percentile(data.qp_map(), 75))
    return None


def video_qp(frame_qps: list[float | None]) -> float | None:
    """The video's figure: the median over the sampled frames that have one."""
    known = [q for q in frame_qps if q is not None]
    return float(np.median(known)) if known else None
