"""GIF: the block stream (extensions and images) up to the trailer.

XMP sits in an Application Extension `XMP DataXMP`. Per the XMP spec the packet is written
raw, followed by a 258-byte "magic trailer" that lets ordinary sub-block readers skip it, so
the packet is taken from the raw bytes; writers that split it into real sub-blocks are read
too. Comment extensions become FIELD sites; a `C2PA_GIF` application block is C2PA.

Image data cannot be skipped in one seek (GIF has no block lengths, only 255-byte sub-blocks),
so the sub-block chain is hopped through a buffer instead of one read per sub-block.
"""

from collections.abc import Iterator
from typing import BinaryIO

from ..errors import CarrierError
from ..limits import Limits
from ..metadata.exif import decode_text
from .base import Site, SiteKind

__all__ = ["FORMATS", "sites"]

FORMATS = ("gif",)

XMP_APP_ID = b"XMP DataXMP"
C2PA_APP_ID_PREFIX = b"C2PA_GIF"
MAGIC_TRAILER = b"\x01" + bytes(range(255, -1, -1)) + b"\x00"  # 258 bytes incl. terminator
_BUFFER = 256 * 1024
_EXTENSION, _IMAGE, _TRAILER = 0x21, 0x2C, 0x3B
_APPLICATION, _COMMENT = 0xFF, 0xFE


class _Reader:
    """Buffered forward reader over the file; every refill seeks, so other reads between
    calls (the raw XMP read) cannot disturb it."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.buf = b""
        self.base = 0  # file offset of buf[0]
        self.i = 0

    @property
    def pos(self) -> int:
        return self.base + self.i

    def _fill(self, need: int) -> bool:
        if self.i + need <= len(self.buf):
            return True
        rest = self.buf[self.i:] if self.i < len(self.buf) else b""
        self.base += self.i
        self.i = 0
        self.f.seek(self.base + len(rest))
        self.buf = rest + self.f.read(max(_BUFFER, need - len(rest)))
        return need <= len(self.buf)

    def read(self, n: int) -> bytes | None:
        if not self._fill(n):
            return None
        out = self.buf[self.i:self.i + n]
        self.i += n
        return out

    def skip_sub_blocks(self, collect: bytearray | None = None, cap: int = 0) -> bool:
        """Hop over a sub-block chain up to its zero terminator; optionally collect the data
        (at most `cap` bytes). False when the file ends inside the chain."""
        while True:
            if not self._fill(1):
                return False
            n = self.buf[self.i]
            self.i += 1
            if n == 0:
                return True
            if collect is not None and len(collect) < cap:
                if not self._fill(n):
                    return False
                collect += self.buf[self.i:self.i + n]
            self.i += n


def _join_sub_blocks(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        n = raw[i]
        if n == 0:
            break
        out += raw[i + 1:i + 1 + n]
        i += 1 + n
    return bytes(out)


def _xmp_packet(raw: bytes) -> bytes:
    """The packet inside an XMP application block's bytes (after its 11-byte identifier)."""
    # A sub-block walk cannot jump over the 257-byte trailer (a jump is at most 256 bytes),
    # so a raw packet always ends with the whole trailer.
    if raw.endswith(MAGIC_TRAILER):
        return raw[:-len(MAGIC_TRAILER)]
    return _join_sub_blocks(raw)  # a writer that used real sub-blocks


def _problem(code: str, detail: str, location: str, offset: int | None) -> Site:
    return Site(SiteKind.PROBLEM, "gif", location, offset, key=code, value=detail)


def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]:
    r = _Reader(f)
    head = r.read(13)
    if head is None or head[:6] not in (b"GIF87a", b"GIF89a"):
        raise CarrierError("GIF: bad header")
    flags = head[10]
    if flags & 0x80 and r.read(3 << ((flags & 7) + 1)) is None:
        raise CarrierError("GIF: global color table truncated")
    blocks = 0
    total = 0
    c2pa_seen = False
    truncated = "file ends inside the block stream"
    while True:
        start = r.pos
        intro = r.read(1)
        if intro is None:
            yield _problem("parse-error", f"file ends at {start} without the GIF trailer",
                           "end of file", start)
            return
        blocks += 1
        where = f"block #{blocks}"
        if blocks > limits.max_structures:
            yield _problem("resource-limit", f"more than {limits.max_structures} blocks", where,
                           start)
            return
        kind = intro[0]
        if kind == _TRAILER:
            return
        if kind == _IMAGE:
            desc = r.read(9)
            if desc is None:
                yield _problem("parse-error", truncated, where, start)
                return
            if desc[8] & 0x80 and r.read(3 << ((desc[8] & 7) + 1)) is None:
                yield _problem("parse-error", truncated, where, start)
                return
            if r.read(1) is None or not r.skip_sub_blocks():  # LZW code size, then the data
                yield _problem("parse-error", truncated, where, start)
                return
            continue
        if kind != _EXTENSION:
            yield _problem("parse-error", f"unknown block {kind:#04x} at {start}", where, start)
            return
        label = r.read(1)
        if label is None:
            yield _problem("parse-error", truncated, where, start)
            return
        if label[0] == _APPLICATION:
            ident = r.read(12)  # block size 11 + identifier(8) + auth code(3)
            if ident is None:
                yield _problem("parse-error", truncated, where, start)
                return
            app = ident[1:12] if ident[0] == 11 else b""
            data_start = r.pos
            if not r.skip_sub_blocks():
                yield _problem("parse-error", truncated, where, start)
                return
            if app == XMP_APP_ID:
                length = r.pos - data_start
                if length > limits.max_metadata_bytes or total + length > limits.max_total_metadata:
                    yield _problem("resource-limit", f"XMP block of {length} bytes", where,
                                   data_start)
                    continue
                total += length
                f.seek(data_start)
                packet = _xmp_packet(f.read(length))
                yield Site(SiteKind.XMP, "xmp", f"{where} (XMP application extension)",
                           data_start, value=packet)
            elif app.startswith(C2PA_APP_ID_PREFIX) and not c2pa_seen:
                c2pa_seen = True
                yield Site(SiteKind.C2PA, "c2pa", where, data_start, value=b"")
            continue
        if label[0] == _COMMENT:
            text = bytearray()
            data_start = r.pos
            if not r.skip_sub_blocks(text, limits.max_metadata_bytes):
                yield _problem("parse-error", truncated, where, start)
                return
            yield Site(SiteKind.FIELD, "gif-comment", f"{where} (comment)", data_start,
                       key="Comment", value=decode_text(bytes(text)))
            continue
        if not r.skip_sub_blocks():  # graphic control, plain text, unknown extensions
            yield _problem("parse-error", truncated, where, start)
            return
