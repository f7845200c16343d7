"""Sniffing by magic bytes, never by extension."""

import io
import zipfile

import pytest
from PIL import Image

from aigcverify.sniff import MEDIA_TYPES, extension_mismatch, sniff


def _image_bytes(fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 20, 30)).save(buf, fmt, **kw)
    return buf.getvalue()


def _zip_with(member: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(member, "<x/>")
    return buf.getvalue()


CASES = [
    (_image_bytes("JPEG"), "jpeg"),
    (_image_bytes("PNG"), "png"),
    (_image_bytes("WEBP"), "webp"),
    (_image_bytes("GIF"), "gif"),
    (_image_bytes("TIFF"), "tiff"),
    (b"\x00\x00\x00\x1cftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 8, "heif"),
    (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1" + b"\x00" * 8, "avif"),
    (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41", "mp4"),
    (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ", "mov"),
    (b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00M4A isom", "m4a"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00", "mp3"),
    (b"\xff\xfb\x90\x00" + b"\x00" * 100, "mp3"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x00fLaC", "flac"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "wav"),
    (b"RIFF\x24\x00\x00\x00AVI LIST", "avi"),
    (b"fLaC\x00\x00\x00\x22", "flac"),
    (b"OggS\x00\x02" + b"\x00" * 30, "ogg"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", "mkv"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "webm"),
    (b"FLV\x01\x05\x00\x00\x00\x09", "flv"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdf"),
    (_zip_with("word/document.xml"), "docx"),
    (_zip_with("xl/workbook.xml"), "xlsx"),
    (_zip_with("ppt/presentation.xml"), "pptx"),
    (_zip_with("other.txt"), "unknown"),
    ("本文由人工智能生成。\n".encode(), "txt"),
    ("---\nAIGC:\n  Label: '1'\n---\n# 标题\n".encode(), "md"),
    (b"<!DOCTYPE html><html><head></head></html>", "html"),
    (b"\x00\x01\x02\x03\x04binary\x00", "unknown"),
    (b"", "unknown"),
]


@pytest.mark.parametrize(("data", "expected"), CASES, ids=[c[1] + str(i) for i, c in enumerate(CASES)])
def test_sniff_by_magic(data, expected):
    got = sniff(io.BytesIO(data), "whatever.bin")
    assert got.format == expected
    assert got.media_type == MEDIA_TYPES[expected]


def test_extension_is_only_a_hint():
    png = _image_bytes("PNG")
    assert sniff(io.BytesIO(png), "photo.jpg").format == "png"
    assert extension_mismatch("photo.jpg", "png") == "jpg"
    assert extension_mismatch("photo.png", "png") is None
    assert extension_mismatch("noext", "png") is None
    assert extension_mismatch("clip.mp4", "m4a") is None  # same container family


def test_markdown_extension_hint_for_plain_text():
    assert sniff(io.BytesIO("# 标题\n正文".encode()), "notes.md").format == "md"
    assert sniff(io.BytesIO("# 标题\n正文".encode()), "notes.txt").format == "txt"


def test_gb18030_text_is_text():
    assert sniff(io.BytesIO("本文由AI生成".encode("gb18030") * 10), "a.txt").format == "txt"


def test_utf16_text_is_not_mp3():
    for codec, bom in (("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")):
        data = bom + "本文由AI生成。\n".encode(codec) * 5
        assert sniff(io.BytesIO(data), "a.txt").format == "txt"


def test_adts_aac_is_not_mp3():
    assert sniff(io.BytesIO(b"\xff\xf1\x50\x80" + b"\x00" * 64), "a.aac").format != "mp3"


def test_flac_behind_id3v24_tag_with_footer():
    tag = b"ID3\x04\x00\x10\x00\x00\x00\x04" + b"\x00" * 4 + b"3DI\x04\x00\x10\x00\x00\x00\x04"
    assert sniff(io.BytesIO(tag + b"fLaC\x00\x00\x00\x22"), "a.flac").format == "flac"
