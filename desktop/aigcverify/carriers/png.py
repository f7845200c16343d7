"""PNG: every chunk up to IEND (labels may follow IDAT), with CRCs checked.

Text chunks (tEXt/zTXt/iTXt) become FIELD sites keyed by their keyword; the iTXt keyword
`XML:com.adobe.xmp` is the XMP packet; eXIf is EXIF; caBX is C2PA. Image data is skipped with
a seek. Compressed text is inflated with a hard output cap, so a zTXt bomb costs at most
`limits.max_decompressed` bytes before it is reported.
"""

import struct
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from ..errors import CarrierError
from ..limits import Limits
from ..metadata.exif import decode_text
from .base import Site, SiteKind

__all__ = ["FORMATS", "sites"]

FORMATS = ("png",)

SIGNATURE = b"\x89PNG\r\n\x1a\n"
XMP_KEYWORD = "XML:com.adobe.xmp"
# ImageMagick keeps JPEG metadata in PNG as hex text chunks: "\n<name>\n<length>\n<hex>"
RAW_PROFILE_KEYWORDS = {"Raw profile type xmp", "Raw profile type exif", "Raw profile type APP1"}
_JPEG_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
TEXT_CHUNKS = {b"tEXt", b"zTXt", b"iTXt", b"eXIf"}
C2PA_CHUNK = b"caBX"
SMALL_CHUNK = 4096  # structural chunks this small are read too, so their CRC is checked
_MAX_CHUNK_LENGTH = 0x7FFFFFFF  # PNG spec: lengths are 31-bit


def _problem(code: str, detail: str, location: str, offset: int | None) -> Site:
    return Site(SiteKind.PROBLEM, "png", location, offset, key=code, value=detail)


def _inflate(data: bytes, limit: int) -> tuple[bytes, bool]:
    """(output, complete). Raises zlib.error on a corrupt stream and OverflowError when the
    output would exceed `limit` (the caller reports it as a resource limit)."""
    d = zlib.decompressobj()
    out = d.decompress(data, limit + 1)
    if len(out) > limit or d.unconsumed_tail:
        raise OverflowError(f"inflates to more than {limit} bytes")
    return out, d.eof


def _text_sites(ctype: bytes, data: bytes, off: int, where: str, limits: Limits,
                budget: list[int]) -> Iterator[Site]:
    if ctype == b"eXIf":
        skip = 6 if data.startswith(b"Exif\x00\x00") else 0
        yield Site(SiteKind.EXIF, "exif", where, off + skip, value=data[skip:])
        return
    sep = data.find(b"\x00", 0, 80)
    if sep < 1:
        yield _problem("parse-error", f"{ctype.decode()} chunk without a valid keyword", where,
                       off)
        return
    keyword = data[:sep].decode("latin-1")
    body_off = off + sep + 1
    if ctype == b"tEXt":
        yield from _deliver(data[sep + 1:], "png-text", keyword, where, body_off, limits)
        return
    if ctype == b"zTXt":
        yield from _compressed(data[sep + 2:], "png-ztxt", keyword, where, body_off + 1, limits,
                               budget)
        return
    # iTXt: keyword\0 flag method language\0 translated-keyword\0 text (UTF-8)
    rest = data[sep + 1:]
    if len(rest) < 2:
        yield _problem("parse-error", "iTXt chunk too short", where, off)
        return
    flag = rest[0]
    lang_end = rest.find(b"\x00", 2)
    tkey_end = rest.find(b"\x00", lang_end + 1) if lang_end >= 0 else -1
    if tkey_end < 0:
        yield _problem("parse-error", "iTXt chunk without language/translated keyword", where,
                       off)
        return
    text = rest[tkey_end + 1:]
    text_off = body_off + tkey_end + 1
    if flag:
        yield from _compressed(text, "png-itxt", keyword, where, text_off, limits, budget)
    else:
        yield from _deliver(text, "png-itxt", keyword, where, text_off, limits)


def _raw_profile(text: bytes, limit: int) -> bytes:
    """The bytes of an ImageMagick raw profile; ValueError when it is not one."""
    parts = text.split(b"\n", 3)
    if len(parts) < 4 or parts[0].strip():
        raise ValueError("not a raw profile")
    length = int(parts[2].strip())
    if not 0 <= length <= limit:
        raise ValueError(f"raw profile length {length} out of bounds")
    hex_digits = b"".join(parts[3][: 2 * length + 2 * length // 32 + 64].split())
    data = bytes.fromhex(hex_digits[: 2 * length].decode("ascii"))
    if len(data) != length:
        raise ValueError("raw profile shorter than its length")
    return data


def _deliver(text: bytes, carrier: str, keyword: str, where: str, off: int,
             limits: Limits) -> Iterator[Site]:
    """One text chunk's (inflated) text as the site its keyword calls for."""
    if keyword == XMP_KEYWORD:
        yield Site(SiteKind.XMP, "xmp", where, off, value=text)
        return
    if keyword in RAW_PROFILE_KEYWORDS:
        try:
            data = _raw_profile(text, limits.max_metadata_bytes)
        except (ValueError, UnicodeDecodeError) as e:
            yield _problem("parse-error", f"{keyword}: {e}", where, off)
            return
        if data.startswith(_JPEG_XMP_HEADER):
            yield Site(SiteKind.XMP, "xmp", where, off, value=data[len(_JPEG_XMP_HEADER):])
        elif keyword.endswith("xmp"):
            yield Site(SiteKind.XMP, "xmp", where, off, value=data)
        else:
            skip = 6 if data.startswith(b"Exif\x00") else 0
            yield Site(SiteKind.EXIF, "exif", where, off, value=data[skip:])
        return
    value = (text.decode("utf-8", errors="replace") if carrier == "png-itxt"
             else decode_text(text))  # tEXt/zTXt are Latin-1 by spec, UTF-8 in practice
    yield Site(SiteKind.FIELD, carrier, where, off, key=keyword, value=value)


def _compressed(data: bytes, carrier: str, keyword: str, where: str, off: int, limits: Limits,
                budget: list[int]) -> Iterator[Site]:
    """Inflate one zTXt/iTXt text. `budget` is what the whole file may still inflate, so
    many small bombs cost no more than one."""
    try:
        text, complete = _inflate(data, min(limits.max_decompressed, budget[0]))
        budget[0] -= len(text)
    except OverflowError as e:
        yield _problem("resource-limit", f"{keyword}: {e}", where, off)
        return
    except zlib.error as e:
        yield _problem("parse-error", f"{keyword}: compressed text is corrupt ({e})", where, off)
        return
    yield from _deliver(text, carrier, keyword, where, off, limits)
    if not complete:
        yield _problem("parse-error", f"{keyword}: compressed text ends early", where, off)


def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]:
    f.seek(0, 2)
    size = f.tell()
    f.seek(0)
    if f.read(8) != SIGNATURE:
        raise CarrierError("PNG: bad signature")
    pos = 8
    count = 0
    total = 0
    budget = [limits.max_total_metadata]  # bytes all compressed text together may inflate to
    while True:
        head = f.read(8)
        if len(head) < 8:
            if count == 0:
                raise CarrierError("PNG: no chunk after the signature")
            yield _problem("parse-error", f"file ends at {pos} without IEND", "end of file", pos)
            return
        length, ctype = struct.unpack(">I4s", head)
        count += 1
        where = f"{ctype.decode('latin-1')} #{count}"
        if count > limits.max_structures:
            yield _problem("resource-limit", f"more than {limits.max_structures} chunks", where,
                           pos)
            return
        if length > _MAX_CHUNK_LENGTH or not ctype.isalpha():
            if count == 1:
                raise CarrierError(f"PNG: first chunk header is invalid ({ctype!r}, {length})")
            yield _problem("parse-error", f"invalid chunk header at {pos}", where, pos)
            return
        data_off = pos + 8
        end = data_off + length + 4
        if end > size:
            if count == 1:
                raise CarrierError(f"PNG: first chunk declares {length} bytes, file is {size}")
            yield _problem("parse-error", f"{ctype.decode('latin-1')} chunk at {pos} declares "
                           f"{length} bytes, the file ends at {size}", where, pos)
            return
        if ctype == C2PA_CHUNK:
            yield Site(SiteKind.C2PA, "c2pa", where, data_off, value=b"")
            f.seek(end)
        elif ctype in TEXT_CHUNKS or length <= SMALL_CHUNK:
            if ctype in TEXT_CHUNKS and (length > limits.max_metadata_bytes
                                         or total + length > limits.max_total_metadata):
                yield _problem("resource-limit", f"{ctype.decode()} chunk of {length} bytes",
                               where, data_off)
                f.seek(end)
            else:
                data = f.read(length)
                (crc,) = struct.unpack(">I", f.read(4))
                if ctype in TEXT_CHUNKS:
                    total += length
                    yield from _text_sites(ctype, data, data_off, where, limits, budget)
                if zlib.crc32(ctype + data) != crc:
                    yield _problem("png-bad-crc", f"{ctype.decode('latin-1')} chunk at {pos}",
                                   where, pos)
        else:
            f.seek(end)  # image data and other large chunks: never read
        pos = end
        if ctype == b"IEND":
            return
