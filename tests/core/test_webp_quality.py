"""Lossy WebP quality from the VP8 key-frame header: Pillow-written files at known qualities,
lossless / animated / alpha files, headers built bit by bit with a boolean encoder written from
RFC 6386 section 7 (to reach the segmentation and loop-filter branches libwebp never writes), and
hostile bytes (truncated, mutated, absurd chunk lengths) that must give None, never an error."""

import io
import random
import struct

import numpy as np
import pytest
from PIL import Image

from aigcverify.detect.webp_quality import (MAX_CHUNKS, QUALITY_QUANTISER, READ_HEAD,
                                            quality_for_quantiser, vp8_header, webp_quality,
                                            webp_quantiser)

# Measured on photos the estimate was never off by more than 2 (module comment); on synthetic
# pictures up to 4 (flat gradients with method 0). Tests use textured pictures and allow 3.
TOLERANCE = 3


def _textured(h=192, w=256, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([128 + 70 * np.sin(xx / (9 + c) + yy / 23) for c in range(3)], axis=2)
    return np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)


def _webp(pixels: np.ndarray, **options) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "WEBP", **options)
    return buf.getvalue()


def _chunks(data: bytes) -> list[bytes]:
    out, pos = [], 12
    while pos + 8 <= len(data):
        fourcc, length = struct.unpack("<4sI", data[pos:pos + 8])
        out.append(fourcc)
        pos += 8 + length + (length & 1)
    return out


# --- Pillow-written files ------------------------------------------------------------------

@pytest.mark.parametrize("quality", [5, 20, 40, 60, 75, 79, 80, 85, 90, 95, 100])
def test_quality_of_pillow_webp(quality):
    data = _webp(_textured(seed=quality), quality=quality)
    assert _chunks(data) == [b"VP8 "]
    assert abs(webp_quality(data) - quality) <= TOLERANCE


def test_header_fields_are_read_in_step():
    """libwebp writes segment quantisers as absolute values and y_ac_qi = segment 0's value: if
    any field before quant_indices were misread, these would not line up."""
    data = _webp(_textured(200, 300), quality=60)
    header = vp8_header(data[20:20 + READ_HEAD])
    assert (header.width, header.height) == (300, 200)
    assert header.segment_quantisers is not None and len(header.segment_quantisers) == 4
    assert header.y_ac_qi == header.segment_quantisers[0]
    assert sum(header.segment_shares) == pytest.approx(1.0)
    assert min(header.segment_quantisers) <= header.mean_quantiser <= max(header.segment_quantisers)


def test_quantiser_falls_as_quality_rises():
    rgb = _textured(seed=3)
    values = [webp_quantiser(_webp(rgb, quality=q)) for q in (0, 25, 50, 75, 90, 100)]
    assert values == sorted(values, reverse=True) and values[0] == 127 and values[-1] == 0


def test_path_and_bytes_agree(tmp_path):
    data = _webp(_textured(), quality=45)
    (tmp_path / "a.webp").write_bytes(data)
    assert webp_quality(tmp_path / "a.webp") == webp_quality(str(tmp_path / "a.webp")) \
        == webp_quality(data) == webp_quality(bytearray(data)) == webp_quality(memoryview(data))


def test_lossless_is_none():
    data = _webp(_textured(), lossless=True)
    assert _chunks(data) == [b"VP8L"]
    assert webp_quality(data) is None and webp_quantiser(data) is None


def test_animated_is_none():
    frames = [Image.fromarray(_textured(seed=s)) for s in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "WEBP", save_all=True, append_images=frames[1:], duration=100, quality=30)
    data = buf.getvalue()
    assert b"ANIM" in _chunks(data) and b"ANMF" in _chunks(data)
    assert webp_quality(data) is None


@pytest.mark.parametrize("quality", [30, 70, 90])
def test_alpha_file_reads_the_vp8_chunk_after_alph(quality):
    alpha = np.linspace(0, 255, 256, dtype=np.uint8)[None, :].repeat(192, 0)
    rgba = np.dstack([_textured(), alpha])
    data = _webp(rgba, quality=quality)
    assert _chunks(data)[:3] == [b"VP8X", b"ALPH", b"VP8 "]
    assert abs(webp_quality(data) - quality) <= TOLERANCE


def test_table_is_monotone_and_covers_the_scale():
    assert len(QUALITY_QUANTISER) == 101
    assert list(QUALITY_QUANTISER) == sorted(QUALITY_QUANTISER, reverse=True)
    assert quality_for_quantiser(127) == 0 and quality_for_quantiser(0) == 100
    assert quality_for_quantiser(QUALITY_QUANTISER[80]) == 80


# --- headers built bit by bit ----------------------------------------------------------------

class BoolEncoder:
    """The boolean entropy encoder of RFC 6386 section 7, with exact integer arithmetic: `low`
    keeps every bit written so far (Python integers do not overflow, so no carry handling)."""

    def __init__(self):
        self.low, self.range, self.shifted = 0, 255, 0

    def bool(self, bit: int, probability: int = 128) -> None:
        split = 1 + (((self.range - 1) * probability) >> 8)
        if bit:
            self.low += split
            self.range -= split
        else:
            self.range = split
        while self.range < 128:
            self.range <<= 1
            self.low <<= 1
            self.shifted += 1

    def literal(self, value: int, bits: int) -> None:
        for i in reversed(range(bits)):
            self.bool((value >> i) & 1)

    def optional_signed(self, value: int | None, bits: int) -> None:
        self.bool(value is not None)
        if value is not None:
            self.literal(abs(value), bits)
            self.bool(value < 0)

    def finish(self) -> bytes:
        total = self.shifted + 16  # the decoder's 16-bit window reaches 8 bits past the range
        pad = -total % 8
        return (self.low << (8 + pad)).to_bytes((total + pad) // 8, "big") + b"\0" * 4


def _partition(y_ac_qi: int, segmentation: dict | None = None, lf_deltas: bool = False) -> bytes:
    enc = BoolEncoder()
    enc.literal(0, 1)  # color_space
    enc.literal(1, 1)  # clamping_type
    enc.bool(segmentation is not None)
    if segmentation is not None:
        probs = segmentation.get("probs")
        values = segmentation.get("values")
        enc.bool(probs is not None)  # update_mb_segmentation_map
        enc.bool(values is not None)  # update_segment_feature_data
        if values is not None:
            enc.bool(segmentation["absolute"])
            for v in values:
                enc.optional_signed(v, 7)
            for v in (None, 3, -2, None):  # loop filter levels
                enc.optional_signed(v, 6)
        if probs is not None:
            for p in probs:
                enc.bool(p is not None)
                if p is not None:
                    enc.literal(p, 8)
    enc.literal(1, 1)  # filter_type
    enc.literal(33, 6)  # loop_filter_level
    enc.literal(5, 3)  # sharpness_level
    enc.bool(lf_deltas)
    if lf_deltas:
        enc.bool(1)
        for v in (2, None, -4, 63, None, -1, 0, 7):
            enc.optional_signed(v, 6)
    enc.literal(2, 2)  # log2_nbr_of_dct_partitions
    enc.literal(y_ac_qi, 7)
    for v in (None, -3, 15, None, 2):
        enc.optional_signed(v, 4)
    for _ in range(40):  # stand-in for the rest of the partition (probability updates...)
        enc.bool(0, 252)
    return enc.finish()


def _vp8_payload(partition: bytes, width=320, height=240, key=True) -> bytes:
    tag = (0 if key else 1) | (len(partition) << 5)
    return (tag.to_bytes(3, "little") + b"\x9d\x01\x2a" + struct.pack("<HH", width, height)
            + partition)


def _riff(*chunks: tuple[bytes, bytes]) -> bytes:
    body = b"WEBP"
    for fourcc, payload in chunks:
        body += fourcc + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) & 1)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_plain_header():
    header = vp8_header(_vp8_payload(_partition(41, lf_deltas=True), 321, 77))
    assert (header.width, header.height, header.y_ac_qi) == (321, 77, 41)
    assert header.segment_quantisers is None and header.mean_quantiser == 41.0


def test_segment_deltas_and_tree_shares():
    seg = {"absolute": False, "values": [None, -5, 10, 127], "probs": [128, None, 64]}
    header = vp8_header(_vp8_payload(_partition(40, seg, lf_deltas=True)))
    assert header.y_ac_qi == 40
    assert header.segment_quantisers == (40, 35, 50, 127)  # 40 + 127 clamps to 127
    # root 128/256 -> half in {0, 1}; no update on the {0, 1} node (255): nearly all in 0
    shares = (0.5 * 255 / 256, 0.5 * 1 / 256, 0.5 * 64 / 256, 0.5 * 192 / 256)
    assert header.segment_shares == pytest.approx(shares)
    mean = sum(q * s for q, s in zip((40, 35, 50, 127), shares))
    assert header.mean_quantiser == pytest.approx(mean)


def test_absolute_segments_without_a_map_use_segment_zero():
    seg = {"absolute": True, "values": [17, -3, 90, None], "probs": None}
    header = vp8_header(_vp8_payload(_partition(99, seg)))
    assert header.segment_quantisers == (17, 0, 90, 0)  # negative absolute clamps to 0
    assert header.segment_shares == (1.0, 0.0, 0.0, 0.0) and header.mean_quantiser == 17.0


def test_segmentation_without_values_keeps_the_base_quantiser():
    header = vp8_header(_vp8_payload(_partition(64, {"values": None, "probs": [10, 20, 30]})))
    assert header.segment_quantisers == (64, 64, 64, 64)
    assert header.mean_quantiser == pytest.approx(64)


def test_built_file_through_the_riff_walk():
    payload = _vp8_payload(_partition(52))
    vp8x = bytes([0x10]) + b"\0" * 9  # alpha flag, no animation
    data = _riff((b"VP8X", vp8x), (b"ICCP", b"x" * 301), (b"ALPH", b"\1" * 7), (b"VP8 ", payload))
    assert webp_quantiser(data) == 52.0
    assert webp_quality(data) == quality_for_quantiser(52.0)
    animated = _riff((b"VP8X", bytes([0x12]) + b"\0" * 9), (b"VP8 ", payload))
    assert webp_quantiser(animated) is None


def test_not_a_key_frame_or_bad_start_code_is_none():
    part = _partition(30)
    assert vp8_header(_vp8_payload(part, key=False)) is None
    bad = bytearray(_vp8_payload(part))
    bad[4] ^= 0xFF
    assert vp8_header(bytes(bad)) is None
    assert vp8_header(_vp8_payload(part, width=0)) is None


# --- hostile bytes ---------------------------------------------------------------------------

def test_every_short_prefix_is_none_and_long_ones_agree():
    data = _webp(_textured(), quality=50)
    full = webp_quality(data)
    head_end = 20 + READ_HEAD  # RIFF header, chunk header, the bytes read of the payload
    for cut in range(head_end):
        assert webp_quality(data[:cut]) is None, cut
    for cut in (head_end, head_end + 1, len(data) // 2, len(data) - 1):
        assert webp_quality(data[:cut]) == full


def test_partition_shorter_than_its_header_is_none():
    """The bool decoder stops at the partition's declared end, not at the buffer's end."""
    partition = _partition(30)
    payload = bytearray(_vp8_payload(partition))
    decoded = []
    for size in range(1, 12):
        payload[0:3] = (size << 5).to_bytes(3, "little")
        decoded.append(vp8_header(bytes(payload)) is not None)
    # 43 header bits: the decoder holds 2 bytes and refills one per 8 bits, so it needs 7 bytes
    assert decoded == [False] * 6 + [True] * 5
    # and a declared size larger than the bytes given is cut at the bytes given
    assert vp8_header(_vp8_payload(partition)[:14]) is None


def test_absurd_chunks_are_none():
    payload = _vp8_payload(_partition(52))
    huge = b"RIFF\xff\xff\xff\xffWEBP" + b"ICCP\xff\xff\xff\xff" + b"x" * 64
    many = _riff(*[(b"XMP ", b"a")] * (MAX_CHUNKS + 1), (b"VP8 ", payload))
    short_vp8x = _riff((b"VP8X", b""), (b"VP8 ", payload))
    for data in (huge, many, short_vp8x, b"", b"RIFF", b"RIFF\0\0\0\0WEBP", b"RIFF\0\0\0\0WEBPVP8 ",
                 _riff((b"VP8 ", b"\x00" * 9)), _riff((b"VP8 ", payload[:9]))):
        assert webp_quantiser(data) is None


def test_missing_file_is_none(tmp_path):
    assert webp_quality(tmp_path / "nope.webp") is None
    assert webp_quality(tmp_path) is None  # a directory


def test_mutated_and_random_bytes_never_raise():
    rng = random.Random(11)
    seeds = [_webp(_textured(64, 64), quality=40), _webp(_textured(64, 64), quality=90),
             _riff((b"VP8 ", _vp8_payload(_partition(52, {"absolute": False, "values": [1, 2, 3, 4],
                                                           "probs": [1, 2, 3]}, True))))]
    for _ in range(1500):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(min(len(data), 80))] = rng.randrange(256)
        result = webp_quality(bytes(data))
        assert result is None or 0 <= result <= 100
        header = vp8_header(bytes(data[20:]))
        assert header is None or 0 <= header.mean_quantiser <= 127
    for _ in range(300):  # a valid frame start, then a random partition of random length
        noise = bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
        header = vp8_header(bytes.fromhex("500500") + b"\x9d\x01\x2a\x10\x00\x10\x00" + noise)
        assert header is None or (0 <= header.y_ac_qi <= 127 and len(noise) >= 2)
        result = webp_quality(b"RIFF\x40\0\0\0WEBPVP8 \x30\0\0\0" + noise)
        assert result is None or 0 <= result <= 100
