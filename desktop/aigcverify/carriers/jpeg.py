"""JPEG: the marker segments between SOI and the first SOS.

Labels live in APPn segments (APP1 XMP / Extended XMP / Exif, bare `AIGC{…}` in APP9/APP11
from Jimeng, C2PA JUMBF in APP11) and COM. The walk stops at SOS: entropy-coded data is never
scanned. Segment lengths are 16-bit, so a segment can never be large; only the number of
segments and the Extended XMP reassembly (which joins many segments) need explicit bounds.
"""

import struct
from collections.abc import Iterator
from typing import BinaryIO

from ..errors import CarrierError
from ..limits import Limits
from ..metadata.exif import decode_text
from .base import Site, SiteKind

__all__ = ["FORMATS", "sites"]

FORMATS = ("jpeg",)

XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_HEADER_OLD = b"XMP\x00://ns.adobe.com/xap/1.0/\x00"  # early Adobe writers (same length)
EXTENDED_XMP_HEADER = b"http://ns.adobe.com/xmp/extension/\x00"
EXIF_HEADERS = (b"Exif\x00\x00", b"Exif\x00\xff")  # the second: a common writer slip
AIGC_KEYWORD = b"AIGC"
MAX_EXTENDED_GUIDS = 16  # one per packet in practice; more is noise or an attack

_SOI, _EOI, _SOS, _COM = 0xD8, 0xD9, 0xDA, 0xFE
_APP0, _APP1, _APP11, _APP15 = 0xE0, 0xE1, 0xEB, 0xEF
# markers without a length field: TEM and RST0..7 (SOI handled apart)
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
_JUMBF_C2PA_LABEL = b"c2pa"


def _problem(code: str, detail: str, location: str, offset: int | None) -> Site:
    return Site(SiteKind.PROBLEM, "jpeg", location, offset, key=code, value=detail)


def _json_span(text: bytes, start: int) -> bytes:
    """The `{…}` object starting at text[start] (brace matching that skips JSON strings), or
    the rest of the text when it never closes: the labels package judges what it gets."""
    depth = 0
    in_string = escaped = False
    for i in range(start, len(text)):
        c = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif c == 0x5C:  # backslash
                escaped = True
            elif c == 0x22:
                in_string = False
        elif c == 0x22:
            in_string = True
        elif c == 0x7B:
            depth += 1
        elif c == 0x7D:
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
    return text[start:].rstrip(b"\x00")


def _bare_aigc(payload: bytes) -> tuple[int, bytes] | None:
    """(offset in payload, JSON bytes) of a bare `AIGC{…}` label, or of a payload that starts
    with the keyword (`AIGC\\0{…}`, `AIGC:{…}`)."""
    i = payload.find(AIGC_KEYWORD + b"{")
    if i >= 0:
        return i + 4, _json_span(payload, i + 4)
    if payload.startswith(AIGC_KEYWORD):
        j = 4
        while j < len(payload) and payload[j] in b"\x00:= \t":
            j += 1
        if j < len(payload) and payload[j] == 0x7B:
            return j, _json_span(payload, j)
        return j, payload[j:].rstrip(b"\x00")
    return None


def _is_c2pa_jumbf(payload: bytes) -> bool:
    """APP11 JPEG-XT: 'JP' CI, 2-byte instance, 4-byte sequence, then a 'jumb' superbox whose
    'jumd' description box is labelled 'c2pa' (or typed with the c2pa UUID)."""
    if payload[:2] != b"JP" or payload[12:16] != b"jumb":
        return False
    box = 8
    (lbox,) = struct.unpack(">I", payload[box:box + 4])
    first = box + (16 if lbox == 1 else 8)  # an XLBox adds 8 bytes
    if payload[first + 4:first + 8] != b"jumd":
        return False
    uuid = payload[first + 8:first + 24]
    toggles = payload[first + 24:first + 25]
    label_start = first + 25
    label = b""
    if toggles and toggles[0] & 0x02:
        end = payload.find(b"\x00", label_start, label_start + 256)
        label = payload[label_start:end if end >= 0 else label_start]
    return label == _JUMBF_C2PA_LABEL or uuid[:4] == _JUMBF_C2PA_LABEL


class _ExtendedXmp:
    """Chunks of one Extended XMP packet (GUID) collected across APP1 segments."""

    def __init__(self, full_length: int, offset: int) -> None:
        self.full_length = full_length
        self.first_offset = offset
        self.chunks: dict[int, bytes] = {}

    def joined(self) -> tuple[bytes, bool]:
        """(the chunks in offset order, whether they cover the declared length exactly)."""
        data = b"".join(self.chunks[k] for k in sorted(self.chunks))
        expect = 0
        for k in sorted(self.chunks):
            if k != expect:
                return data, False
            expect += len(self.chunks[k])
        return data, expect == self.full_length


def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]:
    f.seek(0, 2)
    size = f.tell()
    f.seek(0)
    if f.read(2) != b"\xff\xd8":
        raise CarrierError("JPEG: the file does not start with SOI")
    pos = 2
    segments = 0
    extended: dict[bytes, _ExtendedXmp] = {}
    extended_bytes = 0
    c2pa_seen = False
    tail: Site | None = None  # damage found at the end, reported after the Extended XMP
    while True:
        head = f.read(2)
        if len(head) < 2:
            if segments == 0:
                raise CarrierError("JPEG: nothing after SOI")
            tail = _problem("parse-error", f"file ends at {pos} before the image data (SOS)",
                            "end of file", pos)
            break
        if head[0] != 0xFF:
            if segments == 0:
                raise CarrierError(f"JPEG: no marker after SOI (byte {head[0]:#04x})")
            tail = _problem("parse-error", f"expected a marker at {pos}, found {head[0]:#04x}",
                            f"offset {pos}", pos)
            break
        marker = head[1]
        pos += 2
        fill = 0
        while marker == 0xFF and fill < 1024:  # fill bytes before a marker are legal
            b = f.read(1)
            if not b:
                break
            marker = b[0]
            pos += 1
            fill += 1
        if marker in _STANDALONE or marker == _SOI:
            continue
        if marker in (_EOI, _SOS):
            break
        segments += 1
        if segments > limits.max_structures:
            tail = _problem("resource-limit", f"more than {limits.max_structures} segments",
                            f"offset {pos}", pos)
            break
        raw_len = f.read(2)
        if len(raw_len) < 2:
            tail = _problem("parse-error", f"segment length missing at {pos}", f"offset {pos}",
                            pos)
            break
        (length,) = struct.unpack(">H", raw_len)
        payload_off = pos + 2
        if length < 2 or pos + length > size:
            tail = _problem("parse-error",
                            f"segment {marker:#04x} at {pos - 2} declares {length} bytes, "
                            f"the file has {size - pos}", f"offset {pos - 2}", pos - 2)
            break
        pos += length
        if not (_APP0 <= marker <= _APP15 or marker == _COM):
            f.seek(length - 2, 1)
            continue
        payload = f.read(length - 2)
        if marker == _COM:
            yield Site(SiteKind.FIELD, "jpeg-comment", f"COM #{segments}", payload_off,
                       key="Comment", value=decode_text(payload))
            continue
        where = f"APP{marker - _APP0} #{segments}"
        if marker == _APP1 and payload.startswith((XMP_HEADER, XMP_HEADER_OLD)):
            yield Site(SiteKind.XMP, "xmp", where, payload_off + len(XMP_HEADER),
                       value=payload[len(XMP_HEADER):])
            continue
        if marker == _APP1 and payload.startswith(EXTENDED_XMP_HEADER):
            problem = _collect_extended(payload, payload_off, extended, limits, extended_bytes,
                                        where)
            if problem:
                yield problem
            else:
                extended_bytes += len(payload) - len(EXTENDED_XMP_HEADER) - 40
            continue
        if marker == _APP1 and payload.startswith(EXIF_HEADERS):
            yield Site(SiteKind.EXIF, "exif", where, payload_off + 6, value=payload[6:])
            continue
        if marker == _APP11 and payload[:2] == b"JP" and _is_c2pa_jumbf(payload):
            if not c2pa_seen:
                c2pa_seen = True
                yield Site(SiteKind.C2PA, "c2pa", where, payload_off, value=b"")
            continue
        bare = _bare_aigc(payload)
        if bare is not None:
            at, text = bare
            yield Site(SiteKind.FIELD, "jpeg-app", where, payload_off + at, key="AIGC",
                       value=decode_text(text))
    for guid, ext in extended.items():
        data, complete = ext.joined()
        where = f"APP1 extended XMP {guid.decode('latin-1')}"
        yield Site(SiteKind.XMP, "xmp", where, ext.first_offset, value=data)
        if not complete:
            yield _problem("parse-error",
                           f"extended XMP chunks cover {len(data)} of {ext.full_length} bytes",
                           where, ext.first_offset)
    if tail is not None:
        yield tail


def _collect_extended(payload: bytes, payload_off: int, extended: dict[bytes, _ExtendedXmp],
                      limits: Limits, so_far: int, where: str) -> Site | None:
    """File one Extended XMP chunk (GUID, full length, offset, data); a PROBLEM when it
    cannot be used."""
    h = len(EXTENDED_XMP_HEADER)
    if len(payload) < h + 40:
        return _problem("parse-error", "extended XMP segment too short", where, payload_off)
    guid = payload[h:h + 32]
    full_length, chunk_off = struct.unpack(">II", payload[h + 32:h + 40])
    data = payload[h + 40:]
    if full_length > limits.max_metadata_bytes or so_far + len(data) > limits.max_total_metadata:
        return _problem("resource-limit", f"extended XMP declares {full_length} bytes", where,
                        payload_off)
    if chunk_off + len(data) > full_length:
        return _problem("parse-error", f"extended XMP chunk at {chunk_off} runs past the "
                        f"declared {full_length} bytes", where, payload_off)
    ext = extended.get(guid)
    if ext is None:
        if len(extended) >= MAX_EXTENDED_GUIDS:
            return _problem("resource-limit", "too many extended XMP packets", where, payload_off)
        ext = extended[guid] = _ExtendedXmp(full_length, payload_off + h + 40)
    elif ext.full_length != full_length:
        return _problem("parse-error", "extended XMP chunks disagree on the full length", where,
                        payload_off)
    ext.chunks.setdefault(chunk_off, data)
    return None
