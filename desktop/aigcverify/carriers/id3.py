"""ID3 tags: the MP3 carrier (ID3v2.2/2.3/2.4 at either end, ID3v1 at the end).

GB 45438 audio labels live in an ID3v2 ``TXXX`` frame whose description is ``AIGC``. The
parser is hand-written rather than mutagen-based so that a lying frame length gives a bounded,
typed result and so that large frames nobody needs (cover art) are skipped by seeking.

``tag_sites`` is reused by the RIFF reader (WAV ``id3 `` chunks) and the FLAC reader (a
leading ID3v2 tag some taggers add): it turns damage inside a tag into PROBLEM sites and never
raises anything but VerifyError.
"""

import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import CarrierError, LimitExceeded, TruncatedError, VerifyError
from ..limits import Limits
from ._walk import Walker
from .base import Site, SiteKind

__all__ = ["FORMATS", "sites", "TagHeader", "read_tag_header", "tag_sites", "Spend"]

FORMATS = ("mp3",)

Spend = Callable[[int, str], None]  # charge n payload bytes against the file's budget

# text encoding byte -> (Python codec, terminator)
TEXT_ENCODINGS: dict[int, tuple[str, bytes]] = {
    0: ("latin-1", b"\x00"),
    1: ("utf-16", b"\x00\x00"),  # with BOM
    2: ("utf-16-be", b"\x00\x00"),
    3: ("utf-8", b"\x00"),
}

# ID3v2.2 three-letter ids -> their v2.3/2.4 names, so keys do not depend on the tag version
V22_FRAME_IDS: dict[str, str] = {
    "TXX": "TXXX", "COM": "COMM", "GEO": "GEOB", "TT1": "TIT1", "TT2": "TIT2", "TT3": "TIT3",
    "TP1": "TPE1", "TP2": "TPE2", "TP3": "TPE3", "TP4": "TPE4", "TAL": "TALB", "TSS": "TSSE",
    "TEN": "TENC", "TCM": "TCOM", "TCO": "TCON", "TCR": "TCOP", "TYE": "TYER", "TPB": "TPUB",
    "TXT": "TEXT", "TRK": "TRCK", "TOA": "TOPE", "TOT": "TOAL",
}

# frame flags (v2.3 / v2.4): which extra bytes precede the frame data
V23_COMPRESSED, V23_ENCRYPTED, V23_GROUPED = 0x0080, 0x0040, 0x0020
V24_GROUPED, V24_COMPRESSED, V24_ENCRYPTED, V24_UNSYNC, V24_DATA_LENGTH = (
    0x0040, 0x0008, 0x0004, 0x0002, 0x0001)

TAG_UNSYNC, TAG_EXTENDED, TAG_FOOTER = 0x80, 0x40, 0x10
V22_COMPRESSED_TAG = 0x40  # in v2.2 this header bit means "whole tag compressed": no known scheme

MAX_TAGS_IN_A_ROW = 8  # some broken taggers stack several tags at the start
IN_MEMORY_TAG = 1 << 20  # tags up to this size are read at once (cover art makes them big)
ID3V1_FIELDS = (("title", 3, 33), ("artist", 33, 63), ("album", 63, 93), ("year", 93, 97))

_FRAME_ID = {3: re.compile(rb"[A-Z0-9]{3}\Z"), 4: re.compile(rb"[A-Z0-9]{4}\Z")}
_C2PA_MIME_HINT = "c2pa"
_XMP_MIME = "application/rdf+xml"


@dataclass(frozen=True, slots=True)
class TagHeader:
    start: int  # file offset of "ID3"
    major: int  # 2, 3 or 4
    flags: int
    size: int  # bytes after the 10-byte header, footer excluded

    @property
    def end(self) -> int:
        footer = 10 if self.major == 4 and self.flags & TAG_FOOTER else 0
        return self.start + 10 + self.size + footer


def _syncsafe(b: bytes) -> int:
    n = 0
    for x in b:
        n = (n << 7) | (x & 0x7F)
    return n


def read_tag_header(f: BinaryIO, pos: int) -> TagHeader | None:
    """The ID3v2 header at pos, None when there is none; CarrierError when it is malformed."""
    f.seek(pos)
    h = f.read(10)
    if len(h) < 10 or h[:3] != b"ID3":
        return None
    major = h[3]
    if major not in (2, 3, 4) or h[4] == 0xFF:
        raise CarrierError(f"ID3v2 at {pos}: unknown version 2.{major}.{h[4]}")
    if any(b & 0x80 for b in h[6:10]):
        raise CarrierError(f"ID3v2 at {pos}: tag size is not syncsafe")
    return TagHeader(pos, major, h[5], _syncsafe(h[6:10]))


class _Region:
    """Random access to the frame area of one tag: the file itself (large tags), an in-memory
    copy (small tags: one read instead of a seek per frame) or, when the whole tag is
    unsynchronised (v2.2/v2.3), a de-unsynchronised copy whose offsets are not file offsets."""

    __slots__ = ("f", "data", "base", "size", "exact")

    def __init__(self, f: BinaryIO, base: int, size: int, data: bytes | None = None,
                 exact: bool = True) -> None:
        self.f, self.base, self.size, self.data, self.exact = f, base, size, data, exact

    def read(self, pos: int, n: int) -> bytes:
        if pos < 0 or n < 0 or pos + n > self.size:
            raise TruncatedError(f"ID3 read of {n} bytes at +{pos} passes the tag end "
                                 f"({self.size})")
        if self.data is not None:
            return self.data[pos:pos + n]
        self.f.seek(self.base + pos)
        b = self.f.read(n)
        if len(b) != n:
            raise TruncatedError(f"ID3 tag: file ends inside a frame at {self.base + pos}")
        return b

    def offset(self, pos: int) -> int | None:
        return self.base + pos if self.exact else None


def _deunsync(data: bytes) -> bytes:
    return data.replace(b"\xff\x00", b"\xff")


def _inflate(data: bytes, limits: Limits, what: str) -> bytes:
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, limits.max_decompressed)
    except zlib.error as e:
        raise CarrierError(f"{what}: bad zlib data ({e})") from e
    if d.unconsumed_tail:
        raise LimitExceeded(f"{what}: inflates beyond {limits.max_decompressed} bytes")
    return out


def _split(data: bytes, term: bytes) -> list[bytes]:
    """Split on terminators; two-byte terminators only count at even offsets (UTF-16)."""
    if len(term) == 1:
        return data.split(term)
    parts: list[bytes] = []
    start = i = 0
    while True:
        i = data.find(term, i)
        if i < 0:
            break
        if (i - start) % 2:
            i += 1
            continue
        parts.append(data[start:i])
        start = i = i + 2
    parts.append(data[start:])
    return parts


def _codec(enc: int) -> tuple[str, bytes]:
    try:
        return TEXT_ENCODINGS[enc]
    except KeyError:
        raise CarrierError(f"unknown ID3 text encoding {enc}") from None


def _decode(raw: bytes, codec: str) -> str:
    if codec == "utf-16" and len(raw) >= 2 and raw[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        codec = "utf-16-le"  # a BOM-less "UTF-16" string: Windows writers mean little-endian
    return raw.decode(codec, errors="replace")


def _first_string(data: bytes, term: bytes) -> tuple[bytes, bytes]:
    """(terminated string, rest); the whole data when no terminator is present."""
    parts = _split(data, term)
    if len(parts) == 1:
        return data, b""
    head = parts[0]
    return head, data[len(head) + len(term):]


def _values(data: bytes, codec: str, term: bytes) -> list[str]:
    parts = _split(data, term)
    while len(parts) > 1 and not parts[-1]:
        parts.pop()  # trailing terminators
    return [_decode(p, codec) for p in parts]


def _is_c2pa(mime: str, names: str, data: bytes) -> bool:
    jumbf = data[4:8] == b"jumb" and b"c2pa" in data[:64]
    return _C2PA_MIME_HINT in mime.lower() or _C2PA_MIME_HINT in names.lower() or jumbf


def _frame_sites(fid: str, data: bytes, loc: str, off: int | None) -> Iterator[Site]:
    """Sites from one decoded frame body (flags already undone)."""
    if not data:
        return
    if fid == "PRIV":
        owner, body = _first_string(data, b"\x00")
        name = owner.decode("latin-1")
        if name == "XMP":
            yield Site(SiteKind.XMP, "xmp", loc, off, key=name, value=body)
        elif _is_c2pa("", name, body):
            yield Site(SiteKind.C2PA, "c2pa", loc, off, key=name, value=body)
        return
    codec, term = _codec(data[0])
    body = data[1:]
    if fid == "GEOB":
        mime_raw, body = _first_string(body, b"\x00")
        filename, body = _first_string(body, term)
        desc, body = _first_string(body, term)
        mime = mime_raw.decode("latin-1")
        names = _decode(filename, codec) + " " + _decode(desc, codec)
        if _is_c2pa(mime, names, body):
            yield Site(SiteKind.C2PA, "c2pa", loc, off, key=mime, value=body)
        elif mime.lower() == _XMP_MIME:
            yield Site(SiteKind.XMP, "xmp", loc, off, key=mime, value=body)
        return
    if fid == "COMM":
        desc, text = _first_string(body[3:], term)  # body[:3] is the language code
        d = _decode(desc, codec)
        yield Site(SiteKind.FIELD, "id3", loc, off, key=f"COMM:{d}" if d else "COMM",
                   value=(_values(text, codec, term) or [""])[0])
        return
    if fid == "TXXX":
        desc, text = _first_string(body, term)
        key = _decode(desc, codec)
        for value in _values(text, codec, term) or [""]:
            yield Site(SiteKind.FIELD, "id3-txxx", loc, off, key=key, value=value)
        return
    # any other text frame (T***): one site per value (v2.4 frames may hold several)
    for value in _values(body, codec, term):
        yield Site(SiteKind.FIELD, "id3", loc, off, key=fid, value=value)


def _wanted(fid: str) -> bool:
    return fid[0] == "T" or fid in ("COMM", "GEOB", "PRIV")


def _frame_walk_score(region: _Region, start: int, syncsafe: bool, cap: int) -> tuple[int, bool]:
    """How many well-formed v2.4 frame headers a size interpretation finds, and whether it ends
    cleanly (at padding or the tag end). iTunes wrote plain sizes into v2.4 tags."""
    pos, n = start, 0
    while pos + 10 <= region.size and n < cap:
        h = region.read(pos, 10)
        if h[0] == 0:
            return n, True
        if not _FRAME_ID[4].match(h[:4]) or (syncsafe and any(b & 0x80 for b in h[4:8])):
            return n, False
        size = _syncsafe(h[4:8]) if syncsafe else int.from_bytes(h[4:8], "big")
        pos += 10 + size
        n += 1
    return n, pos == region.size or (pos < region.size and pos + 10 > region.size)


def tag_sites(f: BinaryIO, header: TagHeader, limits: Limits, spend: Spend, *,
              file_end: int, prefix: str = "", max_frames: int | None = None) -> Iterator[Site]:
    """Sites of the ID3v2 tag described by header; damage becomes PROBLEM sites."""
    where = f"{prefix}ID3v2.{header.major}"
    try:
        yield from _tag_sites(f, header, limits, spend, file_end, where,
                              max_frames or limits.max_structures)
    except VerifyError as e:
        yield Site(SiteKind.PROBLEM, "id3", where, header.start, key=e.code, value=str(e))


def _tag_sites(f: BinaryIO, h: TagHeader, limits: Limits, spend: Spend, file_end: int,
               where: str, max_frames: int) -> Iterator[Site]:
    base = h.start + 10
    size = h.size
    truncated = base + size > file_end
    if truncated:
        size = max(0, file_end - base)
    if h.major == 2 and h.flags & V22_COMPRESSED_TAG:
        raise CarrierError("ID3v2.2 tag uses the undefined compression scheme")
    if h.major < 4 and h.flags & TAG_UNSYNC:
        # the whole tag, frame headers included, is unsynchronised: undo it in memory
        if size > limits.max_metadata_bytes:
            raise LimitExceeded(f"unsynchronised ID3 tag of {size} bytes")
        spend(size, "ID3 tag")
        f.seek(base)
        data = _deunsync(f.read(size))
        region = _Region(f, base, len(data), data, exact=False)
    elif size <= IN_MEMORY_TAG:
        spend(size, "ID3 tag")
        f.seek(base)
        region = _Region(f, base, size, f.read(size))
        if len(region.data or b"") != size:
            raise TruncatedError(f"ID3 tag at {h.start}: file ends inside the tag")
    else:
        region = _Region(f, base, size)

    pos = 0
    if h.flags & TAG_EXTENDED and h.major >= 3:
        raw = region.read(0, 4)
        pos = int.from_bytes(raw, "big") + 4 if h.major == 3 else _syncsafe(raw)
        if pos < 4 or pos > region.size:
            raise CarrierError(f"ID3 extended header size {pos} is impossible")

    id_len, hdr_len = (3, 6) if h.major == 2 else (4, 10)
    syncsafe = h.major == 4
    if syncsafe:
        ok_n, ok_clean = _frame_walk_score(region, pos, True, max_frames)
        if not ok_clean:
            be_n, be_clean = _frame_walk_score(region, pos, False, max_frames)
            syncsafe = not (be_n > ok_n or (be_n == ok_n and be_clean))

    n = 0
    while pos + hdr_len <= region.size:
        fh = region.read(pos, hdr_len)
        if fh[0] == 0:
            break  # padding
        if not _FRAME_ID[id_len].match(fh[:id_len]):
            raise CarrierError(f"invalid ID3 frame id {fh[:id_len]!r} at +{pos}")
        n += 1
        if n > max_frames:
            raise LimitExceeded(f"more than {max_frames} ID3 frames")
        fid = fh[:id_len].decode("ascii")
        if h.major == 2:
            fsize, flags = int.from_bytes(fh[3:6], "big"), 0
            fid = V22_FRAME_IDS.get(fid, fid)
        else:
            fsize = _syncsafe(fh[4:8]) if syncsafe else int.from_bytes(fh[4:8], "big")
            flags = int.from_bytes(fh[8:10], "big")
        body_pos = pos + hdr_len
        if fsize > region.size - body_pos:
            raise TruncatedError(f"ID3 frame {fid} declares {fsize} bytes, "
                                 f"only {region.size - body_pos} left in the tag")
        if _wanted(fid) and fsize:
            if fsize > limits.max_metadata_bytes:
                raise LimitExceeded(f"ID3 frame {fid} of {fsize} bytes")
            if region.data is None:  # an in-memory tag was charged as a whole
                spend(fsize, f"ID3 frame {fid}")
            loc = f"{where}/{fid}[{n}]"
            try:
                # damage inside one frame (bad encoding byte, bad zlib) spoils only that frame
                body = _undo_flags(region.read(body_pos, fsize), flags, h, limits, fid)
                found = [] if body is None else list(_frame_sites(fid, body, loc,
                                                                  region.offset(body_pos)))
            except (CarrierError, LimitExceeded) as e:
                found = [Site(SiteKind.PROBLEM, "id3", loc, region.offset(body_pos),
                              key=e.code, value=str(e))]
            yield from found
        pos = body_pos + fsize
    if truncated:
        raise TruncatedError(f"ID3 tag declares {h.size} bytes, file ends after {size}")


def _undo_flags(data: bytes, flags: int, h: TagHeader, limits: Limits, fid: str) -> bytes | None:
    """Frame data with grouping/length prefixes, unsynchronisation and compression undone;
    None for encrypted frames (nothing readable)."""
    what = f"ID3 frame {fid}"
    if h.major == 3:
        if flags & V23_ENCRYPTED:
            return None
        compressed = bool(flags & V23_COMPRESSED)
        skip = (4 if compressed else 0) + (1 if flags & V23_GROUPED else 0)
        data = data[skip:]
        return _inflate(data, limits, what) if compressed else data
    if h.major == 4:
        if flags & V24_ENCRYPTED:
            return None
        compressed = bool(flags & V24_COMPRESSED)
        skip = (1 if flags & V24_GROUPED else 0)
        skip += 4 if flags & (V24_DATA_LENGTH | V24_COMPRESSED) else 0
        data = data[skip:]
        if flags & V24_UNSYNC or h.flags & TAG_UNSYNC:
            data = _deunsync(data)
        return _inflate(data, limits, what) if compressed else data
    return data


def _id3v1_sites(f: BinaryIO, pos: int) -> Iterator[Site]:
    f.seek(pos)
    t = f.read(128)
    if len(t) != 128 or t[:3] != b"TAG":
        return
    fields = list(ID3V1_FIELDS)
    # ID3v1.1 keeps a track number in the last two comment bytes
    fields.append(("comment", 97, 125 if t[125] == 0 and t[126] else 127))
    for key, a, b in fields:
        text = t[a:b].split(b"\x00", 1)[0].decode("latin-1").strip()
        if text:
            yield Site(SiteKind.FIELD, "id3v1", f"ID3v1/{key}", pos + a, key=key, value=text)


def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]:
    """Sites of an MP3: leading ID3v2 tag(s), an appended ID3v2 tag with footer, ID3v1."""
    try:
        walk = Walker(f, "id3", limits)
        f.seek(0)
        head = f.read(4)
        if head[:3] != b"ID3" and not (len(head) >= 2 and head[0] == 0xFF and head[1] >= 0xE0):
            raise CarrierError("neither an ID3v2 tag nor an MPEG frame at the start")
        emitted = 0
        for site in _mp3_sites(walk):
            emitted += 1
            if emitted > limits.max_sites:
                yield Site(SiteKind.PROBLEM, "id3", "", None, key=LimitExceeded.code,
                           value=f"more than {limits.max_sites} metadata items")
                return
            yield site
    except OSError as e:
        raise CarrierError(f"read error: {e}") from e


def _mp3_sites(walk: Walker) -> Iterator[Site]:
    # charge, not spend: an in-memory tag (up to IN_MEMORY_TAG) is charged whole, and
    # tag_sites holds each frame it reads to limits.max_metadata_bytes itself
    f, size, limits, spend = walk.f, walk.size, walk.limits, walk.charge
    pos = 0
    first_end = 0
    for _ in range(MAX_TAGS_IN_A_ROW):
        try:
            header = read_tag_header(f, pos)
        except VerifyError as e:
            if pos == 0:
                raise
            yield Site(SiteKind.PROBLEM, "id3", "ID3v2", pos, key=e.code, value=str(e))
            break
        if header is None:
            break
        yield from tag_sites(f, header, limits, spend, file_end=size)
        pos = first_end = header.end
    tail = size
    f.seek(max(0, size - 128))
    if size >= 128 and f.read(3) == b"TAG":
        tail = size - 128
    # an ID3v2.4 tag appended at the end announces itself with a "3DI" footer
    if tail - 10 >= first_end:
        f.seek(tail - 10)
        foot = f.read(10)
        if foot[:3] == b"3DI" and foot[3] == 4 and not any(b & 0x80 for b in foot[6:10]):
            start = tail - 10 - _syncsafe(foot[6:10]) - 10
            if start >= first_end:
                try:
                    header = read_tag_header(f, start)
                except VerifyError as e:
                    header = None
                    yield Site(SiteKind.PROBLEM, "id3", "ID3v2 footer", start, key=e.code,
                               value=str(e))
                if header is not None:
                    yield from tag_sites(f, header, limits, spend, file_end=tail,
                                         prefix="end/")
    if tail != size:
        yield from _id3v1_sites(f, tail)
