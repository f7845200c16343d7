"""HEIF/AVIF metadata items: Exif, XMP and C2PA stored as items of the top-level ``meta``.

``iinf`` names every item (``infe``: id, type, MIME content type), ``iloc`` says where its
bytes are (extents at file offsets, or inside ``idat``). Only metadata items are located and
read; image items are never touched. isobmff calls ``item_sites`` for each ``meta`` box that
has both ``iinf`` and ``iloc``, with its own walker, whose bounds cover these reads too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import CarrierError, LimitExceeded, TruncatedError
from .base import Site, SiteKind

if TYPE_CHECKING:  # isobmff imports this module: only the type checker looks back
    from .isobmff import Box, BoxWalker

__all__ = ["item_sites"]

XMP_CONTENT_TYPE = "application/rdf+xml"
C2PA_CONTENT_TYPES = {"application/c2pa", "application/x-c2pa-manifest-store"}
TIFF_MAGICS = (b"II*\x00", b"MM\x00*")
ILOC_FIELD_SIZES = {0, 4, 8}

# where iloc puts one item: (construction method, base offset, [(extent offset, length)])
_Location = tuple[int, int, list[tuple[int, int]]]


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


def _iinf(walk: BoxWalker, box: Box, path: str) -> list[_Item]:
    if box.end - box.body < 6:
        raise TruncatedError(f"{path}/iinf: box too small")
    version = walk.read_at(box.body, 1, "iinf version")[0]
    first = box.body + 4 + (2 if version == 0 else 4)
    items: list[_Item] = []
    for infe in walk.boxes(first, box.end, f"{path}/iinf"):
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


def _iloc(walk: BoxWalker, box: Box, path: str) -> dict[int, _Location]:
    """item id -> where its bytes are."""
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
    out: dict[int, _Location] = {}
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


def _item_data(walk: BoxWalker, loc: _Location, idat: Box | None, path: str) -> bytes | None:
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


def item_sites(walk: BoxWalker, children: Mapping[bytes, Box], path: str) -> Iterator[Site]:
    """Sites of the Exif, XMP and C2PA items of a meta box whose first iinf, iloc and idat
    children are given (by type)."""
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


def _first_offset(loc: _Location, idat: Box | None) -> int | None:
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
