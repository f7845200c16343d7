"""aigcverify.hints: the generator-trace table on Site objects, then on real files read by the
real carriers (Pillow, mutagen, PyAV, pypdf and zipfile write them at test time)."""

import io
import json
import time
import zipfile

import pytest
from PIL import Image, PngImagePlugin

from aigcverify.carriers import carrier_for
from aigcverify.carriers.base import Site, SiteKind
from aigcverify.hints import (
    HINT_KINDS,
    MAX_VALUE_CHARS,
    clean_text,
    load_table,
    local_name,
    metadata_hints,
    source_type_category,
)
from aigcverify.i18n import catalog
from aigcverify.limits import DEFAULT_LIMITS
from aigcverify.metadata import expand

DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"
A1111 = ("a cat astronaut, best quality\nNegative prompt: blurry\nSteps: 28, Sampler: DPM++ 2M "
         "Karras, CFG scale: 7, Seed: 12345, Size: 512x768, Model hash: 6ce0161689, "
         "Model: v1-5-pruned-emaonly, Version: v1.9.4")
COMFY_PROMPT = json.dumps({"3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20}},
                           "4": {"class_type": "CheckpointLoaderSimple", "inputs": {}}})
COMFY_WORKFLOW = json.dumps({"last_node_id": 9, "nodes": [{"id": 3, "type": "KSampler"}],
                             "links": [[1, 4, 0, 3, 0, "MODEL"]]})
NOVELAI_COMMENT = json.dumps({"prompt": "1girl", "steps": 28, "scale": 5, "sampler": "k_euler",
                              "seed": 1, "uc": "lowres", "n_samples": 1})


def field(key: str, value: str, carrier: str = "test", location: str = "here") -> Site:
    return Site(SiteKind.FIELD, carrier, location, None, key=key, value=value)


def one(key: str, value: str, lang: str = "en") -> dict | None:
    hints = metadata_hints([field(key, value)], lang)
    assert len(hints) <= 1
    return hints[0] if hints else None


# --- the table itself -------------------------------------------------------------------------


def test_table_is_well_formed_and_messages_exist():
    table = load_table()
    ids = [g.id for g in table.generators]
    assert len(ids) == len(set(ids)) and len(ids) >= 30
    assert all(g.product and g.vendor for g in table.generators)
    rule_ids = [r.id for r in table.rules]
    assert len(rule_ids) == len(set(rule_ids))
    for lang in ("zh_CN", "en"):
        cat = catalog(lang)
        for rule in table.rules:
            assert rule.kind in HINT_KINDS
            keys = ([f"{rule.message}.{c}" for c in rule.source_types] if rule.source_types
                    else [rule.message])
            for key in keys:
                assert key in cat, (lang, key)
    # every category is one of three, and the two AI terms are exactly the schema's
    cats = {term: cat for term, cat in table.source_types.values()}
    assert set(cats.values()) == {"ai", "synthetic", "none"}
    assert sorted(t for t, c in cats.items() if c == "ai") == [
        "compositeWithTrainedAlgorithmicMedia", "trainedAlgorithmicMedia"]


@pytest.mark.parametrize("key,name", [
    ("xmp:CreatorTool", "CreatorTool"),
    ("{http://ns.adobe.com/xap/1.0/}CreatorTool", "CreatorTool"),
    ("Exif.Image.Software", "Software"), ("/Producer", "Producer"), ("©too", "too"),
    ("\ufffdtoo", "too"), ("dc:description[1]", "description"), ("TSSE", "TSSE"),
    ("Iptc4xmpExt:DigitalSourceType", "DigitalSourceType"), ("sd-metadata", "sd-metadata"),
])
def test_local_name(key, name):
    assert local_name(key) == name


# --- software names: positives and the false positives that matter ------------------------------


@pytest.mark.parametrize("key,value,product", [
    ("Software", "NovelAI", "NovelAI"),
    ("xmp:CreatorTool", "Adobe Firefly", "Adobe Firefly"),
    ("xmp:CreatorTool", "Adobe Firefly Image 3", "Adobe Firefly"),
    ("Software", "Midjourney v6.1", "Midjourney"),
    ("Software", "DALL·E 3", "DALL·E"),
    ("Software", "dall-e-3", "DALL·E"),
    ("/Producer", "ChatGPT", "ChatGPT / GPT Image"),
    ("Software", "gpt-image-1", "ChatGPT / GPT Image"),
    ("Software", "Sora", "Sora"),
    ("Software", "Google Imagen 3", "Google Imagen / Gemini"),
    ("Software", "Gemini 2.5 Flash Image", "Google Imagen / Gemini"),
    ("Software", "Veo 3", "Google Veo"),
    ("Software", "FLUX.1 [dev]", "FLUX"),
    ("Software", "Black Forest Labs", "FLUX"),
    ("Software", "Kolors", "Kolors 可图"),
    ("©too", "Kling AI 2.1", "Kling 可灵"),
    ("Software", "豆包", "Doubao 豆包"),
    ("Software", "即梦AI", "Jimeng 即梦 / Dreamina"),
    ("Software", "Dreamina", "Jimeng 即梦 / Dreamina"),
    ("Software", "Seedream 4.0", "Seedream / Seedance"),
    ("©too", "Hailuo AI", "Hailuo 海螺 / MiniMax"),
    ("Software", "通义万相", "Tongyi Wanxiang 通义万相 / Wan"),
    ("Software", "Wan2.1", "Tongyi Wanxiang 通义万相 / Wan"),
    ("Software", "Qwen-Image", "Qwen 通义千问"),
    ("©too", "Vidu", "Vidu"),
    ("TSSE", "Suno v4.5", "Suno"),
    ("TSSE", "Udio", "Udio"),
    ("TSSE", "ElevenLabs", "ElevenLabs"),
    ("©too", "RunwayML", "Runway"),
    ("©too", "Runway Gen-3", "Runway"),
    ("Software", "Pika Labs", "Pika"),
    ("Software", "Ideogram 2.0", "Ideogram"),
    ("Software", "Leonardo.Ai", "Leonardo.Ai"),
    ("Software", "Krea", "Krea"),
    ("Software", "InvokeAI 4.2.9", "InvokeAI"),
    ("Software", "Fooocus 2.5.5", "Fooocus"),
    ("generator", "ComfyUI", "ComfyUI"),
    ("Software", "Stable Diffusion XL", "Stable Diffusion"),
    ("Software", "AUTOMATIC1111 stable-diffusion-webui",
     "Stable Diffusion web UI (AUTOMATIC1111)"),
    ("Application", "Microsoft Designer", "Microsoft Designer / Bing Image Creator"),
    ("Software", "Hunyuan Image 2.1", "Hunyuan 混元 / Yuanbao 元宝"),
    ("Creator", "文心一格", "ERNIE 文心"),
])
def test_generator_names_in_software_fields(key, value, product):
    hint = one(key, value)
    assert hint is not None, value
    assert (hint["generator"], hint["kind"]) == (product, "software")
    assert hint["vendor"]
    assert product in hint["message"]


@pytest.mark.parametrize("key,value", [
    ("Software", "Adobe Photoshop 25.0"),
    ("Software", "Adobe Photoshop 26.0 (Windows)"),
    ("xmp:CreatorTool", "Adobe Lightroom Classic 13.0 (Macintosh)"),
    ("Software", "GIMP 2.10"),
    ("Model", "Canon EOS R5"),
    ("Make", "Canon"),
    ("©too", "Lavf60.3.100"),
    ("encoder", "Lavf58.29.100"),
    ("Application", "LibreOffice/7.5.9.2$Linux_X86_64 LibreOffice_project/50"),
    ("Application", "Microsoft Office Word"),
    ("/Producer", "Skia/PDF m120"),
    ("Software", "HDR+ 1.0.540104767zd"),
    ("Software", "Google"),
    ("Software", "Picasa"),
    ("Software", "Snapseed 2.0"),
    ("Software", "Klingon Translator"),
    ("Software", "Gemini 2"),
    ("Software", "Imagenomic Portraiture 4"),
    ("Software", "f.lux"),
    ("Software", "InfluxDB"),
    ("Software", "Sunoco"),
    ("Software", "Wang Camera"),
    ("Software", "Foto dalle vacanze"),
    ("Software", "Pikachu Studio"),
    ("Software", "Soraya"),
    ("Software", "Grokking Editor"),
    ("Software", "OpenAIR"),
    ("Software", "Runway Photo"),
    ("Software", "Leonardo Editor"),
    ("Software", "Firefly Browser"),
    ("TSSE", "LAME 3.100"),
    ("generator", "WordPress 6.5"),
    ("generator", "Hugo 0.125.0"),
    # a generator name outside a software field is not a trace: people write about these tools
    ("dc:title", "Stable Diffusion tutorial"),
    ("dc:creator", "Midjourney Fan"),
    ("dc:description", "A photo of the Sora premiere"),
])
def test_ordinary_values_are_not_hints(key, value):
    assert one(key, value) is None


# --- generation parameters ------------------------------------------------------------------


@pytest.mark.parametrize("key,value,product", [
    ("parameters", A1111, "Stable Diffusion web UI (AUTOMATIC1111)"),
    ("parameters", json.dumps({"Prompt": "x", "Version": "Fooocus v2.5.5"}), "Fooocus"),
    ("fooocus_scheme", "fooocus", "Fooocus"),
    ("prompt", COMFY_PROMPT, "ComfyUI"),
    ("workflow", COMFY_WORKFLOW, "ComfyUI"),
    ("Model", "prompt:" + COMFY_PROMPT, "ComfyUI"),  # ComfyUI's animated WebP EXIF
    ("Make", "workflow:" + COMFY_WORKFLOW, "ComfyUI"),
    ("invokeai_metadata", json.dumps({"positive_prompt": "x", "seed": 1}), "InvokeAI"),
    ("sd-metadata", json.dumps({"model": "stable diffusion", "image": {}}), "InvokeAI"),
    ("Dream", '"a cat" -s 50 -S 12345 -W 512 -H 512 -C 7.5 -A k_lms', "InvokeAI"),
    ("sui_image_params", json.dumps({"prompt": "x"}), "SwarmUI"),
    ("Comment", NOVELAI_COMMENT, "NovelAI"),
    ("Source", "Stable Diffusion XL C1E1DE52", "NovelAI"),
    ("Source", "NovelAI Diffusion V4.5 4BDE2A90", "NovelAI"),
    ("exif:UserComment", A1111, "Stable Diffusion web UI (AUTOMATIC1111)"),
    ("dc:description",
     "a cozy cabin --ar 16:9 --v 6.1 Job ID: 4d3c8a0e-1b2f-4c5d-9e8f-0a1b2c3d4e5f",
     "Midjourney"),
])
def test_generation_parameters(key, value, product):
    hint = one(key, value)
    assert hint is not None
    assert (hint["generator"], hint["kind"]) == (product, "generation-parameters")


@pytest.mark.parametrize("key,value", [
    ("parameters", "just some words"),
    ("prompt", "a plain text prompt without JSON"),
    ("prompt", "{not json"),
    ("workflow", json.dumps({"name": "my business workflow"})),
    ("Comment", json.dumps({"uc": "x"})),  # no sampler/steps/scale: not NovelAI's shape
    ("Comment", "{broken"),
    ("Comment", '{"a":' * 5000 + "1" + "}" * 5000),  # nesting deep enough to hit recursion
    ("Source", "Scanned from the archive"),
    ("Source", "stable diffusion xl c1e1de52"),  # NovelAI writes these exactly; case matters
    ("dc:description", "Steps: walk to the door, then turn left"),
])
def test_parameter_lookalikes_are_not_hints(key, value):
    assert one(key, value) is None


# --- digital source types -------------------------------------------------------------------


@pytest.mark.parametrize("term,category", [
    ("trainedAlgorithmicMedia", "ai"), ("compositeWithTrainedAlgorithmicMedia", "ai"),
    ("algorithmicMedia", "synthetic"), ("compositeSynthetic", "synthetic"),
    ("virtualRecording", "synthetic"),
])
def test_digital_source_type_hints(term, category):
    hint = one("Iptc4xmpExt:DigitalSourceType", DST + term)
    assert hint["kind"] == "digital-source-type" and hint["source_type"] == term
    assert hint["generator"] is None
    assert hint["message"] == json.loads(json.dumps(hint["message"]))  # plain text
    assert term in hint["message"]
    assert one("DigitalSourceType", term)["source_type"] == term  # bare term, no URI
    assert source_type_category(DST + term + "/") == (term, category)


@pytest.mark.parametrize("term", ["digitalCapture", "digitalCreation", "algorithmicallyEnhanced",
                                  "humanEdits", "compositeCapture", "screenCapture", "noSuchType"])
def test_non_synthetic_source_types_are_not_hints(term):
    assert one("Iptc4xmpExt:DigitalSourceType", DST + term) is None


# --- vendor-private markers -------------------------------------------------------------------


def test_bytedance_private_marks():
    aweme = json.dumps({"data": {"product": "aweme", "aigc_info": json.dumps({"aigc_type": 1})}})
    hint = one("ImageDescription", aweme)
    assert (hint["kind"], hint["generator"]) == ("vendor-private", None)
    assert "ByteDance" in hint["vendor"] and "1" in hint["message"]
    assert one("UserComment", '{"aigc_label_type":2}')["kind"] == "vendor-private"
    assert one("Information", '{"aigc_label_type": "1", "vid": "x"}') is not None
    # type 0 means "not AI": not a trace
    assert one("ImageDescription", json.dumps({"data": {"product": "aweme", "aigc_info":
                                                        json.dumps({"aigc_type": 0})}})) is None
    assert one("UserComment", '{"aigc_label_type":0}') is None
    assert one("ImageDescription", json.dumps({"data": {"product": "aweme"}})) is None


def test_google_marks():
    for value in ("Made with Google AI", "Edited with Google AI"):
        hint = one("photoshop:Credit", value)
        assert (hint["kind"], hint["vendor"]) == ("vendor-private", "Google")
    assert one("dc:description", "Contains a SynthID watermark")["rule"] == "synthid"
    assert one("photoshop:Credit", "Photo: Reuters") is None


def test_aigc_keyed_fields_are_left_to_the_label_reader():
    for key in ("AIGC", "TXXX:AIGC", "AigcInfo", "TC260:AIGC"):
        assert one(key, '{"Label":"1","ContentProducer":"doubao","aigc_label_type":1}') is None


# --- shape of the output ------------------------------------------------------------------------


def test_hint_fields_value_cut_and_cleaned():
    long = A1111 + " x" * 3000 + "\u202e\x07"
    hints = metadata_hints([field("parameters", long, carrier="png-text", location="tEXt #3")],
                           "zh_CN")
    assert len(hints) == 1
    hint = hints[0]
    assert set(hint) >= {"source", "key", "value", "generator", "vendor", "kind", "location",
                         "message"}
    assert hint["source"] == "png-text" and hint["location"] == "tEXt #3"
    assert len(hint["value"]) <= MAX_VALUE_CHARS
    assert "\n" not in hint["value"] and "\u202e" not in hint["value"]
    assert hint["message"].startswith("元数据字段“parameters”")
    assert clean_text("a\u202eb\x00c\td", 10) == "a b c d"
    assert len(clean_text("y" * 500)) == MAX_VALUE_CHARS


def test_only_field_sites_and_duplicates_once():
    sites = [
        Site(SiteKind.XMP, "xmp", "APP1", None, key="XMP", value=b"Midjourney"),
        Site(SiteKind.TEXT, "pdf-text", "p1", None, key="head", value="made with Midjourney"),
        field("Software", "Midjourney", carrier="exif-software"),
        field("Software", "Midjourney", carrier="exif-software"),  # the same field twice
        field("tiff:Software", "Midjourney", carrier="xmp"),  # the same trace elsewhere
    ]
    hints = metadata_hints(sites, "en")
    assert [h["source"] for h in hints] == ["exif-software", "xmp"]


def test_languages_differ():
    zh, en = one("Software", "NovelAI", "zh_CN"), one("Software", "NovelAI", "en")
    assert zh["message"] != en["message"] and "NovelAI" in zh["message"]


def test_ten_thousand_fields_are_fast():
    values = ["Adobe Photoshop 25.0", "Canon EOS R5", A1111, "Lavf60.3.100", "x" * 60000,
              COMFY_PROMPT, DST + "digitalCapture", "Midjourney"]
    keys = ["Software", "Model", "parameters", "©too", "dc:description", "prompt",
            "DigitalSourceType", "xmp:CreatorTool"]
    sites = [field(keys[i % 8], values[i % 8], location=str(i)) for i in range(10_000)]
    metadata_hints(sites[:10], "en")  # table loaded once, outside the timing
    started = time.perf_counter()
    hints = metadata_hints(sites, "en")
    elapsed = time.perf_counter() - started
    assert len(hints) == 3  # A1111, ComfyUI and Midjourney, each reported once
    assert elapsed < 3.0, elapsed  # ~0.1 s on one idle core; generous for a shared machine


# --- real files through the real carriers ---------------------------------------------------------


def sites_of(path, fmt: str) -> list[Site]:
    with open(path, "rb") as fh:
        return expand(list(carrier_for(fmt).sites(fh, fmt, DEFAULT_LIMITS)), DEFAULT_LIMITS)


def _xmp(body: str) -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">'
        f"{body}</rdf:Description></rdf:RDF></x:xmpmeta>").encode()


def test_png_text_chunks_written_by_pillow(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    info.add_text("prompt", COMFY_PROMPT)
    info.add_text("workflow", COMFY_WORKFLOW, zip=True)  # zTXt
    info.add_text("Software", "NovelAI")
    info.add_text("Comment", NOVELAI_COMMENT)
    info.add_text("Title", "AI generated image")
    info.add_itxt("XML:com.adobe.xmp", _xmp(
        "<xmp:CreatorTool>Adobe Firefly</xmp:CreatorTool>"
        f"<Iptc4xmpExt:DigitalSourceType>{DST}trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>"
        "<photoshop:Credit>Made with Google AI</photoshop:Credit>").decode())
    path = tmp_path / "gen.png"
    Image.new("RGB", (16, 16), "teal").save(path, pnginfo=info)
    hints = metadata_hints(sites_of(path, "png"), "en")
    got = [(h["key"], h["generator"], h["kind"]) for h in hints]
    assert got == [
        ("parameters", "Stable Diffusion web UI (AUTOMATIC1111)", "generation-parameters"),
        ("prompt", "ComfyUI", "generation-parameters"),
        ("workflow", "ComfyUI", "generation-parameters"),
        ("Software", "NovelAI", "software"),
        ("Comment", "NovelAI", "generation-parameters"),
        ("xmp:CreatorTool", "Adobe Firefly", "software"),
        ("Iptc4xmpExt:DigitalSourceType", None, "digital-source-type"),
        ("photoshop:Credit", "Google Imagen / Gemini", "vendor-private"),
    ]
    assert hints[0]["source"].startswith("png-") and hints[-1]["source"] == "xmp"
    assert all(h["location"] for h in hints)


def test_plain_png_from_gimp_is_clean(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "GIMP 2.10")
    info.add_text("Comment", "Created with GIMP")
    path = tmp_path / "gimp.png"
    Image.new("RGB", (16, 16)).save(path, pnginfo=info)
    assert metadata_hints(sites_of(path, "png"), "en") == []


def test_jpeg_exif_written_by_pillow(tmp_path):
    exif = Image.Exif()
    exif[0x0131] = "Adobe Photoshop 25.0"  # Software: ordinary
    exif[0x010E] = json.dumps({"data": {"product": "aweme",
                                        "aigc_info": json.dumps({"aigc_type": 1})}})
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + A1111.encode("utf-16-be")  # as A1111 writes
    path = tmp_path / "sd.jpg"
    Image.new("RGB", (16, 16), "olive").save(path, exif=exif,
                                             xmp=_xmp("<xmp:CreatorTool>Midjourney</xmp:CreatorTool>"))
    hints = metadata_hints(sites_of(path, "jpeg"), "en")
    got = sorted((h["key"], h["rule"]) for h in hints)
    assert got == [("ImageDescription", "bytedance-aigc-info"),
                   ("UserComment", "a1111-text"),
                   ("xmp:CreatorTool", "software-name")]


def test_mp3_id3_tsse_written_by_mutagen(tmp_path):
    from mutagen.id3 import ID3, TSSE

    path = tmp_path / "song.mp3"
    path.write_bytes(b"\xff\xfb\x90\x64" + bytes(413) * 4)  # MPEG-1 Layer III frames of silence
    tags = ID3()
    tags.add(TSSE(encoding=3, text=["Suno v4.5"]))
    tags.save(path)
    hints = metadata_hints(sites_of(path, "mp3"), "en")
    assert [(h["key"], h["generator"], h["source"]) for h in hints] == [("TSSE", "Suno", "id3")]


def test_mp4_too_written_by_pyav_and_mutagen(tmp_path):
    import av
    from mutagen.mp4 import MP4

    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for _ in range(2):
            frame = av.VideoFrame.from_image(Image.new("RGB", (32, 32), "navy"))
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    # PyAV's muxer writes "Lavf..." as the encoding tool: ordinary, no hint
    assert metadata_hints(sites_of(path, "mp4"), "en") == []
    tagged = MP4(path)
    tagged["\xa9too"] = ["Kling AI"]
    tagged.save()
    hints = metadata_hints(sites_of(path, "mp4"), "en")
    assert [(local_name(h["key"]), h["generator"]) for h in hints] == [("too", "Kling 可灵")]


def test_pdf_producer_written_by_pypdf(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    writer.add_metadata({"/Producer": "ChatGPT", "/Creator": "Microsoft Word"})
    path = tmp_path / "doc.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    hints = metadata_hints(sites_of(path, "pdf"), "en")
    assert [(local_name(h["key"]), h["generator"]) for h in hints] == [
        ("Producer", "ChatGPT / GPT Image")]


def test_docx_application_written_by_zipfile(tmp_path):
    path = tmp_path / "report.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"/>')
        z.writestr("word/document.xml",
                   '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                   'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p>'
                   "</w:body></w:document>")
        z.writestr("docProps/app.xml",
                   '<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/extended-properties"><Application>豆包</Application>'
                   "</Properties>")
    hints = metadata_hints(sites_of(path, "docx"), "zh_CN")
    assert [(h["key"], h["generator"]) for h in hints] == [("Application", "Doubao 豆包")]


def test_html_generator_meta(tmp_path):
    path = tmp_path / "page.html"
    path.write_text('<!doctype html><html><head><meta name="generator" content="Hugo 0.125">'
                    '<meta name="Generator" content="Hunyuan 混元">'
                    "</head><body>hi</body></html>", encoding="utf-8")
    hints = metadata_hints(sites_of(path, "html"), "en")
    assert [h["generator"] for h in hints] == ["Hunyuan 混元 / Yuanbao 元宝"]


def test_webp_exif_from_comfyui(tmp_path):
    exif = Image.Exif()
    exif[0x0110] = "prompt:" + COMFY_PROMPT
    exif[0x010F] = "workflow:" + COMFY_WORKFLOW
    buf = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buf, "WEBP", exif=exif)
    path = tmp_path / "anim.webp"
    path.write_bytes(buf.getvalue())
    hints = metadata_hints(sites_of(path, "webp"), "en")
    assert [h["generator"] for h in hints] == ["ComfyUI", "ComfyUI"]
