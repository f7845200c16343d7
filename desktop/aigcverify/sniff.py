"""Magic bytes -> container format. The file name's extension is only a hint: a file whose
extension lies is read as what it is, and the mismatch becomes a finding."""

import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import BinaryIO

__all__ = ["FORMATS", "MEDIA_TYPES", "Sniffed", "sniff", "extension_mismatch"]

HEADER_BYTES = 4096

# format -> media_type (schema enum). Order is the schema's list.
MEDIA_TYPES: dict[str, str] = {
    "jpeg": "image", "png": "image", "webp": "image", "gif": "image", "tiff": "image",
    "heif": "image", "avif": "image",
    "mp3": "audio", "wav": "audio", "flac": "audio", "ogg": "audio", "m4a": "audio",
    "mp4": "video", "mov": "video", "mkv": "video", "webm": "video", "avi": "video", "flv": "video",
    "pdf": "document", "docx": "document", "xlsx": "document", "pptx": "document",
    "txt": "text", "md": "text", "html": "text",
    "unknown": "unknown",
}
FORMATS = tuple(MEDIA_TYPES)

# extension -> formats it may honestly name
EXTENSIONS: dict[str, set[str]] = {
    "jpg": {"jpeg"}, "jpeg": {"jpeg"}, "jpe": {"jpeg"}, "jfif": {"jpeg"},
    "png": {"png"}, "webp": {"webp"}, "gif": {"gif"}, "tif": {"tiff"}, "tiff": {"tiff"},
    "dng": {"tiff"}, "heic": {"heif"}, "heif": {"heif"}, "hif": {"heif"}, "avif": {"avif"},
    "mp3": {"mp3"}, "wav": {"wav"}, "wave": {"wav"}, "flac": {"flac"},
    "ogg": {"ogg"}, "oga": {"ogg"}, "opus": {"ogg"}, "m4a": {"m4a", "mp4"},
    "aac": {"m4a"}, "mp4": {"mp4", "m4a", "mov"}, "m4v": {"mp4"}, "mov": {"mov", "mp4"},
    "qt": {"mov"}, "mkv": {"mkv"}, "webm": {"webm"}, "avi": {"avi"}, "flv": {"flv"},
    "pdf": {"pdf"}, "docx": {"docx"}, "dotx": {"docx"}, "docm": {"docx"},
    "xlsx": {"xlsx"}, "xltx": {"xlsx"}, "xlsm": {"xlsx"},
    "pptx": {"pptx"}, "potx": {"pptx"}, "pptm": {"pptx"},
    "txt": {"txt", "md"}, "text": {"txt"}, "md": {"md", "txt"}, "markdown": {"md", "txt"},
    "html": {"html"}, "htm": {"html"}, "xhtml": {"html"},
}

# ISO-BMFF brands (ftyp major and compatible) -> format. First match in file order wins,
# except that image brands beat video ones (a HEIC lists 'mif1' next to 'heic').
_AVIF_BRANDS = {b"avif", b"avis"}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2"}
_M4A_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_MOV_BRANDS = {b"qt  "}

def _mp3_frame(h: bytes) -> bool:
    """An MPEG audio frame sync with a layer (ADTS AAC has the same sync but layer bits 00)."""
    return len(h) >= 2 and h[0] == 0xFF and (h[1] & 0xE0) == 0xE0 and (h[1] & 0x06) != 0
_HTML = re.compile(rb"^\s*(<!--.*?-->\s*)*(<!doctype\s+html|<html|<head|<body)", re.I | re.S)


@dataclass(frozen=True, slots=True)
class Sniffed:
    format: str
    media_type: str


def _iso_bmff(header: bytes) -> str:
    size = int.from_bytes(header[0:4], "big")
    major = header[8:12]
    end = min(len(header), size if 16 <= size <= 4096 else 64)
    brands = [major] + [header[i:i + 4] for i in range(16, end - 3, 4)]
    if any(b in _AVIF_BRANDS for b in brands):
        return "avif"
    if major in _HEIF_BRANDS or (major not in _M4A_BRANDS and any(b in _HEIF_BRANDS for b in brands)
                                 and not any(b in {b"isom", b"mp41", b"mp42"} for b in brands)):
        return "heif"
    if major in _M4A_BRANDS:
        return "m4a"
    if major in _MOV_BRANDS:
        return "mov"
    return "mp4"


def _after_id3(f: BinaryIO, header: bytes) -> bytes:
    """The 4 bytes after a leading ID3v2 tag (FLAC files sometimes carry one)."""
    if len(header) < 10:  # a truncated tag header: nothing can follow it
        return b""
    size = 0
    for b in header[6:10]:
        size = (size << 7) | (b & 0x7F)
    footer = 10 if header[5] & 0x10 else 0  # ID3v2.4 footer flag
    f.seek(10 + size + footer)
    return f.read(4)


def _ebml_doctype(header: bytes) -> str:
    # DocType element id 0x4282 followed by a one-byte size (8 bytes or fewer in practice)
    i = header.find(b"\x42\x82", 4, 64)
    if i >= 0 and i + 3 < len(header):
        size_byte = header[i + 2]
        if size_byte & 0x80:
            n = size_byte & 0x7F
            doctype = header[i + 3:i + 3 + n]
            if doctype.startswith(b"webm"):
                return "webm"
    return "mkv"


def _zip_kind(f: BinaryIO) -> str:
    """OOXML kind from the member names of the central directory (bounded)."""
    f.seek(0)
    try:
        with zipfile.ZipFile(f) as z:
            names = z.namelist()[:10_000]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return "unknown"
    for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
        if any(n.startswith(prefix) for n in names):
            return kind
    return "unknown"


def _text_kind(header: bytes, ext: str) -> str:
    if b"\x00" in header and not header.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "unknown"
    if header[:2] in (b"\xff\xfe", b"\xfe\xff"):
        codec = "utf-16-le" if header[:2] == b"\xff\xfe" else "utf-16-be"
        body = header[2:len(header) - len(header) % 2].decode(codec, errors="replace").encode()
    else:
        body = header.lstrip(b"\xef\xbb\xbf")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as e:
        # a header cut inside a multi-byte character is still UTF-8; anything else may be GB18030
        if e.start < len(body) - 4:
            try:
                body.decode("gb18030")
            except UnicodeDecodeError:
                return "unknown"
    if _HTML.match(body):
        return "html"
    if body.startswith(b"---\n") or body.startswith(b"---\r\n") or ext in {"md", "markdown"}:
        return "md"
    return "txt"


def sniff(f: BinaryIO, name: str = "") -> Sniffed:
    f.seek(0)
    h = f.read(HEADER_BYTES)
    ext = PurePath(name).suffix.lower().lstrip(".")
    fmt = "unknown"
    if h.startswith(b"\xff\xd8\xff"):
        fmt = "jpeg"
    elif h.startswith(b"\x89PNG\r\n\x1a\n"):
        fmt = "png"
    elif h[:4] == b"RIFF" and h[8:12] == b"WEBP":
        fmt = "webp"
    elif h[:4] == b"RIFF" and h[8:12] == b"WAVE":
        fmt = "wav"
    elif h[:4] == b"RIFF" and h[8:12] == b"AVI ":
        fmt = "avi"
    elif h[:4] in (b"RF64", b"BW64") and h[8:12] == b"WAVE":
        fmt = "wav"
    elif h[:6] in (b"GIF87a", b"GIF89a"):
        fmt = "gif"
    elif h[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        fmt = "tiff"
    elif h[4:8] == b"ftyp":
        fmt = _iso_bmff(h)
    elif h[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip") and len(h) >= 8:
        fmt = "mov"  # old QuickTime files start without ftyp
    elif h[:3] == b"ID3":
        fmt = "flac" if _after_id3(f, h) == b"fLaC" else "mp3"
    elif h[:4] == b"fLaC":
        fmt = "flac"
    elif h[:4] == b"OggS":
        fmt = "ogg"
    elif h[:4] == b"\x1a\x45\xdf\xa3":
        fmt = _ebml_doctype(h)
    elif h[:3] == b"FLV":
        fmt = "flv"
    elif h[:5] == b"%PDF-" or b"%PDF-" in h[:1024]:
        fmt = "pdf"
    elif h[:4] == b"PK\x03\x04":
        fmt = _zip_kind(f)
    elif h[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 text: its BOM looks like an MP3 sync
        fmt = _text_kind(h, ext)
    elif _mp3_frame(h):
        fmt = "mp3"
    elif h:
        fmt = _text_kind(h, ext)
    f.seek(0)
    return Sniffed(fmt, MEDIA_TYPES[fmt])


def extension_mismatch(name: str, fmt: str) -> str | None:
    """The extension when it names a different format than the bytes are, else None."""
    ext = PurePath(name).suffix.lower().lstrip(".")
    if not ext or ext not in EXTENSIONS or fmt == "unknown":
        return None
    return None if fmt in EXTENSIONS[ext] else ext
