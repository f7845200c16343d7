"""XMP packets: the TC260 AIGC property, generator traces and C2PA remote-manifest links.

The packet is parsed by defusedxml with DTDs, entities and external references forbidden,
streaming into a small target object instead of building a tree: memory stays flat and a
10,000-deep nesting costs only a counter (elements deeper than the limit are ignored and
reported). The TC260 namespace is matched by URI, never by prefix, because the guides use
both `TC260` and `tc260`. When the XML is malformed, a byte-level fallback still recovers a
TC260 AIGC value so that a sloppy writer's label is reported (with the damage) rather than lost.

Values are delivered raw: decoding the AIGC JSON is the labels package's job.
"""

import html
import json
import re
from collections.abc import Iterator
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import XMLParser

from ..carriers.base import Site, SiteKind
from ..limits import Limits

__all__ = [
    "TC260_URI",
    "TRACE_PROPERTIES",
    "REMOTE_MANIFEST_PROPERTIES",
    "ANNEX_E_KEYS",
    "fields",
]

TC260_URI = "http://www.tc260.org.cn/ns/AIGC/1.0/"
_TC260_FRAGMENT = "tc260.org.cn/ns/aigc"  # lower-cased: any version, any case, http or https
AIGC_PROPERTY = "AIGC"
ANNEX_E_KEYS = ("Label", "ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator",
                "PropagateID", "ReservedCode2")

# (namespace URI, local name) -> conventional key. Generator traces (metadata hints).
TRACE_PROPERTIES: dict[tuple[str, str], str] = {
    ("http://ns.adobe.com/xap/1.0/", "CreatorTool"): "xmp:CreatorTool",
    ("http://ns.adobe.com/tiff/1.0/", "Software"): "tiff:Software",
    ("http://ns.adobe.com/tiff/1.0/", "ImageDescription"): "tiff:ImageDescription",
    ("http://ns.adobe.com/exif/1.0/", "UserComment"): "exif:UserComment",
    ("http://iptc.org/std/Iptc4xmpExt/2008-02-29/", "DigitalSourceType"):
        "Iptc4xmpExt:DigitalSourceType",
    ("http://ns.adobe.com/photoshop/1.0/", "Credit"): "photoshop:Credit",
    ("http://purl.org/dc/elements/1.1/", "creator"): "dc:creator",
    ("http://purl.org/dc/elements/1.1/", "description"): "dc:description",
    ("http://purl.org/dc/elements/1.1/", "title"): "dc:title",
}
# C2PA 2.x: a remote manifest is announced by dcterms:provenance (value: the manifest URL)
REMOTE_MANIFEST_PROPERTIES: dict[tuple[str, str], str] = {
    ("http://purl.org/dc/terms/", "provenance"): "dcterms:provenance",
}
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
TRACE_MAX_CHARS = 4096  # a trace is shown to the reader, not decoded: keep it short
_ITEM_SEPARATOR = "; "  # rdf:Seq / rdf:Alt items of one trace property

_XPACKET_END = b"<?xpacket end="
# prefixes bound to the TC260 namespace, for the byte-level fallback
_NS_DECL = re.compile(rb"xmlns:([A-Za-z_][\w.\-]*)\s*=\s*[\"'][^\"']*tc260\.org\.cn/ns/AIGC", re.I)


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return uri, local
    return "", tag


def _is_tc260(uri: str) -> bool:
    return _TC260_FRAGMENT in uri.lower()


class _Frame:
    __slots__ = ("kind", "key", "parts", "items", "resource", "nested")

    def __init__(self, kind: str, key: str, resource: str = "") -> None:
        self.kind = kind  # "" (plain), "aigc", "tc260", "trace", "remote"
        self.key = key
        self.parts: list[str] = []  # this element's own character data
        self.items: list[str] = []  # texts of plain descendants (rdf:li of a Seq/Alt)
        self.resource = resource  # rdf:resource="..." on a remote-manifest property
        self.nested = False  # has child elements (a struct, not a simple value)


class _Collector:
    """ElementTree parser target: collects sites while expat streams the packet."""

    def __init__(self, site: Site, limits: Limits) -> None:
        self.carrier = site.carrier
        self.location = site.location
        self.offset = site.offset
        self.max_depth = limits.max_depth
        self.max_out = limits.max_sites
        self.depth = 0
        self.too_deep = False
        self.stack: list[_Frame | None] = []  # None: element deeper than the limit
        self.interesting: list[_Frame] = []  # open frames whose text we keep
        self.out: list[Site] = []
        self.props: dict[str, str] = {}  # TC260 fields written as separate properties
        self.found_aigc = False
        self.closed = False

    # -- emitting ---------------------------------------------------------------------------
    def _emit(self, kind: SiteKind, where: str, key: str, value: str,
              carrier: str | None = None) -> None:
        if len(self.out) < self.max_out:
            self.out.append(Site(kind, carrier or self.carrier, f"{self.location} / {where}",
                                 self.offset, key=key, value=value))

    def _aigc(self, value: str, form: str) -> None:
        self.found_aigc = True
        self._emit(SiteKind.FIELD, f"TC260:AIGC ({form})", AIGC_PROPERTY, value.strip())

    def _trace(self, key: str, value: str) -> None:
        value = value.strip()
        if value:
            self._emit(SiteKind.FIELD, key, key, value[:TRACE_MAX_CHARS])

    def _remote(self, key: str, url: str) -> None:
        url = url.strip()
        if url:
            self._emit(SiteKind.C2PA_REMOTE, key, key, url)

    # -- classification ---------------------------------------------------------------------
    def _attributes(self, attrib: dict[str, str]) -> None:
        for name, value in attrib.items():
            if not name.startswith("{"):
                continue
            uri, local = _split(name)
            if _is_tc260(uri):
                if local == AIGC_PROPERTY:
                    self._aigc(value, "attribute")
                else:
                    self.props.setdefault(local, value)
                continue
            trace = TRACE_PROPERTIES.get((uri, local))
            if trace:
                self._trace(trace, value)
                continue
            remote = REMOTE_MANIFEST_PROPERTIES.get((uri, local))
            if remote:
                self._remote(remote, value)

    # -- the target interface ---------------------------------------------------------------
    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            self.too_deep = True
            self.stack.append(None)
            return
        uri, local = _split(tag)
        if self.interesting:
            self.interesting[-1].nested = True
        if attrib:
            self._attributes(attrib)
        frame: _Frame | None = None
        if _is_tc260(uri):
            frame = _Frame("aigc" if local == AIGC_PROPERTY else "tc260", local)
        elif (uri, local) in TRACE_PROPERTIES:
            frame = _Frame("trace", TRACE_PROPERTIES[(uri, local)])
        elif (uri, local) in REMOTE_MANIFEST_PROPERTIES:
            frame = _Frame("remote", REMOTE_MANIFEST_PROPERTIES[(uri, local)],
                           attrib.get(f"{{{_RDF}}}resource", ""))
        elif self.interesting:
            frame = _Frame("", local)  # inside an interesting property: keep its text
        if frame is not None and frame.kind:
            self.interesting.append(frame)
        self.stack.append(frame)

    def data(self, text: str) -> None:
        if self.interesting and self.stack and self.stack[-1] is not None:
            self.stack[-1].parts.append(text)

    def end(self, tag: str) -> None:
        self.depth -= 1
        if not self.stack:
            return
        frame = self.stack.pop()
        if frame is None:
            return
        own = "".join(frame.parts).strip()
        if not frame.kind:
            if own and self.interesting:
                self.interesting[-1].items.append(own)
            return
        self.interesting.pop()
        if frame.kind == "aigc":
            value = own or (frame.items[0] if frame.items else "")
            if value or not frame.nested:  # an empty label is still a (defective) label
                self._aigc(value, "element")
        elif frame.kind == "tc260":
            value = own or (frame.items[0] if frame.items else "")
            if value or not frame.nested:  # an empty simple property is an empty field
                self.props.setdefault(frame.key, value)
        elif frame.kind == "trace":
            self._trace(frame.key, own or _ITEM_SEPARATOR.join(frame.items))
        elif frame.kind == "remote":
            first = frame.items[0] if frame.items else ""
            self._remote(frame.key, own or frame.resource or first)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.props:
            self.found_aigc = True
            self._emit(SiteKind.FIELD, "TC260 properties", AIGC_PROPERTY,
                       json.dumps(self.props, ensure_ascii=False, separators=(",", ":")))


def _clean(packet: bytes) -> bytes:
    """Trim what real writers leave around a packet: NUL padding (TIFF tag 700, fixed-size
    slots), leading whitespace before the XML declaration, and anything after the closing
    `<?xpacket end=...?>` (GIF's magic trailer, JPEG padding)."""
    if packet[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return packet  # UTF-16 packet: leave it to expat's BOM handling
    packet = packet.strip(b"\x00 \t\r\n")
    end = packet.rfind(_XPACKET_END)
    if end >= 0:
        close = packet.find(b"?>", end)
        if close >= 0:
            packet = packet[:close + 2]
    return packet


def _fallback(packet: bytes, site: Site, limits: Limits) -> Iterator[Site]:
    """Byte-level recovery of `<p:AIGC>…</p:AIGC>` / `p:AIGC="…"` for prefixes bound to the
    TC260 namespace (plus the guides' own `TC260`/`tc260`) in a packet that did not parse."""
    if b"tc260" not in packet.lower():
        return
    prefixes = {re.escape(p) for p in _NS_DECL.findall(packet)} | {b"TC260"}
    alt = b"|".join(sorted(prefixes))
    element = re.compile(rb"<(?:" + alt + rb"):AIGC\b[^>]*?(?<!/)>(.*?)</(?:" + alt
                         + rb"):AIGC\s*>", re.I | re.S)
    attribute = re.compile(rb"(?:" + alt + rb"):AIGC\s*=\s*(\"[^\"]*\"|'[^']*')", re.I)
    found: list[tuple[int, str, bytes]] = []
    for m in element.finditer(packet):
        found.append((m.start(), "element", m.group(1)))
    for m in attribute.finditer(packet):
        found.append((m.start(), "attribute", m.group(1)[1:-1]))
    for _, form, raw in sorted(found)[: limits.max_sites]:
        text = raw.decode("utf-8", errors="replace").strip()
        if text.startswith("<![CDATA[") and text.endswith("]]>"):
            text = text[9:-3]
        else:
            text = html.unescape(text)
        where = f"{site.location} / TC260:AIGC ({form}, recovered)"
        yield Site(SiteKind.FIELD, site.carrier, where, site.offset, key=AIGC_PROPERTY,
                   value=text.strip())


def fields(site: Site, limits: Limits) -> Iterator[Site]:
    """Expand an XMP site into FIELD (AIGC + traces), C2PA_REMOTE and PROBLEM sites.
    Never raises: hostile or broken packets become PROBLEM sites."""
    raw = site.value if isinstance(site.value, bytes) else site.value.encode("utf-8")
    if len(raw) > limits.max_xmp_bytes:  # real packets are KBs; a huge one is an attack
        yield Site(SiteKind.PROBLEM, site.carrier, site.location, site.offset, key="resource-limit",
                   value=f"XMP packet of {len(raw)} bytes exceeds {limits.max_xmp_bytes}; not read")
        return
    packet = _clean(raw)
    collector = _Collector(site, limits)
    parser = XMLParser(target=collector, forbid_dtd=True, forbid_entities=True,
                       forbid_external=True)
    problem: tuple[str, str] | None = None
    try:
        parser.feed(packet)
        parser.close()
    except DefusedXmlException as e:
        # DTDs and entity declarations have no place in XMP; refusing them (rather than
        # parsing around them) is what stops billion-laughs and external-entity reads.
        yield Site(SiteKind.PROBLEM, site.carrier, site.location, site.offset,
                   key="xmp-forbidden-construct", value=f"{type(e).__name__}: {e}")
        return
    except ParseError as e:
        problem = ("xmp-malformed", str(e))
        collector.close()  # keep the TC260 properties read before the damage
    yield from collector.out
    if collector.too_deep:
        yield Site(SiteKind.PROBLEM, site.carrier, site.location, site.offset,
                   key="resource-limit",
                   value=f"XMP nested deeper than {limits.max_depth} levels; deeper parts ignored")
    if problem:
        yield Site(SiteKind.PROBLEM, site.carrier, site.location, site.offset, key=problem[0],
                   value=problem[1])
        if not collector.found_aigc:
            yield from _fallback(packet, site, limits)
