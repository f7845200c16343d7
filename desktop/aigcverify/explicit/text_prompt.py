"""Text prompts ("本文由AI生成", "AI-generated content", ...) at the start or end of a document
(GB 45438-2025 5.1; Measures Art. 4(1)), and invisible Unicode marks in the same text.

The text comes from the carriers' TEXT sites (visible body text: text-body for TXT/Markdown/HTML
with front matter and markup removed, ooxml-text for DOCX/XLSX/PPTX, pdf-text for PDF), each
with key "head" (start of the document) or "tail" (its end). For TXT/Markdown/HTML the file
itself is also read (bounded by limits.max_text_bytes) for the invisible-mark scan, which should
see the whole text, not just its two ends; and as the prompt source if no carrier gave text.
"""

from __future__ import annotations

import re

from ..carriers.base import Site, SiteKind
from ..limits import DEFAULT_LIMITS
from .errors import ExplicitError
from .hidden_unicode import hidden_hint, scan_hidden
from .terms import match_label

__all__ = ["WINDOW_CHARS", "WINDOW_SEGMENTS", "segments", "find_prompts", "check_text"]

WINDOW_CHARS = 300  # how far from the start/end a prompt may sit
WINDOW_SEGMENTS = 4  # ... and at most this many lines/sentences in
_SEGMENT_SPLIT = re.compile(r"[\n\r。！？!?；;]+|(?<=[.])\s+")
_OWN_READ_FORMATS = {"txt", "md", "html"}


def segments(text: str, where: str) -> list[str]:
    """The lines/sentences within WINDOW_CHARS of the start ("head") or the end ("tail")."""
    text = text.strip()
    if where == "head":
        window = text[:WINDOW_CHARS]
        parts = [p.strip() for p in _SEGMENT_SPLIT.split(window) if p.strip()]
        return parts[:WINDOW_SEGMENTS]
    window = text[-WINDOW_CHARS:]
    parts = [p.strip() for p in _SEGMENT_SPLIT.split(window) if p.strip()]
    return parts[-WINDOW_SEGMENTS:]


def find_prompts(text: str, where: str, source: str) -> list[dict]:
    """explicit_labels entries for the prompts in one end of a text."""
    entries = []
    body = text.strip()
    for segment in segments(text, where):
        match = match_label(segment, "text")
        if match is None:
            continue
        # in a short text both windows overlap: the segment's place decides start or end
        at = body.find(segment) if where == "head" else body.rfind(segment)
        position = "start" if at + len(segment) / 2 < len(body) / 2 else "end"
        problems = [] if match.elements_complete else ["explicit-label-elements"]
        entries.append({
            "modality": "text-prompt",
            "text": segment[:200],
            "term": match.term,
            "form": match.kind,
            "vendor": match.vendor,
            "position": position,
            "source": source,
            "box": None,
            "height_ratio": None,
            "start_s": None,
            "duration_s": None,
            "compliant": not problems,
            "problems": problems,
        })
    return entries


def _read_own(path: str, fmt: str) -> str:
    """The whole text of a TXT/MD/HTML file, bounded; decoded as the text carrier does."""
    from ..carriers.text import decode_text

    limit = DEFAULT_LIMITS.max_text_bytes
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as err:
        raise ExplicitError(f"text could not be read: {err}") from err
    cut = len(data) > limit
    text, _, _ = decode_text(data[:limit], window_cut=cut)
    return text


def check_text(path: str, fmt: str, sites: list[Site], lang: str) -> tuple[list[dict], list[dict]]:
    """(explicit_labels entries, metadata_hints) for a text or document file."""
    entries: list[dict] = []
    hints: list[dict] = []
    text_sites = [s for s in sites if s.kind is SiteKind.TEXT]
    own = _read_own(path, fmt) if fmt in _OWN_READ_FORMATS else None
    if not text_sites and own is not None:
        text_sites = [Site(SiteKind.TEXT, "text-body", "text start", key="head", value=own),
                      Site(SiteKind.TEXT, "text-body", "text end", key="tail", value=own)]
    seen: set[str] = set()
    for site in text_sites:
        text = site.text()
        wheres = [site.key] if site.key in ("head", "tail") else ["head", "tail"]
        for where in wheres:
            for entry in find_prompts(text, where, site.carrier):
                if entry["text"] in seen:  # a short document: its start is also its end
                    continue
                seen.add(entry["text"])
                entries.append(entry)
    if own is not None:
        marks = scan_hidden(own)
        if marks:
            hints.append(hidden_hint(marks, "text-file", lang))
    else:
        scanned: list[str] = []
        for site in text_sites:
            text = site.text()
            if any(text in done for done in scanned):  # a short document: tail == head
                continue
            scanned.append(text)
            marks = scan_hidden(text)
            if marks:
                hint = hidden_hint(marks, site.carrier, lang)
                hint["part"] = site.key or site.location
                hints.append(hint)
    return entries, hints
