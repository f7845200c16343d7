"""AVIF / HEIF quality from the primary image's quantiser: files written at test time by the real
encoders (Pillow's AVIF writer, pillow-heif's HEIF writer) at known qualities, alpha, greyscale,
lossless, grids and animations; ISOBMFF files assembled box by box around real coded images
(thumbnails listed before the primary, derivation chains, other construction methods); HEVC
parameter sets and slice headers and AV1 headers written bit by bit from the specifications to
reach the branches the encoders here never write; and hostile bytes (every truncation, random
mutations, absurd boxes) that must give None, never an error."""

import io
import random
import struct
import time

import numpy as np
import pytest
from PIL import Image

from aigcverify.detect.heif_items import MAX_DERIVATION, MAX_META, MAX_UNITS
from aigcverify.detect.heif_quality import (AVIF_QUALITY_QINDEX, HEIF_QUALITY_QP, CodedQuality,
                                            avif_quality, coded_quality, heif_quality,
                                            quality_for_quantiser)

pillow_heif = pytest.importorskip("pillow_heif")
pillow_heif.register_heif_opener()

# Both encoders derive the quantiser from the quality alone (the bench found no spread over the
# 24 photos), but several neighbouring qualities share one quantiser: the estimate is the highest
# of them. AVIF: base_q_idx moves every 1-2 qualities; HEIF: SliceQpY every 2 qualities.
AVIF_TOLERANCE = 2
HEIF_TOLERANCE = 2


def _textured(h=96, w=128, seed=0, channels=3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([128 + 70 * np.sin(xx / (9 + c) + yy / 23) for c in range(channels)], axis=2)
    pixels = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
    return pixels[:, :, 0] if channels == 1 else pixels


def _save(pixels: np.ndarray, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, fmt, **options)
    return buf.getvalue()


# --- a small ISOBMFF reader and writer for the tests ------------------------------------------

def _children(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, bytes]]:
    end = len(data) if end is None else end
    out, pos = [], start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        out.append((kind, data[pos + 8:pos + size]))
        pos += size
    return out


def _meta_children(data: bytes) -> dict[bytes, bytes]:
    meta = dict(_children(data))[b"meta"]
    return dict(_children(meta, 4))


def _item_types(data: bytes) -> list[bytes]:
    iinf = _meta_children(data)[b"iinf"]
    return [body[8:12] for kind, body in _children(iinf, 6) if kind == b"infe"]


def _single_image(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(item type, codec configuration box, coded bytes) of a one-item file from the encoders."""
    meta = _meta_children(data)
    [item_type] = _item_types(data)
    ipco = dict(_children(meta[b"iprp"]))[b"ipco"]
    config = next(box(kind, body) for kind, body in _children(ipco) if kind in (b"av1C", b"hvcC"))
    iloc = meta[b"iloc"]
    assert iloc[0] == 0 and iloc[4] == 0x44  # version 0, 4-byte offsets and lengths
    base_size = iloc[5] >> 4
    base = int.from_bytes(iloc[12:12 + base_size], "big")
    assert iloc[12 + base_size:14 + base_size] == b"\0\1"  # one extent
    offset, length = struct.unpack(">II", iloc[14 + base_size:22 + base_size])
    return item_type, config, data[base + offset:base + offset + length]


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def full_box(kind: bytes, version: int, flags: int, body: bytes) -> bytes:
    return box(kind, bytes([version]) + flags.to_bytes(3, "big") + body)


def build(items: list[dict], primary: int, refs: tuple = (), handler: bytes = b"pict",
          brand: bytes = b"heic", prefix: bytes = b"") -> bytes:
    """An ISOBMFF image file: ftyp, meta (hdlr, pitm, iinf, iloc version 1, iref, iprp), mdat.

    Each item: id, type, data, and optionally config (a codec configuration box), method
    (construction method), dref (data_reference_index), split (store it as two extents in
    reverse order, so the item's bytes are not contiguous in the file)."""
    properties = [it["config"] for it in items if it.get("config")]
    ipma_entries = b""
    count = 0
    for it in items:
        if it.get("config"):
            index = properties.index(it["config"]) + 1
            ipma_entries += struct.pack(">HBB", it["id"], 1, 0x80 | index)
            count += 1
    iprp = box(b"iprp", box(b"ipco", b"".join(properties))
               + full_box(b"ipma", 0, 0, struct.pack(">I", count) + ipma_entries))
    iinf = full_box(b"iinf", 0, 0, struct.pack(">H", len(items)) + b"".join(
        full_box(b"infe", 2, 0, struct.pack(">HH", it["id"], 0) + it["type"] + b"\0")
        for it in items))
    iref = full_box(b"iref", 0, 0, b"".join(
        box(kind, struct.pack(">HH", src, len(dst)) + b"".join(struct.pack(">H", d) for d in dst))
        for kind, src, dst in refs)) if refs else b""
    head = box(b"ftyp", brand + b"\0\0\0\0mif1" + brand) + prefix

    def iloc(offsets: list[list[tuple[int, int]]]) -> bytes:
        body = struct.pack(">HH", 0x4400, len(items))
        for it, extents in zip(items, offsets):
            body += struct.pack(">HHH", it["id"], it.get("method", 0), it.get("dref", 0))
            body += struct.pack(">H", len(extents))
            body += b"".join(struct.pack(">II", o, n) for o, n in extents)
        return full_box(b"iloc", 1, 0, body)

    def meta(offsets):
        return full_box(b"meta", 0, 0, full_box(b"hdlr", 0, 0, b"\0" * 4 + handler + b"\0" * 13)
                        + full_box(b"pitm", 0, 0, struct.pack(">H", primary)) + iinf
                        + iloc(offsets) + iref + iprp)

    dummy = [[(0, 0)] * (2 if it.get("split") else 1) for it in items]
    mdat_start = len(head) + len(meta(dummy)) + 8
    offsets, pos, payload = [], mdat_start, b""
    for it in items:
        data = it["data"]
        if it.get("split"):  # second half first in the file
            half = len(data) // 2
            payload += data[half:] + data[:half]
            offsets.append([(pos + len(data) - half, half), (pos, len(data) - half)])
        else:
            payload += data
            offsets.append([(pos, len(data))])
        pos += len(data)
    return head + meta(offsets) + box(b"mdat", payload)


# --- real encoders ------------------------------------------------------------------------------

@pytest.mark.parametrize("quality", [0, 20, 50, 75, 79, 80, 85, 90, 99])
def test_quality_of_pillow_avif(quality):
    data = _save(_textured(seed=quality), "AVIF", quality=quality)
    result = coded_quality(data)
    assert result.codec == "av1" and not result.lossless
    assert abs(result.quality - quality) <= AVIF_TOLERANCE
    assert avif_quality(data) == result.quality and heif_quality(data) is None


@pytest.mark.parametrize("quality", [10, 30, 50, 70, 79, 80, 84, 90])
def test_quality_of_pillow_heif(quality):
    data = _save(_textured(seed=quality), "HEIF", quality=quality)
    result = coded_quality(data)
    assert result.codec == "hevc" and not result.lossless
    assert abs(result.quality - quality) <= HEIF_TOLERANCE
    assert heif_quality(data) == result.quality and avif_quality(data) is None


def test_encoder_defaults():
    """Pillow's AVIF default is quality 75, pillow-heif's (libheif's) 50."""
    assert avif_quality(_save(_textured(), "AVIF")) in (75, 76)
    assert heif_quality(_save(_textured(), "HEIF")) in (50, 51)


@pytest.mark.parametrize(("fmt", "quality", "coarse"), [
    ("AVIF", 40, True), ("AVIF", 61, True), ("AVIF", 62, False), ("AVIF", 75, False),
    ("HEIF", 20, True), ("HEIF", 40, True), ("HEIF", 41, False), ("HEIF", 50, False),
])
def test_jpeg80_equivalent_cut(fmt, quality, coarse):
    """The laundering test sits where the encoder loses as much as JPEG 80 (AVIF quality 62,
    HEIF quality 41), not at 80 of the encoders' own scales; both defaults pass."""
    assert coded_quality(_save(_textured(), fmt, quality=quality)).coarser_than_jpeg80 is coarse


def test_quantiser_falls_as_quality_rises():
    rgb = _textured(seed=3)
    for fmt in ("AVIF", "HEIF"):
        values = [coded_quality(_save(rgb, fmt, quality=q)).quantiser for q in (0, 30, 60, 90)]
        assert values == sorted(values, reverse=True) and len(set(values)) == 4, fmt


def test_quantiser_does_not_depend_on_picture_size():
    """The tables were measured on 500x500 photos; the encoders' quantiser comes from the
    quality alone, so small test pictures read the same as photos (a Kodak photo resized to
    2000x1500 also gave the table's quantisers at qualities 40 and 80, checked once: ~25 s)."""
    for fmt in ("AVIF", "HEIF"):
        small = coded_quality(_save(_textured(64, 64), fmt, quality=65))
        large = coded_quality(_save(_textured(240, 320, seed=5), fmt, quality=65))
        assert small.quantiser == large.quantiser, fmt


@pytest.mark.parametrize("fmt", ["AVIF", "HEIF"])
def test_alpha_item_is_not_the_primary(fmt):
    alpha = np.linspace(0, 255, 128, dtype=np.uint8)[None, :].repeat(96, 0)
    data = _save(np.dstack([_textured(), alpha]), fmt, quality=40)
    assert len(_item_types(data)) == 2 and b"auxl" in _meta_children(data)[b"iref"]
    assert abs(coded_quality(data).quality - 40) <= AVIF_TOLERANCE


@pytest.mark.parametrize("fmt", ["AVIF", "HEIF"])
def test_greyscale(fmt):
    """Monochrome: AV1 mono_chrome, HEVC chroma_format_idc 0 (one SAO flag in the slice)."""
    data = _save(_textured(channels=1), fmt, quality=60)
    assert abs(coded_quality(data).quality - 60) <= HEIF_TOLERANCE


def test_ten_bit_heif_reads_on_the_same_scale():
    """x265 keeps SliceQpY on the 8-bit scale for 10-bit pictures (QpBdOffsetY only widens the
    range downwards), so one table serves both."""
    deep = np.clip(_textured().astype(np.uint16) * 257, 0, 65535)
    heif = pillow_heif.from_bytes(mode="RGB;16", size=(128, 96), data=deep.tobytes())
    buf = io.BytesIO()
    heif.save(buf, quality=60)
    assert pillow_heif.open_heif(io.BytesIO(buf.getvalue())).info["bit_depth"] == 10
    assert coded_quality(buf.getvalue()) == coded_quality(_save(_textured(), "HEIF", quality=60))


def test_lossless_avif_and_heif_read_as_quality_100():
    """Pillow's AVIF quality=100 codes base_q_idx 0 (AV1's lossless transform); pillow-heif's
    quality=-1 is x265's lossless mode, which enables transquant bypass and writes QP 4."""
    avif = coded_quality(_save(_textured(), "AVIF", quality=100))
    assert avif == CodedQuality("av1", 0, 100, lossless=True) and not avif.coarser_than_jpeg80
    heif = coded_quality(_save(_textured(), "HEIF", quality=-1))
    assert heif.codec == "hevc" and heif.lossless and heif.quality == 100 and heif.quantiser == 4
    near = coded_quality(_save(_textured(), "HEIF", quality=100))  # lossy, QP 0
    assert near == CodedQuality("hevc", 0, 100, lossless=False)


def test_grid_heif_reads_its_first_tile():
    data = _save(_textured(300, 420), "HEIF", quality=35, tile_size=128)
    types = _item_types(data)
    assert types[0] == b"grid" and types.count(b"hvc1") == 12
    assert abs(heif_quality(data) - 35) <= HEIF_TOLERANCE


def test_avif_tiles_and_chroma_options():
    """Tiles inside one AV1 frame (uniform tile spacing, tile_info bits) and 4:4:4."""
    rgb = _textured(256, 1024)
    data = _save(rgb, "AVIF", quality=45, tile_rows=1, tile_cols=2)
    assert abs(avif_quality(data) - 45) <= AVIF_TOLERANCE
    data = _save(rgb, "AVIF", quality=45, subsampling="4:4:4")
    assert abs(avif_quality(data) - 45) <= AVIF_TOLERANCE


def test_animated_avif_reads_the_key_frame_of_a_full_sequence_header():
    """An AVIF sequence also carries a still primary item: its first frame, coded with a full
    sequence header (no reduced_still_picture_header) and a key-frame header. libavif codes
    sequences in aom's "good" mode, where key frames get a finer quantiser than a still at the
    same quality, so only the range is checked."""
    frames = [Image.fromarray(_textured(seed=s)) for s in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "AVIF", save_all=True, append_images=frames[1:], quality=40)
    data = buf.getvalue()
    assert dict(_children(data))[b"ftyp"][:4] == b"avis"
    result = coded_quality(data)
    still = coded_quality(_save(_textured(seed=0), "AVIF", quality=40))
    assert result.codec == "av1" and 0 < result.quantiser <= still.quantiser


def test_path_and_bytes_agree(tmp_path):
    for fmt, suffix in (("AVIF", ".avif"), ("HEIF", ".heic")):
        data = _save(_textured(), fmt, quality=55)
        path = tmp_path / f"a{suffix}"
        path.write_bytes(data)
        assert coded_quality(path) == coded_quality(str(path)) == coded_quality(data) \
            == coded_quality(bytearray(data)) == coded_quality(memoryview(data))


def test_missing_file_and_other_formats_are_none(tmp_path):
    assert coded_quality(tmp_path / "nope.heic") is None
    assert coded_quality(tmp_path) is None  # a directory
    for fmt in ("PNG", "JPEG", "WEBP"):
        assert coded_quality(_save(_textured(), fmt)) is None
    movie = box(b"ftyp", b"isom\0\0\0\0isom") + box(b"moov", box(b"mvhd", b"\0" * 100))
    assert coded_quality(movie) is None


def test_tables_are_monotone_and_cover_the_scale():
    for table in (AVIF_QUALITY_QINDEX, HEIF_QUALITY_QP):
        assert len(table) == 101 and list(table) == sorted(table, reverse=True)
    assert quality_for_quantiser(255, AVIF_QUALITY_QINDEX) == 2  # 0..2 share 255: the highest
    assert quality_for_quantiser(AVIF_QUALITY_QINDEX[80], AVIF_QUALITY_QINDEX) in (80, 81)
    assert quality_for_quantiser(51, HEIF_QUALITY_QP) <= 5


# --- files assembled from real coded images -----------------------------------------------------

@pytest.fixture(scope="module")
def heif_parts():
    """(type, hvcC box, coded bytes) of real HEVC images at qualities 20 and 90."""
    return {q: _single_image(_save(_textured(seed=q), "HEIF", quality=q)) for q in (20, 90)}


@pytest.fixture(scope="module")
def avif_parts():
    return {q: _single_image(_save(_textured(seed=q), "AVIF", quality=q)) for q in (20, 90)}


def _item(item_id, parts, **extra):
    item_type, config, data = parts
    return {"id": item_id, "type": item_type, "config": config, "data": data, **extra}


def test_thumbnail_listed_first_is_not_the_primary(heif_parts, avif_parts):
    for parts in (heif_parts, avif_parts):
        low, high = parts[20], parts[90]
        data = build([_item(1, low), _item(2, high)], primary=2, refs=((b"thmb", 1, [2]),))
        assert coded_quality(data).quality >= 88
        data = build([_item(1, low), _item(2, high)], primary=1, refs=((b"thmb", 2, [1]),))
        assert coded_quality(data).quality <= 22


def test_derivation_chains_lead_to_the_first_input(heif_parts):
    tile_low, tile_high = _item(3, heif_parts[20]), _item(4, heif_parts[90])
    grid = {"id": 2, "type": b"grid", "data": b"\0\0\0\0\0\0\0\0"}
    iden = {"id": 1, "type": b"iden", "data": b""}
    refs = ((b"dimg", 1, [2]), (b"dimg", 2, [4, 3]))
    assert coded_quality(build([iden, grid, tile_low, tile_high], 1, refs)).quality >= 88
    chain = [{"id": i, "type": b"iden", "data": b""} for i in range(10, 10 + MAX_DERIVATION + 1)]
    refs = tuple((b"dimg", i, [i + 1]) for i in range(10, 10 + MAX_DERIVATION + 1))
    too_long = build([*chain, {**tile_high, "id": 10 + MAX_DERIVATION + 1}], 10, refs)
    assert coded_quality(too_long) is None
    loop = build([iden, grid, tile_high], 1, ((b"dimg", 1, [2]), (b"dimg", 2, [1])))
    assert coded_quality(loop) is None
    assert coded_quality(build([iden, tile_high], 1)) is None  # no dimg reference


def test_item_split_over_extents(heif_parts, avif_parts):
    for parts in (heif_parts, avif_parts):
        whole = coded_quality(build([_item(1, parts[20])], 1))
        assert coded_quality(build([_item(1, parts[20], split=True)], 1)) == whole


def test_unsupported_layouts_are_none(heif_parts):
    good = _item(1, heif_parts[90])
    assert coded_quality(build([good], 1)).quality >= 88
    assert coded_quality(build([{**good, "method": 1}], 1)) is None  # in idat
    assert coded_quality(build([{**good, "method": 2}], 1)) is None  # from another item
    assert coded_quality(build([{**good, "dref": 1}], 1)) is None  # in another file
    assert coded_quality(build([good], 7)) is None  # primary item not listed
    assert coded_quality(build([good], 1, handler=b"vide")) is None
    assert coded_quality(build([{**good, "config": None}], 1)) is None
    assert coded_quality(build([{**good, "type": b"hev1"}], 1)) is None
    assert coded_quality(build([{**good, "type": b"jpeg"}], 1)) is None


def test_large_boxes_and_box_counts(heif_parts):
    item = _item(1, heif_parts[90])
    plain = coded_quality(build([item], 1))
    large = struct.pack(">I", 1) + b"free" + struct.pack(">Q", 20) + b"\0\0\0\0"  # 64-bit size
    uuid = box(b"uuid", bytes(range(16)) + b"payload")
    assert coded_quality(build([item], 1, prefix=large + uuid)) == plain
    assert coded_quality(build([item], 1, prefix=box(b"free", b"") * 62)) == plain
    assert coded_quality(build([item], 1, prefix=box(b"free", b"") * 63)) is None  # MAX_TOP_BOXES
    huge_meta = box(b"ftyp", b"heic\0\0\0\0mif1") + struct.pack(">I", MAX_META + 16) + b"meta" \
        + b"\0" * (MAX_META + 8)
    assert coded_quality(huge_meta) is None
    bad_size = box(b"ftyp", b"heic\0\0\0\0mif1") + struct.pack(">I", 4) + b"meta" + b"\0" * 64
    assert coded_quality(bad_size) is None


# --- headers written bit by bit ---------------------------------------------------------------

class BitWriter:
    """MSB-first bit writer with the Exp-Golomb, ns(n) and trailing-bits codes of the specs."""

    def __init__(self):
        self.bits: list[int] = []

    def u(self, value: int, n: int) -> "BitWriter":
        self.bits += [(value >> i) & 1 for i in reversed(range(n))]
        return self

    def ue(self, value: int) -> "BitWriter":
        n = (value + 1).bit_length()
        return self.u(0, n - 1).u(value + 1, n)

    def se(self, value: int) -> "BitWriter":
        return self.ue(2 * value - 1 if value > 0 else -2 * value)

    def ns(self, n: int, value: int) -> "BitWriter":
        w = n.bit_length()
        m = (1 << w) - n
        if value < m:
            return self.u(value, w - 1)
        return self.u((value + m) >> 1, w - 1).u((value + m) & 1, 1)

    def trailing(self) -> bytes:
        bits = self.bits + [1] + [0] * (-(len(self.bits) + 1) % 8)
        return bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))


def escape(rbsp: bytes) -> bytes:
    """H.265 7.4.2: a 0x03 after two zero bytes whenever the next byte is 0..3."""
    out, zeros = bytearray(), 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def nal(kind: int, rbsp: bytes) -> bytes:
    return bytes([kind << 1, 1]) + escape(rbsp)


def hvcc(*nals: bytes, length_size: int = 4) -> bytes:
    arrays = b""
    for unit in nals:
        arrays += bytes([0x80 | (unit[0] >> 1)]) + struct.pack(">HH", 1, len(unit)) + unit
    return box(b"hvcC", bytes([1]) + b"\x01" + b"\0" * 19 + bytes([0xFC | (length_size - 1),
                                                                 len(nals)]) + arrays)


def hevc_sps(sps_id=3, sub_layers=2, chroma=1, separate=False, bit_depth=10, scaling=True,
             sao=True, pcm=True, rps=True, long_term=True) -> bytes:
    w = BitWriter().u(0, 4).u(sub_layers - 1, 3).u(1, 1)
    # profile_tier_level: compatibility and constraint flags full of zero bytes, so the NAL
    # needs emulation-prevention bytes the reader must remove
    w.u(0x01, 8).u(0x60000000, 32).u(0x900000000000, 48).u(90, 8)
    for _ in range(sub_layers - 1):
        w.u(1, 1).u(1, 1)
    if sub_layers > 1:
        w.u(0, 2 * (8 - (sub_layers - 1)))
        for _ in range(sub_layers - 1):
            w.u(0x01, 8).u(0, 80).u(60, 8)
    w.ue(sps_id).ue(chroma)
    if chroma == 3:
        w.u(separate, 1)
    w.ue(640).ue(480).u(1, 1).ue(0).ue(2).ue(0).ue(4)  # size, conformance window
    w.ue(bit_depth - 8).ue(bit_depth - 8).ue(4)  # bit depths, log2_max_poc_lsb_minus4: 8 bits
    w.u(1, 1)
    for _ in range(sub_layers):
        w.ue(4).ue(2).ue(0)
    for value in (0, 3, 0, 3, 1, 1):
        w.ue(value)
    w.u(scaling, 1)
    if scaling:
        w.u(1, 1)
        for size_id in range(4):
            for matrix_id in range(0, 6, 3 if size_id == 3 else 1):
                if (size_id + matrix_id) % 2:
                    w.u(0, 1).ue(0)
                else:
                    w.u(1, 1)
                    if size_id > 1:
                        w.se(8)
                    for i in range(min(64, 1 << (4 + (size_id << 1)))):
                        w.se(i % 5 - 2)
    w.u(1, 1).u(sao, 1).u(pcm, 1)
    if pcm:
        w.u(7, 4).u(7, 4).ue(0).ue(1).u(1, 1)
    if rps:
        w.ue(3)
        w.ue(2).ue(1).ue(0).u(1, 1).ue(1).u(1, 1).ue(1).u(1, 1)  # set 0: S0 -1 -3, S1 +2
        # set 1 from set 0 with deltaRps -1: entries -2, -4 (dropped), +1, -1
        w.u(1, 1).u(1, 1).ue(0)
        for used, use_delta in ((1, 1), (0, 0), (1, 1), (1, 1)):
            w.u(used, 1)
            if not used:
                w.u(use_delta, 1)
        w.u(0, 1).ue(1).ue(0).ue(0).u(1, 1)  # set 2: S0 -1
    else:
        w.ue(0)
    w.u(long_term, 1)
    if long_term:
        w.ue(2).u(5, 8).u(1, 1).u(9, 8).u(0, 1)
    return w.u(1, 1).u(0b1011, 4).trailing()  # sps_temporal_mvp_enabled_flag, then the rest


def hevc_pps(pps_id=2, sps_id=3, output_flag=True, extra_bits=2, init_qp_minus26=-30,
             bypass=False) -> bytes:
    w = BitWriter().ue(pps_id).ue(sps_id).u(1, 1).u(output_flag, 1).u(extra_bits, 3)
    w.u(0, 1).u(1, 1).ue(0).ue(0).se(init_qp_minus26)
    w.u(0, 1).u(1, 1).u(1, 1).ue(1).se(-2).se(3).u(0, 3).u(bypass, 1)
    return w.u(0b110, 3).trailing()


def hevc_cra_slice(qp_delta=9, pps_id=2, slice_type=2, first=True) -> bytes:
    """A CRA (type 21) slice header for hevc_sps() / hevc_pps() defaults."""
    w = BitWriter().u(first, 1).u(0, 1).ue(pps_id).u(0b10, 2).ue(slice_type).u(1, 1)
    w.u(17, 8).u(0, 1)  # slice_pic_order_cnt_lsb; RPS coded here
    w.u(1, 1).ue(1).u(0, 1).ue(1)  # predicted from set 1 (S0 -1 -2, S1 +1) with deltaRps +2
    for used, use_delta in ((1, 1), (0, 1), (1, 1), (0, 0)):
        w.u(used, 1)
        if not used:
            w.u(use_delta, 1)
    w.ue(1).ue(1).u(1, 1).u(1, 1).ue(3).u(40, 8).u(1, 1).u(0, 1)  # long-term pictures
    w.u(1, 1).u(1, 1).u(0, 1)  # slice_temporal_mvp_enabled_flag, SAO luma and chroma
    return w.se(qp_delta).u(0xA5A5, 16).trailing()


def hevc_idr_slice(qp_delta=-4, colour_plane=True) -> bytes:
    """An IDR slice header for hevc_sps(chroma=3, separate=True) and a plain PPS."""
    w = BitWriter().u(1, 1).u(0, 1).ue(0).ue(2)
    if colour_plane:
        w.u(1, 2)
    return w.u(1, 1).se(qp_delta).u(0x5A, 8).trailing()  # one SAO flag: ChromaArrayType 0


def _hevc_file(config: bytes, *units: bytes, length_size: int = 4) -> bytes:
    data = b"".join(len(u).to_bytes(length_size, "big") + u for u in units)
    return build([{"id": 1, "type": b"hvc1", "config": config, "data": data}], 1)


def test_hevc_cra_slice_with_reference_picture_sets():
    sps, pps = hevc_sps(), hevc_pps()
    assert b"\x00\x00\x03" in escape(sps)  # the reader must remove emulation prevention
    config = hvcc(nal(33, sps), nal(34, pps))
    sei = nal(39, b"\x05\x10" + b"x" * 300 + b"\x80")
    data = _hevc_file(config, nal(35, b"\x50"), sei, nal(21, hevc_cra_slice()))
    result = coded_quality(data)
    assert result == CodedQuality("hevc", 26 - 30 + 9, quality_for_quantiser(5, HEIF_QUALITY_QP))
    # 10-bit video: SliceQpY may go down to -QpBdOffsetY = -12, not below
    deep = _hevc_file(config, nal(21, hevc_cra_slice(qp_delta=-8)))
    assert coded_quality(deep).quantiser == -12 and coded_quality(deep).quality == 100
    assert coded_quality(_hevc_file(config, nal(21, hevc_cra_slice(qp_delta=-9)))) is None


def test_hevc_in_band_parameter_sets_and_separate_colour_planes():
    sps = hevc_sps(sps_id=0, sub_layers=1, chroma=3, separate=True, bit_depth=8, scaling=False,
                   pcm=False, rps=False, long_term=False)
    pps = hevc_pps(pps_id=0, sps_id=0, output_flag=False, extra_bits=0, init_qp_minus26=0)
    for length_size in (1, 2, 4):
        data = _hevc_file(hvcc(length_size=length_size), nal(33, sps), nal(34, pps),
                          nal(19, hevc_idr_slice()), length_size=length_size)
        assert coded_quality(data).quantiser == 22
    wrong = _hevc_file(hvcc(), nal(33, sps), nal(34, pps),
                       nal(19, hevc_idr_slice(colour_plane=False)))
    assert coded_quality(wrong) != coded_quality(data)  # the colour_plane_id bits matter


def test_hevc_slices_that_are_not_read():
    config = hvcc(nal(33, hevc_sps()), nal(34, hevc_pps()))
    assert coded_quality(_hevc_file(config, nal(21, hevc_cra_slice(slice_type=1)))) is None  # P
    assert coded_quality(_hevc_file(config, nal(21, hevc_cra_slice(first=False)))) is None
    assert coded_quality(_hevc_file(config, nal(21, hevc_cra_slice(pps_id=9)))) is None
    assert coded_quality(_hevc_file(config, nal(22, hevc_cra_slice()))) is None  # reserved IRAP
    assert coded_quality(_hevc_file(hvcc(nal(34, hevc_pps())), nal(21, hevc_cra_slice()))) is None
    bypass = hvcc(nal(33, hevc_sps()), nal(34, hevc_pps(bypass=True)))
    assert coded_quality(_hevc_file(bypass, nal(21, hevc_cra_slice()))).lossless
    other_layer = bytes([21 << 1, 1 << 3 | 1]) + escape(hevc_cra_slice(slice_type=1))
    data = _hevc_file(config, other_layer, nal(21, hevc_cra_slice()))
    assert coded_quality(data).quantiser == 5  # layer 1 skipped, the base layer read


def test_units_before_the_slice_are_bounded():
    config = hvcc(nal(33, hevc_sps()), nal(34, hevc_pps()))
    sei = nal(39, b"\x05\x02ab\x80")
    assert coded_quality(_hevc_file(config, *[sei] * (MAX_UNITS - 1), nal(21, hevc_cra_slice()))) \
        .quantiser == 5
    assert coded_quality(_hevc_file(config, *[sei] * MAX_UNITS, nal(21, hevc_cra_slice()))) is None


def obu(kind: int, payload: bytes, temporal_id: int | None = None, size: bool = True) -> bytes:
    header = bytes([kind << 3 | (4 if temporal_id is not None else 0) | (2 if size else 0)])
    if temporal_id is not None:
        header += bytes([temporal_id << 5])
    if not size:
        return header + payload
    length, leb = len(payload), b""
    while True:
        leb += bytes([(length & 0x7F) | (0x80 if length > 0x7F else 0)])
        length >>= 7
        if not length:
            return header + leb + payload


def av1_sequence_full() -> bytes:
    """Timing info, a decoder model, two operating points, frame ids, 128x128 superblocks,
    order hints, screen content and integer MV chosen per frame, superres."""
    w = BitWriter().u(0, 3).u(0, 1).u(0, 1)
    w.u(1, 1).u(1, 32).u(30, 32).u(0, 1)  # timing_info, not equal_picture_interval
    w.u(1, 1).u(9, 5).u(1, 32).u(6, 5).u(4, 5)  # decoder model: 10/7/5-bit fields
    w.u(1, 1).u(1, 5)  # initial_display_delay_present_flag, two operating points
    w.u(0x103, 12).u(9, 5).u(0, 1).u(1, 1).u(100, 10).u(200, 10).u(1, 1).u(1, 1).u(3, 4)
    w.u(0x101, 12).u(4, 5).u(1, 1).u(7, 10).u(8, 10).u(0, 1).u(0, 1)
    w.u(10, 4).u(9, 4).u(1023, 11).u(575, 10)  # frame size bits and maximum size
    w.u(1, 1).u(3, 4).u(2, 3)  # frame ids: 8 bits
    w.u(1, 1).u(1, 1).u(1, 1)  # 128x128 superblocks, filter intra, intra edge
    w.u(0, 4).u(1, 1).u(0, 2)  # compound tools off, order hints on
    w.u(1, 1).u(1, 1).u(6, 3)  # screen content and integer MV chosen per frame; 7-bit hints
    return w.u(1, 1).u(1, 1).u(1, 1).u(0b0001100, 7).trailing()  # superres, cdef, lr, colour


def av1_key_frame(base_q_idx=123) -> bytes:
    w = BitWriter().u(0, 1).u(0, 2).u(1, 1).u(3, 5)  # shown key frame, temporal_point_info
    w.u(0, 1).u(1, 1).u(0, 1).u(77, 8)  # cdf updates, screen content, force_integer_mv, id
    w.u(1, 1).u(0, 7)  # frame_size_override_flag, order_hint
    w.u(1, 1).u(99, 7)  # buffer removal time: operating point 0 only (temporal id 1)
    w.u(999, 11).u(499, 10).u(1, 1).u(7, 3)  # 1000x500 coded at 500 wide (superres 8/16)
    w.u(1, 1).u(999, 16).u(499, 16)  # render size; no allow_intrabc: superres is on
    w.u(1, 1)  # disable_frame_end_update_cdf
    w.u(0, 1).ns(4, 0).ns(3, 2).ns(4, 3).u(1, 1).u(3, 2)  # tile widths 1 + 3 sb, one row
    return w.u(base_q_idx, 8).u(0x3C, 8).trailing()


def av1_sequence_simple() -> bytes:
    w = BitWriter().u(0, 3).u(0, 1).u(0, 1).u(0, 1).u(0, 1).u(0, 5).u(0, 12).u(4, 5)
    w.u(8, 4).u(7, 4).u(319, 9).u(239, 8).u(0, 1)  # 320x240, no frame ids
    w.u(0, 1).u(1, 2).u(0, 4).u(1, 1).u(0, 2)  # 64x64 superblocks, order hints
    w.u(0, 1).u(1, 1).u(0, 1).u(0, 1).u(2, 3)  # screen content forced on, integer MV off
    return w.u(0, 1).u(1, 2).u(0, 8).trailing()


def av1_intra_only_hidden(base_q_idx=200, frame_type=2) -> bytes:
    w = BitWriter().u(0, 1).u(frame_type, 2).u(0, 1).u(1, 1).u(1, 1)  # hidden, showable, ER
    w.u(1, 1).u(0, 1).u(5, 3)  # disable_cdf_update, frame_size_override_flag, order_hint
    w.u(0x0F, 8)
    for hint in range(8):
        w.u(hint, 3)  # ref_order_hint[i]
    w.u(0, 1).u(1, 1)  # render size, allow_intrabc
    w.u(1, 1).u(1, 1).u(1, 1).u(0, 1).u(1, 1).u(0, 1)  # uniform tiles: 4 columns, 2 rows
    w.u(5, 3).u(2, 2)  # context_update_tile_id, tile_size_bytes_minus_1
    return w.u(base_q_idx, 8).trailing()


def _avif_file(config_obus: bytes, data: bytes) -> bytes:
    config = box(b"av1C", bytes([0x81, 0x00, 0x0C, 0x00]) + config_obus)
    return build([{"id": 1, "type": b"av01", "config": config, "data": data}], 1, brand=b"avif")


def test_av1_full_sequence_header_and_key_frame():
    seq = obu(1, av1_sequence_full())
    item = obu(2, b"") + seq + obu(3, av1_key_frame(), temporal_id=1) + obu(4, b"\x77" * 40)
    result = coded_quality(_avif_file(b"", item))
    assert result == CodedQuality("av1", 123, quality_for_quantiser(123, AVIF_QUALITY_QINDEX))
    # a frame OBU without a size field runs to the end of the item
    assert coded_quality(_avif_file(b"", seq + obu(6, av1_key_frame(77), 1, size=False))) \
        .quantiser == 77


def test_av1_hidden_intra_only_frame_with_the_sequence_header_in_av1c():
    seq = obu(1, av1_sequence_simple())
    assert coded_quality(_avif_file(seq, obu(6, av1_intra_only_hidden()))).quantiser == 200
    assert coded_quality(_avif_file(b"", obu(6, av1_intra_only_hidden()))) is None  # no header
    for frame_type in (1, 3):  # inter and switch frames
        frame = obu(6, av1_intra_only_hidden(frame_type=frame_type))
        assert coded_quality(_avif_file(seq, frame)) is None
    assert coded_quality(_avif_file(seq, obu(6, b"\x80" + b"\0" * 20))) is None  # show existing
    assert coded_quality(_avif_file(seq, obu(4, b"\0" * 9) + obu(6, av1_intra_only_hidden()))) \
        is None  # tile group before the frame header
    assert coded_quality(_avif_file(seq, obu(6, av1_intra_only_hidden())[:-3] + b"\xff\xff")) \
        is None  # OBU size runs past the item


# --- hostile bytes ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seeds(heif_parts):
    alpha = np.dstack([_textured(48, 40), np.full((48, 40), 128, np.uint8)])
    return [
        _save(_textured(32, 32), "AVIF", quality=60),
        _save(_textured(32, 32), "HEIF", quality=60),
        _save(alpha, "AVIF", quality=30),
        _save(_textured(96, 96), "HEIF", quality=30, tile_size=64),
        _hevc_file(hvcc(nal(33, hevc_sps()), nal(34, hevc_pps())), nal(21, hevc_cra_slice())),
        _avif_file(b"", obu(1, av1_sequence_full()) + obu(3, av1_key_frame(), temporal_id=1)),
    ]


def test_every_truncation_is_none(seeds):
    """The coded item runs to the end of each file, so no strict prefix may give a value."""
    for data in seeds[:2] + seeds[4:]:
        assert coded_quality(data) is not None
        for cut in range(len(data)):
            assert coded_quality(data[:cut]) is None, cut


def test_mutated_bytes_never_raise(seeds):
    rng = random.Random(7)
    start = time.monotonic()
    for _ in range(600):
        data = bytearray(rng.choice(seeds))
        meta_end = data.find(b"mdat") + 120
        for _ in range(rng.randint(1, 4)):
            where = rng.randrange(min(len(data), meta_end))
            data[where] = rng.choice((0, 1, 0xFF, 0x80, rng.randrange(256)))
        result = coded_quality(bytes(data))
        assert result is None or (isinstance(result.quality, int) and 0 <= result.quality <= 100)
    for _ in range(200):  # a real head, then random bytes where the boxes and headers go on
        noise = bytes(rng.randrange(256) for _ in range(rng.randrange(400)))
        result = coded_quality(rng.choice(seeds)[:rng.randrange(400)] + noise)
        assert result is None or 0 <= result.quality <= 100
    assert time.monotonic() - start < 10
