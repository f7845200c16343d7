"""FLV: the AMF0 ``onMetaData`` script tag.

GB 45438 video labels are an ``onMetaData`` property ``AIGC`` holding an AMF0 string (type 2)
or long string (type 12). Script data sits at the start of the file, so only the first few
tags are looked at; audio and video tag bodies are skipped by seeking.
"""

from collections.abc import Iterator
from typing import BinaryIO

from ..errors import CarrierError, LimitExceeded, TruncatedError, VerifyError
from ..limits import Limits
from ._walk import Walker
from .base import Site, SiteKind

__all__ = ["FORMATS", "sites"]

FORMATS = ("flv",)

TAG_SCRIPT = 18
MAX_TAGS_SCANNED = 32  # metadata comes first; a label further in is not where readers look
MAX_SCRIPT_TAGS = 8
META_NAME = "onMetaData"
XMP_SCRIPT = ("onXMPData", "liveXML")  # Adobe's XMP packet in FLV

# AMF0 markers
AMF_NUMBER, AMF_BOOLEAN, AMF_STRING, AMF_OBJECT = 0, 1, 2, 3
AMF_NULL, AMF_UNDEFINED, AMF_REFERENCE, AMF_ECMA_ARRAY, AMF_OBJECT_END = 5, 6, 7, 8, 9
AMF_STRICT_ARRAY, AMF_DATE, AMF_LONG_STRING, AMF_UNSUPPORTED = 10, 11, 12, 13
AMF_XML_DOCUMENT, AMF_TYPED_OBJECT = 15, 16
AMF_FIXED_SIZES = {AMF_NUMBER: 8, AMF_BOOLEAN: 1, AMF_NULL: 0, AMF_UNDEFINED: 0,
                   AMF_REFERENCE: 2, AMF_DATE: 10, AMF_UNSUPPORTED: 0}


class _Amf:
    """AMF0 reader over one script tag body; collects (property path, text, offset)."""

    def __init__(self, data: bytes, base: int, walk: Walker) -> None:
        self.data, self.base, self.limits = data, base, walk.limits
        self.max_depth = walk.max_depth
        self.strings: list[tuple[str, int, int]] = []  # (path, start, end) in data
        self.values = 0

    def _need(self, p: int, n: int) -> None:
        if p + n > len(self.data):
            raise TruncatedError(f"AMF0 value at +{p} passes the script tag end")

    def _u(self, p: int, n: int) -> int:
        self._need(p, n)
        return int.from_bytes(self.data[p:p + n], "big")

    def string(self, p: int, len_bytes: int) -> tuple[str, int, int]:
        """(text, start, end) of a length-prefixed UTF-8 string at p."""
        n = self._u(p, len_bytes)
        start = p + len_bytes
        self._need(start, n)
        return self.data[start:start + n].decode("utf-8", errors="replace"), start, start + n

    def value(self, p: int, path: str, depth: int) -> int:
        self.values += 1
        if self.values > self.limits.max_structures:
            raise LimitExceeded(f"more than {self.limits.max_structures} AMF0 values")
        self._need(p, 1)
        t = self.data[p]
        p += 1
        if t in AMF_FIXED_SIZES:
            self._need(p, AMF_FIXED_SIZES[t])
            return p + AMF_FIXED_SIZES[t]
        if t in (AMF_STRING, AMF_LONG_STRING, AMF_XML_DOCUMENT):
            _, start, p = self.string(p, 2 if t == AMF_STRING else 4)
            if len(self.strings) >= self.limits.max_sites:
                raise LimitExceeded(f"more than {self.limits.max_sites} AMF0 strings")
            self.strings.append((path, start, p))
            return p
        if t == AMF_OBJECT:
            return self.props(p, path, depth + 1)
        if t == AMF_ECMA_ARRAY:
            self._need(p, 4)  # the count is advisory: the end marker ends the array
            return self.props(p + 4, path, depth + 1)
        if t == AMF_TYPED_OBJECT:
            _, _, p = self.string(p, 2)
            return self.props(p, path, depth + 1)
        if t == AMF_STRICT_ARRAY:
            count = self._u(p, 4)
            p += 4
            self._depth(depth + 1, path)
            for i in range(count):  # each value costs at least one byte: bounded by the data
                p = self.value(p, f"{path}[{i}]", depth + 1)
            return p
        raise CarrierError(f"unknown AMF0 type {t} at {path or 'top'}")

    def props(self, p: int, path: str, depth: int) -> int:
        self._depth(depth, path)
        while p < len(self.data):
            name, _, q = self.string(p, 2)
            if not name and q < len(self.data) and self.data[q] == AMF_OBJECT_END:
                return q + 1
            p = self.value(q, f"{path}.{name}" if path else name, depth)
        return p  # some writers end the top-level array at the tag end without a marker

    def _depth(self, depth: int, path: str) -> None:
        if depth > self.max_depth:
            raise LimitExceeded(f"AMF0 objects nested deeper than {depth - 1} "
                                f"at {path or 'top'}")


def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]:
    try:
        walk = Walker(f, "flv", limits)
        head = walk.read_at(0, 9, "FLV header") if walk.size >= 9 else b""
        if len(head) < 9 or head[:3] != b"FLV":
            raise CarrierError("no FLV header")
        first = int.from_bytes(head[5:9], "big")
        if first < 9 or first > walk.size:
            raise CarrierError(f"FLV header size {first} is impossible")
        yield from walk.guard(_tags(walk, first + 4))
    except OSError as e:
        raise CarrierError(f"read error: {e}") from e


def _tags(walk: Walker, pos: int) -> Iterator[Site]:
    scripts = 0
    for n in range(1, MAX_TAGS_SCANNED + 1):
        if pos + 11 > walk.size:
            return
        h = walk.read_at(pos, 11, "FLV tag header")
        ttype, length = h[0] & 0x1F, int.from_bytes(h[1:4], "big")
        body = pos + 11
        if body + length > walk.size:
            raise TruncatedError(f"FLV tag {n} of {length} bytes passes the file end")
        if ttype == TAG_SCRIPT and not h[0] & 0x20:  # 0x20: encrypted (filtered) payload
            scripts += 1
            data = walk.payload(body, length, "FLV script tag")
            yield from _script(data, body, walk, f"tag[{n}]")
            if scripts >= MAX_SCRIPT_TAGS:
                return
        pos = body + length + 4  # + PreviousTagSize


def _script(data: bytes, base: int, walk: Walker, loc: str) -> Iterator[Site]:
    amf = _Amf(data, base, walk)
    # a script tag is a name (AMF0 string) followed by its value
    if not data or data[0] != AMF_STRING:
        raise CarrierError(f"{loc}: script data does not start with a name")
    name, _, p = amf.string(1, 2)
    damage: VerifyError | None = None
    try:
        amf.value(p, "", 0)
    except VerifyError as e:
        damage = e  # what was read before the damage still counts
    for path, start, end in amf.strings:
        where = f"{loc}/{name}/{path}"
        raw = data[start:end]
        if (name, path) == XMP_SCRIPT:
            yield Site(SiteKind.XMP, "xmp", where, base + start, key=path, value=raw)
        elif path:
            key = path if name == META_NAME else f"{name}.{path}"
            yield Site(SiteKind.FIELD, "flv-metadata", where, base + start, key=key,
                       value=raw.decode("utf-8", errors="replace"))
    if damage is not None:
        raise damage
