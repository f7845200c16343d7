"""XMP and EXIF expanders: every TC260 serialisation, generator traces, remote manifests,
hostile XML (refused, never expanded) and damaged EXIF; plus metadata.expand's ordering and
bounds. EXIF blocks are written by Pillow; XMP packets by tests.fixtures.image_fixtures."""

import json
import struct
import time

import pytest
from PIL import Image

from aigcverify.carriers.base import Site, SiteKind
from aigcverify.limits import DEFAULT_LIMITS, Limits
from aigcverify.metadata import exif, expand, xmp
from tests.fixtures.image_fixtures import (
    SAMPLE_JSON,
    SAMPLE_LABEL,
    exif_bytes,
    exif_object,
    label_json,
    xmp_packet,
)

WRAPPED = label_json(wrapped=True)
RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'


def x(packet: bytes | str, carrier: str = "xmp", limits: Limits = DEFAULT_LIMITS) -> list[Site]:
    if isinstance(packet, str):
        packet = packet.encode("utf-8")
    return list(xmp.fields(Site(SiteKind.XMP, carrier, "APP1 #1", 100, value=packet), limits))


def e(block: bytes, offset: int | None = 50) -> list[Site]:
    return list(exif.fields(Site(SiteKind.EXIF, "exif", "APP1 #2", offset, value=block),
                            DEFAULT_LIMITS))


def kv(sites: list[Site]) -> list[tuple[str, str, str, str]]:
    return [(s.kind.value, s.carrier, s.key, s.value if isinstance(s.value, str) else "<bytes>")
            for s in sites]


def rdf(desc: str, ns: str = "") -> str:
    return (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF}><rdf:Description rdf:about=""'
            f"{ns}>{desc}</rdf:Description></rdf:RDF></x:xmpmeta>")


# -- XMP: the TC260 property --------------------------------------------------------------------
@pytest.mark.parametrize("form", ["element", "attribute"])
@pytest.mark.parametrize("prefix", ["TC260", "tc260", "aigc0"])
@pytest.mark.parametrize("label", [SAMPLE_JSON, WRAPPED, label_json("2"), label_json("3")])
def test_xmp_tc260_forms(form, prefix, label):
    sites = x(xmp_packet(label, form, prefix))
    assert kv(sites) == [("field", "xmp", "AIGC", label)]
    assert sites[0].offset == 100 and form in sites[0].location


def test_xmp_carrier_name_is_kept():
    assert kv(x(xmp_packet(SAMPLE_JSON), carrier="mp4-uuid-xmp")) == [
        ("field", "mp4-uuid-xmp", "AIGC", SAMPLE_JSON)]


def test_xmp_fields_form_elements_and_attributes():
    assert kv(x(xmp_packet(SAMPLE_JSON, "fields", "tc260"))) == [
        ("field", "xmp", "AIGC", SAMPLE_JSON)]
    attrs = " ".join(f'TC260:{k}="{v}"' for k, v in SAMPLE_LABEL.items())
    packet = rdf("", f' xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" {attrs}')
    assert json.loads(x(packet)[0].value) == SAMPLE_LABEL


def test_xmp_struct_form():
    props = "".join(f"<TC260:{k}>{v}</TC260:{k}>" for k, v in SAMPLE_LABEL.items())
    packet = rdf(f'<TC260:AIGC rdf:parseType="Resource">{props}</TC260:AIGC>',
                 ' xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"')
    assert kv(x(packet)) == [("field", "xmp", "AIGC", SAMPLE_JSON)]


def test_xmp_empty_label_is_still_reported():
    ns = ' xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"'
    assert kv(x(rdf("<TC260:AIGC/>", ns))) == [("field", "xmp", "AIGC", "")]
    assert kv(x(rdf("", ns + ' TC260:AIGC=""'))) == [("field", "xmp", "AIGC", "")]


def test_xmp_value_in_alt_list():
    packet = rdf('<TC260:AIGC><rdf:Alt><rdf:li xml:lang="x-default">'
                 + SAMPLE_JSON.replace('"', "&quot;") + "</rdf:li></rdf:Alt></TC260:AIGC>",
                 ' xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"')
    assert kv(x(packet)) == [("field", "xmp", "AIGC", SAMPLE_JSON)]


def test_xmp_escaping_is_undone_once():
    # &quot; is XML escaping (undone); &amp;quot; is a writer's double escape (delivered raw,
    # for the labels package to judge)
    assert x(xmp_packet(SAMPLE_JSON))[0].value == SAMPLE_JSON
    double = rdf("<TC260:AIGC>{&amp;quot;Label&amp;quot;:&amp;quot;1&amp;quot;}</TC260:AIGC>",
                 ' xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"')
    assert x(double)[0].value == '{&quot;Label&quot;:&quot;1&quot;}'
    cdata = rdf(f"<TC260:AIGC><![CDATA[{SAMPLE_JSON}]]></TC260:AIGC>",
                ' xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"')
    assert x(cdata)[0].value == SAMPLE_JSON


@pytest.mark.parametrize("uri", ["https://www.tc260.org.cn/ns/AIGC/1.0/",
                                 "http://WWW.TC260.ORG.CN/ns/aigc/2.0/",
                                 "http://tc260.org.cn/ns/AIGC/"])
def test_xmp_namespace_variants(uri):
    assert kv(x(xmp_packet(SAMPLE_JSON, uri=uri))) == [("field", "xmp", "AIGC", SAMPLE_JSON)]


def test_xmp_other_namespace_is_not_a_label():
    assert x(xmp_packet(SAMPLE_JSON, uri="http://example.com/ns/AIGC/1.0/")) == []


# -- XMP: generator traces and remote manifests -------------------------------------------------
def test_xmp_traces_use_conventional_keys():
    ns = (' xmlns:xap="http://ns.adobe.com/xap/1.0/" xmlns:t="http://ns.adobe.com/tiff/1.0/"'
          ' xmlns:ipx="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"'
          ' xmlns:ps="http://ns.adobe.com/photoshop/1.0/"'
          ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
          ' xap:CreatorTool="Stable Diffusion"'
          ' ipx:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
          'trainedAlgorithmicMedia"')
    desc = ("<t:Software>ComfyUI</t:Software><ps:Credit>Made with Firefly</ps:Credit>"
            "<dc:creator><rdf:Seq><rdf:li>A</rdf:li><rdf:li>B</rdf:li></rdf:Seq></dc:creator>"
            '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">一只猫</rdf:li></rdf:Alt>'
            "</dc:description><dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">T</rdf:li>"
            "</rdf:Alt></dc:title>")
    assert kv(x(rdf(desc, ns))) == [
        ("field", "xmp", "xmp:CreatorTool", "Stable Diffusion"),
        ("field", "xmp", "Iptc4xmpExt:DigitalSourceType",
         "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"),
        ("field", "xmp", "tiff:Software", "ComfyUI"),
        ("field", "xmp", "photoshop:Credit", "Made with Firefly"),
        ("field", "xmp", "dc:creator", "A; B"),
        ("field", "xmp", "dc:description", "一只猫"),
        ("field", "xmp", "dc:title", "T"),
    ]


def test_xmp_trace_values_are_bounded():
    desc = "<xmp:CreatorTool>" + "x" * 100_000 + "</xmp:CreatorTool>"
    sites = x(rdf(desc, ' xmlns:xmp="http://ns.adobe.com/xap/1.0/"'))
    assert len(sites[0].value) == xmp.TRACE_MAX_CHARS


def test_xmp_remote_manifest():
    ns = ' xmlns:dcterms="http://purl.org/dc/terms/"'
    text = rdf("<dcterms:provenance>https://cai.example/m.c2pa</dcterms:provenance>", ns)
    resource = rdf('<dcterms:provenance rdf:resource="https://cai.example/r.c2pa"/>', ns)
    attr = rdf("", ns + ' dcterms:provenance="https://cai.example/a.c2pa"')
    assert [kv(x(p)) for p in (text, resource, attr)] == [
        [("c2pa-remote", "xmp", "dcterms:provenance", f"https://cai.example/{n}.c2pa")]
        for n in "mra"]


# -- XMP: hostile and broken packets ------------------------------------------------------------
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(2, 10))
    .replace("&lol1;", "&lol;")
    + ']><x:xmpmeta xmlns:x="adobe:ns:meta/">&lol9;</x:xmpmeta>')
EXTERNAL_ENTITY = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                   '<x:xmpmeta xmlns:x="adobe:ns:meta/">&e;</x:xmpmeta>')
PARAMETER_ENTITY = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://x.test/p">'
                    "%p;]><x/>")


@pytest.mark.parametrize("packet", [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY])
def test_xmp_entities_are_refused(packet):
    t = time.perf_counter()
    sites = x(packet)
    assert time.perf_counter() - t < 0.05
    assert [(s.kind, s.key) for s in sites] == [(SiteKind.PROBLEM, "xmp-forbidden-construct")]


def test_xmp_undeclared_entity_is_malformed_not_expanded():
    sites = x('<x:xmpmeta xmlns:x="adobe:ns:meta/">&e;</x:xmpmeta>')
    assert [s.key for s in sites] == ["xmp-malformed"]


def test_xmp_deep_nesting_is_bounded_and_label_still_found():
    deep = "<a>" * 10_000 + "</a>" * 10_000
    packet = xmp_packet(SAMPLE_JSON).replace(b"<TC260:AIGC>", deep.encode() + b"<TC260:AIGC>")
    t = time.perf_counter()
    sites = x(packet)
    assert time.perf_counter() - t < 1.0
    assert kv(sites) == [("field", "xmp", "AIGC", SAMPLE_JSON),
                         ("problem", "xmp", "resource-limit", sites[1].value)]


def test_xmp_malformed_falls_back_to_bytes():
    unbound = xmp_packet(SAMPLE_JSON).replace(
        b' xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"', b"")
    sites = x(unbound)
    assert kv(sites) == [("problem", "xmp", "xmp-malformed", sites[0].value),
                         ("field", "xmp", "AIGC", SAMPLE_JSON)]
    assert "recovered" in sites[1].location
    truncated = xmp_packet(SAMPLE_JSON, "attribute", "ns9")[:-60]
    assert kv(x(truncated))[1:] == [("field", "xmp", "AIGC", SAMPLE_JSON)]


def test_xmp_malformed_after_label_keeps_it_without_duplicates():
    packet = xmp_packet(SAMPLE_JSON).replace(b"</x:xmpmeta>", b"</x:xmpmeta><junk")
    assert [s.key for s in x(packet)] == ["AIGC", "xmp-malformed"]


def test_xmp_garbage_without_tc260_yields_only_the_problem():
    assert [s.key for s in x(b"\x00\x01not xml")] == ["xmp-malformed"]
    assert [s.key for s in x(b"")] == ["xmp-malformed"]


def test_xmp_padding_and_encodings():
    packet = xmp_packet(SAMPLE_JSON)
    padded = b"\x00\n " + packet + b" " * 2000 + b"\x00\x00" + b"\x01\xff\xfe"
    assert kv(x(padded)) == [("field", "xmp", "AIGC", SAMPLE_JSON)]
    utf16 = packet.decode("utf-8").encode("utf-16")
    assert kv(x(utf16)) == [("field", "xmp", "AIGC", SAMPLE_JSON)]
    assert kv(x(packet.decode("utf-8"))) == [("field", "xmp", "AIGC", SAMPLE_JSON)]  # str value


def test_xmp_field_count_bounded():
    many = "".join(f"<dc:title>{i}</dc:title>" for i in range(50))
    sites = x(rdf(many, ' xmlns:dc="http://purl.org/dc/elements/1.1/"'), limits=Limits(max_sites=5))
    assert len(sites) == 5


# -- EXIF ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("order", ["<", ">"])
def test_exif_text_tags_both_byte_orders(order):
    ex = exif_object(user_comment=WRAPPED, image_description='{"AIGC":{"ServiceProvider":"x"}}',
                     software="Jimeng 2.0", xp_comment="AI生成", byte_order=order)
    ex[0x010F] = "Make"
    ex[0x0110] = "Model"
    ex[0x013B] = "Artist"
    ex[0x8298] = "(c)"
    ex[0x0132] = "2025:09:01 10:00:00"
    block = ex.tobytes()
    sites = e(block)
    assert block[6:8] == (b"II" if order == "<" else b"MM")
    assert sorted(kv(sites)) == sorted([
        ("field", "exif-imagedescription", "ImageDescription", '{"AIGC":{"ServiceProvider":"x"}}'),
        ("field", "exif-software", "Software", "Jimeng 2.0"),
        ("field", "exif", "Make", "Make"),
        ("field", "exif", "Model", "Model"),
        ("field", "exif", "Artist", "Artist"),
        ("field", "exif", "Copyright", "(c)"),
        ("field", "exif", "DateTime", "2025:09:01 10:00:00"),
        ("field", "exif", "XPComment", "AI生成"),
        ("field", "exif-usercomment", "UserComment", WRAPPED),
    ])
    uc = next(s for s in sites if s.key == "UserComment")
    # offsets are file offsets: the site's offset + the `Exif\0\0` prefix + the TIFF offset
    rel = uc.offset - 50 - 6
    assert block[6 + rel:6 + rel + 8] == b"ASCII\x00\x00\x00"


@pytest.mark.parametrize("charset, order", [("UNICODE", "<"), ("UNICODE", ">"), ("JIS", "<"),
                                            ("UNDEFINED", ">"), ("NONE", "<"), ("ASCII", ">")])
def test_exif_usercomment_charsets(charset, order):
    block = exif_bytes(user_comment=WRAPPED, charset=charset, byte_order=order)
    assert kv(e(block)) == [("field", "exif-usercomment", "UserComment", WRAPPED)]


def test_exif_usercomment_unicode_in_the_other_byte_order():
    # Windows writes UTF-16LE even in a big-endian (MM) file
    ex = Image.Exif()
    ex.endian = ">"
    ex.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + "标签 AIGC".encode("utf-16-le")
    assert e(ex.tobytes())[0].value == "标签 AIGC"


def test_exif_text_encodings():
    assert exif.decode_text("生成".encode("utf-8") + b"\x00") == "生成"
    assert exif.decode_text("人工智能生成".encode("gb18030")) == "人工智能生成"
    assert exif.decode_text(b"\xff\xfe\xfd") == "ÿþý"


def test_exif_xmp_inside_is_expanded_once():
    block = exif_bytes(xmp=xmp_packet(SAMPLE_JSON), software="s")
    site = Site(SiteKind.EXIF, "exif", "APP1 #2", 10, value=block)
    assert kv(expand([site], DEFAULT_LIMITS)) == [
        ("exif", "exif", "", "<bytes>"),
        ("field", "exif-software", "Software", "s"),
        ("xmp", "xmp", "XMP", "<bytes>"),
        ("field", "xmp", "AIGC", SAMPLE_JSON),
    ]


def test_exif_without_offset_and_without_prefix():
    block = exif_bytes(software="s")[6:]
    assert [(s.key, s.offset) for s in e(block, offset=None)] == [("Software", None)]


def _tiff_le(entries: list[tuple[int, int, int, bytes]], extra: bytes = b"",
             ifd_at: int = 8) -> bytes:
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHI", t, typ, n) + v.ljust(4, b"\x00") for t, typ, n, v in entries)
    return b"II*\x00" + struct.pack("<I", ifd_at) + ifd + b"\x00" * 4 + extra


@pytest.mark.parametrize("block, code", [
    (b"", "parse-error"),
    (b"XX*\x00\x08\x00\x00\x00", "parse-error"),
    (b"II*\x00\xff\xff\x00\x00", "parse-error"),
    (b"MM\x00\x2b\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10", "parse-error"),
])
def test_exif_unreadable_block_is_one_problem(block, code):
    assert [(s.kind, s.key) for s in e(block)] == [(SiteKind.PROBLEM, code)]


def test_exif_damage_inside_ifds():
    loop = _tiff_le([(0x8769, 4, 1, struct.pack("<I", 8))])
    assert [s.key for s in e(loop)] == ["parse-error"]
    outside = _tiff_le([(0x8769, 4, 1, struct.pack("<I", 9999)),
                        (0x010E, 2, 100, struct.pack("<I", 5000)),
                        (0x0131, 2, 3, b"ok\x00")])
    assert [(s.kind.value, s.key) for s in e(outside)] == [
        ("problem", "parse-error"), ("problem", "parse-error"), ("field", "Software")]
    many = b"II*\x00\x08\x00\x00\x00" + struct.pack("<H", 60000) + b"\x00" * 30
    assert [s.key for s in e(many)] == ["resource-limit", "parse-error"]


def test_exif_unknown_type_and_inline_values():
    block = _tiff_le([(0x0131, 99, 3, b"ab\x00"), (0x013B, 2, 4, b"abc\x00")])
    assert kv(e(block)) == [("field", "exif-software", "Software", "ab"),
                            ("field", "exif", "Artist", "abc")]


# -- expand -------------------------------------------------------------------------------------
def test_expand_keeps_order_and_passes_other_sites_through():
    a = Site(SiteKind.FIELD, "png-text", "tEXt #2", 10, key="AIGC", value=SAMPLE_JSON)
    b = Site(SiteKind.XMP, "xmp", "iTXt #3", 20, value=xmp_packet(SAMPLE_JSON, "attribute"))
    c = Site(SiteKind.C2PA, "c2pa", "caBX #4", 30)
    d = Site(SiteKind.EXIF, "exif", "eXIf #5", 40, value=exif_bytes(user_comment=WRAPPED))
    out = expand([a, b, c, d], DEFAULT_LIMITS)
    assert [(s.kind.value, s.location) for s in out] == [
        ("field", "tEXt #2"), ("xmp", "iTXt #3"), ("field", "iTXt #3 / TC260:AIGC (attribute)"),
        ("c2pa", "caBX #4"), ("exif", "eXIf #5"), ("field", "eXIf #5 / ExifIFD UserComment")]


def test_expand_is_bounded():
    sites = [Site(SiteKind.XMP, "xmp", f"#{i}", i, value=xmp_packet(SAMPLE_JSON))
             for i in range(10)]
    out = expand(sites, Limits(max_sites=7))
    assert len(out) == 7
    assert out[-1].kind is SiteKind.PROBLEM and out[-1].key == "resource-limit"
    exact = expand(sites[:2], Limits(max_sites=4))
    assert [s.kind for s in exact] == [SiteKind.XMP, SiteKind.FIELD] * 2
