"""Vorbis comments: FLAC metadata blocks and Ogg comment header packets (Vorbis, Opus, FLAC,
Theora, Speex).

GB 45438 audio labels are a comment entry ``AIGC=<json>``. Only header structures are read:
FLAC stops at the last metadata block, Ogg stops as soon as every logical stream of the first
link has delivered its comment packet, so audio pages are never read.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from ..errors import CarrierError, LimitExceeded, TruncatedError
from ..limits import Limits
from . import id3
from ._walk import Walker
from .base import Site, SiteKind

__all__ = ["FORMATS", "sites", "comment_sites"]

FORMATS = ("flac", "ogg")

FLAC_VORBIS_COMMENT = 4
FLAC_INVALID_BLOCK = 127
OGG_CONTINUED, OGG_BOS = 0x01, 0x02
MAX_OGG_HEADER_PACKETS = 16  # FLAC-in-Ogg may put other metadata blocks first
# comment entries that hold pictures (base64), not text: not delivered as fields
PICTURE_FIELDS = {"METADATA_BLOCK_PICTURE", "COVERART", "COVERARTMIME"}

# first packet magic -> (codec, prefix of its comment packet). FLAC-in-Ogg has no prefix: its
# comment packet is a FLAC metadata block (see _flac_block_comment).
OGG_CODECS: dict[bytes, tuple[str, bytes | None]] = {
    b"\x01vorbis": ("vorbis", b"\x03vorbis"),
    b"OpusHead": ("opus", b"OpusTags"),
    b"\x7fFLAC": ("flac", None),
    b"\x80theora": ("theora", b"\x81theora"),
    b"Speex   ": ("speex", b""),
}


def comment_sites(data: bytes, loc: str, offset_of: "_OffsetMap | int | None") -> Iterator[Site]:
    """Sites of a Vorbis comment structure (vendor string + NAME=value entries, little-endian
    lengths). Raises TruncatedError when a length runs past the data."""

    def u32(p: int) -> int:
        if p + 4 > len(data):
            raise TruncatedError(f"{loc}: comment header ends inside a length field")
        return int.from_bytes(data[p:p + 4], "little")

    def where(p: int) -> int | None:
        if isinstance(offset_of, _OffsetMap):
            return offset_of.file_offset(p)
        return None if offset_of is None else offset_of + p

    vlen = u32(0)
    if 4 + vlen > len(data):
        raise TruncatedError(f"{loc}: vendor string of {vlen} bytes passes the header end")
    vendor = data[4:4 + vlen].decode("utf-8", errors="replace")
    if vendor:
        yield Site(SiteKind.FIELD, "vorbis-vendor", f"{loc}/vendor", where(4), key="vendor",
                   value=vendor)
    p = 4 + vlen
    count = u32(p)
    p += 4
    # every entry costs at least its 4-byte length, so a lying count ends at the data end
    for i in range(count):
        n = u32(p)
        p += 4
        if n > len(data) - p:
            raise TruncatedError(f"{loc}: entry {i + 1} declares {n} bytes, {len(data) - p} left")
        entry = data[p:p + n]
        name, eq, value = entry.partition(b"=")
        if eq and name.upper().decode("latin-1") not in PICTURE_FIELDS:
            yield Site(SiteKind.FIELD, "vorbis-comment", f"{loc}[{i + 1}]", where(p),
                       key=name.decode("utf-8", errors="replace"),
                       value=value.decode("utf-8", errors="replace"))
        p += n


def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]:
    try:
        walk = Walker(f, fmt, limits)
        if fmt == "flac":
            tags = _leading_id3(walk)
            start = tags[-1].end if tags else 0
            if walk.size < start + 4 or walk.read_at(start, 4, "FLAC") != b"fLaC":
                raise CarrierError("no fLaC marker")
            yield from walk.guard(_flac_sites(walk, tags, start + 4))
        elif fmt == "ogg":
            if walk.size < 4 or walk.read_at(0, 4, "Ogg") != b"OggS":
                raise CarrierError("no OggS page at the start")
            yield from walk.guard(_ogg_sites(walk))
        else:
            raise CarrierError(f"vorbis reader cannot read {fmt!r}")
    except OSError as e:
        raise CarrierError(f"read error: {e}") from e


def _leading_id3(walk: Walker) -> list[id3.TagHeader]:
    """ID3v2 tags before fLaC: not standard, but taggers write them."""
    tags: list[id3.TagHeader] = []
    pos = 0
    for _ in range(id3.MAX_TAGS_IN_A_ROW):
        header = id3.read_tag_header(walk.f, pos)
        if header is None:
            break
        tags.append(header)
        pos = header.end
    return tags


def _flac_sites(walk: Walker, tags: list[id3.TagHeader], pos: int) -> Iterator[Site]:
    for header in tags:
        yield from id3.tag_sites(walk.f, header, walk.limits, walk.spend, file_end=walk.size)
    n = 0
    while True:
        walk.count("FLAC metadata blocks")
        n += 1
        h = walk.read_at(pos, 4, "FLAC metadata block header")
        last, btype = h[0] & 0x80, h[0] & 0x7F
        length = int.from_bytes(h[1:4], "big")
        if btype == FLAC_INVALID_BLOCK:
            raise CarrierError(f"invalid FLAC metadata block type at {pos}")
        if pos + 4 + length > walk.size:
            raise TruncatedError(f"FLAC block {n} declares {length} bytes, passes the file end")
        if btype == FLAC_VORBIS_COMMENT:
            data = walk.payload(pos + 4, length, "VORBIS_COMMENT")
            yield from comment_sites(data, f"fLaC/VORBIS_COMMENT#{n}", pos + 4)
        pos += 4 + length
        if last:
            return


class _OffsetMap:
    """Maps positions in a reassembled Ogg packet back to file offsets."""

    __slots__ = ("spans",)

    def __init__(self) -> None:
        self.spans: list[tuple[int, int, int]] = []  # (packet pos, file pos, length)

    def add(self, packet_pos: int, file_pos: int, n: int) -> None:
        if n:
            self.spans.append((packet_pos, file_pos, n))

    def shifted(self, skip: int) -> "_OffsetMap":
        m = _OffsetMap()
        for p, fp, n in self.spans:
            if p + n > skip:
                cut = max(0, skip - p)
                m.add(p + cut - skip, fp + cut, n - cut)
        return m

    def file_offset(self, pos: int) -> int | None:
        for p, fp, n in self.spans:
            if p <= pos < p + n:
                return fp + pos - p
        return None


@dataclass(slots=True)
class _Stream:
    serial: int
    packets: int = 0  # complete packets seen
    codec: str = ""
    comment_prefix: bytes | None = None
    buf: bytearray = field(default_factory=bytearray)
    where: _OffsetMap = field(default_factory=_OffsetMap)
    done: bool = False


def _ogg_sites(walk: Walker) -> Iterator[Site]:
    streams: dict[int, _Stream] = {}
    pos = 0
    while pos < walk.size:
        walk.count("Ogg pages")
        h = walk.read_at(pos, 27, "Ogg page header")
        if h[:4] != b"OggS" or h[4] != 0:
            raise CarrierError(f"lost Ogg page sync at {pos}")
        htype = h[5]
        serial = int.from_bytes(h[14:18], "little")
        lacing = walk.read_at(pos + 27, h[26], "Ogg lacing table")
        body = pos + 27 + h[26]
        end = body + sum(lacing)
        if end > walk.size:
            raise TruncatedError(f"Ogg page at {pos} passes the file end")
        if htype & OGG_BOS:
            if serial not in streams:
                streams[serial] = _Stream(serial)
        elif streams and all(s.done for s in streams.values()):
            return  # past the header pages of every stream of this link
        st = streams.get(serial)
        if st is not None and not st.done:
            yield from _ogg_page(walk, st, htype, lacing, body, pos)
        pos = end
    if any(not s.done for s in streams.values()):
        raise TruncatedError("Ogg file ends before every comment header was complete")


def _ogg_page(walk: Walker, st: _Stream, htype: int, lacing: bytes, body: int,
              page_pos: int) -> Iterator[Site]:
    walk.spend(sum(lacing), "Ogg header page")
    data = walk.read_at(body, sum(lacing), "Ogg page body")
    if htype & OGG_CONTINUED and not st.buf and st.packets == 0:
        raise CarrierError(f"Ogg stream {st.serial} starts with a continued packet")
    p = 0
    seg_start = 0
    for lace in lacing:
        p += lace
        if lace == 255:
            continue
        _append(walk, st, data[seg_start:p], body + seg_start)
        seg_start = p
        yield from _ogg_packet(walk, st, page_pos)
        if st.done:
            return
    if seg_start < p:
        _append(walk, st, data[seg_start:p], body + seg_start)  # continues on the next page


def _append(walk: Walker, st: _Stream, chunk: bytes, file_pos: int) -> None:
    if len(st.buf) + len(chunk) > walk.limits.max_metadata_bytes:
        raise LimitExceeded(f"Ogg header packet over {walk.limits.max_metadata_bytes} bytes")
    st.where.add(len(st.buf), file_pos, len(chunk))
    st.buf += chunk


def _ogg_packet(walk: Walker, st: _Stream, page_pos: int) -> Iterator[Site]:
    packet = bytes(st.buf)
    where = st.where
    st.buf = bytearray()
    st.where = _OffsetMap()
    st.packets += 1
    if st.packets == 1:
        for magic, (codec, prefix) in OGG_CODECS.items():
            if packet.startswith(magic):
                st.codec, st.comment_prefix = codec, prefix
                return
        st.done = True  # a codec we do not know: no comment header to read
        return
    loc = f"Ogg stream {st.serial:#x}/{st.codec}"
    if st.codec == "flac":
        yield from _flac_in_ogg(st, packet, where, loc)
        return
    prefix = st.comment_prefix or b""
    st.done = True
    if not packet.startswith(prefix):
        raise CarrierError(f"{loc}: second packet is not a comment header")
    yield from comment_sites(packet[len(prefix):], f"{loc}/comment", where.shifted(len(prefix)))


def _flac_in_ogg(st: _Stream, packet: bytes, where: _OffsetMap, loc: str) -> Iterator[Site]:
    if len(packet) < 4:
        raise TruncatedError(f"{loc}: short metadata block packet")
    last, btype = packet[0] & 0x80, packet[0] & 0x7F
    if btype == FLAC_VORBIS_COMMENT:
        st.done = True
        yield from comment_sites(packet[4:], f"{loc}/VORBIS_COMMENT", where.shifted(4))
    elif last or st.packets > MAX_OGG_HEADER_PACKETS:
        st.done = True
