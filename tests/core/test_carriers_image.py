"""Image carriers (JPEG, PNG, WebP, GIF, TIFF): the exact sites each yields, in file order,
from files written by real writers (Pillow, exiftool) plus byte-built damage."""

import io
import random
import shutil
import struct
import time
import zlib

import pytest

from aigcverify.carriers import gif, jpeg, png, tiff, webp
from aigcverify.carriers.base import Site, SiteKind
from aigcverify.errors import CarrierError, VerifyError
from aigcverify.limits import DEFAULT_LIMITS, Limits
from aigcverify.metadata import expand
from tests.fixtures.image_fixtures import (
    SAMPLE_JSON,
    exif_bytes,
    exif_object,
    exiftool_write,
    extended_guid,
    gif_xmp_block,
    jpeg_segment,
    jumbf_c2pa,
    label_json,
    png_chunk,
    write_gif,
    write_jpeg,
    write_png,
    write_tiff,
    write_webp,
    xmp_packet,
)

WRAPPED = label_json(wrapped=True)
XMP = xmp_packet(SAMPLE_JSON)
XMP_TRACE = xmp_packet(SAMPLE_JSON, extra="<xmp:CreatorTool>Doubao</xmp:CreatorTool>",
                       extra_ns=' xmlns:xmp="http://ns.adobe.com/xap/1.0/"')


def read(mod, data_or_path, limits: Limits = DEFAULT_LIMITS) -> list[Site]:
    data = data_or_path if isinstance(data_or_path, bytes) else data_or_path.read_bytes()
    return list(mod.sites(io.BytesIO(data), mod.FORMATS[0], limits))


def brief(sites: list[Site]) -> list[tuple]:
    """(kind, carrier, key, value) with block values shown by kind only."""
    out = []
    for s in sites:
        value = s.value if s.kind in (SiteKind.FIELD, SiteKind.C2PA_REMOTE) else None
        if s.kind is SiteKind.PROBLEM:
            value = None
        out.append((s.kind.value, s.carrier, s.key, value))
    return out


def problems(sites: list[Site]) -> list[str]:
    return [s.key for s in sites if s.kind is SiteKind.PROBLEM]


# -- JPEG ---------------------------------------------------------------------------------------
def test_jpeg_all_carriers_in_file_order(tmp_path):
    p = write_jpeg(tmp_path / "a.jpg", xmp=XMP_TRACE, comment="hello 你好",
                   exif=exif_object(user_comment=WRAPPED, software="Doubao"),
                   app11_aigc=SAMPLE_JSON, c2pa=True)
    sites = read(jpeg, p)
    assert brief(sites) == [
        ("field", "jpeg-app", "AIGC", SAMPLE_JSON),
        ("c2pa", "c2pa", "", None),
        ("exif", "exif", "", None),
        ("xmp", "xmp", "", None),
        ("field", "jpeg-comment", "Comment", "hello 你好"),
    ]
    xmp_site = sites[3]
    assert xmp_site.value == XMP_TRACE
    data = p.read_bytes()
    assert data[xmp_site.offset:xmp_site.offset + len(XMP_TRACE)] == XMP_TRACE
    assert data[sites[2].offset:sites[2].offset + 2] in (b"II", b"MM")
    assert sites[0].location.startswith("APP11 #")
    assert brief(expand(sites, DEFAULT_LIMITS))[2:] == [
        ("exif", "exif", "", None),
        ("field", "exif-software", "Software", "Doubao"),
        ("field", "exif-usercomment", "UserComment", WRAPPED),
        ("xmp", "xmp", "", None),
        ("field", "xmp", "AIGC", SAMPLE_JSON),
        ("field", "xmp", "xmp:CreatorTool", "Doubao"),
        ("field", "jpeg-comment", "Comment", "hello 你好"),
    ]


@pytest.mark.parametrize("payload, expected", [
    (b"AIGC" + SAMPLE_JSON.encode(), SAMPLE_JSON),  # Jimeng: keyword glued to the JSON
    (b"AIGC\x00" + SAMPLE_JSON.encode() + b"\x00\x00", SAMPLE_JSON),
    (b"AIGC:" + WRAPPED.encode(), WRAPPED),
    (b"xx\x00AIGC" + SAMPLE_JSON.encode() + b"trailing junk", SAMPLE_JSON),
    (b'AIGC{"Label":"1","ProduceID":"a}b\\"c"}{"x":1}', '{"Label":"1","ProduceID":"a}b\\"c"}'),
    (b'AIGC{"Label":"1"', '{"Label":"1"'),  # never closes: delivered as is, judged later
])
def test_jpeg_bare_aigc_app_segments(tmp_path, payload, expected):
    p = write_jpeg(tmp_path / "a.jpg", app_segments=[jpeg_segment(0xE9, payload)])
    assert brief(read(jpeg, p)) == [("field", "jpeg-app", "AIGC", expected)]


def test_jpeg_unrelated_app_segments_yield_nothing(tmp_path):
    p = write_jpeg(tmp_path / "a.jpg", app_segments=[
        jpeg_segment(0xEB, b"JP\x00\x01\x00\x00\x00\x01"
                     + jumbf_c2pa(label=b"other", box_type=b"xxxx")),
        jpeg_segment(0xED, b"Photoshop 3.0\x00AIGC but no brace"),
        jpeg_segment(0xE2, b"ICC_PROFILE\x00" + bytes(300)),
    ])
    assert read(jpeg, p) == []


def test_jpeg_c2pa_reported_once(tmp_path):
    seg = jpeg_segment(0xEB, b"JP\x00\x01\x00\x00\x00\x01" + jumbf_c2pa())
    p = write_jpeg(tmp_path / "a.jpg", app_segments=[seg, seg])
    assert brief(read(jpeg, p)) == [("c2pa", "c2pa", "", None)]


def test_jpeg_extended_xmp_reassembled_by_offset(tmp_path):
    ext = xmp_packet(label_json("2"), "fields", "tc260")
    p = write_jpeg(tmp_path / "a.jpg", xmp=XMP, extended_xmp=ext, extended_chunk=97)
    sites = read(jpeg, p)
    assert [s.kind for s in sites] == [SiteKind.XMP, SiteKind.XMP]
    main, extended = sites
    assert main.value == XMP
    assert extended.value == ext
    assert extended.location == f"APP1 extended XMP {extended_guid(ext)}"
    fields = [s for s in expand(sites, DEFAULT_LIMITS) if s.kind is SiteKind.FIELD]
    assert [(f.key, f.value) for f in fields] == [("AIGC", SAMPLE_JSON), ("AIGC", label_json("2"))]


def test_jpeg_extended_xmp_incomplete_is_reported(tmp_path):
    ext = xmp_packet(SAMPLE_JSON)
    p = write_jpeg(tmp_path / "a.jpg", extended_xmp=ext, extended_chunk=100)
    data = p.read_bytes()
    # drop one chunk (the second segment written: chunks are in reverse order)
    first = data.index(b"\xff\xe1", 2)
    second = data.index(b"\xff\xe1", first + 2)
    (length,) = struct.unpack(">H", data[second + 2:second + 4])
    broken = data[:second] + data[second + 2 + length:]
    sites = read(jpeg, broken)
    assert [s.kind for s in sites] == [SiteKind.XMP, SiteKind.PROBLEM]
    assert sites[1].key == "parse-error" and "cover" in sites[1].value


def test_jpeg_extended_xmp_lying_full_length(tmp_path):
    payload = (b"http://ns.adobe.com/xmp/extension/\x00" + b"A" * 32
               + struct.pack(">II", 0xFFFFFFF0, 0) + b"<x/>")
    p = write_jpeg(tmp_path / "a.jpg", app_segments=[jpeg_segment(0xE1, payload)])
    assert problems(read(jpeg, p)) == ["resource-limit"]


def test_jpeg_stops_at_sos(tmp_path):
    p = write_jpeg(tmp_path / "a.jpg")
    data = p.read_bytes() + jpeg_segment(0xEB, b"AIGC" + SAMPLE_JSON.encode())
    assert read(jpeg, data) == []


def test_jpeg_not_a_jpeg_raises():
    with pytest.raises(CarrierError):
        read(jpeg, b"\x89PNG\r\n\x1a\n")
    with pytest.raises(CarrierError):
        read(jpeg, b"\xff\xd8")
    with pytest.raises(CarrierError):
        read(jpeg, b"\xff\xd8\x00\x00garbage")


def test_jpeg_truncated_after_useful_data(tmp_path):
    p = write_jpeg(tmp_path / "a.jpg", comment="first", app11_aigc=SAMPLE_JSON)
    data = p.read_bytes()
    cut = data[:data.index(b"first") + 2]  # inside the COM segment
    sites = read(jpeg, cut)
    assert brief(sites) == [("field", "jpeg-app", "AIGC", SAMPLE_JSON),
                            ("problem", "jpeg", "parse-error", None)]


def test_jpeg_lying_segment_length_is_fast():
    data = b"\xff\xd8" + jpeg_segment(0xEB, b"AIGC" + SAMPLE_JSON.encode()) + b"\xff\xe1\xff\xff"
    t = time.perf_counter()
    sites = read(jpeg, data)
    assert time.perf_counter() - t < 0.05
    assert problems(sites) == ["parse-error"]
    assert sites[0].value == SAMPLE_JSON


def test_jpeg_segment_count_bounded():
    data = b"\xff\xd8" + jpeg_segment(0xE5, b"x") * 50 + b"\xff\xd9"
    sites = read(jpeg, data, Limits(max_structures=10))
    assert problems(sites) == ["resource-limit"]


# -- PNG ----------------------------------------------------------------------------------------
def test_png_text_chunks_by_pillow(tmp_path):
    p = write_png(tmp_path / "a.png", text={"AIGC": SAMPLE_JSON}, ztxt={"AIGC": WRAPPED},
                  itxt={"Description": "生成 by AI"}, xmp=xmp_packet(SAMPLE_JSON, "attribute"))
    sites = read(png, p)
    assert brief(sites) == [
        ("field", "png-text", "AIGC", SAMPLE_JSON),
        ("field", "png-ztxt", "AIGC", WRAPPED),
        ("field", "png-itxt", "Description", "生成 by AI"),
        ("xmp", "xmp", "", None),
    ]
    data = p.read_bytes()
    assert data[sites[0].offset:sites[0].offset + len(SAMPLE_JSON)] == SAMPLE_JSON.encode()
    assert sites[0].location == "tEXt #2"
    assert brief(expand(sites, DEFAULT_LIMITS))[-1] == ("field", "xmp", "AIGC", SAMPLE_JSON)


def test_png_compressed_itxt_xmp_and_field(tmp_path):
    p = write_png(tmp_path / "a.png", xmp=XMP, xmp_compressed=True, after_idat=True,
                  itxt={"AIGC": SAMPLE_JSON})
    sites = read(png, p)
    assert brief(sites) == [("field", "png-itxt", "AIGC", SAMPLE_JSON), ("xmp", "xmp", "", None)]
    assert sites[1].value == XMP


def test_png_labels_after_idat(tmp_path):
    p = write_png(tmp_path / "a.png", text={"AIGC": SAMPLE_JSON}, ztxt={"Comment": "z"},
                  after_idat=True, extra_chunks=[png_chunk(b"caBX", jumbf_c2pa())])
    data = p.read_bytes()
    sites = read(png, p)
    assert brief(sites) == [("field", "png-text", "AIGC", SAMPLE_JSON),
                            ("field", "png-ztxt", "Comment", "z"),
                            ("c2pa", "c2pa", "", None)]
    assert sites[0].offset > data.index(b"IDAT")


def test_png_exif_chunk_expands(tmp_path):
    p = write_png(tmp_path / "a.png", exif=exif_bytes(user_comment=WRAPPED))
    sites = expand(read(png, p), DEFAULT_LIMITS)
    assert brief(sites) == [("exif", "exif", "", None),
                            ("field", "exif-usercomment", "UserComment", WRAPPED)]


def test_png_exif_chunk_with_jpeg_prefix(tmp_path):
    raw = exif_bytes(image_description="d")  # keeps the `Exif\0\0` prefix some writers leave
    p = write_png(tmp_path / "a.png", extra_chunks=[png_chunk(b"eXIf", raw)])
    sites = read(png, p)
    assert sites[0].value[:2] in (b"II", b"MM")
    assert brief(expand(sites, DEFAULT_LIMITS))[1] == (
        "field", "exif-imagedescription", "ImageDescription", "d")


def test_png_bad_crc_is_reported_and_reading_goes_on(tmp_path):
    bad = png_chunk(b"tEXt", b"AIGC\x00" + SAMPLE_JSON.encode(), crc=0)
    good = png_chunk(b"tEXt", b"Software\x00x")
    p = write_png(tmp_path / "a.png", extra_chunks=[bad, good])
    assert brief(read(png, p)) == [
        ("field", "png-text", "AIGC", SAMPLE_JSON),
        ("problem", "png", "png-bad-crc", None),
        ("field", "png-text", "Software", "x"),
    ]


def test_png_truncated_inside_a_chunk(tmp_path):
    p = write_png(tmp_path / "a.png", text={"AIGC": SAMPLE_JSON, "Later": "x" * 100})
    data = p.read_bytes()
    cut = data[:data.index(b"Later") + 20]
    assert brief(read(png, cut)) == [("field", "png-text", "AIGC", SAMPLE_JSON),
                                     ("problem", "png", "parse-error", None)]


def test_png_without_iend(tmp_path):
    data = write_png(tmp_path / "a.png", text={"AIGC": SAMPLE_JSON}).read_bytes()[:-12]
    assert problems(read(png, data)) == ["parse-error"]


@pytest.mark.parametrize("length", [0x7FFFFFF0, 0xFFFFFFF0])
def test_png_lying_chunk_length_is_fast(tmp_path, length):
    data = write_png(tmp_path / "a.png", text={"AIGC": SAMPLE_JSON}).read_bytes()
    iend = data.rindex(b"IEND") - 4
    data = data[:iend] + struct.pack(">I", length) + b"tEXtAIGC\x00{" + data[iend:]
    t = time.perf_counter()
    sites = read(png, data)
    assert time.perf_counter() - t < 0.05
    assert brief(sites) == [("field", "png-text", "AIGC", SAMPLE_JSON),
                            ("problem", "png", "parse-error", None)]


def test_png_oversized_text_chunk_is_skipped(tmp_path):
    p = write_png(tmp_path / "a.png", text={"Big": "x" * 5000, "AIGC": SAMPLE_JSON})
    sites = read(png, p, Limits(max_metadata_bytes=1000))
    assert brief(sites) == [("problem", "png", "resource-limit", None),
                            ("field", "png-text", "AIGC", SAMPLE_JSON)]


def test_png_ztxt_bomb_is_capped(tmp_path):
    comp = zlib.compressobj(9)
    zero = bytes(1 << 20)
    bomb = b"".join(comp.compress(zero) for _ in range(64)) + comp.flush()  # 64 MiB of zeros
    chunks = [png_chunk(b"zTXt", b"AIGC\x00\x00" + bomb), png_chunk(b"tEXt", b"AIGC\x00{}")]
    p = write_png(tmp_path / "a.png", extra_chunks=chunks)
    t = time.perf_counter()
    sites = read(png, p)
    assert time.perf_counter() - t < 2.0
    assert brief(sites) == [("problem", "png", "resource-limit", None),
                            ("field", "png-text", "AIGC", "{}")]


def test_png_many_small_bombs_share_one_budget(tmp_path):
    comp = zlib.compress(bytes(1000), 9)
    chunks = [png_chunk(b"zTXt", b"k\x00\x00" + comp) for _ in range(5)]
    p = write_png(tmp_path / "a.png", extra_chunks=chunks)
    sites = read(png, p, Limits(max_total_metadata=2500))
    assert [s.kind.value for s in sites] == ["field", "field", "problem", "problem", "problem"]


def test_png_corrupt_ztxt(tmp_path):
    p = write_png(tmp_path / "a.png", extra_chunks=[png_chunk(b"zTXt", b"AIGC\x00\x00notzlib")])
    assert problems(read(png, p)) == ["parse-error"]


def test_png_not_png_raises(tmp_path):
    with pytest.raises(CarrierError):
        read(png, b"GIF89a")
    with pytest.raises(CarrierError):
        read(png, b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00")  # first chunk truncated


# -- WebP ---------------------------------------------------------------------------------------
def test_webp_xmp_exif_c2pa(tmp_path):
    p = write_webp(tmp_path / "a.webp", xmp=XMP,
                   exif=exif_bytes(user_comment=WRAPPED, byte_order=">"), c2pa=True)
    sites = read(webp, p)
    assert brief(sites) == [("exif", "exif", "", None), ("xmp", "xmp", "", None),
                            ("c2pa", "c2pa", "", None)]
    assert sites[0].value[:2] == b"MM" and sites[1].value == XMP
    assert brief(expand(sites, DEFAULT_LIMITS)) == [
        ("exif", "exif", "", None),
        ("field", "exif-usercomment", "UserComment", WRAPPED),
        ("xmp", "xmp", "", None),
        ("field", "xmp", "AIGC", SAMPLE_JSON),
        ("c2pa", "c2pa", "", None),
    ]


def _riff(chunks: list[tuple[bytes, bytes]]) -> bytes:
    body = b"WEBP" + b"".join(c + struct.pack("<I", len(d)) + d + b"\x00" * (len(d) & 1)
                              for c, d in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_webp_exif_prefix_stripped():
    tiff_bytes = exif_bytes(software="Midjourney")
    sites = read(webp, _riff([(b"VP8 ", b"\x00" * 10), (b"EXIF", tiff_bytes)]))
    assert sites[0].value == tiff_bytes[6:]
    assert brief(expand(sites, DEFAULT_LIMITS))[1] == ("field", "exif-software", "Software",
                                                       "Midjourney")


def test_webp_odd_chunk_padding():
    sites = read(webp, _riff([(b"ICCP", b"abc"), (b"XMP ", XMP)]))
    assert brief(sites) == [("xmp", "xmp", "", None)] and sites[0].value == XMP


def test_webp_truncated_and_lying():
    data = _riff([(b"VP8 ", b"\x00" * 10), (b"XMP ", XMP)])
    assert brief(read(webp, data[:-20])) == [("problem", "webp", "parse-error", None)]
    lying = data + b"XMP " + struct.pack("<I", 0xFFFFFFF0)
    lying = lying[:4] + struct.pack("<I", len(lying) - 8) + lying[8:]
    assert brief(read(webp, lying)) == [("xmp", "xmp", "", None),
                                        ("problem", "webp", "parse-error", None)]
    with pytest.raises(CarrierError):
        read(webp, b"RIFF\x04\x00\x00\x00WAVE")
    with pytest.raises(CarrierError):
        read(webp, b"RIFF\x04\x00\x00\x00WEBP")


# -- GIF ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("style", ["raw", "sub-blocks"])
def test_gif_xmp_comment_c2pa(tmp_path, style):
    p = write_gif(tmp_path / "a.gif", xmp=XMP, xmp_style=style, comment="AI生成", c2pa=True,
                  frames=3)
    sites = read(gif, p)
    assert brief(sites) == [("field", "gif-comment", "Comment", "AI生成"),
                            ("xmp", "xmp", "", None), ("c2pa", "c2pa", "", None)]
    assert sites[1].value == XMP
    assert brief(expand(sites, DEFAULT_LIMITS))[2] == ("field", "xmp", "AIGC", SAMPLE_JSON)


def test_gif_truncated(tmp_path):
    data = write_gif(tmp_path / "a.gif", comment="c", xmp=XMP).read_bytes()
    assert brief(read(gif, data[:-30])) == [("field", "gif-comment", "Comment", "c"),
                                            ("problem", "gif", "parse-error", None)]
    assert problems(read(gif, data[:-1])) == ["parse-error"]  # no trailer
    with pytest.raises(CarrierError):
        read(gif, b"GIF89a\x01")
    with pytest.raises(CarrierError):
        read(gif, b"GIF89a\x01\x00\x01\x00\x87\x00\x00" + b"\x00" * 10)  # color table cut


def test_gif_unknown_block(tmp_path):
    data = write_gif(tmp_path / "a.gif").read_bytes()
    assert problems(read(gif, data[:-1] + b"\x99\x3b")) == ["parse-error"]


def test_gif_large_animation_is_quick(tmp_path):
    p = write_gif(tmp_path / "a.gif", frames=60, xmp=XMP)
    data = p.read_bytes()
    t = time.perf_counter()
    sites = read(gif, data)
    assert time.perf_counter() - t < 0.05
    assert [s.kind for s in sites] == [SiteKind.XMP]


# -- TIFF ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("opts", [{}, {"big": True}, {"big_endian": True}])
def test_tiff_tag700_and_ifd0_text(tmp_path, opts):
    p = write_tiff(tmp_path / "a.tif", xmp=XMP, description=WRAPPED, software="Kolors", **opts)
    sites = read(tiff, p)
    assert sorted(brief(sites)) == sorted([
        ("field", "exif-imagedescription", "ImageDescription", WRAPPED),
        ("field", "exif-software", "Software", "Kolors"),
        ("xmp", "xmp", "XMP", None),
    ])
    x = next(s for s in sites if s.kind is SiteKind.XMP)
    assert x.value.rstrip(b"\x00") == XMP
    assert p.read_bytes()[x.offset:x.offset + 20] == XMP[:20]


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool not installed")
def test_tiff_exif_usercomment_written_by_exiftool(tmp_path):
    p = exiftool_write(write_tiff(tmp_path / "a.tif", description="d"),
                       f"-UserComment={WRAPPED}", "-Artist=someone")
    got = brief(read(tiff, p))
    assert ("field", "exif-usercomment", "UserComment", WRAPPED) in got
    assert ("field", "exif", "Artist", "someone") in got


def _tiff(entries: list[tuple[int, int, int, bytes]], *, extra: bytes = b"") -> bytes:
    """A little-endian classic TIFF with one IFD at offset 8 (values inline, 4 bytes)."""
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHI", t, typ, n) + v.ljust(4, b"\x00") for t, typ, n, v in entries)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00\x00\x00\x00" + extra


def test_tiff_ifd_loop_is_detected():
    data = _tiff([(0x8769, 4, 1, struct.pack("<I", 8)), (0x0131, 2, 4, b"abc\x00")])
    sites = read(tiff, data)
    assert brief(sites) == [("field", "exif-software", "Software", "abc"),
                            ("problem", "tiff", "parse-error", None)]


def test_tiff_lying_counts_and_offsets():
    data = _tiff([(0x010E, 2, 0x7FFFFFFF, struct.pack("<I", 100)),
                  (0x0131, 2, 50, struct.pack("<I", 0xFFFFFF00))])
    assert problems(read(tiff, data)) == ["resource-limit", "parse-error"]
    huge = b"II*\x00\x08\x00\x00\x00\xff\xff" + b"\x00" * 24
    t = time.perf_counter()
    assert problems(read(tiff, huge)) == ["resource-limit", "parse-error"]
    assert time.perf_counter() - t < 0.05


def test_tiff_unreadable_raises():
    for data in (b"II*\x00\xff\x00\x00\x00", b"XX*\x00\x08\x00\x00\x00", b"II\x2b\x00\x04\x00",
                 b"II*\x00"):
        with pytest.raises(CarrierError):
            read(tiff, data)


# -- every reader, hostile bytes ----------------------------------------------------------------
def _corpus(tmp_path) -> dict:
    ext = xmp_packet(label_json("3"), "fields")
    return {
        jpeg: write_jpeg(tmp_path / "f.jpg", xmp=XMP_TRACE, extended_xmp=ext, extended_chunk=200,
                         exif=exif_object(user_comment=WRAPPED, xmp=XMP), app11_aigc=SAMPLE_JSON,
                         comment="c", c2pa=True).read_bytes(),
        png: write_png(tmp_path / "f.png", text={"AIGC": SAMPLE_JSON}, ztxt={"z": WRAPPED},
                       xmp=XMP, xmp_compressed=True, exif=exif_bytes(user_comment=WRAPPED),
                       after_idat=True).read_bytes(),
        webp: write_webp(tmp_path / "f.webp", xmp=XMP, exif=exif_bytes(software="s"),
                         c2pa=True).read_bytes(),
        gif: write_gif(tmp_path / "f.gif", xmp=XMP, comment="c", c2pa=True,
                       frames=2).read_bytes(),
        tiff: write_tiff(tmp_path / "f.tif", xmp=XMP, description=WRAPPED).read_bytes(),
    }


def test_only_verify_errors_escape_mutations(tmp_path):
    rng = random.Random(45438)
    for mod, data in _corpus(tmp_path).items():
        for _ in range(150):
            b = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                i = rng.randrange(len(b))
                b[i] = rng.choice((0, 0xFF, 0x7F, rng.randrange(256)))
            try:
                sites = expand(read(mod, bytes(b)), DEFAULT_LIMITS)
            except VerifyError:
                continue  # "could not read at all" is an allowed outcome
            assert all(isinstance(s, Site) for s in sites)


def test_only_verify_errors_escape_truncations(tmp_path):
    for mod, data in _corpus(tmp_path).items():
        step = max(1, len(data) // 400)
        for n in range(0, len(data), step):
            try:
                sites = expand(read(mod, data[:n]), DEFAULT_LIMITS)
            except VerifyError:
                continue
            assert all(isinstance(s, Site) for s in sites)


def test_gif_xmp_block_helper_round_trip():
    # the fixture helper itself: a raw block ends with the 258-byte trailer + nothing else
    block = gif_xmp_block(XMP)
    assert block.endswith(b"\x02\x01\x00\x00") and len(block) == 14 + len(XMP) + 258


def test_small_jpeg_metadata_is_fast(tmp_path):
    data = write_jpeg(tmp_path / "a.jpg", xmp=XMP,
                      exif=exif_object(user_comment=WRAPPED)).read_bytes()
    runs = 200
    t = time.perf_counter()
    for _ in range(runs):
        expand(read(jpeg, data), DEFAULT_LIMITS)
    per_file = (time.perf_counter() - t) / runs
    assert per_file < 0.002  # ~0.1 ms measured; generous for a busy shared CPU


# -- ImageMagick raw profiles in PNG text chunks ------------------------------------------------
def _raw_profile(name: str, data: bytes) -> bytes:
    """ImageMagick's layout: "\\n<name>\\n<length padded to 8>\\n<hex, 72 digits a line>\\n"."""
    hexed = data.hex()
    lines = "\n".join(hexed[i:i + 72] for i in range(0, len(hexed), 72))
    return f"\n{name}\n{len(data):8d}\n{lines}\n".encode("ascii")


def test_png_imagemagick_raw_profiles(tmp_path):
    tiff_bytes = exif_bytes(user_comment=WRAPPED)
    chunks = [
        png_chunk(b"zTXt", b"Raw profile type exif\x00\x00"
                  + zlib.compress(_raw_profile("exif", tiff_bytes))),
        png_chunk(b"tEXt", b"Raw profile type xmp\x00" + _raw_profile("xmp", XMP)),
        png_chunk(b"tEXt", b"Raw profile type APP1\x00"
                  + _raw_profile("APP1", b"http://ns.adobe.com/xap/1.0/\x00" + XMP)),
        png_chunk(b"tEXt", b"Raw profile type xmp\x00\nxmp\n  999999\nzz\n"),
    ]
    sites = read(png, write_png(tmp_path / "a.png", extra_chunks=chunks))
    assert brief(sites) == [("exif", "exif", "", None), ("xmp", "xmp", "", None),
                            ("xmp", "xmp", "", None), ("problem", "png", "parse-error", None)]
    assert sites[0].value == tiff_bytes[6:] and sites[1].value == XMP == sites[2].value
    assert ("field", "exif-usercomment", "UserComment", WRAPPED) in brief(
        expand(sites, DEFAULT_LIMITS))


# -- an independent writer: exiftool ------------------------------------------------------------
needs_exiftool = pytest.mark.skipif(shutil.which("exiftool") is None,
                                    reason="exiftool not installed")
ALL_WRITERS = [(write_jpeg, jpeg, "jpg"), (write_png, png, "png"), (write_webp, webp, "webp"),
               (write_tiff, tiff, "tif"), (write_gif, gif, "gif")]


@needs_exiftool
@pytest.mark.parametrize("writer, mod, ext", ALL_WRITERS)
def test_tc260_label_written_by_exiftool(tmp_path, writer, mod, ext):
    p = exiftool_write(writer(tmp_path / f"a.{ext}"), "-XMP-xmp:CreatorTool=Kling AI",
                       tc260=SAMPLE_JSON)
    got = brief(expand(read(mod, p), DEFAULT_LIMITS))
    assert [g for g in got if g[0] == "field"] == [
        ("field", "xmp", "AIGC", SAMPLE_JSON), ("field", "xmp", "xmp:CreatorTool", "Kling AI")]


@needs_exiftool
@pytest.mark.parametrize("writer, mod, ext", ALL_WRITERS[:4])  # GIF has no EXIF
def test_exif_and_xmp_written_by_exiftool(tmp_path, writer, mod, ext):
    p = exiftool_write(writer(tmp_path / f"a.{ext}"), "-XMP-dc:Description=生成的图",
                       f"-EXIF:UserComment={WRAPPED}", "-EXIF:ImageDescription=AI")
    got = brief(expand(read(mod, p), DEFAULT_LIMITS))
    for expected in [("field", "exif-usercomment", "UserComment", WRAPPED),
                     ("field", "exif-imagedescription", "ImageDescription", "AI"),
                     ("field", "xmp", "dc:description", "生成的图")]:
        assert expected in got, (expected, got)


def test_jpeg_old_adobe_xmp_header(tmp_path):
    seg = jpeg_segment(0xE1, b"XMP\x00://ns.adobe.com/xap/1.0/\x00" + XMP)
    sites = read(jpeg, write_jpeg(tmp_path / "a.jpg", app_segments=[seg]))
    assert [s.kind for s in sites] == [SiteKind.XMP] and sites[0].value == XMP
