"""PDF: the Document Information dictionary, the XMP metadata stream and some page text.

Guide TC260-PG-20258A §6.3 puts the label in the Info dictionary under /AIGC (label-formats.md
§3.4). The Info dictionary may sit in a compressed object stream, so a real parser (pypdf, in
non-strict mode) reads it; pypdf's own resource limits are tightened to ours for the duration of
the read, and every pypdf failure is turned into a CarrierError or a PROBLEM site.

When pypdf cannot open the file at all (truncated, no usable xref, garbage), a bounded raw scan
still looks for an uncompressed `/AIGC (...)` or `/AIGC <...>` entry, so a damaged but labelled
file is not reported as unlabelled.
"""

from __future__ import annotations

import logging
import re
import struct
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO

from pypdf import PdfReader, apply_configuration
from pypdf.errors import DependencyError, LimitReachedError, PyPdfError
from pypdf.generic import DictionaryObject, StreamObject

from ..errors import CarrierError, LimitExceeded
from ..limits import Limits
from .base import Site, SiteKind

__all__ = ["FORMATS", "sites", "INFO_FIELDS", "decode_pdf_text_string"]

log = logging.getLogger(__name__)

FORMATS = ("pdf",)

# Info keys reported as FIELD sites besides any key containing "AIGC" (label carriers):
# the producing software is a generation trace for metadata hints.
INFO_FIELDS = ("Producer", "Creator")
MAX_INFO_KEYS = 1000
HEAD_PAGES = 2  # the explicit text prompt sits at the start or the end (GB 45438 5.1)
TAIL_PAGES = 1
TEXT_CHARS = 4000
RAW_SCAN_HITS = 16
RAW_CHUNK = 1024 * 1024
RAW_KEY_BACK = 64  # a key name (/XAIGCY) starts at most this far before its "AIGC"
MAX_PDF_STRING = 1024 * 1024

# What pypdf raises on hostile input besides its own errors (it parses with plain Python):
# malformed objects surface as KeyError/TypeError/AttributeError/IndexError/ValueError, deep
# nesting as RecursionError, bad streams as zlib.error/struct.error, odd numbers as
# OverflowError, a missing AES backend as DependencyError, an unknown filter as
# NotImplementedError, and some structure checks are plain `assert`s (AssertionError, e.g. an
# object stream whose /Type is not /ObjStm). All mean "this PDF structure is broken".
PYPDF_FAILURES: tuple[type[BaseException], ...] = (
    PyPdfError, DependencyError, KeyError, TypeError, AttributeError, IndexError, ValueError,
    RecursionError, zlib.error, struct.error, OverflowError, UnicodeError, EOFError,
    NotImplementedError, AssertionError,
)

_RAW_AIGC = re.compile(rb"/([A-Za-z0-9_#]*AIGC[A-Za-z0-9_#]*)\s*([(<])")
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f",
            ord("("): b"(", ord(")"): b")", ord("\\"): b"\\"}


def decode_pdf_text_string(raw: bytes) -> str:
    """PDF text string bytes -> str: UTF-16BE/LE or UTF-8 by BOM, else UTF-8, else Latin-1
    (PDFDocEncoding agrees with it on the ASCII that labels use)."""
    if raw.startswith((b"\xfe\xff", b"\xff\xfe")):
        return raw.decode("utf-16", errors="replace")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _value_text(value: Any) -> str:
    if isinstance(value, bytes):
        return decode_pdf_text_string(bytes(value))
    return str(value)


# --- the raw fallback ------------------------------------------------------------------------


def _literal_string(data: bytes, pos: int) -> bytes | None:
    """Bytes of the PDF literal string whose '(' is at pos, None if it does not end."""
    out = bytearray()
    depth = 1
    i = pos + 1
    end = min(len(data), pos + MAX_PDF_STRING)
    while i < end:
        c = data[i]
        if c == 0x5C and i + 1 < end:  # backslash escape
            n = data[i + 1]
            if n in _ESCAPES:
                out += _ESCAPES[n]
                i += 2
            elif 0x30 <= n <= 0x37:
                j = i + 1
                while j < min(i + 4, end) and 0x30 <= data[j] <= 0x37:
                    j += 1
                out.append(int(data[i + 1:j], 8) & 0xFF)
                i = j
            elif n in (0x0D, 0x0A):  # line continuation
                i += 3 if data[i + 1:i + 3] == b"\r\n" else 2
            else:
                out.append(n)
                i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out)
        out.append(c)
        i += 1
    return None


def _hex_string(data: bytes, pos: int) -> bytes | None:
    end = data.find(b">", pos, pos + 2 * MAX_PDF_STRING)
    if end < 0:
        return None
    digits = re.sub(rb"[^0-9A-Fa-f]", b"", data[pos + 1:end])
    if len(digits) % 2:
        digits += b"0"  # PDF: a missing final digit is 0
    return bytes.fromhex(digits.decode("ascii"))


def _raw_scan(f: BinaryIO, limits: Limits) -> list[Site]:
    """Uncompressed /AIGC entries found by pattern, for PDFs pypdf cannot open (or opened
    without their label). Reads in chunks: most PDFs never contain "AIGC" at all."""
    found: list[Site] = []
    scanned = 0
    pos = 0
    while scanned < limits.max_total_metadata and len(found) < RAW_SCAN_HITS:
        f.seek(pos)
        chunk = f.read(RAW_CHUNK)
        if not chunk:
            break
        scanned += len(chunk)
        hit = chunk.find(b"AIGC")
        while hit >= 0 and len(found) < RAW_SCAN_HITS:
            start = max(0, pos + hit - RAW_KEY_BACK)
            f.seek(start)
            window = f.read(RAW_KEY_BACK + 64 + MAX_PDF_STRING)
            m = _RAW_AIGC.search(window, 0, RAW_KEY_BACK + 64)
            if m and m.start() <= pos + hit - start and not any(s.offset == start + m.start(2)
                                                                for s in found):
                raw = (_literal_string(window, m.start(2)) if m.group(2) == b"("
                       else _hex_string(window, m.start(2)))
                if raw is not None:
                    key = m.group(1).decode("latin-1")
                    found.append(Site(SiteKind.FIELD, "pdf-info", f"raw scan /{key}",
                                      offset=start + m.start(2), key=key,
                                      value=decode_pdf_text_string(raw)))
            hit = chunk.find(b"AIGC", hit + 4)
        pos += len(chunk) - 8  # overlap: a key cut at the chunk border is seen again
        if len(chunk) < RAW_CHUNK:
            break
    return found


# --- pypdf-based reading --------------------------------------------------------------------


def _info_sites(reader: PdfReader) -> list[Site]:
    info = reader.metadata
    if info is None:
        return []
    found = []
    for name in list(info.keys())[:MAX_INFO_KEYS]:
        key = str(name).lstrip("/")
        if "aigc" not in key.casefold() and key not in INFO_FIELDS:
            continue
        value = info[name]  # resolves indirect objects (possibly in an object stream)
        found.append(Site(SiteKind.FIELD, "pdf-info", f"Info /{key}", key=key,
                          value=_value_text(value)))
    return found


def _xmp_site(reader: PdfReader, limits: Limits) -> list[Site]:
    root = reader.trailer.get("/Root")
    root = root.get_object() if root is not None else None
    if not isinstance(root, DictionaryObject) or "/Metadata" not in root:
        return []
    stream = root["/Metadata"]
    if not isinstance(stream, StreamObject):
        return [Site(SiteKind.PROBLEM, "pdf-xmp", "catalog /Metadata", key="pdf-xmp-error",
                     value="/Metadata is not a stream")]
    data = stream.get_data()
    if len(data) > limits.max_metadata_bytes:
        return [Site(SiteKind.PROBLEM, "pdf-xmp", "catalog /Metadata", key="resource-limit",
                     value=f"XMP stream of {len(data)} bytes")]
    return [Site(SiteKind.XMP, "pdf-xmp", "catalog /Metadata", value=data)]


def _page_text(reader: PdfReader, index: int) -> str:
    return reader.pages[index].extract_text() or ""


def _text_sites(reader: PdfReader, limits: Limits) -> list[Site]:
    count = len(reader.pages)
    if count == 0:
        return []
    head_idx = list(range(min(HEAD_PAGES, count)))
    tail_idx = [i for i in range(max(0, count - TAIL_PAGES), count)]
    texts: dict[int, str] = {}
    found: list[Site] = []
    budget = limits.max_text_bytes
    for index in dict.fromkeys(head_idx + tail_idx):
        try:
            text = _page_text(reader, index)
        except LimitReachedError as e:
            found.append(Site(SiteKind.PROBLEM, "pdf-text", f"page {index + 1}",
                              key="resource-limit", value=str(e)[:200]))
            continue
        except PYPDF_FAILURES as e:
            found.append(Site(SiteKind.PROBLEM, "pdf-text", f"page {index + 1}",
                              key="pdf-text-error", value=f"{type(e).__name__}: {str(e)[:200]}"))
            continue
        texts[index] = text[:budget]
        budget = max(0, budget - len(texts[index].encode("utf-8")))
    head = "\n".join(texts[i] for i in head_idx if i in texts)
    tail = "\n".join(texts[i] for i in tail_idx if i in texts)
    pages = f"pages 1-{len(head_idx)}" if len(head_idx) > 1 else "page 1"
    found.append(Site(SiteKind.TEXT, "pdf-text", pages, key="head", value=head[:TEXT_CHARS]))
    found.append(Site(SiteKind.TEXT, "pdf-text", f"page {count}", key="tail",
                      value=tail[-TEXT_CHARS:]))
    return found


def _step(name: str, carrier: str, fn: Any, *args: Any) -> list[Site]:
    """Run one independent read step; its failure becomes a PROBLEM site, not a lost file."""
    try:
        return fn(*args)
    except LimitReachedError as e:
        return [Site(SiteKind.PROBLEM, carrier, name, key="resource-limit", value=str(e)[:200])]
    except PYPDF_FAILURES as e:
        return [Site(SiteKind.PROBLEM, carrier, name, key=f"{carrier}-error",
                     value=f"{type(e).__name__}: {str(e)[:200]}")]


def _open(f: BinaryIO) -> tuple[PdfReader | None, str]:
    try:
        return PdfReader(f, strict=False), ""
    except LimitReachedError as e:
        raise LimitExceeded(f"pdf: {e}") from None
    except PYPDF_FAILURES as e:
        return None, f"{type(e).__name__}: {str(e)[:200]}"


def _encrypted_without_access(reader: PdfReader) -> bool:
    """Many PDFs are encrypted with an empty user password (permissions only): open those."""
    try:
        return reader.is_encrypted and not reader.decrypt("")
    except PYPDF_FAILURES:
        return True


def _collect(f: BinaryIO, limits: Limits) -> list[Site]:
    reader, why = _open(f)
    if reader is None:
        found = _raw_scan(f, limits)
        if not found:
            raise CarrierError(f"pdf: cannot be parsed ({why})")
        return found + [Site(SiteKind.PROBLEM, "pdf", "file", key="parse-error", value=why)]
    found: list[Site] = []
    if _encrypted_without_access(reader):
        return [Site(SiteKind.PROBLEM, "pdf", "trailer /Encrypt", key="pdf-encrypted",
                     value="needs a password")]
    found += _step("Info", "pdf-info", _info_sites, reader)
    found += _step("catalog /Metadata", "pdf-xmp", _xmp_site, reader, limits)
    found += _step("pages", "pdf-text", _text_sites, reader, limits)
    if not any(s.kind is SiteKind.FIELD and "aigc" in s.key.casefold() for s in found):
        # pypdf may have recovered a damaged file without its Info; look at the raw bytes too
        found += [s for s in _raw_scan(f, limits) if not any(
            t.kind is SiteKind.FIELD and t.value == s.value for t in found)]
    return found


def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]:
    """Label sites of a PDF. All pypdf work happens before the first yield, inside a pypdf
    configuration scoped to our limits (a context variable must not stay set across yields)."""
    with apply_configuration(
        zlib_maximum_output_length=limits.max_decompressed,
        lzw_maximum_output_length=limits.max_decompressed,
        run_length_maximum_output_length=limits.max_decompressed,
        brotli_maximum_output_length=limits.max_decompressed,
        array_based_stream_maximum_output_length=limits.max_decompressed,
        maximum_declared_stream_length=limits.max_metadata_bytes,
        xmp_maximum_input_length=min(limits.max_metadata_bytes, 5_000_000),
        jbig2dec_binary=None,  # never run an external program on untrusted data
    ):
        found = _collect(f, limits)
    if len(found) > limits.max_sites:
        raise LimitExceeded(f"pdf: more than {limits.max_sites} sites")
    yield from found
