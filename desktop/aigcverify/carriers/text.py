"""Plain text, Markdown and HTML: front matter, meta tags, and the start and end of the text.

Guide TC260-PG-20258A §6.5 puts the Markdown label in YAML front matter at the file head
(label-formats.md §3.4); site generators copy it into HTML/JS as "frontmatter":{"AIGC":{...}},
and one writer uses <meta name="AIGC" content="...">. Plain text has no metadata carrier, so
only the text itself is reported, for the explicit text-prompt check (GB 45438 5.1: start, end
or a suitable middle position).

Decoding: a BOM decides (UTF-8, UTF-16LE/BE); otherwise UTF-8, otherwise GB18030 (the
national encoding Chinese documents still use), never failing on stray bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import BinaryIO

from ..limits import Limits
from .base import Site, SiteKind

__all__ = ["FORMATS", "sites", "decode_text"]

FORMATS = ("txt", "md", "html")

TEXT_CHARS = 4000  # characters of the start and of the end reported as TEXT sites
TAIL_BYTES = 64 * 1024  # read from the real end of a file larger than max_text_bytes
MAX_FRONT_MATTER_CHARS = 256 * 1024
MAX_META_SITES = 100
MAX_EMBEDDED_COPIES = 8
MAX_JSON_OBJECT_CHARS = 1024 * 1024
HTML_PARSE_CHARS = 1024 * 1024  # parsed in full at the start of a page...
HTML_TAIL_CHARS = 256 * 1024  # ...and at its end

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_FRONT_OPEN = re.compile(r"\A---[ \t]*\r?\n")
_FRONT_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.M)
_EMBEDDED_FRONTMATTER = re.compile(r'"frontmatter"\s*:\s*\{')
_EMBEDDED_AIGC = re.compile(r'"AIGC"\s*:\s*\{')
_SKIP_TEXT_TAGS = {"script", "style", "template", "noscript", "title"}  # not page content
# tags that break a line when rendered: their boundaries separate text pieces
_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
               "section", "article", "header", "footer", "blockquote", "pre", "hr", "table"}
_META_TAG = re.compile(r"<meta\b[^>]{0,65536}>", re.I)
_SPACES = re.compile(r"[ \t\r\f\v]+")


def decode_text(data: bytes, window_cut: bool) -> tuple[str, str, int]:
    """(text, encoding, BOM length). window_cut: data may end inside a character."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            body = data[len(bom):]
            if encoding.startswith("utf-16") and len(body) % 2:
                body = body[:-1]
            return body.decode(encoding, errors="replace"), encoding, len(bom)
    try:
        return data.decode("utf-8"), "utf-8", 0
    except UnicodeDecodeError as e:
        if window_cut and e.start >= len(data) - 3 and e.reason == "unexpected end of data":
            return data[:e.start].decode("utf-8"), "utf-8", 0
    return data.decode("gb18030", errors="replace"), "gb18030", 0


def _decode_tail(data: bytes, encoding: str, file_offset: int) -> str:
    """Decode a chunk read from the middle of a file: drop a partial first character."""
    if encoding == "utf-8":
        skip = 0
        while skip < min(3, len(data)) and 0x80 <= data[skip] <= 0xBF:
            skip += 1
        data = data[skip:]
    elif encoding.startswith("utf-16") and file_offset % 2:
        data = data[1:]
    return data.decode(encoding, errors="replace")


def _read(f: BinaryIO, limits: Limits) -> tuple[bytes, bytes | None, int]:
    """(head window, tail chunk or None, file offset of the tail chunk)."""
    f.seek(0)
    head = f.read(limits.max_text_bytes)
    if len(head) < limits.max_text_bytes or not f.read(1):
        return head, None, 0
    f.seek(0, 2)
    size = f.tell()
    start = max(len(head), size - TAIL_BYTES)
    f.seek(start)
    return head, f.read(TAIL_BYTES), start


def _front_matter(text: str, encoding: str, bom: int) -> tuple[list[Site], int]:
    """Front matter sites and the character index where the body begins."""
    opening = _FRONT_OPEN.match(text)
    if not opening:
        return [], 0
    window = text[:MAX_FRONT_MATTER_CHARS]
    closing = _FRONT_CLOSE.search(window, opening.end())
    if not closing:
        if "aigc" in window.casefold():
            return [Site(SiteKind.PROBLEM, "front-matter", "file head", key="front-matter-unclosed",
                         value="front matter opened with --- but never closed")], 0
        return [], 0  # a thematic break at the top of a Markdown file, not front matter
    yaml_text = text[opening.end():closing.start()]
    last_line = text.count("\n", 0, closing.start()) + 1
    offset = bom + len(text[:opening.end()].encode(encoding, errors="replace"))
    body_start = closing.end() + (text[closing.end():closing.end() + 1] == "\n")
    site = Site(SiteKind.FRONT_MATTER, "front-matter", f"front matter, lines 2-{last_line}",
                offset=offset, value=yaml_text)
    return [site], body_start


def _balanced_object(text: str, start: int) -> str | None:
    """The JSON object text whose '{' is at start (strings and escapes respected)."""
    depth = 0
    in_string = False
    escaped = False
    end = min(len(text), start + MAX_JSON_OBJECT_CHARS)
    for i in range(start, end):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
    return None


def _embedded_frontmatter(text: str) -> list[Site]:
    """"frontmatter":{"AIGC":{...}} copies that static-site generators put into HTML/JS."""
    found: list[Site] = []
    for m in _EMBEDDED_FRONTMATTER.finditer(text):
        if len(found) >= MAX_EMBEDDED_COPIES:
            break
        block = _balanced_object(text, m.end() - 1)
        if block is None:
            continue
        inner = _EMBEDDED_AIGC.search(block)
        label = _balanced_object(block, inner.end() - 1) if inner else None
        if label is not None:
            line = text.count("\n", 0, m.start()) + 1
            found.append(Site(SiteKind.FIELD, "html-frontmatter", f'"frontmatter" line {line}',
                              key="AIGC", value=label))
    return found


class _HtmlScan(HTMLParser):
    """Collects <meta> label/generator fields and the visible text. HTMLParser unescapes
    attribute values (&quot; -> ") as any browser would."""

    def __init__(self, text_limit: int) -> None:
        super().__init__(convert_charrefs=True)
        self.sites: list[Site] = []
        self.pieces: list[str] = []
        self.text_len = 0
        self.text_limit = text_limit
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TEXT_TAGS:
            self.skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.handle_data("\n")
        if tag != "meta" or len(self.sites) >= MAX_META_SITES:
            return
        values = {k: v or "" for k, v in attrs}
        name = values.get("name") or values.get("property") or values.get("itemprop") or ""
        if "aigc" in name.casefold():
            key = name
        elif name.casefold() == "generator":
            key = "generator"
        else:
            return
        line = self.getpos()[0]
        self.sites.append(Site(SiteKind.FIELD, "html-meta", f'<meta name="{name}"> line {line}',
                               key=key, value=values.get("content", "")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIP_TEXT_TAGS:  # <script/> opens nothing
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TEXT_TAGS and self.skip_depth:
            self.skip_depth -= 1
        elif tag in _BLOCK_TAGS:
            self.handle_data("\n")

    def handle_data(self, data: str) -> None:
        if self.skip_depth or self.text_len > self.text_limit:
            return
        self.pieces.append(data)
        self.text_len += len(data)

    def text(self) -> str:
        joined = _SPACES.sub(" ", "".join(self.pieces))
        return re.sub(r"\s*\n\s*", "\n", joined).strip()


def _feed(scan: _HtmlScan, html: str) -> Site | None:
    """Parse html into scan; a PROBLEM site when html.parser gives up part-way."""
    try:
        scan.feed(html)
        scan.close()
    except AssertionError as e:
        # html.parser reports some malformed declarations (`<![foo`) by assertion; what was
        # collected before that point still counts
        return Site(SiteKind.PROBLEM, "html-meta", f"line {scan.getpos()[0]}",
                    key="html-parse-error", value=str(e)[:200])
    return None


def _html_sites(text: str, bom: int, limits: Limits) -> Iterator[Site]:
    """HTML: meta tags, embedded front matter copies, visible text at the start and end.

    html.parser is pure Python (a few MB/s), so a long page is parsed in full only at its
    start and end; in the middle only <meta> tags are picked out (by a C regex) and parsed."""
    head_html = text[:HTML_PARSE_CHARS]
    scan = _HtmlScan(limits.max_text_bytes)
    problem = _feed(scan, head_html)
    if problem:
        yield problem
    sites = scan.sites
    body = scan.text()
    tail_body = None
    if len(text) > HTML_PARSE_CHARS:
        middle = text[HTML_PARSE_CHARS:len(text) - HTML_TAIL_CHARS]
        metas = _HtmlScan(limits.max_text_bytes)
        _feed(metas, "\n".join(m.group(0) for m in _META_TAG.finditer(middle)))
        tail = _HtmlScan(limits.max_text_bytes)
        cut = max(HTML_PARSE_CHARS, len(text) - HTML_TAIL_CHARS)
        _feed(tail, text[max(cut, text.find("<", cut)):])  # start at a tag boundary
        sites = (sites + metas.sites + tail.sites)[:MAX_META_SITES]
        tail_body = tail.text()
    yield from sites
    yield from _embedded_frontmatter(text)
    yield from _text_sites("text-body", body, tail_body, bom)


def _text_sites(carrier: str, text: str, tail_text: str | None, offset: int) -> list[Site]:
    tail = (tail_text if tail_text is not None else text)[-TEXT_CHARS:]
    return [
        Site(SiteKind.TEXT, carrier, "text start", offset=offset, key="head",
             value=text[:TEXT_CHARS]),
        Site(SiteKind.TEXT, carrier, "text end", key="tail", value=tail),
    ]


def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]:
    """Label sites of a text document (txt, md, html)."""
    head, tail, tail_offset = _read(f, limits)
    text, encoding, bom = decode_text(head, window_cut=tail is not None)
    tail_text = _decode_tail(tail, encoding, tail_offset) if tail is not None else None
    if fmt == "html":
        yield from _html_sites(text, bom, limits)
        return
    found, body_start = _front_matter(text, encoding, bom)
    yield from found
    yield from _text_sites("text-body", text[body_start:].strip(), tail_text, bom)
