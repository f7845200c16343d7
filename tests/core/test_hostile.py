"""Bombs and attacks, generated here, through the real pipeline and the real worker pool.

Every hostile file must end within 2 s of CPU with bounded memory and a typed finding (a
problem with a code from TYPED_CODES), never with an exception. The files are built at test
time: lying sizes and nesting by hand, compression bombs with zlib (streamed, so building a
256 MiB bomb costs a fraction of a second and ~256 KiB of disk).
"""

from __future__ import annotations

import io
import json
import struct
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from aigcverify.pipeline import CheckOptions, check_file
from aigcverify.worker import WorkerPool
from bench.corpus_test import vm_hwm_kb
from tests.fixtures.av_fixtures import bmff_box, id3_frame, id3_tag
from tests.fixtures.doc_fixtures import (billion_laughs_xml, label_json, markdown_front_matter,
                                         overlap_zip_entries, write_ooxml, yaml_alias_bomb)
from tests.fixtures.image_fixtures import (SAMPLE_JSON, jpeg_segment, png_chunk, write_jpeg,
                                           write_png)

# file-level problem codes that say "this file is hostile or broken" (findings.PROBLEM_CODES)
LIMIT = {"resource-limit"}
DAMAGE = {"parse-error", "file-damaged"}
AMBIGUOUS = {"container-ambiguous"}
FORBIDDEN = AMBIGUOUS | {"parse-error"}  # XML with a DTD or entities: refused, not parsed
TYPED_CODES = LIMIT | DAMAGE | AMBIGUOUS | {"file-encrypted", "unsupported-format"}
CPU_LIMIT_S = 2.0
BOMB_BYTES = 64 << 20  # what compression bombs inflate to: 4x limits.max_decompressed
TRACED_LIMIT = 64 << 20  # Python-heap peak of checking one compression/expansion bomb
TRACED_LIMIT_BIG = 160 << 20  # ... of the 50 MiB XMP (its bytes are read once, as a payload)
WORKER_RSS_LIMIT_KB = 700 * 1024  # peak RSS of the worker that checked every bomb
OPTS = CheckOptions(detector=False, explicit=False, lang="en")

TC260 = "http://www.tc260.org.cn/ns/AIGC/1.0/"


def _zeros_deflated(total: int, wbits: int = zlib.MAX_WBITS) -> bytes:
    """A deflate stream of `total` zero bytes, built in 1 MiB steps (a bomb costs ~total/1000)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1 << 20)
    parts = [comp.compress(block) for _ in range(total >> 20)]
    parts.append(comp.compress(bytes(total & ((1 << 20) - 1))))
    parts.append(comp.flush())
    return b"".join(parts)


def _png(chunks: list[bytes], size: tuple[int, int] = (8, 8)) -> bytes:
    ihdr = struct.pack(">IIBBBBB", size[0], size[1], 8, 2, 0, 0, 0)
    idat = zlib.compress(bytes((size[0] * 3 + 1) * min(size[1], 8)))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + b"".join(chunks)
            + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))


def _png_xmp(packet: bytes) -> bytes:
    body = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + packet
    return _png([png_chunk(b"iTXt", body)])


def _xmp(inner: str, doctype: str = "") -> bytes:
    return (f'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>{doctype}'
            f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
            f'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description xmlns:TC260="{TC260}">{inner}</rdf:Description>'
            f'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode()


def _laughs_doctype(levels: int = 10) -> str:
    ents = ['<!ENTITY l0 "lol">'] + [f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">'
                                     for i in range(1, levels)]
    return f'<!DOCTYPE x:xmpmeta [{"".join(ents)}]>'


def _deep_xml(depth: int) -> bytes:
    return _xmp("<TC260:AIGC>" + "<rdf:Bag><rdf:li>" * depth + SAMPLE_JSON
                + "</rdf:li></rdf:Bag>" * depth + "</TC260:AIGC>")


# -- the bombs: name -> builder(tmp folder) -> path --------------------------------------------
Builder = Callable[[Path], Path]


def _write(name: str, data: bytes) -> Builder:
    def build(d: Path) -> Path:
        (d / name).write_bytes(data)
        return d / name
    return build


def _pixel_bomb_png(d: Path) -> Path:
    return _write("pixels.png", _png([png_chunk(b"tEXt", b"AIGC\x00" + SAMPLE_JSON.encode())],
                                     size=(100_000, 100_000)))(d)


def _pixel_bomb_jpeg(d: Path) -> Path:
    data = bytearray(write_jpeg(d / "small.jpg").read_bytes())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, 65_000, 65_000)  # height, width
    (d / "pixels.jpg").write_bytes(bytes(data))
    return d / "pixels.jpg"


def _pixel_bomb_gif(d: Path) -> Path:
    im = Image.new("P", (4, 4))
    buf = io.BytesIO()
    im.save(buf, "GIF")
    data = bytearray(buf.getvalue())
    struct.pack_into("<HH", data, 6, 65_535, 65_535)  # logical screen
    idx = data.find(b"\x2c")  # image descriptor
    struct.pack_into("<HH", data, idx + 5, 65_535, 65_535)
    (d / "pixels.gif").write_bytes(bytes(data))
    return d / "pixels.gif"


def _ztxt_bomb(d: Path) -> Path:
    body = b"AIGC\x00\x00" + _zeros_deflated(BOMB_BYTES)
    return _write("ztxt.png", _png([png_chunk(b"zTXt", body)]))(d)


def _itxt_xmp_bomb(d: Path) -> Path:
    body = b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + _zeros_deflated(BOMB_BYTES)
    return _write("itxt.png", _png([png_chunk(b"iTXt", body)]))(d)


def _big_xmp(d: Path) -> Path:
    filler = "<rdf:li>" + "x" * 1000 + "</rdf:li>"
    inner = (f"<TC260:AIGC>{SAMPLE_JSON}</TC260:AIGC><dc:subject "
             f'xmlns:dc="http://purl.org/dc/elements/1.1/"><rdf:Bag>'
             + filler * (50 * 1024 * 1024 // len(filler)) + "</rdf:Bag></dc:subject>")
    return _write("xmp50.png", _png_xmp(_xmp(inner)))(d)


def _jpeg_with(name: str, payload: bytes, marker: int = 0xE1) -> Builder:
    def build(d: Path) -> Path:
        data = write_jpeg(d / f"base-{name}").read_bytes()
        (d / name).write_bytes(data[:2] + jpeg_segment(marker, payload) + data[2:])
        return d / name
    return build


_XMP_NS = b"http://ns.adobe.com/xap/1.0/\x00"
_EXTERNAL = ('<!DOCTYPE x:xmpmeta [<!ENTITY e SYSTEM "file:///etc/passwd">'
             '<!ENTITY % p SYSTEM "http://127.0.0.1:9/dtd"> %p;]>')


def _ooxml_bomb(d: Path) -> Path:
    path = write_ooxml(d / "bomb.docx", custom={"AIGC": label_json()})
    # docProps/custom.xml padded to BOMB_BYTES: the reader must refuse it from the declared
    # size or cap the inflation, never inflate it whole
    with zipfile.ZipFile(path) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            if name == "docProps/custom.xml":
                data = data + b" " * BOMB_BYTES
            z.writestr(name, data)
    (d / "bomb.docx").write_bytes(out.getvalue())
    return d / "bomb.docx"


def _ooxml_flood(d: Path) -> Path:
    path = write_ooxml(d / "flood.docx", custom={"AIGC": label_json()})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as z:
        for i in range(20_000):
            z.writestr(f"f/{i}", b"")
    return path


def _ooxml_overlap(d: Path) -> Path:
    path = write_ooxml(d / "overlap.docx", custom={"AIGC": label_json()})
    return overlap_zip_entries(path, "docProps/custom.xml", "docProps/custom2.xml")


def _ooxml_duplicate(d: Path) -> Path:
    return write_ooxml(d / "dup.docx", custom={"AIGC": label_json()},
                       extra=[("docProps/custom.xml", "<Properties/>")])


def _ooxml_traversal(d: Path) -> Path:
    return write_ooxml(d / "traversal.docx", custom={"AIGC": label_json()},
                       extra=[("../../../../tmp/aigc-evil.txt", "x"), ("/etc/aigc-evil", "x"),
                              ("C:\\Windows\\aigc-evil", "x"), ("word/../../evil", "x")])


def _ooxml_laughs(d: Path) -> Path:
    return write_ooxml(d / "laughs.docx", custom_xml=billion_laughs_xml())


def _mp4(name: str, boxes: bytes) -> Builder:
    ftyp = bmff_box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41")
    return _write(name, ftyp + boxes)


def _mp4_deep(depth: int) -> bytes:
    box = bmff_box(b"free", b"")
    for _ in range(depth):
        box = bmff_box(b"udta", box)
    return bmff_box(b"moov", box)


def _id3_bomb() -> bytes:
    body = b"\x03AIGC\x00" + b"x" * 8
    raw = _zeros_deflated(64 << 20)
    frame = id3_frame("TXXX", struct.pack(">I", 64 << 20) + raw, flags=0x0009)  # zlib + length
    return id3_tag(id3_frame("TXXX", body) + frame) + b"\xff\xfb\x90\x00" + bytes(400)


BOMBS: dict[str, tuple[Builder, set[str]]] = {
    # pixel bombs: the metadata stage reads no pixels; the labels still count
    "pixel-bomb-png": (_pixel_bomb_png, set()),
    "pixel-bomb-jpeg": (_pixel_bomb_jpeg, set()),
    "pixel-bomb-gif": (_pixel_bomb_gif, set()),
    "png-ztxt-bomb": (_ztxt_bomb, LIMIT),
    "png-itxt-xmp-bomb": (_itxt_xmp_bomb, LIMIT),
    "xmp-billion-laughs": (_write("laughs.png", _png_xmp(_xmp(
        f"<TC260:AIGC>&l9;</TC260:AIGC>", _laughs_doctype()))), FORBIDDEN),
    "xmp-external-entity": (_write("xxe.png", _png_xmp(_xmp(
        "<TC260:AIGC>&e;</TC260:AIGC>", _EXTERNAL))), FORBIDDEN),
    "xmp-deep-nesting": (_write("deep.png", _png_xmp(_deep_xml(10_000))), LIMIT),
    "xmp-50mib": (_big_xmp, LIMIT),
    "jpeg-xmp-laughs": (_jpeg_with("laughs.jpg", _XMP_NS + _xmp(
        "<TC260:AIGC>&l9;</TC260:AIGC>", _laughs_doctype())), FORBIDDEN),
    "ooxml-zip-bomb": (_ooxml_bomb, LIMIT),
    "ooxml-member-flood": (_ooxml_flood, LIMIT),
    "ooxml-overlapping-members": (_ooxml_overlap, AMBIGUOUS),
    "ooxml-duplicate-members": (_ooxml_duplicate, AMBIGUOUS),
    "ooxml-traversal-names": (_ooxml_traversal, AMBIGUOUS),
    "ooxml-billion-laughs": (_ooxml_laughs, FORBIDDEN),
    "mp4-size-past-end": (_mp4("past.mp4", struct.pack(">I", 0x7FFFFFF0) + b"moov"
                                + bytes(64)), DAMAGE),
    "mp4-largesize-huge": (_mp4("large.mp4", struct.pack(">I", 1) + b"moov"
                                 + struct.pack(">Q", 2**63 - 1) + bytes(64)), DAMAGE),
    "mp4-size-below-header": (_mp4("tiny.mp4", struct.pack(">I", 3) + b"moov" + bytes(64)),
                              DAMAGE),
    # the walker opens only moov/trak/udta/meta (at most 4 levels): deeper nesting is skipped
    # unread, so there is nothing to report; it must just cost nothing
    "mp4-deep-nesting": (_mp4("deep.mp4", _mp4_deep(10_000)), set()),
    "mp4-box-flood": (_mp4("flood.mp4", bmff_box(b"free", b"") * 250_000), LIMIT),
    "id3-frame-length-lies": (_write("frame.mp3", id3_tag(id3_frame(
        "TXXX", b"\x03AIGC\x00" + SAMPLE_JSON.encode(), size=0x0FFFFFFF))
        + b"\xff\xfb\x90\x00" + bytes(400)), DAMAGE),
    "id3-tag-size-lies": (_write("tag.mp3", id3_tag(id3_frame(
        "TXXX", b"\x03AIGC\x00" + SAMPLE_JSON.encode()), size=0x0FFFFFFF)), DAMAGE),
    "id3-compressed-frame-bomb": (_write("zframe.mp3", _id3_bomb()), LIMIT),
    "yaml-alias-bomb": (_write("bomb.md", markdown_front_matter(
        yaml_alias_bomb() + "\nAIGC: *a8\n").encode()), {"implicit-label-nonconformant"}),
}


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bombs")
    return {name: build(d) for name, (build, _codes) in BOMBS.items()}


def _codes(result: dict) -> list[str]:
    return [p["code"] for p in result["problems"]]


# gaps found by these tests in modules this file does not own: strict xfail, so that the test
# turns red (XPASS) the day the fix lands and the marker must be removed
KNOWN_GAPS: dict[str, str] = {}


def _gap(name: str):
    reason = KNOWN_GAPS.get(name)
    return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=reason)) if reason \
        else name


@pytest.mark.parametrize("name", [_gap(n) for n in BOMBS])
def test_bomb_is_rejected_fast_with_a_typed_finding(bombs, name, validate_result):
    cpu = time.process_time()
    result = check_file(bombs[name], OPTS)
    cpu = time.process_time() - cpu
    validate_result(result)
    expected = BOMBS[name][1]
    assert cpu < CPU_LIMIT_S, f"{name}: {cpu:.2f} s of CPU"
    codes = _codes(result)
    if expected:
        assert set(codes) & expected, f"{name}: problems {codes}, expected one of {expected}"
    else:  # a bomb that hides a real label must not hide it
        assert set(codes) <= TYPED_CODES | {"implicit-label-nonconformant", "extension-mismatch"}, codes
    assert result["verdict"] in ("confirmed", "none", "unreadable", "suspected")


# bombs whose attack is memory: the Python heap peak of one check is measured with tracemalloc
# (C-level buffers of zlib/expat are covered by the worker's VmHWM test below)
MEMORY_BOMBS = ("png-ztxt-bomb", "png-itxt-xmp-bomb", "ooxml-zip-bomb", "ooxml-member-flood",
                "id3-compressed-frame-bomb", "xmp-billion-laughs", "ooxml-billion-laughs",
                "yaml-alias-bomb", "xmp-deep-nesting", "xmp-50mib")


@pytest.mark.parametrize("name", MEMORY_BOMBS)
def test_bomb_memory_is_bounded(bombs, name):
    tracemalloc.start()
    try:
        check_file(bombs[name], OPTS)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    limit = TRACED_LIMIT_BIG if name == "xmp-50mib" else TRACED_LIMIT
    assert peak < limit, f"{name}: Python heap peaked at {peak / 2**20:.0f} MiB"


def test_yaml_alias_bomb_is_refused_before_expansion(bombs):
    result = check_file(bombs["yaml-alias-bomb"], OPTS)
    [entry] = result["implicit_labels"]
    assert "front-matter-too-complex" in entry["problems"]


def test_traversal_names_write_nothing(bombs):
    check_file(bombs["ooxml-traversal-names"], OPTS)
    assert not Path("/tmp/aigc-evil.txt").exists() and not Path("/etc/aigc-evil").exists()


def test_external_entity_is_not_resolved(bombs):
    result = check_file(bombs["xmp-external-entity"], OPTS)
    assert "root:" not in json.dumps(result)
    assert not any(e["fields"] for e in result["implicit_labels"])


def test_every_bomb_through_the_worker_pool_with_bounded_memory(bombs):
    """The pool returns a result for every bomb, in order, and the one worker that read them all
    never grew past WORKER_RSS_LIMIT_KB (VmHWM: its peak resident set, C buffers included)."""
    names = list(BOMBS)
    pids: set[int] = set()
    hwm_after: dict[str, int] = {}

    def on_event(event) -> None:
        if event.stage == "started":
            pids.add(event.worker_pid)
        elif event.stage == "done":
            hwm_after[event.path] = max((vm_hwm_kb(pid) for pid in pids), default=0)

    with WorkerPool(workers=1, memory_mb=1024) as pool:
        results = pool.run([str(bombs[n]) for n in names], OPTS, on_event=on_event)
    assert len(pids) == 1, "a worker died on a bomb"
    for name, result in zip(names, results):
        assert result is not None and result["file"]["path"] == str(bombs[name])
        expected = BOMBS[name][1]
        if expected and name not in KNOWN_GAPS:
            assert set(_codes(result)) & expected, (name, _codes(result))
    peak = max(hwm_after.values())
    assert 0 < peak < WORKER_RSS_LIMIT_KB, hwm_after


# -- pixel bombs in the stages that decode pixels -----------------------------------------------
def test_pillow_decompression_bomb_limit_stays_on():
    import aigcverify.pipeline  # noqa: F401 - everything the worker preloads
    import aigcverify.detect.image  # noqa: F401

    assert Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS <= 100_000_000


def test_pillow_limit_in_a_worker_after_checking_a_picture(tmp_path):
    """A worker that has run the pipeline (and imported whatever it imports) keeps the limit."""
    from aigcverify.worker import _context  # noqa: PLC0415

    png = write_png(tmp_path / "a.png", text={"AIGC": SAMPLE_JSON})
    ctx = _context()
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_report_pillow_limit, args=(child, str(png)))
    proc.start()
    assert parent.poll(60)
    limit = parent.recv()
    proc.join(10)
    assert limit is not None and limit <= 100_000_000


def _report_pillow_limit(conn, path: str) -> None:
    from aigcverify.pipeline import CheckOptions as Opts  # noqa: PLC0415
    from aigcverify.pipeline import check_file as check  # noqa: PLC0415

    check(path, Opts(lang="en"))
    conn.send(Image.MAX_IMAGE_PIXELS)


@pytest.mark.parametrize("name", ["pixel-bomb-png", "pixel-bomb-jpeg", "pixel-bomb-gif"])
def test_detector_decoder_refuses_pixel_bombs(bombs, name):
    from aigcverify.errors import VerifyError  # noqa: PLC0415
    from aigcverify.detect.image import decode_image  # noqa: PLC0415

    cpu = time.process_time()
    with pytest.raises(VerifyError) as err:
        decode_image(str(bombs[name]))
    assert time.process_time() - cpu < CPU_LIMIT_S
    assert err.value.code in ("resource-limit", "detector-failed")


@pytest.mark.parametrize("name", ["pixel-bomb-png", "pixel-bomb-jpeg", "pixel-bomb-gif"])
def test_pixel_bomb_through_every_stage_is_a_finding(bombs, name):
    """With the slow stages on (explicit-label OCR, detector), a pixel bomb ends as a typed
    finding of each stage that would decode it, not as an exception or a worker crash."""
    opts = CheckOptions(lang="en", detector=True, explicit=True)
    cpu = time.process_time()
    result = check_file(bombs[name], opts)
    assert time.process_time() - cpu < CPU_LIMIT_S
    codes = _codes(result)
    slow = [s for s in result["stages"] if s in ("explicit", "detector")]
    if not slow:
        pytest.skip("neither the explicit-label nor the detector stage is installed yet")
    for stage in slow:
        assert {f"{stage}-failed", "resource-limit"} & set(codes), (stage, codes)
    assert not result["explicit_labels"]
    assert result["detector"] is None


# -- a real memory limit on the worker ----------------------------------------------------------
def _big_text_png(path: Path, megabytes: int = 40) -> Path:
    """A PNG whose tEXt chunk is `megabytes` long: within the metadata limits, so the reader
    really allocates it (and its decoded copies)."""
    path.write_bytes(_png([png_chunk(b"tEXt", b"Comment\x00" + b"A" * (megabytes << 20))]))
    return path


def test_small_memory_limit_gives_resource_limit_and_the_worker_goes_on(tmp_path):
    """memory_mb is a real rlimit: a 40 MiB metadata chunk in a 128 MiB worker ends as
    `unreadable` / resource-limit (MemoryError), and the files before and after are checked."""
    big = _big_text_png(tmp_path / "big.png")
    good = write_png(tmp_path / "good.png", text={"AIGC": SAMPLE_JSON})
    pids: set[int] = set()
    with WorkerPool(workers=1, memory_mb=128) as pool:
        results = pool.run([str(good), str(big), str(good)], OPTS,
                           on_event=lambda e: e.stage == "started" and pids.add(e.worker_pid))
    assert [r["verdict"] for r in results] == ["confirmed", "unreadable", "confirmed"]
    [limit] = [p for p in results[1]["problems"] if p["code"] == "resource-limit"]
    assert "MemoryError" in limit["detail"] or "out of memory" in limit["detail"]
    with WorkerPool(workers=1) as pool:  # the default limit reads the same file
        assert pool.run([str(big)], OPTS)[0]["verdict"] == "none"


def test_native_code_over_the_memory_limit_costs_one_worker(tmp_path):
    """With every stage on and only 200 MiB, native code (onnxruntime, the OCR engine, the C2PA
    library) may fail to allocate and die (SIGSEGV/SIGABRT) or raise: either way each file
    keeps its metadata verdict, and a crashed worker is replaced for the next file."""
    from tests.fixtures.c2pa_fixtures import make_c2pa_jpeg  # noqa: PLC0415

    signed = make_c2pa_jpeg(tmp_path / "signed.jpg")
    good = write_png(tmp_path / "good.png", text={"AIGC": SAMPLE_JSON})
    started: dict[int, int] = {}
    opts = CheckOptions(lang="en", detector=True, explicit=True)
    with WorkerPool(workers=1, memory_mb=200) as pool:
        results = pool.run([str(signed), str(good), str(good)], opts,
                           on_event=lambda e: e.stage == "started"
                           and started.setdefault(e.index, e.worker_pid))
    assert [r["verdict"] for r in results] == ["confirmed"] * 3
    for i, result in enumerate(results):
        crashed = [p for p in result["problems"] if p["code"] == "analysis-incomplete"]
        for p in crashed:
            assert "parser process ended" in p["detail"] or "time limit" in p["detail"]
        if crashed and i + 1 < len(results):
            assert started[i + 1] != started[i], "a crashed worker checked the next file"
