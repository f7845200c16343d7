"""The bounded ISOBMFF walk of an AVIF / HEIF still picture, for detect/heif_quality.py: which
coded item is the primary image, its codec configuration and where its bytes are.

    primary_coded_item(f, size)  (codec "av1" / "hevc", body of its av1C / hvcC, ItemData)
    ItemData                     the coded item's bytes, read on demand from its iloc extents

Both formats are ISOBMFF files ('ftyp', then a 'meta' box describing items, then the coded
bytes, usually in 'mdat'). Inside 'meta': 'pitm' names the primary item, 'iinf' gives each item's
type ('av01', 'hvc1', or a derived 'grid' / 'iden' / 'iovl' / 'tmap' whose inputs are listed by an
'iref' 'dimg' reference), 'iloc' where its bytes are, and 'iprp' its properties ('av1C' / 'hvcC'
codec configuration, linked to items by 'ipma'). The primary item is followed through at most
MAX_DERIVATION derivations to its first input (the first tile of a grid: all tiles of one
picture share the encoder settings); alpha, depth and thumbnail items are never on that path.

Only box headers and the 'meta' box (at most MAX_META bytes) are read here, and all reads of one
file together, including the codec parsers' reads through ItemData, stay under READ_BUDGET bytes.
Every count is bounded; anything malformed raises bitreader.Unparseable.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from ..limits import DEFAULT_LIMITS
from .bitreader import Unparseable, uint_at

__all__ = ["MAX_META", "READ_BUDGET", "MAX_TOP_BOXES", "MAX_BOXES", "MAX_EXTENTS",
           "MAX_DERIVATION", "MAX_UNITS", "UNIT_HEAD", "ItemData", "primary_coded_item"]

MAX_META = 256 * 1024  # a 'meta' box larger than this is not read (real ones: a few KB)
READ_BUDGET = 384 * 1024  # bytes read from one file at most, all reads together
MAX_TOP_BOXES = 64  # top-level boxes walked looking for 'meta'
MAX_BOXES = min(10_000, DEFAULT_LIMITS.max_structures)  # boxes walked inside 'meta'
MAX_EXTENTS = 256  # iloc extents of the coded item
MAX_DERIVATION = 4  # derived items followed (a gain-map tmap -> iden -> grid -> tile takes 3)
# How far the codec parsers (av1_header, hevc_header) walk into one ItemData: shared so that both
# codecs are bounded alike.
MAX_UNITS = 64  # OBUs / NAL units walked before the first frame / slice header
UNIT_HEAD = 2048  # bytes read of one OBU / NAL unit (headers need well under 200)

_CODED_ITEMS = {b"av01": "av1", b"hvc1": "hevc"}
_CONFIG_BOX = {"av1": b"av1C", "hevc": b"hvcC"}
_DERIVED_ITEMS = frozenset({b"grid", b"iden", b"iovl", b"tmap"})


class _Reader:
    """Random access to a file or bytes with a total read budget."""

    def __init__(self, f: BinaryIO, size: int) -> None:
        self._f = f
        self.size = size
        self._budget = READ_BUDGET

    def read(self, pos: int, n: int) -> bytes:
        if pos < 0 or n < 0 or pos + n > self.size:
            raise Unparseable(f"read {pos}+{n} outside a file of {self.size} bytes")
        if n > self._budget:
            raise Unparseable("read budget spent")
        self._budget -= n
        self._f.seek(pos)
        data = self._f.read(n)
        if len(data) != n:
            raise Unparseable("short read")
        return data


class ItemData:
    """The bytes of one item, gathered from its iloc extents (file offsets)."""

    def __init__(self, reader: _Reader, extents: list[tuple[int, int]]) -> None:
        self._reader = reader
        self._extents = extents
        self.size = sum(length for _, length in extents)

    def read(self, pos: int, n: int) -> bytes:
        """Bytes pos..pos+n of the item (fewer when the item ends first)."""
        parts: list[bytes] = []
        start = 0
        for offset, length in self._extents:
            if n <= 0:
                break
            if pos < start + length:
                skip = max(0, pos - start)
                take = min(n, length - skip)
                parts.append(self._reader.read(offset + skip, take))
                pos += take
                n -= take
            start += length
        return b"".join(parts)


def _box_header(head: bytes, pos: int, end: int) -> tuple[bytes, int, int]:
    """(type, body start, box end) of the box at head[pos:]; size 0 runs to `end`."""
    if pos + 8 > len(head):
        raise Unparseable("box header cut")
    size = int.from_bytes(head[pos:pos + 4], "big")
    kind = head[pos + 4:pos + 8]
    body = pos + 8
    if size == 1:
        if pos + 16 > len(head):
            raise Unparseable("large box header cut")
        size = int.from_bytes(head[pos + 8:pos + 16], "big")
        body = pos + 16
    elif size == 0:
        size = end - pos
    if kind == b"uuid":
        body += 16
    if size < body - pos or pos + size > end:
        raise Unparseable(f"box {kind!r} of size {size} does not fit")
    return kind, body, pos + size


def _boxes(data: bytes, start: int, end: int,
           budget: list[int]) -> Iterator[tuple[bytes, int, int]]:
    """(type, body start, end) of the boxes in data[start:end]; budget[0] counts them down."""
    pos = start
    while pos < end:
        budget[0] -= 1
        if budget[0] < 0:
            raise Unparseable("too many boxes")
        kind, body, box_end = _box_header(data, pos, end)
        yield kind, body, box_end
        pos = box_end


def _meta(reader: _Reader) -> bytes:
    """The body of the top-level 'meta' box (after 'ftyp', which must come first)."""
    pos = 0
    for index in range(MAX_TOP_BOXES):
        if reader.size - pos < 8:
            break
        head = reader.read(pos, min(32, reader.size - pos))  # size, type, largesize, uuid
        kind, body, end = _box_header(head, 0, reader.size - pos)
        if index == 0 and kind != b"ftyp":
            raise Unparseable("not an ISOBMFF file")
        if kind == b"meta":
            if end - body > MAX_META:
                raise Unparseable("meta box too large")
            return reader.read(pos + body, end - body)
        pos += end
    raise Unparseable("no meta box")


@dataclass(slots=True)
class _Meta:
    """What 'meta' says about the items (first box of each kind, first entry of each item)."""

    primary: int | None = None
    handler: bytes = b""
    types: dict[int, bytes] = field(default_factory=dict)
    locations: dict[int, tuple[int, int, list[tuple[int, int]]]] = field(default_factory=dict)
    dimg: dict[int, list[int]] = field(default_factory=dict)
    properties: list[tuple[bytes, bytes]] = field(default_factory=list)  # ipco: (type, body)
    associations: dict[int, list[int]] = field(default_factory=dict)  # item -> ipco indices


def _parse_meta(data: bytes) -> _Meta:
    meta = _Meta()
    budget = [MAX_BOXES]
    seen: set[bytes] = set()
    for kind, body, end in _boxes(data, 4, len(data), budget):  # 4: version and flags
        if kind in seen:
            continue  # the first of each box counts, as for readers that stop at it
        seen.add(kind)
        box = data[body:end]
        if kind == b"hdlr":
            meta.handler = box[8:12]
        elif kind == b"pitm":
            meta.primary = uint_at(box, 4, 2 if box[:1] == b"\0" else 4)
        elif kind == b"iinf":
            _parse_iinf(box, meta, budget)
        elif kind == b"iloc":
            _parse_iloc(box, meta, budget)
        elif kind == b"iref":
            _parse_iref(box, meta, budget)
        elif kind == b"iprp":
            _parse_iprp(box, meta, budget)
    return meta


def _parse_iinf(box: bytes, meta: _Meta, budget: list[int]) -> None:
    first = 6 if uint_at(box, 0, 1) == 0 else 8
    for kind, body, end in _boxes(box, first, len(box), budget):
        if kind != b"infe" or uint_at(box, body, 1) < 2:
            continue  # infe versions 0 and 1 have no item type: never an image
        id_size = 2 if box[body] == 2 else 4
        item_id = uint_at(box, body + 4, id_size)
        type_at = body + 4 + id_size + 2  # after the item protection index
        if type_at + 4 > end:
            raise Unparseable("infe cut")
        meta.types.setdefault(item_id, box[type_at:type_at + 4])


def _parse_iloc(box: bytes, meta: _Meta, budget: list[int]) -> None:
    version = uint_at(box, 0, 1)
    if version > 2:
        raise Unparseable(f"iloc version {version}")
    sizes = uint_at(box, 4, 2)
    offset_size, length_size, base_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    index_size = sizes & 15 if version else 0
    if not {offset_size, length_size, base_size, index_size} <= {0, 4, 8}:
        raise Unparseable("iloc field sizes")
    id_size = 2 if version < 2 else 4
    count = uint_at(box, 6, id_size)
    pos = 6 + id_size
    for _ in range(count):  # each entry takes bytes: a lying count ends at the box end
        item_id = uint_at(box, pos, id_size)
        pos += id_size
        method = 0
        if version:
            method = uint_at(box, pos, 2) & 15
            pos += 2
        method |= uint_at(box, pos, 2) << 4  # a data_reference_index other than 0: another file
        pos += 2
        base = uint_at(box, pos, base_size) if base_size else 0
        pos += base_size
        n_extents = uint_at(box, pos, 2)
        pos += 2
        if n_extents > MAX_EXTENTS:
            raise Unparseable("too many extents")
        extents = []
        for _e in range(n_extents):
            budget[0] -= 1  # zero-size fields make extents free: count them like boxes
            if budget[0] < 0:
                raise Unparseable("too many extents")
            pos += index_size
            offset = uint_at(box, pos, offset_size) if offset_size else 0
            pos += offset_size
            length = uint_at(box, pos, length_size) if length_size else 0
            pos += length_size
            extents.append((offset, length))
        meta.locations.setdefault(item_id, (method, base, extents))


def _parse_iref(box: bytes, meta: _Meta, budget: list[int]) -> None:
    id_size = 2 if uint_at(box, 0, 1) == 0 else 4
    for kind, body, end in _boxes(box, 4, len(box), budget):
        if kind != b"dimg":
            continue
        source = uint_at(box, body, id_size)
        count = uint_at(box, body + id_size, 2)
        first = body + id_size + 2
        if first + count * id_size > end:
            raise Unparseable("iref cut")
        targets = [uint_at(box, first + i * id_size, id_size) for i in range(count)]
        meta.dimg.setdefault(source, targets)


def _parse_iprp(box: bytes, meta: _Meta, budget: list[int]) -> None:
    for kind, body, end in _boxes(box, 0, len(box), budget):
        if kind == b"ipco" and not meta.properties:
            meta.properties = [(k, box[b:e]) for k, b, e in _boxes(box, body, end, budget)]
        elif kind == b"ipma":
            ipma = box[body:end]
            version, flags = uint_at(ipma, 0, 1), uint_at(ipma, 1, 3)
            id_size = 2 if version < 1 else 4
            index_size = 2 if flags & 1 else 1
            mask = 0x7FFF if flags & 1 else 0x7F  # the top bit is the "essential" flag
            count = uint_at(ipma, 4, 4)
            pos = 8
            for _ in range(count):
                item_id = uint_at(ipma, pos, id_size)
                n = uint_at(ipma, pos + id_size, 1)
                pos += id_size + 1
                indices = [uint_at(ipma, pos + i * index_size, index_size) & mask for i in range(n)]
                pos += n * index_size
                meta.associations.setdefault(item_id, indices)


def _coded_item(meta: _Meta) -> tuple[str, int]:
    """(codec, item id) of the coded image behind the primary item."""
    if meta.handler != b"pict" or meta.primary is None:
        raise Unparseable("no picture handler or no primary item")
    item = meta.primary
    for _ in range(MAX_DERIVATION + 1):
        kind = meta.types.get(item)
        if kind in _CODED_ITEMS:
            return _CODED_ITEMS[kind], item
        inputs = meta.dimg.get(item)
        if kind not in _DERIVED_ITEMS or not inputs:
            raise Unparseable(f"primary item type {kind!r}")
        item = inputs[0]
    raise Unparseable("derivation chain too long")


def _config(meta: _Meta, item: int, codec: str) -> bytes:
    """The body of the item's av1C / hvcC property."""
    properties = meta.properties
    for index in meta.associations.get(item, []):
        if 1 <= index <= len(properties) and properties[index - 1][0] == _CONFIG_BOX[codec]:
            return properties[index - 1][1]
    raise Unparseable("no codec configuration")


def _item_data(meta: _Meta, item: int, reader: _Reader) -> ItemData:
    location = meta.locations.get(item)
    if location is None:
        raise Unparseable("coded item has no location")
    method, base, extents = location
    if method != 0 or not extents:  # idat / item-offset construction, or another file
        raise Unparseable(f"construction method {method}")
    spans = []
    for offset, length in extents:
        start = base + offset
        if length == 0 and len(extents) == 1:
            length = reader.size - start  # "to the end of the file"
        if length <= 0 or start + length > reader.size:
            raise Unparseable("extent outside the file")
        spans.append((start, length))
    return ItemData(reader, spans)



def primary_coded_item(f: BinaryIO, size: int) -> tuple[str, bytes, ItemData]:
    """(codec, body of its av1C / hvcC property, its bytes) of the coded image behind the
    primary item of the ISOBMFF file `f` of `size` bytes."""
    reader = _Reader(f, size)
    meta = _parse_meta(_meta(reader))
    codec, item = _coded_item(meta)
    config = _config(meta, item, codec)
    return codec, config, _item_data(meta, item, reader)
