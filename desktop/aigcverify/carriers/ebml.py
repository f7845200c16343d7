"""Matroska and WebM (EBML): Segment Info and Tags.

GB 45438 video labels are a ``SimpleTag`` with ``TagName`` ``AIGC`` and ``TagString`` JSON.
Tags often sit after the clusters. When the file has a ``SeekHead`` the reader does what
players do: it reads the level-1 elements up to the first Cluster, then jumps to the Tags
(and further SeekHeads) the index lists, never touching a Cluster. Without a SeekHead it walks
the Segment's children by their sizes (one header read per cluster). A live-stream cluster of
unknown size ends the walk, since it cannot be skipped without reading its blocks.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import CarrierError, LimitExceeded, TruncatedError, VerifyError
from ..limits import Limits
from ._walk import Walker
from .base import Site, SiteKind

__all__ = ["FORMATS", "sites"]

FORMATS = ("mkv", "webm")

EBML_HEADER = 0x1A45DFA3
SEGMENT = 0x18538067
SEEK_HEAD, SEEK, SEEK_ID, SEEK_POSITION = 0x114D9B74, 0x4DBB, 0x53AB, 0x53AC
INFO = 0x1549A966
TAGS, TAG, SIMPLE_TAG, TAG_NAME, TAG_STRING = 0x1254C367, 0x7373, 0x67C8, 0x45A3, 0x4487
TARGETS = 0x63C0
# Targets children that narrow a Tag to part of the file (no Targets UID: the whole file)
TARGET_UIDS: dict[int, str] = {0x63C5: "track", 0x63C9: "edition", 0x63C4: "chapter",
                               0x63C6: "attachment"}
CLUSTER = 0x1F43B675

# Info children delivered as mkv-info fields
INFO_STRINGS: dict[int, str] = {0x4D80: "MuxingApp", 0x5741: "WritingApp", 0x7BA9: "Title"}
# Segment children worth opening; SeekHead targets of these kinds are followed
SEGMENT_READERS = {SEEK_HEAD, INFO, TAGS}
MAX_SEGMENTS = 4
MAX_ID_LEN, MAX_SIZE_LEN = 4, 8


@dataclass(frozen=True, slots=True)
class _El:
    id: int
    start: int
    body: int
    end: int | None  # None: unknown size (live streams)


class _Walk(Walker):
    """Walker bounds plus the EBML element header decoder."""

    __slots__ = ()
    noun = "EBML elements"

    def body(self, el: _El, what: str) -> bytes:
        return self.payload(el.body, (el.end or el.body) - el.body, what)

    def header(self, pos: int, end: int) -> _El:
        """The element at pos: variable-length id (marker kept) and size (marker dropped)."""
        buf = self.read_at(pos, min(MAX_ID_LEN + MAX_SIZE_LEN, end - pos), "EBML header")
        if not buf:
            raise TruncatedError(f"EBML element header at {pos} passes its parent's end")
        id_len = 9 - buf[0].bit_length()
        if buf[0] == 0 or id_len > MAX_ID_LEN or len(buf) <= id_len:
            raise CarrierError(f"invalid EBML element id at {pos}")
        eid = int.from_bytes(buf[:id_len], "big")
        first = buf[id_len]
        size_len = 9 - first.bit_length()
        if first == 0 or len(buf) < id_len + size_len:
            raise CarrierError(f"invalid EBML size at {pos}")
        size = first & (0xFF >> size_len)
        for b in buf[id_len + 1:id_len + size_len]:
            size = (size << 8) | b
        body = pos + id_len + size_len
        if size == (1 << (7 * size_len)) - 1:
            return _El(eid, pos, body, None)
        return _El(eid, pos, body, body + size)


def _children(walk: _Walk, parent: _El, end: int, path: str) -> Iterator[_El]:
    """Children of an element whose size is known; each must fit inside it."""
    pos = parent.body
    while pos < end:
        walk.count()
        el = walk.header(pos, end)
        if el.end is None:
            raise CarrierError(f"{path}: element {el.id:#x} of unknown size at {pos}")
        if el.end > end:
            raise TruncatedError(f"{path}: element {el.id:#x} at {pos} overruns its parent")
        yield el
        pos = el.end


def _text(walk: _Walk, el: _El, what: str) -> str:
    return walk.body(el, what).rstrip(b"\x00").decode("utf-8", errors="replace")


def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]:
    try:
        walk = _Walk(f, fmt, limits)
        first = walk.header(0, walk.size) if walk.size >= 2 else None
        if first is None or first.id != EBML_HEADER or first.end is None:
            raise CarrierError("no EBML header at the start")
        yield from walk.guard(_file(walk, first.end))
    except OSError as e:
        raise CarrierError(f"read error: {e}") from e


def _file(walk: _Walk, pos: int) -> Iterator[Site]:
    segments = 0
    while pos < walk.size and segments < MAX_SEGMENTS:
        walk.count()
        el = walk.header(pos, walk.size)
        if el.id != SEGMENT:
            if el.end is None:
                return
            pos = el.end
            continue
        segments += 1
        end = walk.size if el.end is None else min(el.end, walk.size)
        yield from _segment(walk, el, end, f"Segment[{segments}]" if segments > 1 else "Segment")
        if el.end is None:
            return
        if el.end > walk.size:
            raise TruncatedError(f"Segment declares {el.end - el.body} bytes, the file is shorter")
        pos = el.end


def _segment(walk: _Walk, seg: _El, end: int, path: str) -> Iterator[Site]:
    done: set[int] = set()  # element positions already read
    targets: list[tuple[int, int]] = []  # (element id, position) from SeekHeads
    pos = seg.body
    damage: VerifyError | None = None  # raised after the SeekHead targets were followed
    indexed = False  # a SeekHead was read
    while pos < end:
        walk.count()
        el = walk.header(pos, end)
        if el.end is None:
            if el.id == CLUSTER:
                break  # live stream: unknown-size clusters cannot be skipped by seeking
            damage = CarrierError(f"{path}: element {el.id:#x} of unknown size at {pos}")
            break
        if el.end > end:
            if el.id != CLUSTER or end == seg.end:
                # a truncated segment is reported by the caller; a lying size is reported here
                damage = TruncatedError(f"{path}: element {el.id:#x} at {pos} overruns "
                                        f"the segment")
            break
        if el.id in SEGMENT_READERS:
            indexed = indexed or el.id == SEEK_HEAD
            done.add(el.start)
            yield from _read(walk, el, seg, end, path, targets)
        elif el.id == CLUSTER and indexed:
            # with a SeekHead, trust it as players do: jump to the Tags it lists instead of
            # walking the clusters (each a seek, which is slow on spinning disks)
            break
        pos = el.end
    # follow SeekHead entries to what the walk has not reached (Tags after the clusters)
    i = 0
    while i < len(targets):
        eid, p = targets[i]
        i += 1
        if p in done or not seg.body <= p < end:
            continue
        done.add(p)
        walk.count()
        el = walk.header(p, end)
        if el.id != eid or el.end is None or el.end > end:
            yield Site(SiteKind.PROBLEM, walk.fmt, path, p, key="parse-error",
                       value=f"SeekHead entry for {eid:#x} points at something else")
            continue
        yield from _read(walk, el, seg, end, path, targets)
    if damage is not None:
        raise damage


def _read(walk: _Walk, el: _El, seg: _El, end: int, path: str,
          targets: list[tuple[int, int]]) -> Iterator[Site]:
    if el.end is None:
        raise CarrierError(f"{path}: element {el.id:#x} of unknown size")
    if el.id == SEEK_HEAD:
        targets.extend(_seek_entries(walk, el, el.end, seg.body, f"{path}/SeekHead"))
    elif el.id == INFO:
        for child in _children(walk, el, el.end, f"{path}/Info"):
            name = INFO_STRINGS.get(child.id)
            if name:
                yield Site(SiteKind.FIELD, "mkv-info", f"{path}/Info/{name}", child.body,
                           key=name, value=_text(walk, child, name))
    elif el.id == TAGS:
        n = 0
        for tag in _children(walk, el, el.end, f"{path}/Tags"):
            if tag.id != TAG:
                continue
            n += 1
            tpath = f"{path}/Tags/Tag[{n}]"
            m = 0
            for st in _children(walk, tag, tag.end or tag.body, tpath):
                if st.id == TARGETS:
                    tpath += _target_suffix(walk, st, tpath)
                elif st.id == SIMPLE_TAG:
                    m += 1
                    yield from _simple_tag(walk, st, f"{tpath}/SimpleTag[{m}]", 1)


def _target_suffix(walk: _Walk, targets: _El, path: str) -> str:
    """"(track)" etc. when the Tag applies to part of the file: a track-level AIGC tag is a
    different statement from a file-level one."""
    parts = []
    for child in _children(walk, targets, targets.end or targets.body, f"{path}/Targets"):
        kind = TARGET_UIDS.get(child.id)
        if kind and child.end is not None and child.end - child.body <= 8:
            if any(walk.read_at(child.body, child.end - child.body, "Targets UID")):
                parts.append(kind)
    return f"({','.join(parts)})" if parts else ""


def _seek_entries(walk: _Walk, head: _El, end: int, base: int,
                  path: str) -> Iterator[tuple[int, int]]:
    for seek in _children(walk, head, end, path):
        if seek.id != SEEK or seek.end is None:
            continue
        eid = position = None
        for child in _children(walk, seek, seek.end, f"{path}/Seek"):
            n = (child.end or child.body) - child.body
            if child.id == SEEK_ID and n <= 4:
                eid = int.from_bytes(walk.read_at(child.body, n, "SeekID"), "big")
            elif child.id == SEEK_POSITION and n <= 8:
                position = int.from_bytes(walk.read_at(child.body, n, "SeekPosition"), "big")
        if eid in SEGMENT_READERS and position is not None:
            yield eid, base + position


def _simple_tag(walk: _Walk, st: _El, path: str, depth: int) -> Iterator[Site]:
    if depth > walk.max_depth:
        raise LimitExceeded(f"{path}: SimpleTags nested deeper than {depth - 1}")
    if st.end is None:
        raise CarrierError(f"{path}: SimpleTag of unknown size")
    name: str | None = None
    value: str | None = None
    offset = None
    nested: list[_El] = []
    for child in _children(walk, st, st.end, path):
        if child.id == TAG_NAME:
            name = _text(walk, child, "TagName")
        elif child.id == TAG_STRING:
            value, offset = _text(walk, child, "TagString"), child.body
        elif child.id == SIMPLE_TAG:
            nested.append(child)
    if name is not None and value is not None:
        yield Site(SiteKind.FIELD, "mkv-tag", path, offset, key=name, value=value)
    for i, child in enumerate(nested, 1):
        yield from _simple_tag(walk, child, f"{path}/SimpleTag[{i}]", depth + 1)
