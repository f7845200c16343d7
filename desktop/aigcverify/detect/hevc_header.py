"""HEVC (ITU-T H.265 sections 7.3.1-7.3.7) down to SliceQpY, for detect/heif_quality.py.

    hevc_quantiser(item_data, config)  (SliceQpY, transquant bypass enabled) of the first slice
                                       of an 'hvc1' item, given the body of its hvcC property

hvcC carries the VPS/SPS/PPS; the item's data is a list of length-prefixed NAL units (which may
carry further parameter sets). The PPS gives init_qp_minus26, the first slice segment header of
the picture slice_qp_delta, and SliceQpY = 26 + init_qp_minus26 + slice_qp_delta
(-QpBdOffsetY..51). Only intra (I) slices of the base layer are read; anything else raises
bitreader.Unparseable.

At most heif_items.MAX_UNITS NAL units are walked, PARAMETER_SET_MAX bytes of a parameter set
and heif_items.UNIT_HEAD bytes of a slice read; the bit reader stops at the bytes it was given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .bitreader import BitReader, Unparseable, bits_for, uint_at
from .heif_items import MAX_UNITS, UNIT_HEAD, ItemData

__all__ = ["PARAMETER_SET_MAX", "hevc_quantiser"]

PARAMETER_SET_MAX = 4096  # bytes of one VPS/SPS/PPS (scaling lists make an SPS ~ 1 KB)

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


def _profile_tier_level(b: BitReader, max_sub_layers_minus1: int) -> None:
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


def _scaling_list_data(b: BitReader) -> None:
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


def _st_ref_pic_set(b: BitReader, index: int, count: int,
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
            raise Unparseable("reference picture set too large")
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
    b = BitReader(rbsp)
    b.u(4)  # sps_video_parameter_set_id
    max_sub_layers_minus1 = b.u(3)
    if max_sub_layers_minus1 > 6:
        raise Unparseable("sps_max_sub_layers_minus1")
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
    b = BitReader(rbsp)
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
    b = BitReader(rbsp)
    if not b.flag():
        raise Unparseable("not the first slice segment of the picture")
    if nal_type in _IRAP_NAL_TYPES:
        b.u(1)  # no_output_of_prior_pics_flag
    pps = pps_by_id.get(b.ue(63))
    sps = None if pps is None else sps_by_id.get(pps.sps_id)
    if pps is None or sps is None:
        raise Unparseable("slice refers to a missing parameter set")
    b.u(pps.extra_slice_header_bits)  # slice_reserved_flag[i]
    if b.ue(2) != _SLICE_I:
        raise Unparseable("not an intra slice")
    if pps.output_flag_present:
        b.u(1)  # pic_output_flag
    if sps.separate_colour_plane:
        b.u(2)  # colour_plane_id
    if nal_type not in _IDR_NAL_TYPES:
        b.u(sps.poc_lsb_bits)  # slice_pic_order_cnt_lsb
        if not b.flag():  # short_term_ref_pic_set_sps_flag
            _st_ref_pic_set(b, len(sps.rps), len(sps.rps), sps.rps)
        elif len(sps.rps) > 1:
            b.u(bits_for(len(sps.rps)))  # short_term_ref_pic_set_idx
        if sps.long_term:
            from_sps = b.ue(sps.long_term_sps) if sps.long_term_sps else 0
            for i in range(from_sps + b.ue(_MAX_RPS_PICS)):
                if i >= from_sps:
                    b.u(sps.poc_lsb_bits + 1)  # poc_lsb_lt, used_by_curr_pic_lt_flag
                elif sps.long_term_sps > 1:
                    b.u(bits_for(sps.long_term_sps))  # lt_idx_sps
                if b.flag():  # delta_poc_msb_present_flag
                    b.ue()  # delta_poc_msb_cycle_lt
        if sps.temporal_mvp:
            b.u(1)  # slice_temporal_mvp_enabled_flag
    if sps.sao:
        b.u(2 if sps.chroma_array_type else 1)  # slice_sao_luma_flag, slice_sao_chroma_flag
    qp = 26 + pps.init_qp_minus26 + b.se(-128, 128)  # slice_qp_delta
    if not -sps.qp_bd_offset <= qp <= 51:
        raise Unparseable(f"SliceQpY {qp} out of range")
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
        raise Unparseable("forbidden_zero_bit set")
    return (header[0] >> 1) & 0x3F, ((header[0] & 1) << 5) | (header[1] >> 3)


def hevc_quantiser(item: ItemData, config: bytes) -> tuple[int, bool]:
    """(SliceQpY, transquant bypass enabled) of the first slice of the item's picture."""
    if len(config) < 23 or config[0] != 1:  # configurationVersion 1
        raise Unparseable("bad hvcC")
    length_size = (config[21] & 3) + 1
    if length_size == 3:
        raise Unparseable("NAL length size 3")
    sps_by_id: dict[int, _Sps] = {}
    pps_by_id: dict[int, _Pps] = {}
    pos = 23
    for _ in range(config[22]):  # numOfArrays: (type byte, count, [length, NAL unit]...)
        count = uint_at(config, pos + 1, 2)
        pos += 3
        for _n in range(count):
            size = uint_at(config, pos, 2)
            if pos + 2 + size > len(config) or size < 2:
                raise Unparseable("hvcC NAL unit cut")
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
            raise Unparseable("NAL unit larger than its item")
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
            raise Unparseable(f"VCL NAL unit type {kind} before any slice")
    raise Unparseable("no slice")

