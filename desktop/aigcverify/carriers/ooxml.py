"""OOXML (DOCX/XLSX/PPTX): document properties and the start and end of the body text.

Guide TC260-PG-20258A §6.1 puts the label in docProps/custom.xml as a custom property named AIGC
holding the flat seven-key JSON in <vt:lpwstr> (label-formats.md §3.4). The ZIP is untrusted:
the member count is checked from the end-of-central-directory record before zipfile reads the
directory, every member is inflated through a bounded read, and duplicate, unsafe or
overlapping member names are reported (the classic ZIP ambiguity and zip-bomb tricks). XML is
parsed with defusedxml, DTDs forbidden (OOXML never has one).
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections import deque
from collections.abc import Iterator
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from ..errors import CarrierError, LimitExceeded
from ..limits import Limits
from .base import Site, SiteKind

__all__ = ["FORMATS", "sites", "CORE_FIELDS", "BODY_PARTS"]

FORMATS = ("docx", "xlsx", "pptx")

# Relationship types of the package (/_rels/.rels) -> default part name
REL_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
REL_APP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"
REL_CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
DEFAULT_PARTS = {REL_CUSTOM: "docProps/custom.xml", REL_APP: "docProps/app.xml",
                 REL_CORE: "docProps/core.xml"}

# core.xml elements reported as FIELD sites (local name -> key)
CORE_FIELDS = {"creator": "creator", "description": "description"}
APP_FIELDS = ("Application",)

# format -> (element local name that holds text, paragraph-like local name)
BODY_PARTS = {
    "docx": ("t", "p"),  # w:t inside w:p
    "pptx": ("t", "p"),  # a:t inside a:p
    "xlsx": ("t", "si"),  # t inside si of sharedStrings
}
TEXT_CHARS = 2000
MAX_ENTRIES_SCANNED = 10_000

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_SLIDE = re.compile(r"^ppt/slides/slide(\d+)\.xml$")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _declared_entries(f: BinaryIO) -> int | None:
    """Total entries from the end-of-central-directory record (ZIP64 aware), read before
    zipfile builds its in-memory directory for a possibly huge entry count."""
    f.seek(0, 2)
    size = f.tell()
    tail_len = min(size, 22 + 0xFFFF + 20)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    pos = tail.rfind(_EOCD)
    if pos < 0 or pos + 22 > len(tail):
        return None
    total = struct.unpack_from("<H", tail, pos + 10)[0]
    if total == 0xFFFF and pos >= 20 and tail[pos - 20:pos - 16] == _EOCD64_LOCATOR:
        eocd64 = struct.unpack_from("<Q", tail, pos - 20 + 8)[0]
        if eocd64 + 56 <= size:
            f.seek(eocd64)
            rec = f.read(56)
            if rec[:4] == b"PK\x06\x06":
                total = struct.unpack_from("<Q", rec, 32)[0]
    return total


def _unsafe_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or "\0" in name:
        return True
    parts = re.split(r"[\\/]", name)
    return ".." in parts


class _Package:
    """The ZIP with the checks above; read() inflates one member within the limits."""

    def __init__(self, f: BinaryIO, limits: Limits) -> None:
        self.limits = limits
        self.problems: list[Site] = []
        declared = _declared_entries(f)
        if declared is not None and declared > limits.max_zip_members:
            raise LimitExceeded(f"zip: {declared} members declared, limit {limits.max_zip_members}")
        f.seek(0)
        try:
            self.zip = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
                struct.error, NotImplementedError) as e:
            raise CarrierError(f"zip: {e}") from None
        infos = self.zip.infolist()
        if len(infos) > limits.max_zip_members:
            raise LimitExceeded(f"zip: {len(infos)} members, limit {limits.max_zip_members}")
        self.by_name: dict[str, list[zipfile.ZipInfo]] = {}
        for info in infos:
            self.by_name.setdefault(info.filename, []).append(info)
        self.budget = limits.max_total_metadata
        self._check_names(infos)
        self._check_overlap(infos)

    def _problem(self, code: str, location: str, detail: str) -> None:
        self.problems.append(Site(SiteKind.PROBLEM, "ooxml", location, key=code, value=detail))

    def _check_names(self, infos: list[zipfile.ZipInfo]) -> None:
        for name, copies in self.by_name.items():
            if len(copies) > 1:
                self._problem("zip-duplicate-member", name, f"{len(copies)} members named {name!r}")
        unsafe = [i.filename for i in infos if _unsafe_name(i.filename)]
        if unsafe:
            self._problem("zip-unsafe-name", unsafe[0], f"{len(unsafe)} unsafe member names")

    def _check_overlap(self, infos: list[zipfile.ZipInfo]) -> None:
        # Overlapping local entries let many members share one compressed stream: the
        # "better zip bomb" construction, never produced by an office suite.
        spans = sorted((i.header_offset, i.header_offset + 30 + len(i.filename.encode("utf-8"))
                        + i.compress_size, i.filename) for i in infos)
        for (_, end, name), (start, _, nxt) in zip(spans, spans[1:]):
            if start < end:
                self._problem("zip-overlapping-members", name, f"{name!r} overlaps {nxt!r}")
                return

    def names(self) -> list[str]:
        return list(self.by_name)

    def read_all(self, name: str) -> list[tuple[zipfile.ZipInfo, bytes]]:
        """Every member with this name (duplicates included: they are all reported)."""
        out = []
        for info in self.by_name.get(name, []):
            data = self._read(info)
            if data is not None:
                out.append((info, data))
        return out

    def _read(self, info: zipfile.ZipInfo) -> bytes | None:
        limit = min(self.limits.max_decompressed, self.budget)
        if info.flag_bits & 0x1:
            self._problem("zip-encrypted-member", info.filename, "encrypted member")
            return None
        if info.file_size > limit:
            self._problem("resource-limit", info.filename,
                          f"declared size {info.file_size} exceeds {limit}")
            return None
        try:
            with self.zip.open(info) as member:
                data = member.read(limit + 1)  # the declared size may lie: bound the inflation
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
                zlib.error, struct.error, RuntimeError) as e:
            # RuntimeError: zipfile's "password required"; BadZipFile: CRC or header mismatch
            self._problem("zip-member-error", info.filename, f"{type(e).__name__}: {e}"[:200])
            return None
        if len(data) > limit:
            self._problem("resource-limit", info.filename, f"inflates beyond {limit} bytes")
            return None
        self.budget -= len(data)
        return data


def _parse_xml(pkg: _Package, name: str, data: bytes) -> Element | None:
    try:
        return DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        pkg._problem("xml-forbidden", name, type(e).__name__)
    except (ParseError, ValueError, RecursionError) as e:
        pkg._problem("xml-invalid", name, f"{type(e).__name__}: {e}"[:200])
    return None


def _part_names(pkg: _Package) -> dict[str, str]:
    """Relationship type -> part name, from /_rels/.rels when present, else the defaults."""
    parts = dict(DEFAULT_PARTS)
    for _, data in pkg.read_all("_rels/.rels")[:1]:
        root = _parse_xml(pkg, "_rels/.rels", data)
        if root is None:
            break
        for rel in root:
            rtype, target = rel.get("Type", ""), rel.get("Target", "")
            if rtype in parts and target and rel.get("TargetMode") != "External":
                parts[rtype] = posixpath.normpath(target.lstrip("/"))
    return parts


def _custom_sites(pkg: _Package, part: str) -> list[Site]:
    found = []
    for _, data in pkg.read_all(part):
        root = _parse_xml(pkg, part, data)
        if root is None:
            continue
        for n, prop in enumerate(e for e in root if _local(e.tag) == "property"):
            name = prop.get("name", "")
            if "aigc" not in name.casefold():
                continue
            value = next((child.text or "" for child in prop), "")  # vt:lpwstr (or lpstr...)
            found.append(Site(SiteKind.FIELD, "ooxml-custom", f"{part} property[{n}] {name!r}",
                              key=name, value=value))
    return found


def _simple_fields(pkg: _Package, part: str, carrier: str, wanted: dict[str, str]) -> list[Site]:
    found = []
    for _, data in pkg.read_all(part):
        root = _parse_xml(pkg, part, data)
        if root is None:
            continue
        for element in root:
            key = wanted.get(_local(element.tag))
            if key and element.text and element.text.strip():
                found.append(Site(SiteKind.FIELD, carrier, f"{part} {key}", key=key,
                                  value=element.text.strip()))
    return found


def _tidy(text: str) -> str:
    return re.sub(r"\n+", "\n", text).strip()


def _part_text(pkg: _Package, part: str, fmt: str) -> tuple[str, str]:
    """(first, last) TEXT_CHARS characters of a body part, streamed so that a large part is
    never held as a whole element tree."""
    text_tag, para_tag = BODY_PARTS[fmt]
    head: list[str] = []
    head_len = 0
    tail: deque[str] = deque()
    tail_len = 0
    for _, data in pkg.read_all(part)[:1]:
        try:
            for _, element in DET.iterparse(io.BytesIO(data), events=("end",), forbid_dtd=True,
                                            forbid_entities=True, forbid_external=True):
                local = _local(element.tag)
                if local == text_tag:
                    piece = element.text or ""
                else:
                    piece = "\n" if local == para_tag else ""
                element.clear()  # keep memory flat
                if not piece:
                    continue
                if head_len < TEXT_CHARS:
                    head.append(piece)
                    head_len += len(piece)
                tail.append(piece)
                tail_len += len(piece)
                while tail_len - len(tail[0]) >= TEXT_CHARS:  # keep just enough for the end
                    tail_len -= len(tail.popleft())
        except DefusedXmlException as e:
            pkg._problem("xml-forbidden", part, type(e).__name__)
        except (ParseError, ValueError, RecursionError) as e:
            pkg._problem("xml-invalid", part, f"{type(e).__name__}: {e}"[:200])
    return _tidy("".join(head))[:TEXT_CHARS], _tidy("".join(tail))[-TEXT_CHARS:]


def _body_parts(pkg: _Package, fmt: str) -> tuple[str, str]:
    """(head part, tail part): the first and last slide for PPTX, else the one body part."""
    if fmt == "pptx":
        slides = sorted((int(m.group(1)), n) for n in pkg.names() if (m := _SLIDE.match(n)))
        if not slides:
            return "", ""
        return slides[0][1], slides[-1][1]
    part = "word/document.xml" if fmt == "docx" else "xl/sharedStrings.xml"
    return part, part


def _text_sites(pkg: _Package, fmt: str) -> list[Site]:
    head_part, tail_part = _body_parts(pkg, fmt)
    if not head_part:
        return []
    head_text, tail_text = _part_text(pkg, head_part, fmt)
    if tail_part != head_part:
        tail_text = _part_text(pkg, tail_part, fmt)[1]
    return [
        Site(SiteKind.TEXT, "ooxml-text", head_part, key="head", value=head_text),
        Site(SiteKind.TEXT, "ooxml-text", tail_part, key="tail", value=tail_text),
    ]


def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]:
    """Label sites of an OOXML package (docx, xlsx, pptx)."""
    pkg = _Package(f, limits)
    parts = _part_names(pkg)
    found = _custom_sites(pkg, parts[REL_CUSTOM])
    found += _simple_fields(pkg, parts[REL_APP], "ooxml-app", {k: k for k in APP_FIELDS})
    found += _simple_fields(pkg, parts[REL_CORE], "ooxml-core", CORE_FIELDS)
    if fmt in BODY_PARTS:
        found += _text_sites(pkg, fmt)
    yield from pkg.problems
    yield from found
