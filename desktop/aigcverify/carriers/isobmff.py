"""ISO base media files: MP4, MOV, M4A and the HEIF/AVIF image family.

GB 45438 video labels sit in ``moov/udta/meta`` (handler ``mdta``) as a ``keys`` entry
``AIGC`` whose 1-based index names an ``ilst`` item holding a UTF-8 ``data`` box. Real files
also use a QuickTime-style ``meta`` without the FullBox header, the keyless iTunes ``mdir``
list, ``udta`` ``©xxx`` text atoms and an XMP ``uuid`` box. HEIF/AVIF keep XMP and EXIF as
items of the top-level ``meta`` located through ``iloc``; heif_items reads those.

The walker reads box headers and seeks over everything else: ``mdat`` (possibly before
``moov`` and GBs long) and sample tables are never read; in a fragmented file the walk ends at
the first ``moof`` after ``moov``.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import CarrierError, LimitExceeded, TruncatedError
from ..limits import Limits
from . import heif_items
from ._walk import Walker
from .base import Site, SiteKind

__all__ = ["FORMATS", "sites", "XMP_UUID", "C2PA_UUID", "Box", "BoxWalker"]

FORMATS = ("mp4", "mov", "m4a", "heif", "avif")

XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
C2PA_UUID = bytes.fromhex("D8FEC3D61B0E483C92975828877EC481")

# ilst/udta 'data' box well-known types that hold text -> codec
DATA_TEXT_TYPES: dict[int, str] = {1: "utf-8", 2: "utf-16-be", 4: "utf-8", 5: "utf-16-be"}
QT_MAC_LANGUAGE_MAX = 0x400  # QuickTime string language codes below this mean Mac Roman text
C2PA_MANIFEST_PURPOSE = b"manifest"


@dataclass(frozen=True, slots=True)
class Box:
    """One box header: where its payload starts and ends (the payload itself is not read)."""

    type: bytes
    start: int
    body: int  # first payload byte (after size, type, largesize and uuid usertype)
    end: int
    usertype: bytes = b""

    @property
    def name(self) -> str:
        return self.type.decode("latin-1")


class BoxWalker(Walker):
    """Walker bounds plus the ISO box iterator (heif_items walks iinf with it too)."""

    __slots__ = ()
    noun = "boxes"

    def body(self, box: Box, what: str) -> bytes:
        return self.payload(box.body, box.end - box.body, what)

    def boxes(self, pos: int, end: int, path: str) -> Iterator[Box]:
        """Child boxes of [pos, end); a size that overruns the parent raises TruncatedError."""
        while pos < end:
            if end - pos < 8:
                if end - pos == 4 and self.read_at(pos, 4, "terminator") == b"\x00" * 4:
                    return  # QuickTime ends some atom lists with a 32-bit zero
                raise TruncatedError(f"{path}: {end - pos} stray bytes at {pos}")
            self.count()
            h = self.read_at(pos, 8, "box header")
            size, typ = int.from_bytes(h[:4], "big"), h[4:8]
            hdr = 8
            if size == 1:
                size = int.from_bytes(self.read_at(pos + 8, 8, "largesize"), "big")
                hdr = 16
            elif size == 0:
                size = end - pos  # "extends to the end of the file" (or of the parent)
            if size < hdr:
                if size == 0 or not any(h):
                    return  # zero padding at the end of a list
                raise CarrierError(f"{path}: box {typ!r} at {pos} has impossible size {size}")
            if pos + size > end:
                raise TruncatedError(f"{path}/{typ.decode('latin-1')}: box of {size} bytes at "
                                     f"{pos} overruns its parent ending at {end}")
            usertype = b""
            if typ == b"uuid":
                if size < hdr + 16:
                    raise CarrierError(f"{path}: uuid box at {pos} too small for its usertype")
                usertype = self.read_at(pos + hdr, 16, "uuid usertype")
                hdr += 16
            yield Box(typ, pos, pos + hdr, pos + size, usertype)
            pos += size


def _plausible_type(t: bytes) -> bool:
    return len(t) == 4 and all(0x20 <= b < 0x7F or b == 0xA9 for b in t)


def _contained(walk: BoxWalker, inner: Iterator[Site], path: str, start: int) -> Iterator[Site]:
    """Damage inside one container box spoils that box only; bounds still stop everything."""
    try:
        yield from inner
    except CarrierError as e:
        yield Site(SiteKind.PROBLEM, walk.fmt, path, start, key=e.code, value=str(e))


def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]:
    try:
        walk = BoxWalker(f, fmt, limits)
        head = walk.read_at(0, 8, "first box") if walk.size >= 8 else b""
        size = int.from_bytes(head[:4], "big") if head else -1
        if not head or not _plausible_type(head[4:8]) or size not in (0, 1) and size < 8:
            raise CarrierError("no ISO-BMFF box at the start")
        yield from walk.guard(_top(walk))
    except OSError as e:
        raise CarrierError(f"read error: {e}") from e


def _top(walk: BoxWalker) -> Iterator[Site]:
    seen_moov = False
    for box in walk.boxes(0, walk.size, ""):
        if box.type == b"moof" and seen_moov:
            # fragments follow the initialisation segment (moov, uuid boxes) up to the end;
            # like players we stop here instead of walking thousands of moof/mdat pairs
            return
        if box.type == b"moov":
            seen_moov = True
            yield from _contained(walk, _container(walk, box, "moov", 1), "moov", box.start)
        elif box.type == b"meta":
            yield from _contained(walk, _meta(walk, box, "meta"), "meta", box.start)
        elif box.type == b"uuid":
            yield from _uuid(walk, box, "uuid")


# container -> the child boxes worth opening in it (everything else is skipped by seek)
CONTAINER_CHILDREN: dict[bytes, set[bytes]] = {
    b"moov": {b"udta", b"meta", b"trak", b"uuid"},
    b"trak": {b"udta", b"meta", b"uuid"},
    b"udta": {b"meta", b"XMP_", b"uuid"},
}


def _container(walk: BoxWalker, box: Box, path: str, depth: int) -> Iterator[Site]:
    if depth > walk.max_depth:
        raise LimitExceeded(f"{path}: boxes nested deeper than {depth - 1}")
    wanted = CONTAINER_CHILDREN[box.type]
    seen: dict[bytes, int] = {}
    for child in walk.boxes(box.body, box.end, path):
        seen[child.type] = seen.get(child.type, 0) + 1
        cpath = f"{path}/{child.name}"
        if seen[child.type] > 1:
            cpath += f"[{seen[child.type]}]"
        t = child.type
        if t in wanted and t in CONTAINER_CHILDREN:
            yield from _contained(walk, _container(walk, child, cpath, depth + 1), cpath,
                                  child.start)
        elif t in wanted and t == b"meta":
            yield from _contained(walk, _meta(walk, child, cpath), cpath, child.start)
        elif t in wanted and t == b"uuid":
            yield from _uuid(walk, child, cpath)
        elif t in wanted and t == b"XMP_":
            yield Site(SiteKind.XMP, "xmp", cpath, child.body, key="XMP_",
                       value=walk.body(child, cpath))
        elif box.type == b"udta" and (t[0] == 0xA9 or b"AIGC" in t.upper()):
            yield from _udta_text(walk, child, cpath)


def _udta_text(walk: BoxWalker, box: Box, path: str) -> Iterator[Site]:
    """A udta text atom: QuickTime string list (size16, language16, text)*, or an iTunes-style
    atom holding 'data' boxes; other payloads are delivered raw."""
    data = walk.body(box, path)
    if data[4:8] == b"data":
        for _, value, off in _data_values(walk, box, path):
            yield Site(SiteKind.FIELD, "mp4-udta", path, off, key=box.name, value=value)
        return
    texts = _qt_strings(data)
    if texts is None:
        yield Site(SiteKind.FIELD, "mp4-udta", path, box.body, key=box.name,
                   value=data.rstrip(b"\x00"))
        return
    for rel, text in texts:
        yield Site(SiteKind.FIELD, "mp4-udta", path, box.body + rel, key=box.name, value=text)


def _qt_strings(data: bytes) -> list[tuple[int, str]] | None:
    """The strings of a QuickTime international text list; None if data is not one."""
    out: list[tuple[int, str]] = []
    p = 0
    while p + 4 <= len(data):
        n = int.from_bytes(data[p:p + 2], "big")
        lang = int.from_bytes(data[p + 2:p + 4], "big")
        if p + 4 + n > len(data):
            return None
        raw = data[p + 4:p + 4 + n]
        out.append((p + 4, _qt_decode(raw, lang)))
        p += 4 + n
    return out if out and not any(data[p:]) else None


def _qt_decode(raw: bytes, lang: int) -> str:
    if raw[:2] in (b"\xfe\xff", b"\xff\xfe"):
        return raw.decode("utf-16", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # real Mac-language strings are Mac Roman; anything else we keep with replacements
        codec = "mac_roman" if lang < QT_MAC_LANGUAGE_MAX else "utf-8"
        return raw.decode(codec, errors="replace")


def _uuid(walk: BoxWalker, box: Box, path: str) -> Iterator[Site]:
    if box.usertype == XMP_UUID:
        yield Site(SiteKind.XMP, "mp4-uuid-xmp", path, box.body, key="XMP",
                   value=walk.body(box, path))
    elif box.usertype == C2PA_UUID:
        # FullBox header, purpose string, then (for the manifest) an 8-byte merkle offset
        head = walk.read_at(box.body, min(box.end - box.body, 64), "c2pa uuid header")
        purpose, nul, _ = head[4:].partition(b"\x00")
        if nul and purpose == C2PA_MANIFEST_PURPOSE:
            start = box.body + 4 + len(purpose) + 1 + 8
            if start <= box.end:
                yield Site(SiteKind.C2PA, "c2pa", path, start, key="manifest",
                           value=walk.payload(start, box.end - start, path))


def _full_box_start(walk: BoxWalker, box: Box) -> int:
    """Where a meta box's children start: ISO meta is a FullBox (4 bytes of version and
    flags), QuickTime meta is not. The 4 bytes after the header tell which one this is."""
    if box.end - box.body < 8:
        return box.body + 4
    peek = walk.read_at(box.body, 8, "meta header")
    if peek[:4] == b"\x00\x00\x00\x00":
        return box.body + 4
    size = int.from_bytes(peek[:4], "big")
    if _plausible_type(peek[4:8]) and 8 <= size <= box.end - box.body:
        return box.body  # QuickTime-style: a child box starts right away
    return box.body + 4


def _meta(walk: BoxWalker, box: Box, path: str) -> Iterator[Site]:
    children: dict[bytes, Box] = {}
    for child in walk.boxes(_full_box_start(walk, box), box.end, path):
        children.setdefault(child.type, child)  # the first of each kind counts
    # the layout decides the parse, not the hdlr type: 'mdta' lists come with 'keys',
    # 'mdir' lists name their items, 'pict' metas carry iinf/iloc
    keys = _keys(walk, children[b"keys"], f"{path}/keys") if b"keys" in children else None
    if b"ilst" in children:
        yield from _contained(walk, _ilst(walk, children[b"ilst"], keys, f"{path}/ilst"),
                              f"{path}/ilst", children[b"ilst"].start)
    if b"iinf" in children and b"iloc" in children:
        yield from _contained(walk, heif_items.item_sites(walk, children, path), path,
                              box.start)
    for child in children.values():
        if child.type == b"uuid":
            yield from _uuid(walk, child, f"{path}/uuid")


def _keys(walk: BoxWalker, box: Box, path: str) -> list[str]:
    data = walk.body(box, path)
    if len(data) < 8:
        raise TruncatedError(f"{path}: keys box of {len(data)} bytes")
    count = int.from_bytes(data[4:8], "big")
    out: list[str] = []
    p = 8
    for i in range(count):
        if p + 8 > len(data):
            raise TruncatedError(f"{path}: entry {i + 1} of {count} passes the box end")
        n = int.from_bytes(data[p:p + 4], "big")
        if n < 8 or p + n > len(data):
            raise CarrierError(f"{path}: entry {i + 1} has impossible size {n}")
        out.append(data[p + 8:p + n].decode("utf-8", errors="replace"))
        p += n
    return out


def _ilst(walk: BoxWalker, box: Box, keys: list[str] | None, path: str) -> Iterator[Site]:
    n = 0
    for item in walk.boxes(box.body, box.end, path):
        n += 1
        t = item.type
        if keys is not None and t[0] == 0:
            idx = int.from_bytes(t, "big")
            key = keys[idx - 1] if 1 <= idx <= len(keys) else f"#{idx}"
        else:
            key = item.name
        loc = f"{path}[{n}]"
        for name, value, off in _data_values(walk, item, loc):
            yield Site(SiteKind.FIELD, "mp4-ilst", loc, off, key=name or key, value=value)


def _data_values(walk: BoxWalker, item: Box, path: str) -> Iterator[tuple[str, str, int]]:
    """(freeform name or "", text, offset) of the text 'data' boxes of one item. Binary data
    (cover art, integers) is skipped without being read."""
    name = ""
    for child in walk.boxes(item.body, item.end, path):
        if child.type == b"name" and child.end - child.body >= 4:
            raw = walk.payload(child.body + 4, child.end - child.body - 4, path)
            name = raw.decode("utf-8", errors="replace")
        elif child.type == b"data" and child.end - child.body >= 8:
            head = walk.read_at(child.body, 8, "data box header")
            codec = DATA_TEXT_TYPES.get(int.from_bytes(head[1:4], "big")) if head[0] == 0 else None
            if codec is None:
                continue
            start = child.body + 8
            raw = walk.payload(start, child.end - start, path)
            yield name, raw.decode(codec, errors="replace"), start
