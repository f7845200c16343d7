"""How strongly a lossy WebP was compressed: the VP8 quantiser of its key frame, and the libwebp
quality setting it most likely came from.

    vp8_header(payload)          the quantiser fields of a VP8 key-frame header (or None)
    webp_quantiser(data_or_path) the quantiser a lossy WebP's macroblocks use on average (or None)
    webp_quality(data_or_path)   estimated libwebp/Pillow quality 0..100 (or None)

A WebP is a RIFF file: 'RIFF' <size> 'WEBP', then chunks (fourcc, little-endian length, payload
padded to an even size). A simple lossy file has one 'VP8 ' chunk; an extended one starts with
'VP8X' and may carry 'ICCP' and 'ALPH' (alpha plane) before the 'VP8 ' chunk. Lossless files
('VP8L') have no quantiser, animations ('VP8X' animation flag, 'ANIM', 'ANMF') several frames
that may differ: both give None, as do files that cannot be parsed. Only the chunk headers and the
first READ_HEAD bytes of the 'VP8 ' payload are read, at most MAX_CHUNKS chunks are walked, and
the boolean decoder never reads past the bytes it was given: hostile files give None, never an
exception.

The VP8 key-frame header (RFC 6386 sections 9.1-9.6 and 19.2) is a 10-byte uncompressed part
(frame tag, start code, width, height) followed by the first partition, coded with the boolean
entropy coder of RFC 6386 section 7, which is implemented here from the RFC's description.
"""

from __future__ import annotations

import io
import logging
import os
import struct
from dataclasses import dataclass
from collections.abc import Sequence
from typing import BinaryIO

__all__ = ["READ_HEAD", "MAX_CHUNKS", "QUALITY_QUANTISER", "VP8Header", "vp8_header",
           "webp_quantiser", "webp_quality", "quality_for_quantiser"]

log = logging.getLogger(__name__)

READ_HEAD = 256  # bytes of the 'VP8 ' payload read: the header fields need at most ~40
MAX_CHUNKS = 32  # chunks walked before the 'VP8 ' chunk ('VP8X', 'ICCP', 'ALPH', metadata...)
MAX_QUANTISER = 127
NUM_SEGMENTS = 4

Source = bytes | bytearray | memoryview | str | os.PathLike  # file contents or a path

_START_CODE = b"\x9d\x01\x2a"
_VP8X_ANIMATION = 0x02  # bit 1 of the VP8X flags byte
_VP8X_SIZE = 10  # flags, 3 reserved bytes, canvas width - 1 and height - 1 (24 bits each)
_NO_QUANTISER = {b"VP8L": "lossless", b"ANIM": "animated", b"ANMF": "animated"}


class _Truncated(Exception):
    """Internal: the header needs bits beyond the bytes available (never escapes this module)."""


class _BoolDecoder:
    """The boolean entropy decoder of RFC 6386 section 7.3, over data[start:end].

    `value` holds the two bytes being decoded (the RFC's "bigsplit" comparison works on 16 bits)
    and is refilled one byte whenever eight bits have been shifted out. Bytes past `end` are never
    read; the first time the decoder would need one, _Truncated is raised.
    """

    __slots__ = ("_data", "_pos", "_end", "_value", "_range", "_shifted")

    def __init__(self, data: bytes, start: int, end: int) -> None:
        self._data = data
        self._pos = start
        self._end = min(end, len(data))
        self._value = (self._next_byte() << 8) | self._next_byte()
        self._range = 255  # always within 128..255 between calls
        self._shifted = 0  # bits shifted out of `value` since the last refill

    def _next_byte(self) -> int:
        if self._pos >= self._end:
            raise _Truncated
        byte = self._data[self._pos]
        self._pos += 1
        return byte

    def bool(self, probability: int) -> int:
        """One bool whose chance of being 0 is probability/256 (1..255)."""
        split = 1 + (((self._range - 1) * probability) >> 8)
        big_split = split << 8
        if self._value >= big_split:
            bit = 1
            self._range -= split
            self._value -= big_split
        else:
            bit = 0
            self._range = split
        while self._range < 128:  # renormalise: keep range in 128..255
            self._range <<= 1
            self._value <<= 1
            self._shifted += 1
            if self._shifted == 8:
                self._shifted = 0
                self._value |= self._next_byte()
        return bit

    def literal(self, bits: int) -> int:
        """L(n) of the RFC: an n-bit unsigned number, most significant bit first, p = 1/2."""
        value = 0
        for _ in range(bits):
            value = (value << 1) | self.bool(128)
        return value

    def flag(self) -> bool:
        return bool(self.literal(1))

    def signed(self, bits: int) -> int:
        """A magnitude of n bits followed by a sign flag (1 = negative)."""
        magnitude = self.literal(bits)
        return -magnitude if self.flag() else magnitude

    def optional_signed(self, bits: int) -> int | None:
        """A presence flag, then (when present) a signed value: None when absent."""
        return self.signed(bits) if self.flag() else None


@dataclass(frozen=True, slots=True)
class VP8Header:
    """The quantiser-related fields of a VP8 key-frame header.

    segment_quantisers are the y_ac quantiser indices the four segments use (after applying the
    absolute or delta segment values to y_ac_qi and clamping to 0..127); segment_shares are the
    fractions of macroblocks expected in each segment, read from the segment-id tree
    probabilities (RFC 6386 sections 9.3 and 10). Both are None without segmentation.
    """

    width: int
    height: int
    y_ac_qi: int
    segment_quantisers: tuple[int, ...] | None
    segment_shares: tuple[float, ...] | None

    @property
    def mean_quantiser(self) -> float:
        """The y_ac quantiser index the picture's macroblocks use on average (0..127).

        Without segmentation every macroblock uses y_ac_qi. With segmentation each macroblock
        uses its segment's index, so y_ac_qi alone can be wrong (libwebp writes segment values
        in absolute mode, where y_ac_qi is just segment 0's index and is not used by decoders).
        The per-macroblock segment map sits after the header and would need the whole first
        partition decoded; but the encoder sets the segment-id tree probabilities from how many
        macroblocks it put in each segment, so the probabilities give each segment's expected
        share, and this is the share-weighted mean of the segment indices.
        """
        if self.segment_quantisers is None or self.segment_shares is None:
            return float(self.y_ac_qi)
        return sum(q * s for q, s in zip(self.segment_quantisers, self.segment_shares, strict=True))


def _segment_shares(probabilities: tuple[int, int, int]) -> tuple[float, ...]:
    """Expected share of each segment id from the tree probabilities (each is P(bit 0) * 256).

    The segment-id tree (RFC 6386 section 10): the root bit (probability 0) picks {0, 1} or
    {2, 3}, then probability 1 picks 0 or 1 and probability 2 picks 2 or 3.
    """
    root, low, high = (p / 256.0 for p in probabilities)
    return (root * low, root * (1 - low), (1 - root) * high, (1 - root) * (1 - high))


def _clamp_quantiser(q: int) -> int:
    return max(0, min(MAX_QUANTISER, q))


def _read_header(bd: _BoolDecoder, width: int, height: int) -> VP8Header:
    """Walk the first partition up to quant_indices (RFC 6386 section 19.2), in order."""
    bd.literal(1)  # color_space
    bd.literal(1)  # clamping_type
    segment_values: list[int | None] | None = None
    absolute = False
    tree_probabilities = (255, 255, 255)  # RFC default when not updated
    segmentation = bd.flag()
    if segmentation:
        update_map = bd.flag()
        update_data = bd.flag()
        if update_data:
            absolute = bd.flag()  # segment_feature_mode: 1 absolute values, 0 deltas
            segment_values = [bd.optional_signed(7) for _ in range(NUM_SEGMENTS)]
            for _ in range(NUM_SEGMENTS):
                bd.optional_signed(6)  # loop filter level per segment
        if update_map:
            tree_probabilities = tuple(  # type: ignore[assignment]
                bd.literal(8) if bd.flag() else 255 for _ in range(NUM_SEGMENTS - 1))
    bd.literal(1)  # filter_type
    bd.literal(6)  # loop_filter_level
    bd.literal(3)  # sharpness_level
    if bd.flag():  # loop_filter_adj_enable
        if bd.flag():  # mode_ref_lf_delta_update
            for _ in range(8):  # 4 reference-frame deltas, then 4 mode deltas
                bd.optional_signed(6)
    bd.literal(2)  # log2_nbr_of_dct_partitions
    y_ac_qi = bd.literal(7)
    for _ in range(5):  # y_dc, y2_dc, y2_ac, uv_dc, uv_ac deltas: read so truncation shows
        bd.optional_signed(4)

    if not segmentation:
        return VP8Header(width, height, y_ac_qi, None, None)
    # A key frame starts from cleared segment data: a segment without a value uses y_ac_qi
    # (delta 0); without a map update every macroblock is in segment 0.
    values = segment_values or [None] * NUM_SEGMENTS
    if absolute:
        quantisers = tuple(_clamp_quantiser(v if v is not None else 0) for v in values)
    else:
        quantisers = tuple(_clamp_quantiser(y_ac_qi + (v or 0)) for v in values)
    shares = _segment_shares(tree_probabilities) if update_map else (1.0, 0.0, 0.0, 0.0)
    return VP8Header(width, height, y_ac_qi, quantisers, shares)


def vp8_header(payload: bytes) -> VP8Header | None:
    """The header of a 'VP8 ' chunk payload (its first bytes suffice); None unless it is a
    well-formed key frame whose header fits in the bytes given."""
    if len(payload) < 10:
        return None
    tag = payload[0] | (payload[1] << 8) | (payload[2] << 16)
    key_frame = not (tag & 1)
    version = (tag >> 1) & 7
    first_partition = tag >> 5
    if not key_frame or version > 3 or payload[3:6] != _START_CODE or first_partition == 0:
        return None
    width = (payload[6] | (payload[7] << 8)) & 0x3FFF  # top 2 bits: upscaling hint, ignored
    height = (payload[8] | (payload[9] << 8)) & 0x3FFF
    if width == 0 or height == 0:
        return None
    try:
        return _read_header(_BoolDecoder(payload, 10, 10 + first_partition), width, height)
    except _Truncated:
        return None


def _vp8_payload(f: BinaryIO) -> bytes | None:
    """The first READ_HEAD bytes of the 'VP8 ' chunk of a still lossy WebP, else None."""
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None
    for _ in range(MAX_CHUNKS):
        chunk = f.read(8)
        if len(chunk) < 8:
            return None
        fourcc, length = struct.unpack("<4sI", chunk)
        if fourcc == b"VP8 ":
            payload = f.read(min(length, READ_HEAD))
            return payload if len(payload) == min(length, READ_HEAD) else None
        if fourcc in _NO_QUANTISER:
            log.debug("WebP has no single lossy frame (%s)", _NO_QUANTISER[fourcc])
            return None
        skip = length + (length & 1)  # payloads are padded to an even size
        if fourcc == b"VP8X":
            flags = f.read(1)
            if length < _VP8X_SIZE or len(flags) < 1 or flags[0] & _VP8X_ANIMATION:
                return None
            skip -= 1
        f.seek(skip, io.SEEK_CUR)
    return None


def webp_quantiser(data_or_path: Source) -> float | None:
    """The y_ac quantiser index (0..127, fractional when averaged over segments, see
    VP8Header.mean_quantiser) of a still lossy WebP; None for lossless, animated or unparseable
    files, and when a path cannot be read (the quality is then simply unknown)."""
    try:
        if isinstance(data_or_path, (bytes, bytearray, memoryview)):
            payload = _vp8_payload(io.BytesIO(bytes(data_or_path)))
        else:
            with open(data_or_path, "rb") as f:
                payload = _vp8_payload(f)
    except OSError as err:
        log.debug("WebP quantiser not read: %s", err)
        return None
    if payload is None:
        return None
    header = vp8_header(payload)
    return None if header is None else header.mean_quantiser


# Measured, not derived: QUALITY_QUANTISER[q] is the median over 24 photos of webp_quantiser() of
# the file Pillow writes with im.save(f, "WEBP", quality=q) for q = 0..100 (default method 4,
# Pillow 13.0.0 with libwebp 1.6.0, 2026-11-28). Photos: Kodak24 kodim01..kodim24 as stored in
# shared/data/detector/dev-eval/real-kodak24 (500x500 RGB PNG). Across the 24 photos the
# quantiser at one quality spans at most 2.9 index steps (under 1 at qualities 74..86), and
# estimating each photo with the table of the other 23 was never off by more than 2 quality
# points, mostly 0 or 1, and exactly right at every quality from 76 to 100 (so the cut at
# JPEG_QUALITY_MIN = 80 never moved). Synthetic pictures (sine textures, noise, gradients;
# methods 0, 4 and 6) were off by at most 4, flat gradients at method 0 the worst. libwebp picks
# the segment quantisers from the quality and each segment's texture, so the share-weighted mean
# tracks the quality much better than y_ac_qi (segment 0 only: off by up to 8) or the plain mean
# of the four segments (off by up to 16).
QUALITY_QUANTISER: tuple[float, ...] = (
    127.0, 100.2, 94.3, 90.0, 86.5, 83.8, 81.2, 79.2, 77.2, 75.2,  # 0..9
    73.3, 71.8, 70.2, 68.8, 67.4, 66.2, 65.0, 63.7, 62.6, 61.5,  # 10..19
    60.4, 59.4, 58.4, 57.4, 56.4, 55.5, 54.7, 53.8, 52.9, 52.0,  # 20..29
    51.3, 50.4, 49.6, 48.9, 48.2, 47.5, 46.7, 45.9, 45.4, 44.6,  # 30..39
    43.9, 43.3, 42.6, 42.0, 41.4, 40.7, 40.2, 39.5, 39.0, 38.3,  # 40..49
    37.8, 37.2, 36.6, 36.1, 35.6, 34.9, 34.6, 33.9, 33.4, 32.9,  # 50..59
    32.4, 31.8, 31.4, 30.9, 30.4, 29.9, 29.4, 29.0, 28.4, 28.0,  # 60..69
    27.6, 27.1, 26.6, 26.2, 25.8, 25.3, 24.1, 22.7, 21.5, 20.4,  # 70..79
    19.1, 18.0, 16.8, 15.6, 14.6, 13.5, 12.5, 11.5, 10.5, 9.5,  # 80..89
    8.4, 7.5, 6.5, 5.6, 4.8, 3.8, 2.9, 2.1, 1.2, 0.2,  # 90..99
    0.0,  # 100
)


def quality_for_quantiser(quantiser: float, table: Sequence[float] = QUALITY_QUANTISER) -> int:
    """The quality (0..100) whose measured quantiser is closest; on a tie the higher quality
    (the benefit of the doubt: a higher quality never forces "inconclusive"). `table`: another
    measured table (heif_quality's AVIF and HEIF tables; bench/webp_quality_table.py checks
    this rule against tables measured without a photo)."""
    return min(range(len(table)), key=lambda q: (abs(table[q] - quantiser), -q))


def webp_quality(data_or_path: Source) -> int | None:
    """Estimated libwebp quality setting (0..100) of a still lossy WebP, else None."""
    quantiser = webp_quantiser(data_or_path)
    return None if quantiser is None else quality_for_quantiser(quantiser)
