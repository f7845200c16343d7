"""How strongly an AVIF (AV1) or HEIF (HEVC) still picture was compressed: the quantiser of its
primary image, and the encoder quality setting it most likely came from.

    coded_quality(data_or_path)  CodedQuality(codec, quantiser, quality) of the primary image
    avif_quality(data_or_path)   estimated libavif/Pillow quality 0..100 of an AV1 picture
    heif_quality(data_or_path)   estimated libheif/pillow-heif quality 0..100 of an HEVC picture

Both formats are ISOBMFF files ('ftyp', then a 'meta' box describing items, then the coded
bytes, usually in 'mdat'). Inside 'meta': 'pitm' names the primary item, 'iinf' gives each item's
type ('av01', 'hvc1', or a derived 'grid' / 'iden' / 'iovl' / 'tmap' whose inputs are listed by an
'iref' 'dimg' reference), 'iloc' where its bytes are, and 'iprp' its properties ('av1C' / 'hvcC'
codec configuration, linked to items by 'ipma'). The primary item is followed through at most
MAX_DERIVATION derivations to its first input (the first tile of a grid: all tiles of one
picture share the encoder settings); alpha, depth and thumbnail items are never on that path.

AV1 (AV1 bitstream spec, sections 5.3-5.9): the item's OBUs give the sequence header and the
first frame header, read up to quantization_params().base_q_idx (0..255). Both the
reduced_still_picture_header form (what libavif writes) and full key / intra-only frame headers
are read; inter frames, shown-existing frames and anything else give None.

HEVC (ITU-T H.265 sections 7.3.2-7.3.6): hvcC carries the VPS/SPS/PPS; the item's data is a
list of length-prefixed NAL units. The PPS gives init_qp_minus26, the first slice segment
header of the picture slice_qp_delta, and SliceQpY = 26 + init_qp_minus26 + slice_qp_delta
(-QpBdOffsetY..51). Only intra (I) slices are read.

Only box headers, the 'meta' box (at most MAX_META bytes) and the first bytes of each OBU / NAL
unit are read, never more than READ_BUDGET bytes of a file. Every count is bounded and every bit
reader stops at the bytes it was given: hostile files give None, never an exception. The bit
readers are written from the two specifications.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from ..limits import DEFAULT_LIMITS

__all__ = ["MAX_META", "READ_BUDGET", "MAX_DERIVATION", "AVIF_QUALITY_QINDEX",
           "HEIF_QUALITY_QP", "CodedQuality", "coded_quality", "avif_quality", "heif_quality",
           "quality_for_quantiser"]

log = logging.getLogger(__name__)

MAX_META = 256 * 1024  # a 'meta' box larger than this is not read (real ones: a few KB)
READ_BUDGET = 384 * 1024  # bytes read from one file at most, all reads together
MAX_TOP_BOXES = 64  # top-level boxes walked looking for 'meta'
MAX_BOXES = min(10_000, DEFAULT_LIMITS.max_structures)  # boxes walked inside 'meta'
MAX_EXTENTS = 256  # iloc extents of the coded item
MAX_DERIVATION = 4  # tmap -> iden -> grid -> tile is the longest chain seen in practice
MAX_UNITS = 64  # OBUs / NAL units walked before the first frame / slice header
UNIT_HEAD = 2048  # bytes read of one OBU / NAL unit (headers need well under 200)
PARAMETER_SET_MAX = 4096  # bytes of one VPS/SPS/PPS (scaling lists make an SPS ~ 1 KB)

Source = bytes | bytearray | memoryview | str | os.PathLike  # file contents or a path

_CODED_ITEMS = {b"av01": "av1", b"hvc1": "hevc"}
_CONFIG_BOX = {"av1": b"av1C", "hevc": b"hvcC"}
_DERIVED_ITEMS = frozenset({b"grid", b"iden", b"iovl", b"tmap"})


class _Unparseable(Exception):
    """Internal: truncated, out of bounds or unexpected (never escapes this module)."""


# --- measured tables ---------------------------------------------------------------------------

# Measured, not derived (bench/heif_quality_table.py): index = quality 0..100, value = median
# quantiser over the 24 Kodak24 photos (dev-eval/real-kodak24, 500x500 RGB).
# AVIF: base_q_idx of im.save(f, "AVIF", quality=q) (Pillow 13.0.0, libavif 1.4.2, aom 3.14.1,
# default speed 6, 4:2:0). HEIF: SliceQpY of im.save(f, "HEIF", quality=q) (pillow-heif 1.8.1,
# libheif 1.23.6, x265 4.3). Filled in below from the bench's output.
AVIF_QUALITY_QINDEX: tuple[float, ...] = tuple(255 - 2.55 * q for q in range(101))
HEIF_QUALITY_QP: tuple[float, ...] = tuple(51 - 0.51 * q for q in range(101))


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


def quality_for_quantiser(quantiser: float, table: Sequence[float]) -> int:
    """The quality whose measured quantiser is closest; on a tie the higher quality (the
    benefit of the doubt: a higher quality never forces "inconclusive")."""
    return min(range(len(table)), key=lambda q: (abs(table[q] - quantiser), -q))


# --- bit reading -------------------------------------------------------------------------------

class _Bits:
    """MSB-first bit reader over `data` (AV1 f(n) and HEVC u(n) are the same thing)."""

    __slots__ = ("_data", "_pos", "_end")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0
        self._end = len(data) * 8

    def u(self, n: int) -> int:
        if self._pos + n > self._end:
            raise _Unparseable("bits past the end")
        value = 0
        for _ in range(n):
            byte = self._data[self._pos >> 3]
            value = (value << 1) | ((byte >> (7 - (self._pos & 7))) & 1)
            self._pos += 1
        return value

    def flag(self) -> bool:
        return bool(self.u(1))

    def _leading_zeros(self, limit: int) -> int:
        zeros = 0
        while not self.u(1):
            zeros += 1
            if zeros > limit:
                raise _Unparseable("Exp-Golomb code too long")
        return zeros

    def ue(self, maximum: int = (1 << 32) - 2) -> int:
        """H.265 ue(v) (section 9.2), refused above `maximum`."""
        zeros = self._leading_zeros(31)
        value = (1 << zeros) - 1 + self.u(zeros)
        if value > maximum:
            raise _Unparseable(f"ue(v) {value} above {maximum}")
        return value

    def se(self, low: int = -(1 << 31), high: int = (1 << 31) - 1) -> int:
        """H.265 se(v): k -> (-1)^(k+1) * Ceil(k / 2), refused outside low..high."""
        k = self.ue()
        value = (k + 1) >> 1 if k & 1 else -(k >> 1)
        if not low <= value <= high:
            raise _Unparseable(f"se(v) {value} outside {low}..{high}")
        return value

    def uvlc(self) -> int:
        """AV1 uvlc() (section 4.10.3)."""
        zeros = self._leading_zeros(32)
        return (1 << 32) - 1 if zeros >= 32 else self.u(zeros) + (1 << zeros) - 1

    def ns(self, n: int) -> int:
        """AV1 ns(n) (section 4.10.7): 0..n-1 in a non-symmetric code."""
        w = n.bit_length()  # FloorLog2(n) + 1
        m = (1 << w) - n
        v = self.u(w - 1)
        return v if v < m else (v << 1) - m + self.u(1)


def _bits_for(n: int) -> int:
    """Ceil(Log2(n)) for n >= 1."""
    return (n - 1).bit_length()


# --- file access -------------------------------------------------------------------------------

class _Reader:
    """Random access to a file or bytes with a total read budget."""

    def __init__(self, f: BinaryIO, size: int) -> None:
        self._f = f
        self.size = size
        self._budget = READ_BUDGET

    def read(self, pos: int, n: int) -> bytes:
        if pos < 0 or n < 0 or pos + n > self.size:
            raise _Unparseable(f"read {pos}+{n} outside a file of {self.size} bytes")
        if n > self._budget:
            raise _Unparseable("read budget spent")
        self._budget -= n
        self._f.seek(pos)
        data = self._f.read(n)
        if len(data) != n:
            raise _Unparseable("short read")
        return data


class _ItemData:
    """The bytes of one item, gathered from its iloc extents (file offsets)."""

    def __init__(self, reader: _Reader, extents: list[tuple[int, int]]) -> None:
        self._reader = reader
        self._extents = extents
        self.size = sum(length for _, length in extents)

    def read(self, pos: int, n: int) -> bytes:
        """Bytes pos..pos+n of the item (fewer when the item ends first)."""
        parts: list[bytes] = []
        start = 0
        for offset, length in self._extents:
            if n <= 0:
                break
            if pos < start + length:
                skip = max(0, pos - start)
                take = min(n, length - skip)
                parts.append(self._reader.read(offset + skip, take))
                pos += take
                n -= take
            start += length
        return b"".join(parts)


def _box_header(head: bytes, pos: int, end: int) -> tuple[bytes, int, int]:
    """(type, body start, box end) of the box at head[pos:]; size 0 runs to `end`."""
    if pos + 8 > len(head):
        raise _Unparseable("box header cut")
    size = int.from_bytes(head[pos:pos + 4], "big")
    kind = head[pos + 4:pos + 8]
    body = pos + 8
    if size == 1:
        if pos + 16 > len(head):
            raise _Unparseable("large box header cut")
        size = int.from_bytes(head[pos + 8:pos + 16], "big")
        body = pos + 16
    elif size == 0:
        size = end - pos
    if kind == b"uuid":
        body += 16
    if size < body - pos or pos + size > end:
        raise _Unparseable(f"box {kind!r} of size {size} does not fit")
    return kind, body, pos + size


def _boxes(data: bytes, start: int, end: int,
           budget: list[int]) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, end) of the boxes in data[start:end]; budget[0] counts them down."""
    pos = start
    while pos < end:
        budget[0] -= 1
        if budget[0] < 0:
            raise _Unparseable("too many boxes")
        kind, body, box_end = _box_header(data, pos, end)
        yield kind, body, box_end
        pos = box_end


def _int(data: bytes, pos: int, n: int) -> int:
    if pos < 0 or pos + n > len(data):
        raise _Unparseable("field past the end of its box")
    return int.from_bytes(data[pos:pos + n], "big")


def _meta(reader: _Reader) -> bytes:
    """The body of the top-level 'meta' box (after 'ftyp', which must come first)."""
    pos = 0
    for index in range(MAX_TOP_BOXES):
        if reader.size - pos < 8:
            break
        head = reader.read(pos, min(32, reader.size - pos))  # size, type, largesize, uuid
        kind, body, end = _box_header(head, 0, reader.size - pos)
        if index == 0 and kind != b"ftyp":
            raise _Unparseable("not an ISOBMFF file")
        if kind == b"meta":
            if end - body > MAX_META:
                raise _Unparseable("meta box too large")
            return reader.read(pos + body, end - body)
        pos += end
    raise _Unparseable("no meta box")


@dataclass(slots=True)
class _Meta:
    """What 'meta' says about the items (first box of each kind, first entry of each item)."""

    primary: int | None = None
    handler: bytes = b""
    types: dict[int, bytes] = field(default_factory=dict)
    locations: dict[int, tuple[int, int, list[tuple[int, int]]]] = field(default_factory=dict)
    dimg: dict[int, list[int]] = field(default_factory=dict)
    properties: list[tuple[bytes, bytes]] = field(default_factory=list)  # ipco: (type, body)
    associations: dict[int, list[int]] = field(default_factory=dict)  # item -> ipco indices


def _parse_meta(data: bytes) -> _Meta:
    meta = _Meta()
    budget = [MAX_BOXES]
    seen: set[bytes] = set()
    for kind, body, end in _boxes(data, 4, len(data), budget):  # 4: version and flags
        if kind in seen:
            continue  # the first of each box counts, as for readers that stop at it
        seen.add(kind)
        box = data[body:end]
        if kind == b"hdlr":
            meta.handler = box[8:12]
        elif kind == b"pitm":
            meta.primary = _int(box, 4, 2 if box[:1] == b"\0" else 4)
        elif kind == b"iinf":
            _parse_iinf(box, meta, budget)
        elif kind == b"iloc":
            _parse_iloc(box, meta, budget)
        elif kind == b"iref":
            _parse_iref(box, meta, budget)
        elif kind == b"iprp":
            _parse_iprp(box, meta, budget)
    return meta


def _parse_iinf(box: bytes, meta: _Meta, budget: list[int]) -> None:
    first = 6 if _int(box, 0, 1) == 0 else 8
    for kind, body, end in _boxes(box, first, len(box), budget):
        if kind != b"infe" or _int(box, body, 1) < 2:
            continue  # infe versions 0 and 1 have no item type: never an image
        id_size = 2 if box[body] == 2 else 4
        item_id = _int(box, body + 4, id_size)
        type_at = body + 4 + id_size + 2  # after the item protection index
        if type_at + 4 > end:
            raise _Unparseable("infe cut")
        meta.types.setdefault(item_id, box[type_at:type_at + 4])


def _parse_iloc(box: bytes, meta: _Meta, budget: list[int]) -> None:
    version = _int(box, 0, 1)
    if version > 2:
        raise _Unparseable(f"iloc version {version}")
    sizes = _int(box, 4, 2)
    offset_size, length_size, base_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    index_size = sizes & 15 if version else 0
    if not {offset_size, length_size, base_size, index_size} <= {0, 4, 8}:
        raise _Unparseable("iloc field sizes")
    id_size = 2 if version < 2 else 4
    count = _int(box, 6, id_size)
    pos = 6 + id_size
    for _ in range(count):  # each entry takes bytes: a lying count ends at the box end
        item_id = _int(box, pos, id_size)
        pos += id_size
        method = 0
        if version:
            method = _int(box, pos, 2) & 15
            pos += 2
        method |= _int(box, pos, 2) << 4  # a data_reference_index other than 0: another file
        pos += 2
        base = _int(box, pos, base_size) if base_size else 0
        pos += base_size
        n_extents = _int(box, pos, 2)
        pos += 2
        if n_extents > MAX_EXTENTS:
            raise _Unparseable("too many extents")
        extents = []
        for _e in range(n_extents):
            budget[0] -= 1  # zero-size fields make extents free: count them like boxes
            if budget[0] < 0:
                raise _Unparseable("too many extents")
            pos += index_size
            offset = _int(box, pos, offset_size) if offset_size else 0
            pos += offset_size
            length = _int(box, pos, length_size) if length_size else 0
            pos += length_size
            extents.append((offset, length))
        meta.locations.setdefault(item_id, (method, base, extents))


def _parse_iref(box: bytes, meta: _Meta, budget: list[int]) -> None:
    id_size = 2 if _int(box, 0, 1) == 0 else 4
    for kind, body, end in _boxes(box, 4, len(box), budget):
        if kind != b"dimg":
            continue
        source = _int(box, body, id_size)
        count = _int(box, body + id_size, 2)
        first = body + id_size + 2
        if first + count * id_size > end:
            raise _Unparseable("iref cut")
        targets = [_int(box, first + i * id_size, id_size) for i in range(count)]
        meta.dimg.setdefault(source, targets)


def _parse_iprp(box: bytes, meta: _Meta, budget: list[int]) -> None:
    for kind, body, end in _boxes(box, 0, len(box), budget):
        if kind == b"ipco" and not meta.properties:
            meta.properties = [(k, box[b:e]) for k, b, e in _boxes(box, body, end, budget)]
        elif kind == b"ipma":
            ipma = box[body:end]
            version, flags = _int(ipma, 0, 1), _int(ipma, 1, 3)
            id_size = 2 if version < 1 else 4
            index_size = 2 if flags & 1 else 1
            mask = 0x7FFF if flags & 1 else 0x7F  # the top bit is the "essential" flag
            count = _int(ipma, 4, 4)
            pos = 8
            for _ in range(count):
                item_id = _int(ipma, pos, id_size)
                n = _int(ipma, pos + id_size, 1)
                pos += id_size + 1
                indices = [_int(ipma, pos + i * index_size, index_size) & mask for i in range(n)]
                pos += n * index_size
                meta.associations.setdefault(item_id, indices)


def _coded_item(meta: _Meta) -> tuple[str, int]:
    """(codec, item id) of the coded image behind the primary item."""
    if meta.handler != b"pict" or meta.primary is None:
        raise _Unparseable("no picture handler or no primary item")
    item = meta.primary
    for _ in range(MAX_DERIVATION + 1):
        kind = meta.types.get(item)
        if kind in _CODED_ITEMS:
            return _CODED_ITEMS[kind], item
        inputs = meta.dimg.get(item)
        if kind not in _DERIVED_ITEMS or not inputs:
            raise _Unparseable(f"primary item type {kind!r}")
        item = inputs[0]
    raise _Unparseable("derivation chain too long")


def _config(meta: _Meta, item: int, codec: str) -> bytes:
    """The body of the item's av1C / hvcC property."""
    properties = meta.properties
    for index in meta.associations.get(item, []):
        if 1 <= index <= len(properties) and properties[index - 1][0] == _CONFIG_BOX[codec]:
            return properties[index - 1][1]
    raise _Unparseable("no codec configuration")


def _item_data(meta: _Meta, item: int, reader: _Reader) -> _ItemData:
    location = meta.locations.get(item)
    if location is None:
        raise _Unparseable("coded item has no location")
    method, base, extents = location
    if method != 0 or not extents:  # idat / item-offset construction, or another file
        raise _Unparseable(f"construction method {method}")
    spans = []
    for offset, length in extents:
        start = base + offset
        if length == 0 and len(extents) == 1:
            length = reader.size - start  # "to the end of the file"
        if length <= 0 or start + length > reader.size:
            raise _Unparseable("extent outside the file")
        spans.append((start, length))
    return _ItemData(reader, spans)


# --- AV1 ---------------------------------------------------------------------------------------

_OBU_SEQUENCE_HEADER, _OBU_FRAME_HEADER, _OBU_TILE_GROUP, _OBU_FRAME = 1, 3, 4, 6
_KEY_FRAME, _INTRA_ONLY_FRAME = 0, 2  # frame_type values (1: inter, 3: switch)
_SELECT = 2  # SELECT_SCREEN_CONTENT_TOOLS / SELECT_INTEGER_MV


@dataclass(frozen=True, slots=True)
class _SequenceHeader:
    reduced: bool
    equal_picture_interval: bool
    decoder_model: bool
    buffer_removal_time_bits: int
    frame_presentation_time_bits: int
    operating_points: tuple[tuple[int, bool], ...]  # (operating_point_idc, decoder model for it)
    frame_width_bits: int
    frame_height_bits: int
    max_width: int
    max_height: int
    frame_id_bits: int  # 0 without frame_id_numbers_present_flag
    sb128: bool
    screen_content: int
    integer_mv: int
    order_hint_bits: int
    superres: bool


def _av1_sequence_header(b: _Bits) -> _SequenceHeader:
    """sequence_header_obu() (section 5.5) up to enable_superres."""
    if b.u(3) > 2:
        raise _Unparseable("seq_profile")
    b.u(1)  # still_picture
    reduced = b.flag()
    equal_interval = decoder_model = False
    removal_bits = presentation_bits = 0
    points: list[tuple[int, bool]] = []
    if reduced:
        b.u(5)  # seq_level_idx[0]
        points.append((0, False))
    else:
        if b.flag():  # timing_info_present_flag
            b.u(32)  # num_units_in_display_tick
            b.u(32)  # time_scale
            equal_interval = b.flag()
            if equal_interval:
                b.uvlc()  # num_ticks_per_picture_minus_1
            decoder_model = b.flag()
            if decoder_model:
                delay_bits = b.u(5) + 1  # buffer_delay_length_minus_1
                b.u(32)  # num_units_in_decoding_tick
                removal_bits = b.u(5) + 1
                presentation_bits = b.u(5) + 1
        display_delay = b.flag()  # initial_display_delay_present_flag
        for _ in range(b.u(5) + 1):  # operating points
            idc = b.u(12)
            if b.u(5) > 7:  # seq_level_idx
                b.u(1)  # seq_tier
            model_here = False
            if decoder_model:
                model_here = b.flag()
                if model_here:
                    b.u(delay_bits)  # decoder_buffer_delay
                    b.u(delay_bits)  # encoder_buffer_delay
                    b.u(1)  # low_delay_mode_flag
            if display_delay and b.flag():
                b.u(4)  # initial_display_delay_minus_1
            points.append((idc, model_here))
    width_bits = b.u(4) + 1
    height_bits = b.u(4) + 1
    max_width = b.u(width_bits) + 1
    max_height = b.u(height_bits) + 1
    frame_id_bits = 0
    if not reduced and b.flag():  # frame_id_numbers_present_flag
        delta_bits = b.u(4) + 2
        frame_id_bits = b.u(3) + 1 + delta_bits
    sb128 = b.flag()
    b.u(2)  # enable_filter_intra, enable_intra_edge_filter
    screen_content = integer_mv = _SELECT
    order_hint_bits = 0
    if not reduced:
        b.u(4)  # interintra, masked compound, warped motion, dual filter
        order_hint = b.flag()
        if order_hint:
            b.u(2)  # enable_jnt_comp, enable_ref_frame_mvs
        screen_content = _SELECT if b.flag() else b.u(1)
        if screen_content > 0:
            integer_mv = _SELECT if b.flag() else b.u(1)
        if order_hint:
            order_hint_bits = b.u(3) + 1
    superres = b.flag()
    return _SequenceHeader(reduced, equal_interval, decoder_model, removal_bits,
                           presentation_bits, tuple(points), width_bits, height_bits, max_width,
                           max_height, frame_id_bits, sb128, screen_content, integer_mv,
                           order_hint_bits, superres)


def _tile_log2(block: int, target: int) -> int:
    k = 0
    while (block << k) < target:
        k += 1
    return k


def _av1_tile_info(b: _Bits, seq: _SequenceHeader, width: int, height: int) -> None:
    """tile_info() (section 5.9.15): read only to step over it."""
    mi_cols, mi_rows = 2 * ((width + 7) >> 3), 2 * ((height + 7) >> 3)
    sb_shift = 5 if seq.sb128 else 4
    sb_cols = (mi_cols + (1 << sb_shift) - 1) >> sb_shift
    sb_rows = (mi_rows + (1 << sb_shift) - 1) >> sb_shift
    sb_size = sb_shift + 2
    max_tile_width_sb = 4096 >> sb_size
    max_tile_area_sb = (4096 * 2304) >> (2 * sb_size)
    min_cols_log2 = _tile_log2(max_tile_width_sb, sb_cols)
    max_cols_log2 = _tile_log2(1, min(sb_cols, 64))
    max_rows_log2 = _tile_log2(1, min(sb_rows, 64))
    min_tiles_log2 = max(min_cols_log2, _tile_log2(max_tile_area_sb, sb_rows * sb_cols))
    if b.flag():  # uniform_tile_spacing_flag
        cols_log2 = min_cols_log2
        while cols_log2 < max_cols_log2 and b.flag():
            cols_log2 += 1
        rows_log2 = max(min_tiles_log2 - cols_log2, 0)
        while rows_log2 < max_rows_log2 and b.flag():
            rows_log2 += 1
    else:
        widest = start = cols = 0
        while start < sb_cols:
            size = b.ns(min(sb_cols - start, max_tile_width_sb)) + 1
            widest, start, cols = max(widest, size), start + size, cols + 1
        area = (sb_rows * sb_cols) >> (min_tiles_log2 + 1) if min_tiles_log2 else sb_rows * sb_cols
        max_height_sb = max(area // widest, 1)
        start = rows = 0
        while start < sb_rows:
            start += b.ns(min(sb_rows - start, max_height_sb)) + 1
            rows += 1
        cols_log2, rows_log2 = _tile_log2(1, cols), _tile_log2(1, rows)
    if cols_log2 or rows_log2:
        b.u(cols_log2 + rows_log2)  # context_update_tile_id
        b.u(2)  # tile_size_bytes_minus_1


def _av1_base_q_idx(b: _Bits, seq: _SequenceHeader, temporal_id: int, spatial_id: int) -> int:
    """uncompressed_header() (section 5.9.2) of an intra frame, up to base_q_idx."""
    frame_type, show_frame, error_resilient = _KEY_FRAME, True, True
    if not seq.reduced:
        if b.flag():
            raise _Unparseable("show_existing_frame")
        frame_type = b.u(2)
        if frame_type not in (_KEY_FRAME, _INTRA_ONLY_FRAME):
            raise _Unparseable("inter frame")
        show_frame = b.flag()
        if show_frame and seq.decoder_model and not seq.equal_picture_interval:
            b.u(seq.frame_presentation_time_bits)  # temporal_point_info()
        if not show_frame:
            b.u(1)  # showable_frame
        if not (frame_type == _KEY_FRAME and show_frame):
            error_resilient = b.flag()
    disable_cdf_update = b.flag()
    screen_content = b.u(1) if seq.screen_content == _SELECT else seq.screen_content
    if screen_content and seq.integer_mv == _SELECT:
        b.u(1)  # force_integer_mv (1 for intra frames whatever is coded)
    if seq.frame_id_bits:
        b.u(seq.frame_id_bits)  # current_frame_id
    size_override = False if seq.reduced else b.flag()
    b.u(seq.order_hint_bits)  # order_hint
    # intra frames: primary_ref_frame is PRIMARY_REF_NONE, not coded
    if seq.decoder_model and b.flag():  # buffer_removal_time_present_flag
        for idc, model_here in seq.operating_points:
            in_layer = (idc >> temporal_id) & 1 and (idc >> (spatial_id + 8)) & 1
            if model_here and (idc == 0 or in_layer):
                b.u(seq.buffer_removal_time_bits)  # buffer_removal_time
    if not (frame_type == _KEY_FRAME and show_frame):
        refresh = b.u(8)  # refresh_frame_flags
        if refresh != 0xFF and error_resilient and seq.order_hint_bits:
            for _ in range(8):
                b.u(seq.order_hint_bits)  # ref_order_hint[i]
    # frame_size() with superres_params(), then render_size()
    width = b.u(seq.frame_width_bits) + 1 if size_override else seq.max_width
    height = b.u(seq.frame_height_bits) + 1 if size_override else seq.max_height
    upscaled = width
    if seq.superres and b.flag():  # use_superres
        denominator = b.u(3) + 9  # coded_denom + SUPERRES_DENOM_MIN
        width = (upscaled * 8 + denominator // 2) // denominator
    if b.flag():  # render_and_frame_size_different
        b.u(32)  # render_width_minus_1, render_height_minus_1
    if screen_content and upscaled == width:
        b.u(1)  # allow_intrabc
    if not (seq.reduced or disable_cdf_update):
        b.u(1)  # disable_frame_end_update_cdf
    _av1_tile_info(b, seq, width, height)
    return b.u(8)  # quantization_params(): base_q_idx


def _av1_units(data: bytes) -> Iterator[tuple[int, int, int, bytes]]:
    """(obu_type, temporal_id, spatial_id, payload) of the OBUs in av1C's configOBUs."""
    pos = 0
    for _ in range(MAX_UNITS):
        if pos >= len(data):
            return
        kind, temporal_id, spatial_id, header, size = _obu_header(data[pos:pos + 10],
                                                                  len(data) - pos)
        yield kind, temporal_id, spatial_id, data[pos + header:pos + header + size]
        pos += header + size


def _obu_header(head: bytes, available: int) -> tuple[int, int, int, int, int]:
    """(type, temporal_id, spatial_id, header length, payload size) of the OBU starting
    `head`, which has `available` bytes left in its item (section 5.3)."""
    if not head or head[0] & 0x81:  # obu_forbidden_bit and obu_reserved_1bit are 0
        raise _Unparseable("bad OBU header")
    kind, extension, has_size = (head[0] >> 3) & 15, head[0] & 4, head[0] & 2
    temporal_id = spatial_id = 0
    pos = 1
    if extension:
        temporal_id, spatial_id = _int(head, 1, 1) >> 5, (_int(head, 1, 1) >> 3) & 3
        pos = 2
    if not has_size:
        return kind, temporal_id, spatial_id, pos, available - pos
    size = 0
    for i in range(8):  # leb128()
        byte = _int(head, pos, 1)
        pos += 1
        size |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            break
    else:
        raise _Unparseable("leb128 too long")
    if pos + size > available:
        raise _Unparseable("OBU larger than its item")
    return kind, temporal_id, spatial_id, pos, size


def _av1_quantiser(item: _ItemData, config: bytes) -> int:
    """base_q_idx of the first frame header among the item's OBUs."""
    if len(config) < 4 or config[0] != 0x81:  # av1C marker 1, version 1
        raise _Unparseable("bad av1C")
    seq = None
    for kind, _t, _s, payload in _av1_units(config[4:]):
        if kind == _OBU_SEQUENCE_HEADER:
            seq = _av1_sequence_header(_Bits(payload))
    pos = 0
    for _ in range(MAX_UNITS):
        if pos >= item.size:
            break
        kind, temporal_id, spatial_id, header, size = _obu_header(item.read(pos, 10),
                                                                  item.size - pos)
        if kind in (_OBU_SEQUENCE_HEADER, _OBU_FRAME_HEADER, _OBU_FRAME):
            payload = item.read(pos + header, min(size, UNIT_HEAD))
            if kind == _OBU_SEQUENCE_HEADER:
                seq = _av1_sequence_header(_Bits(payload))  # the item's own one wins
            elif seq is None:
                raise _Unparseable("frame header before any sequence header")
            else:
                return _av1_base_q_idx(_Bits(payload), seq, temporal_id, spatial_id)
        elif kind == _OBU_TILE_GROUP:
            raise _Unparseable("tile group before a frame header")
        pos += header + size
    raise _Unparseable("no frame header")


# --- HEVC --------------------------------------------------------------------------------------

_NAL_VPS, _NAL_SPS, _NAL_PPS = 32, 33, 34
_SLICE_NAL_TYPES = frozenset(range(10)) | frozenset(range(16, 22))  # VCL types that code slices
_IRAP_NAL_TYPES = range(16, 24)  # have no_output_of_prior_pics_flag
_IDR_NAL_TYPES = (19, 20)  # have no picture order count / reference picture set
_SLICE_I = 2
_MAX_RPS_PICS = 16  # sps_max_dec_pic_buffering_minus1 is at most 15


@dataclass(frozen=True, slots=True)
class _Sps:
    chroma_array_type: int
    separate_colour_plane: bool
    qp_bd_offset: int
    poc_lsb_bits: int
    sao: bool
    rps: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]  # (S0 deltas, S1 deltas) per set
    long_term: bool
    long_term_sps: int
    temporal_mvp: bool


@dataclass(frozen=True, slots=True)
class _Pps:
    sps_id: int
    output_flag_present: bool
    extra_slice_header_bits: int
    init_qp_minus26: int
    transquant_bypass: bool


def _unescape(nal: bytes) -> bytes:
    """The RBSP of a NAL unit: every 0x000003 loses its emulation-prevention 0x03 (7.4.2)."""
    out = bytearray()
    pos = 0
    while (hit := nal.find(b"\x00\x00\x03", pos)) >= 0:
        out += nal[pos:hit + 2]
        pos = hit + 3
    out += nal[pos:]
    return bytes(out)


def _profile_tier_level(b: _Bits, max_sub_layers_minus1: int) -> None:
    """profile_tier_level(1, sps_max_sub_layers_minus1) (7.3.3): read to step over it."""
    b.u(8)  # general_profile_space, general_tier_flag, general_profile_idc
    b.u(32)  # general_profile_compatibility_flag[32]
    b.u(48)  # progressive/interlaced/non-packed/frame-only flags and 44 constraint bits
    b.u(8)  # general_level_idc
    present = [(b.flag(), b.flag()) for _ in range(max_sub_layers_minus1)]
    if max_sub_layers_minus1:
        b.u(2 * (8 - max_sub_layers_minus1))  # reserved_zero_2bits
    for profile_present, level_present in present:
        if profile_present:
            b.u(88)
        if level_present:
            b.u(8)


def _scaling_list_data(b: _Bits) -> None:
    """scaling_list_data() (7.3.4): read to step over it."""
    for size_id in range(4):
        for _matrix_id in range(0, 6, 3 if size_id == 3 else 1):
            if not b.flag():  # scaling_list_pred_mode_flag
                b.ue(5)  # scaling_list_pred_matrix_id_delta
                continue
            if size_id > 1:
                b.se(-7, 247)  # scaling_list_dc_coef_minus8
            for _ in range(min(64, 1 << (4 + (size_id << 1)))):
                b.se(-128, 127)  # scaling_list_delta_coef


def _st_ref_pic_set(b: _Bits, index: int, count: int,
                    sets: Sequence[tuple[tuple[int, ...], tuple[int, ...]]]
                    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """st_ref_pic_set(stRpsIdx) (7.3.7): the (negative, positive) POC deltas of the set, which
    later sets predicted from it need to know how many flags they code (7.4.8)."""
    if index and b.flag():  # inter_ref_pic_set_prediction_flag
        delta_idx = b.ue(index - 1) + 1 if index == count else 1
        ref_s0, ref_s1 = sets[index - delta_idx]
        sign = b.u(1)
        delta_rps = (1 - 2 * sign) * (b.ue((1 << 15) - 1) + 1)
        deltas: list[int] = []
        for ref in (*ref_s0, *ref_s1, 0):  # 0: the reference picture itself
            used = b.flag()  # used_by_curr_pic_flag
            if used or b.flag():  # use_delta_flag (inferred 1 when used)
                deltas.append(ref + delta_rps)
        s0 = tuple(sorted((d for d in deltas if d < 0), reverse=True))
        s1 = tuple(sorted(d for d in deltas if d > 0))
        if len(s0) + len(s1) > _MAX_RPS_PICS:
            raise _Unparseable("reference picture set too large")
        return s0, s1
    negatives = b.ue(_MAX_RPS_PICS)
    positives = b.ue(_MAX_RPS_PICS - negatives)
    poc, s0_list = 0, []
    for _ in range(negatives):
        poc -= b.ue((1 << 15) - 1) + 1  # delta_poc_s0_minus1
        b.u(1)  # used_by_curr_pic_s0_flag
        s0_list.append(poc)
    poc, s1_list = 0, []
    for _ in range(positives):
        poc += b.ue((1 << 15) - 1) + 1  # delta_poc_s1_minus1
        b.u(1)  # used_by_curr_pic_s1_flag
        s1_list.append(poc)
    return tuple(s0_list), tuple(s1_list)


def _hevc_sps(rbsp: bytes) -> tuple[int, _Sps]:
    """(sps_seq_parameter_set_id, fields the slice header needs) of an SPS (7.3.2.2)."""
    b = _Bits(rbsp)
    b.u(4)  # sps_video_parameter_set_id
    max_sub_layers_minus1 = b.u(3)
    if max_sub_layers_minus1 > 6:
        raise _Unparseable("sps_max_sub_layers_minus1")
    b.u(1)  # sps_temporal_id_nesting_flag
    _profile_tier_level(b, max_sub_layers_minus1)
    sps_id = b.ue(15)
    chroma_format = b.ue(3)
    separate = chroma_format == 3 and b.flag()
    b.ue(1 << 16)  # pic_width_in_luma_samples
    b.ue(1 << 16)  # pic_height_in_luma_samples
    if b.flag():  # conformance_window_flag
        for _ in range(4):
            b.ue(1 << 16)
    bit_depth = b.ue(8) + 8
    b.ue(8)  # bit_depth_chroma_minus8
    poc_lsb_bits = b.ue(12) + 4
    ordering_all = b.flag()  # sps_sub_layer_ordering_info_present_flag
    for _ in range(max_sub_layers_minus1 + 1 if ordering_all else 1):
        b.ue(15)  # sps_max_dec_pic_buffering_minus1
        b.ue(15)  # sps_max_num_reorder_pics
        b.ue()  # sps_max_latency_increase_plus1
    for _ in range(6):  # coding / transform block sizes, transform hierarchy depths
        b.ue(32)
    if b.flag() and b.flag():  # scaling_list_enabled_flag, sps_scaling_list_data_present_flag
        _scaling_list_data(b)
    b.u(1)  # amp_enabled_flag
    sao = b.flag()
    if b.flag():  # pcm_enabled_flag
        b.u(8)  # PCM sample bit depths
        b.ue(32)
        b.ue(32)
        b.u(1)  # pcm_loop_filter_disabled_flag
    count = b.ue(64)  # num_short_term_ref_pic_sets
    sets: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    for index in range(count):
        sets.append(_st_ref_pic_set(b, index, count, sets))
    long_term = b.flag()
    long_term_sps = 0
    if long_term:
        long_term_sps = b.ue(32)
        for _ in range(long_term_sps):
            b.u(poc_lsb_bits + 1)  # lt_ref_pic_poc_lsb_sps, used_by_curr_pic_lt_sps_flag
    temporal_mvp = b.flag()
    return sps_id, _Sps(0 if separate else chroma_format, separate, 6 * (bit_depth - 8),
                        poc_lsb_bits, sao, tuple(sets), long_term, long_term_sps, temporal_mvp)


def _hevc_pps(rbsp: bytes) -> tuple[int, _Pps]:
    """(pps_pic_parameter_set_id, fields the slice header needs) of a PPS (7.3.2.3)."""
    b = _Bits(rbsp)
    pps_id = b.ue(63)
    sps_id = b.ue(15)
    b.u(1)  # dependent_slice_segments_enabled_flag
    output_flag_present = b.flag()
    extra_bits = b.u(3)
    b.u(2)  # sign_data_hiding_enabled_flag, cabac_init_present_flag
    b.ue(14)  # num_ref_idx_l0_default_active_minus1
    b.ue(14)  # num_ref_idx_l1_default_active_minus1
    init_qp_minus26 = b.se(-(26 + 48), 25)  # 48: QpBdOffsetY of 16-bit video
    b.u(2)  # constrained_intra_pred_flag, transform_skip_enabled_flag
    if b.flag():  # cu_qp_delta_enabled_flag
        b.ue(32)  # diff_cu_qp_delta_depth
    b.se(-12, 12)  # pps_cb_qp_offset
    b.se(-12, 12)  # pps_cr_qp_offset
    b.u(3)  # slice chroma QP offsets present, weighted_pred, weighted_bipred flags
    transquant_bypass = b.flag()
    return pps_id, _Pps(sps_id, output_flag_present, extra_bits, init_qp_minus26,
                        transquant_bypass)


def _hevc_slice_qp(rbsp: bytes, nal_type: int, sps_by_id: dict[int, _Sps],
                   pps_by_id: dict[int, _Pps]) -> tuple[int, _Pps]:
    """(SliceQpY, its PPS) of the first slice segment of a picture (7.3.6.1, 7.4.7.1)."""
    b = _Bits(rbsp)
    if not b.flag():
        raise _Unparseable("not the first slice segment of the picture")
    if nal_type in _IRAP_NAL_TYPES:
        b.u(1)  # no_output_of_prior_pics_flag
    pps = pps_by_id.get(b.ue(63))
    sps = None if pps is None else sps_by_id.get(pps.sps_id)
    if pps is None or sps is None:
        raise _Unparseable("slice refers to a missing parameter set")
    b.u(pps.extra_slice_header_bits)  # slice_reserved_flag[i]
    if b.ue(2) != _SLICE_I:
        raise _Unparseable("not an intra slice")
    if pps.output_flag_present:
        b.u(1)  # pic_output_flag
    if sps.separate_colour_plane:
        b.u(2)  # colour_plane_id
    if nal_type not in _IDR_NAL_TYPES:
        b.u(sps.poc_lsb_bits)  # slice_pic_order_cnt_lsb
        if not b.flag():  # short_term_ref_pic_set_sps_flag
            _st_ref_pic_set(b, len(sps.rps), len(sps.rps), sps.rps)
        elif len(sps.rps) > 1:
            b.u(_bits_for(len(sps.rps)))  # short_term_ref_pic_set_idx
        if sps.long_term:
            from_sps = b.ue(sps.long_term_sps) if sps.long_term_sps else 0
            for i in range(from_sps + b.ue(_MAX_RPS_PICS)):
                if i >= from_sps:
                    b.u(sps.poc_lsb_bits + 1)  # poc_lsb_lt, used_by_curr_pic_lt_flag
                elif sps.long_term_sps > 1:
                    b.u(_bits_for(sps.long_term_sps))  # lt_idx_sps
                if b.flag():  # delta_poc_msb_present_flag
                    b.ue()  # delta_poc_msb_cycle_lt
        if sps.temporal_mvp:
            b.u(1)  # slice_temporal_mvp_enabled_flag
    if sps.sao:
        b.u(2 if sps.chroma_array_type else 1)  # slice_sao_luma_flag, slice_sao_chroma_flag
    qp = 26 + pps.init_qp_minus26 + b.se(-128, 128)  # slice_qp_delta
    if not -sps.qp_bd_offset <= qp <= 51:
        raise _Unparseable(f"SliceQpY {qp} out of range")
    return qp, pps


def _hevc_parameter_set(kind: int, rbsp: bytes, sps_by_id: dict[int, _Sps],
                        pps_by_id: dict[int, _Pps]) -> None:
    if kind == _NAL_SPS:
        sps_id, sps = _hevc_sps(rbsp)
        sps_by_id[sps_id] = sps
    elif kind == _NAL_PPS:
        pps_id, pps = _hevc_pps(rbsp)
        pps_by_id[pps_id] = pps


def _nal_header(header: bytes) -> tuple[int, int]:
    """(nal_unit_type, nuh_layer_id) of a 2-byte NAL unit header (7.3.1.2)."""
    if header[0] & 0x80:
        raise _Unparseable("forbidden_zero_bit set")
    return (header[0] >> 1) & 0x3F, ((header[0] & 1) << 5) | (header[1] >> 3)


def _hevc_quantiser(item: _ItemData, config: bytes) -> tuple[int, bool]:
    """(SliceQpY, transquant bypass enabled) of the first slice of the item's picture."""
    if len(config) < 23 or config[0] != 1:  # configurationVersion 1
        raise _Unparseable("bad hvcC")
    length_size = (config[21] & 3) + 1
    if length_size == 3:
        raise _Unparseable("NAL length size 3")
    sps_by_id: dict[int, _Sps] = {}
    pps_by_id: dict[int, _Pps] = {}
    pos = 23
    for _ in range(config[22]):  # numOfArrays: (type byte, count, [length, NAL unit]...)
        count = _int(config, pos + 1, 2)
        pos += 3
        for _n in range(count):
            size = _int(config, pos, 2)
            if pos + 2 + size > len(config) or size < 2:
                raise _Unparseable("hvcC NAL unit cut")
            kind, layer = _nal_header(config[pos + 2:pos + 4])
            if not layer:
                rbsp = _unescape(config[pos + 4:pos + 2 + size])
                _hevc_parameter_set(kind, rbsp, sps_by_id, pps_by_id)
            pos += 2 + size
    pos = 0
    for _ in range(MAX_UNITS):
        if pos + length_size + 2 > item.size:
            break
        head = item.read(pos, length_size + 2)
        size = int.from_bytes(head[:length_size], "big")
        if size < 2 or pos + length_size + size > item.size:
            raise _Unparseable("NAL unit larger than its item")
        kind, layer = _nal_header(head[length_size:])
        body_at = pos + length_size + 2
        pos += length_size + size
        if layer:
            continue  # another layer of a multi-layer picture: the base layer decides
        if kind in (_NAL_SPS, _NAL_PPS):
            body = item.read(body_at, min(size - 2, PARAMETER_SET_MAX))
            _hevc_parameter_set(kind, _unescape(body), sps_by_id, pps_by_id)
        elif kind in _SLICE_NAL_TYPES:
            rbsp = _unescape(item.read(body_at, min(size - 2, UNIT_HEAD)))
            qp, pps = _hevc_slice_qp(rbsp, kind, sps_by_id, pps_by_id)
            return qp, pps.transquant_bypass
        elif kind < 32:
            raise _Unparseable(f"VCL NAL unit type {kind} before any slice")
    raise _Unparseable("no slice")


# --- entry points ------------------------------------------------------------------------------

def _read_quality(f: BinaryIO, size: int) -> CodedQuality:
    reader = _Reader(f, size)
    meta = _parse_meta(_meta(reader))
    codec, item = _coded_item(meta)
    config = _config(meta, item, codec)
    data = _item_data(meta, item, reader)
    if codec == "av1":
        q_index = _av1_quantiser(data, config)
        if q_index == 0:
            return CodedQuality(codec, 0, 100, lossless=True)
        return CodedQuality(codec, q_index, quality_for_quantiser(q_index, AVIF_QUALITY_QINDEX))
    qp, bypass = _hevc_quantiser(data, config)
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
    except _Unparseable as err:
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
