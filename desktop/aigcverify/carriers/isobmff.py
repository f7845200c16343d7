"""ISO base media files: MP4, MOV, M4A and the HEIF/AVIF image family.

GB 45438 video labels sit in ``moov/udta/meta`` (handler ``mdta``) as a ``keys`` entry
``AIGC`` whose 1-based index names an ``ilst`` item holding a UTF-8 ``data`` box. Real files
also use a QuickTime-style ``meta`` without the FullBox header, the keyless iTunes ``mdir``
list, ``udta`` ``©xxx`` text atoms and an XMP ``uuid`` box. HEIF/AVIF keep XMP and EXIF as
items of the top-level ``meta`` located through ``iloc``.

The walker reads box headers and seeks over everything else: ``mdat`` (possibly before
``moov`` and GBs long) and sample tables are never read; in a fragmented file the walk ends at
the first ``moof`` after ``moov``.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import CarrierError, LimitExceeded, TruncatedError, VerifyError
from ..limits import Limits
from .base import Site, SiteKind

__all__ = ["FORMATS", "sites", "XMP_UUID", "C2PA_UUID"]

FORMATS = ("mp4", "mov", "m4a", "heif", "avif")
MAX_RECURSION = 200  # whatever Limits say, recursion stays far below Python's stack limit

XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
C2PA_UUID = bytes.fromhex("D8FEC3D61B0E483C92975828877EC481")

# ilst/udta 'data' box well-known types that hold text -> codec
DATA_TEXT_TYPES: dict[int, str] = {1: "utf-8", 2: "utf-16-be", 4: "utf-8", 5: "utf-16-be"}
XMP_CONTENT_TYPE = "application/rdf+xml"
C2PA_CONTENT_TYPES = {"application/c2pa", "application/x-c2pa-manifest-store"}
TIFF_MAGICS = (b"II*\x00", b"MM\x00*")
QT_MAC_LANGUAGE_MAX = 0x400  # QuickTime string language codes below this mean Mac Roman text
ILOC_FIELD_SIZES = {0, 4, 8}
C2PA_MANIFEST_PURPOSE = b"manifest"


@dataclass(frozen=True, slots=True)
class _Box:
    type: bytes
    start: int
    body: int  # first payload byte (after size, type, largesize and uuid usertype)
    end: int
    usertype: bytes = b""

    @property
    def name(self) -> str:
        return self.type.decode("latin-1")


class _Walk:
    def __init__(self, f: BinaryIO, fmt: str, limits: Limits) -> None:
        self.f, self.fmt, self.limits = f, fmt, limits  # fmt names the carrier of PROBLEMs
        self.structures = 0
        self.budget = limits.max_total_metadata
        f.seek(0, 2)
        self.size = f.tell()

    def count(self) -> None:
        self.structures += 1
        if self.structures > self.limits.max_structures:
            raise LimitExceeded(f"more than {self.limits.max_structures} boxes")

    def read_at(self, pos: int, n: int, what: str) -> bytes:
        if n < 0 or pos < 0:
            raise CarrierError(f"{what}: impossible read of {n} bytes at {pos}")
        self.f.seek(pos)
        b = self.f.read(n)
        if len(b) != n:
            raise TruncatedError(f"{what}: file ends at {self.size}, wanted {n} bytes at {pos}")
        return b

    def payload(self, pos: int, n: int, what: str) -> bytes:
        if n > self.limits.max_metadata_bytes:
            raise LimitExceeded(f"{what}: {n} bytes exceeds the metadata limit")
        self.budget -= n
        if self.budget < 0:
            raise LimitExceeded(f"{what}: metadata of this file exceeds the total limit")
        return self.read_at(pos, n, what)

    def body(self, box: _Box, what: str) -> bytes:
        return self.payload(box.body, box.end - box.body, what)


def _plausible_type(t: bytes) -> bool:
    return len(t) == 4 and all(0x20 <= b < 0x7F or b == 0xA9 for b in t)


def _boxes(walk: _Walk, pos: int, end: int, path: str) -> Iterator[_Box]:
    """Child boxes of [pos, end); a size that overruns the parent raises TruncatedError."""
    while pos < end:
        if end - pos < 8:
            if end - pos == 4 and walk.read_at(pos, 4, "terminator") == b"\x00" * 4:
                return  # QuickTime ends some atom lists with a 32-bit zero
            raise TruncatedError(f"{path}: {end - pos} stray bytes at {pos}")
        walk.count()
        h = walk.read_at(pos, 8, "box header")
        size, typ = int.from_bytes(h[:4], "big"), h[4:8]
        hdr = 8
        if size == 1:
            size = int.from_bytes(walk.read_at(pos + 8, 8, "largesize"), "big")
            hdr = 16
        elif size == 0:
            size = end - pos  # "extends to the end of the file" (or of the parent)
        if size < hdr:
            if size == 0 or not any(h):
                return  # zero padding at the end of a list
            raise CarrierError(f"{path}: box {typ!r} at {pos} has impossible size {size}")
        if pos + size > end:
            raise TruncatedError(f"{path}/{typ.decode('latin-1')}: box of {size} bytes at {pos} "
                                 f"overruns its parent ending at {end}")
        usertype = b""
        if typ == b"uuid":
            if size < hdr + 16:
                raise CarrierError(f"{path}: uuid box at {pos} too small for its usertype")
            usertype = walk.read_at(pos + hdr, 16, "uuid usertype")
            hdr += 16
        yield _Box(typ, pos, pos + hdr, pos + size, usertype)
        pos += size


def _contained(walk: _Walk, inner: Iterator[Site], path: str, start: int) -> Iterator[Site]:
    """Damage inside one container box spoils that box only; bounds still stop everything."""
    try:
        yield from inner
    except CarrierError as e:
        yield Site(SiteKind.PROBLEM, walk.fmt, path, start, key=e.code, value=str(e))


def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]:
    try:
        walk = _Walk(f, fmt, limits)
        head = walk.read_at(0, 8, "first box") if walk.size >= 8 else b""
        size = int.from_bytes(head[:4], "big") if head else -1
        if not head or not _plausible_type(head[4:8]) or size not in (0, 1) and size < 8:
            raise CarrierError("no ISO-BMFF box at the start")
        emitted = 0
        try:
            for site in _top(walk):
                emitted += 1
                if emitted > limits.max_sites:
                    raise LimitExceeded(f"more than {limits.max_sites} metadata items")
                yield site
        except VerifyError as e:
            yield Site(SiteKind.PROBLEM, fmt, "", None, key=e.code, value=str(e))
    except OSError as e:
        raise CarrierError(f"read error: {e}") from e


def _top(walk: _Walk) -> Iterator[Site]:
    seen_moov = False
    for box in _boxes(walk, 0, walk.size, ""):
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


def _container(walk: _Walk, box: _Box, path: str, depth: int) -> Iterator[Site]:
    if depth > min(walk.limits.max_depth, MAX_RECURSION):
        raise LimitExceeded(f"{path}: boxes nested deeper than {depth - 1}")
    wanted = CONTAINER_CHILDREN[box.type]
    seen: dict[bytes, int] = {}
    for child in _boxes(walk, box.body, box.end, path):
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


def _udta_text(walk: _Walk, box: _Box, path: str) -> Iterator[Site]:
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


def _uuid(walk: _Walk, box: _Box, path: str) -> Iterator[Site]:
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


def _full_box_start(walk: _Walk, box: _Box) -> int:
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


def _meta(walk: _Walk, box: _Box, path: str) -> Iterator[Site]:
    children: dict[bytes, _Box] = {}
    for child in _boxes(walk, _full_box_start(walk, box), box.end, path):
        children.setdefault(child.type, child)  # the first of each kind counts
    # the layout decides the parse, not the hdlr type: 'mdta' lists come with 'keys',
    # 'mdir' lists name their items, 'pict' metas carry iinf/iloc
    keys = _keys(walk, children[b"keys"], f"{path}/keys") if b"keys" in children else None
    if b"ilst" in children:
        yield from _contained(walk, _ilst(walk, children[b"ilst"], keys, f"{path}/ilst"),
                              f"{path}/ilst", children[b"ilst"].start)
    if b"iinf" in children and b"iloc" in children:
        yield from _contained(walk, _items(walk, children, f"{path}"), path, box.start)
    for child in children.values():
        if child.type == b"uuid":
            yield from _uuid(walk, child, f"{path}/uuid")


def _keys(walk: _Walk, box: _Box, path: str) -> list[str]:
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


def _ilst(walk: _Walk, box: _Box, keys: list[str] | None, path: str) -> Iterator[Site]:
    n = 0
    for item in _boxes(walk, box.body, box.end, path):
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


def _data_values(walk: _Walk, item: _Box, path: str) -> Iterator[tuple[str, str, int]]:
    """(freeform name or "", text, offset) of the text 'data' boxes of one item. Binary data
    (cover art, integers) is skipped without being read."""
    name = ""
    for child in _boxes(walk, item.body, item.end, path):
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


# ---- HEIF / AVIF items -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Item:
    id: int
    type: bytes
    content_type: str


def _cstr(data: bytes, p: int) -> tuple[str, int]:
    end = data.find(b"\x00", p)
    if end < 0:
        return data[p:].decode("utf-8", errors="replace"), len(data)
    return data[p:end].decode("utf-8", errors="replace"), end + 1


def _uint(data: bytes, p: int, n: int, what: str) -> int:
    if p + n > len(data):
        raise TruncatedError(f"{what}: ends inside a {n}-byte field")
    return int.from_bytes(data[p:p + n], "big")


def _iinf(walk: _Walk, box: _Box, path: str) -> list[_Item]:
    if box.end - box.body < 6:
        raise TruncatedError(f"{path}/iinf: box too small")
    version = walk.read_at(box.body, 1, "iinf version")[0]
    first = box.body + 4 + (2 if version == 0 else 4)
    items: list[_Item] = []
    for infe in _boxes(walk, first, box.end, f"{path}/iinf"):
        if infe.type != b"infe":
            continue
        data = walk.payload(infe.body, min(infe.end - infe.body, 4096), f"{path}/infe")
        v = _uint(data, 0, 1, "infe")
        if v >= 2:
            id_len = 2 if v == 2 else 4
            item_id = _uint(data, 4, id_len, "infe")
            p = 4 + id_len + 2
            itype = data[p:p + 4]
            _, p = _cstr(data, p + 4)  # item name
            ctype = _cstr(data, p)[0] if itype == b"mime" else ""
        else:
            item_id = _uint(data, 4, 2, "infe")
            _, p = _cstr(data, 8)
            ctype = _cstr(data, p)[0]
            itype = b"mime"
        items.append(_Item(item_id, itype, ctype.strip().lower()))
    return items


def _iloc(walk: _Walk, box: _Box, path: str) -> dict[int, tuple[int, int, list[tuple[int, int]]]]:
    """item id -> (construction method, base offset, [(extent offset, extent length)])."""
    data = walk.body(box, path)
    v = _uint(data, 0, 1, "iloc")
    if v > 2:
        raise CarrierError(f"{path}: iloc version {v} is unknown")
    sizes = _uint(data, 4, 2, "iloc")
    off_size, len_size, base_size = sizes >> 12, (sizes >> 8) & 0xF, (sizes >> 4) & 0xF
    idx_size = sizes & 0xF if v >= 1 else 0
    if not {off_size, len_size, base_size, idx_size} <= ILOC_FIELD_SIZES:
        raise CarrierError(f"{path}: iloc field sizes {sizes:#06x} are invalid")
    count_len = 2 if v < 2 else 4
    count = _uint(data, 6, count_len, "iloc")
    p = 6 + count_len
    out: dict[int, tuple[int, int, list[tuple[int, int]]]] = {}
    for _ in range(count):  # every item costs bytes, so a lying count ends at the data end
        item_id = _uint(data, p, count_len, "iloc")
        p += count_len
        method = 0
        if v >= 1:
            method = _uint(data, p, 2, "iloc") & 0xF
            p += 2
        p += 2  # data_reference_index
        base = _uint(data, p, base_size, "iloc") if base_size else 0
        p += base_size
        n_ext = _uint(data, p, 2, "iloc")
        p += 2
        extents = []
        for _e in range(n_ext):
            walk.count()  # zero-size fields make extents free: count them like boxes
            p += idx_size
            e_off = _uint(data, p, off_size, "iloc") if off_size else 0
            p += off_size
            e_len = _uint(data, p, len_size, "iloc") if len_size else 0
            p += len_size
            extents.append((e_off, e_len))
        if p > len(data):
            raise TruncatedError(f"{path}: iloc ends inside item {item_id}")
        out[item_id] = (method, base, extents)
    return out


def _item_data(walk: _Walk, loc: tuple[int, int, list[tuple[int, int]]], idat: _Box | None,
               path: str) -> bytes | None:
    method, base, extents = loc
    if method == 0:
        lo, hi = 0, walk.size  # offsets into the file
    elif method == 1 and idat is not None:
        lo, hi = idat.body, idat.end  # offsets into the idat payload
    else:
        return None  # construction by item reference: not used for metadata items
    parts: list[bytes] = []
    total = 0
    for e_off, e_len in extents:
        start = (lo if method == 1 else 0) + base + e_off
        length = e_len or (hi - start)  # length 0 means "to the end"
        if start < lo or start > hi or length < 0 or start + length > hi:
            raise TruncatedError(f"{path}: item extent {start}+{length} lies outside its data")
        total += length
        if total > walk.limits.max_metadata_bytes:
            raise LimitExceeded(f"{path}: item larger than {walk.limits.max_metadata_bytes}")
        parts.append(walk.payload(start, length, path))
    return b"".join(parts)


def _items(walk: _Walk, children: dict[bytes, _Box], path: str) -> Iterator[Site]:
    items = _iinf(walk, children[b"iinf"], path)
    wanted = [it for it in items if _item_kind(it) is not None]
    if not wanted:
        return
    locs = _iloc(walk, children[b"iloc"], f"{path}/iloc")
    idat = children.get(b"idat")
    for it in wanted:
        kind = _item_kind(it)
        loc = f"{path}/item[{it.id}]"
        if it.id not in locs:
            yield Site(SiteKind.PROBLEM, walk.fmt, loc, None, key="parse-error",
                       value=f"item {it.id} has no iloc entry")
            continue
        data = _item_data(walk, locs[it.id], idat, loc)
        if data is None:
            continue
        offset = _first_offset(locs[it.id], idat)
        if kind is SiteKind.EXIF:
            tiff = _exif_tiff(data)
            if tiff is None:
                yield Site(SiteKind.PROBLEM, walk.fmt, loc, offset, key="parse-error",
                           value="Exif item without a TIFF header")
                continue
            if offset is not None:
                offset += len(data) - len(tiff)
            yield Site(SiteKind.EXIF, "exif", loc, offset, key="Exif", value=tiff)
        elif kind is SiteKind.XMP:
            yield Site(SiteKind.XMP, "xmp", loc, offset, key=it.content_type, value=data)
        else:
            yield Site(SiteKind.C2PA, "c2pa", loc, offset, key=it.content_type, value=data)


def _item_kind(it: _Item) -> SiteKind | None:
    if it.type == b"Exif":
        return SiteKind.EXIF
    if it.type == b"mime" and it.content_type == XMP_CONTENT_TYPE:
        return SiteKind.XMP
    if it.type == b"mime" and it.content_type in C2PA_CONTENT_TYPES:
        return SiteKind.C2PA
    return None


def _first_offset(loc: tuple[int, int, list[tuple[int, int]]], idat: _Box | None) -> int | None:
    method, base, extents = loc
    if not extents:
        return None
    if method == 1:
        return None if idat is None else idat.body + base + extents[0][0]
    return base + extents[0][0]


def _exif_tiff(data: bytes) -> bytes | None:
    """The TIFF block of an Exif item: a 4-byte offset to the TIFF header comes first."""
    if len(data) >= 4:
        start = 4 + int.from_bytes(data[:4], "big")
        if data[start:start + 4] in TIFF_MAGICS:
            return data[start:]
    for magic in TIFF_MAGICS:  # writers that got the offset wrong ("Exif\0\0" prefixes)
        i = data.find(magic, 0, 64)
        if i >= 0:
            return data[i:]
    return None
