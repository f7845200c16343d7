"""How strongly an AVIF (AV1) or HEIF (HEVC) still picture was compressed: the quantiser of its
primary image, and the encoder quality setting it most likely came from.

    coded_quality(data_or_path)  CodedQuality(codec, quantiser, quality, lossless) of the
                                 primary image; .coarser_than_jpeg80 is the laundering test
    avif_quality(data_or_path)   estimated libavif/Pillow quality 0..100 of an AV1 picture
    heif_quality(data_or_path)   estimated libheif/pillow-heif quality 0..100 of an HEVC picture

The quality scales are those of the encoders measured (tables below); other encoders (phones,
web services) are read on the same scale, which is only a description of their quantiser. The
laundering test compares the quantiser itself with the one that costs a photo as much as JPEG
quality 80 (JPEG80_QUANTISER), because these encoders' quality numbers sit far from JPEG's.

The reading is split by job, each part written from its specification:
    heif_items.py   the bounded ISOBMFF walk: primary item -> coded item, its av1C / hvcC, bytes
    av1_header.py   AV1 sequence / frame header down to base_q_idx (0..255)
    hevc_header.py  HEVC VPS / SPS / PPS / slice header down to SliceQpY (-QpBdOffsetY..51)
    bitreader.py    the bounded bit reader and Unparseable, the one error all of them raise

Only box headers, the 'meta' box (at most heif_items.MAX_META bytes) and the first bytes of
each OBU / NAL unit are read, never more than heif_items.READ_BUDGET bytes of a file. Every
count is bounded and every bit reader stops at the bytes it was given: hostile files give None,
never an exception.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from typing import BinaryIO

from .av1_header import av1_quantiser
from .bitreader import Unparseable
from .heif_items import primary_coded_item
from .hevc_header import hevc_quantiser
from .webp_quality import quality_for_quantiser  # the same nearest-quantiser rule as WebP's

__all__ = ["AVIF_QUALITY_QINDEX", "HEIF_QUALITY_QP", "JPEG80_QUANTISER", "CodedQuality", "coded_quality",
           "avif_quality", "heif_quality", "quality_for_quantiser"]

log = logging.getLogger(__name__)

Source = bytes | bytearray | memoryview | str | os.PathLike  # file contents or a path


# --- measured tables ---------------------------------------------------------------------------

# Measured, not derived: index = quality 0..100, value = the median quantiser over the 24 Kodak24
# photos (dev-eval/real-kodak24, 768x512 RGB) of the file the encoder writes at that quality
# (`nice -n 10 python bench/heif_quality_table.py --codec avif`, then `--codec heif --low 20`;
# 2026-11-28). Both encoders derive the quantiser from the quality alone: it was the same for all
# 24 photos at every quality, and for a photo resized to 2000x1500, so the leave-one-photo-out
# error is 0 except where neighbouring qualities share a quantiser (the estimate is then the
# highest of them).
#
# AVIF: base_q_idx of im.save(f, "AVIF", quality=q), Pillow 13.0.0 with libavif 1.4.2 and aom
# 3.14.1 (default speed 6, 4:2:0). Leave-one-out error: median 0, max 2 quality points; no
# photo/quality pair at 70..90 lands on the wrong side of 80.
AVIF_QUALITY_QINDEX: tuple[float, ...] = (
    255, 255, 255, 249, 249, 249, 244, 244, 240, 240,  # 0..9
    236, 236, 232, 232, 228, 228, 224, 224, 220, 220,  # 10..19
    216, 216, 212, 212, 208, 208, 204, 204, 200, 200,  # 20..29
    196, 196, 192, 192, 188, 184, 184, 180, 180, 176,  # 30..39
    172, 172, 168, 168, 164, 160, 160, 156, 156, 152,  # 40..49
    148, 148, 144, 144, 140, 136, 132, 132, 128, 124,  # 50..59
    120, 120, 116, 112, 108, 108, 104, 100, 96, 96,  # 60..69
    92, 88, 84, 84, 80, 76, 72, 72, 68, 64,  # 70..79
    60, 60, 56, 52, 48, 48, 44, 40, 36, 36,  # 80..89
    32, 28, 24, 24, 20, 16, 12, 12, 8, 4,  # 90..99
    0,  # 100
)

# HEIF: SliceQpY of im.save(f, "HEIF", quality=q), pillow-heif 1.8.1 with libheif 1.23.6 and x265
# 4.3 (8-bit and 10-bit alike). 20..100 from the 24 photos; 0..19 from 4 of them (same rule, no
# spread). libheif's mapping is floor((100 - q) / 2) - 3, clamped at 0 from quality 93 on, so
# each QP covers two qualities: leave-one-out error median 1, max 7 (93..100 all read 100); at
# 70..90 only quality 79 lands on the wrong side of 80 (it shares QP 7 with 80): 24 of 504 pairs.
HEIF_QUALITY_QP: tuple[float, ...] = (
    47, 46, 46, 45, 45, 44, 44, 43, 43, 42,  # 0..9
    42, 41, 41, 40, 40, 39, 39, 38, 38, 37,  # 10..19
    37, 36, 36, 35, 35, 34, 34, 33, 33, 32,  # 20..29
    32, 31, 31, 30, 30, 29, 29, 28, 28, 27,  # 30..39
    27, 26, 26, 25, 25, 24, 24, 23, 23, 22,  # 40..49
    22, 21, 21, 20, 20, 19, 19, 18, 18, 17,  # 50..59
    17, 16, 16, 15, 15, 14, 14, 13, 13, 12,  # 60..69
    12, 11, 11, 10, 10, 9, 9, 8, 8, 7,  # 70..79
    7, 6, 6, 5, 5, 4, 4, 3, 3, 2,  # 80..89
    2, 1, 1, 0, 0, 0, 0, 0, 0, 0,  # 90..99
    0,  # 100
)

# The quantiser at which a photo loses as much as JPEG quality 80 (the laundering cut for JPEG),
# from the same bench run: JPEG 80 keeps a mean luma PSNR of 36.8 dB on Kodak24 (as in
# bench/h264_quality_equivalence.py). AVIF reaches it at quality 62 (base_q_idx 116), HEIF at
# quality 41 (SliceQpY 26); the correlation of the fine-texture residual (luma minus its 3x3
# mean, a stand-in for the traces the detector reads) puts the same points at 59 (124) and 39
# (27). The encoders' own scales are far from JPEG's: Pillow's AVIF default 75 (base_q_idx 76,
# 40.3 dB) and pillow-heif's default 50 (QP 22, 40.0 dB) both keep more than JPEG 80 does, and
# pillow-heif at 79 (QP 7, 52 dB) is nearly lossless, so "quality below 80" would be the wrong
# test here: compare the quantiser with these instead.
JPEG80_QUANTISER = {"av1": 116, "hevc": 26}


@dataclass(frozen=True, slots=True)
class CodedQuality:
    """The primary image's codec ("av1" or "hevc"), its quantiser (AV1 base_q_idx 0..255, HEVC
    SliceQpY -QpBdOffsetY..51) and the encoder quality 0..100 it most likely came from.

    `lossless` is True when the picture may be coded without loss: AV1 base_q_idx 0 (lossless
    when the delta quantisers are 0 too, as libavif writes them), or an HEVC PPS that enables
    transquant bypass (x265's lossless mode, pillow-heif quality=-1, which still writes a
    SliceQpY of 4). Its quality is then 100, whatever the table says.
    """

    codec: str
    quantiser: int
    quality: int
    lossless: bool = False

    @property
    def coarser_than_jpeg80(self) -> bool:
        """Quantised harder than what costs a photo as much as JPEG quality 80 (see
        JPEG80_QUANTISER): the laundering test for these codecs."""
        return not self.lossless and self.quantiser > JPEG80_QUANTISER[self.codec]


# --- entry points ------------------------------------------------------------------------------

def _read_quality(f: BinaryIO, size: int) -> CodedQuality:
    codec, config, data = primary_coded_item(f, size)
    if codec == "av1":
        q_index = av1_quantiser(data, config)
        if q_index == 0:
            return CodedQuality(codec, 0, 100, lossless=True)
        return CodedQuality(codec, q_index, quality_for_quantiser(q_index, AVIF_QUALITY_QINDEX))
    qp, bypass = hevc_quantiser(data, config)
    if bypass:
        return CodedQuality(codec, qp, 100, lossless=True)
    return CodedQuality(codec, qp, quality_for_quantiser(qp, HEIF_QUALITY_QP))


def coded_quality(data_or_path: Source) -> CodedQuality | None:
    """Codec, quantiser and estimated encoder quality of an AVIF / HEIF still picture's primary
    image; None when it is not one, cannot be parsed, or a path cannot be read."""
    try:
        if isinstance(data_or_path, (bytes, bytearray, memoryview)):
            data = bytes(data_or_path)
            return _read_quality(io.BytesIO(data), len(data))
        with open(data_or_path, "rb") as f:
            return _read_quality(f, os.fstat(f.fileno()).st_size)
    except Unparseable as err:
        log.debug("AVIF/HEIF quantiser not read: %s", err)
    except OSError as err:
        log.debug("AVIF/HEIF file not read: %s", err)
    return None


def avif_quality(data_or_path: Source) -> int | None:
    """Estimated libavif (Pillow) quality 0..100 of an AV1-coded AVIF picture, else None."""
    result = coded_quality(data_or_path)
    return result.quality if result is not None and result.codec == "av1" else None


def heif_quality(data_or_path: Source) -> int | None:
    """Estimated libheif x265 (pillow-heif) quality 0..100 of an HEVC-coded HEIF, else None."""
    result = coded_quality(data_or_path)
    return result.quality if result is not None and result.codec == "hevc" else None
