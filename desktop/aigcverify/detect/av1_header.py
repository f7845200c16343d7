"""AV1 (AV1 bitstream spec, sections 5.3-5.9) down to base_q_idx, for detect/heif_quality.py.

    av1_quantiser(item_data, config)  base_q_idx 0..255 of the first frame header of an 'av01'
                                      item, given the body of its av1C property

The item's OBUs (after any in av1C's configOBUs) give the sequence header and the first frame
header, read up to quantization_params().base_q_idx. Both the reduced_still_picture_header form
(what libavif writes) and full key / intra-only frame headers are read; inter frames,
shown-existing frames and anything else raise bitreader.Unparseable.

At most heif_items.MAX_UNITS OBUs are walked and heif_items.UNIT_HEAD bytes of each header OBU
read; the bit reader stops at the bytes it was given.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .bitreader import BitReader, Unparseable, uint_at
from .heif_items import MAX_UNITS, UNIT_HEAD, ItemData

__all__ = ["av1_quantiser"]

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


def _av1_sequence_header(b: BitReader) -> _SequenceHeader:
    """sequence_header_obu() (section 5.5) up to enable_superres."""
    if b.u(3) > 2:
        raise Unparseable("seq_profile")
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


def _av1_tile_info(b: BitReader, seq: _SequenceHeader, width: int, height: int) -> None:
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


def _av1_base_q_idx(b: BitReader, seq: _SequenceHeader, temporal_id: int, spatial_id: int) -> int:
    """uncompressed_header() (section 5.9.2) of an intra frame, up to base_q_idx."""
    frame_type, show_frame, error_resilient = _KEY_FRAME, True, True
    if not seq.reduced:
        if b.flag():
            raise Unparseable("show_existing_frame")
        frame_type = b.u(2)
        if frame_type not in (_KEY_FRAME, _INTRA_ONLY_FRAME):
            raise Unparseable("inter frame")
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
    if not head or head[0] & 0x80:  # obu_forbidden_bit (obu_reserved_1bit is ignored)
        raise Unparseable("bad OBU header")
    kind, extension, has_size = (head[0] >> 3) & 15, head[0] & 4, head[0] & 2
    temporal_id = spatial_id = 0
    pos = 1
    if extension:
        temporal_id, spatial_id = uint_at(head, 1, 1) >> 5, (uint_at(head, 1, 1) >> 3) & 3
        pos = 2
    if not has_size:
        return kind, temporal_id, spatial_id, pos, available - pos
    size = 0
    for i in range(8):  # leb128()
        byte = uint_at(head, pos, 1)
        pos += 1
        size |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            break
    else:
        raise Unparseable("leb128 too long")
    if pos + size > available:
        raise Unparseable("OBU larger than its item")
    return kind, temporal_id, spatial_id, pos, size


def av1_quantiser(item: ItemData, config: bytes) -> int:
    """base_q_idx of the first frame header among the item's OBUs."""
    if len(config) < 4 or config[0] != 0x81:  # av1C marker 1, version 1
        raise Unparseable("bad av1C")
    seq = None
    for kind, _t, _s, payload in _av1_units(config[4:]):
        if kind == _OBU_SEQUENCE_HEADER:
            seq = _av1_sequence_header(BitReader(payload))
    pos = 0
    for _ in range(MAX_UNITS):
        if pos >= item.size:
            break
        kind, temporal_id, spatial_id, header, size = _obu_header(item.read(pos, 10),
                                                                  item.size - pos)
        if kind in (_OBU_SEQUENCE_HEADER, _OBU_FRAME_HEADER, _OBU_FRAME):
            payload = item.read(pos + header, min(size, UNIT_HEAD))
            if kind == _OBU_SEQUENCE_HEADER:
                seq = _av1_sequence_header(BitReader(payload))  # the item's own one wins
            elif seq is None:
                raise Unparseable("frame header before any sequence header")
            else:
                return _av1_base_q_idx(BitReader(payload), seq, temporal_id, spatial_id)
        elif kind == _OBU_TILE_GROUP:
            raise Unparseable("tile group before a frame header")
        pos += header + size
    raise Unparseable("no frame header")

