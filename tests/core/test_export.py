"""Complaint packages: round trip through the bundled verify.py in another folder, any flipped
byte fails, two exports are byte-identical, hostile original names stay inside fixed member
names, the PDF shows legible Chinese, and a failed export leaves nothing under the final name."""

import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, PngImagePlugin

from aigcverify.export import standalone_verify as sv
from aigcverify.export.package import build_package, original_member_name, verify_script_bytes
from aigcverify.export.verify_package import verify_package
from aigcverify.pipeline import CheckOptions, check_file
from aigcverify.store import ReportDraft, ReportLog, Seen, StoreError
from aigcverify.store.errors import ReportNotFound
from aigcverify.store.filing import file_report_for_path

LABEL = {"Label": "1", "ContentProducer": "001191110108MA01KP2T5U00000", "ProduceID": "img-42",
         "ReservedCode1": "", "ContentPropagator": "", "PropagateID": "", "ReservedCode2": ""}


def make_png(path: Path, label: dict | None = LABEL, color=(30, 120, 200)) -> Path:
    image = Image.new("RGB", (320, 200), color)
    ImageDraw.Draw(image).ellipse((60, 30, 220, 190), fill=(240, 200, 40))
    info = PngImagePlugin.PngInfo()
    if label:
        info.add_text("AIGC", json.dumps(label))
    image.save(path, format="PNG", pnginfo=info)
    return path


def check(path: Path, lang: str = "zh_CN") -> dict:
    return check_file(path, CheckOptions(detector=False, explicit=False, lang=lang))


@pytest.fixture
def filed(home, tmp_path):
    """A log with two reports on real files (one original kept), one of them edited."""
    media = tmp_path / "media"
    media.mkdir()
    with ReportLog() as log:
        a_path = make_png(media / "a.png")
        a = file_report_for_path(log, a_path, ReportDraft(
            seen=Seen(platform="微博", url="https://weibo.com/123/abc", account="@某账号",
                      seen_at="2025-06-01"),
            description="这张图片在平台上没有任何“AI生成”提示，但文件元数据里写着 Label=1。",
            keep_original=True), result=check(a_path))
        b_path = make_png(media / "b.png", label=None, color=(200, 50, 50))
        b = file_report_for_path(log, b_path, ReportDraft(complaint_type="label-tampered",
                                                          seen=Seen(platform="抖音")),
                                 result=check(b_path), preview=False)
        log.edit(b.report_id, ReportDraft(complaint_type="label-tampered",
                                          seen=Seen(platform="抖音", account="@另一个"),
                                          description="补充账号"), note="补充")
        yield log, [a.report_id, b.report_id]


def export(log: ReportLog, ids: list[str], out: Path, **kw) -> Path:
    build_package(log, ids, out, **kw)
    return out


def test_real_check_results_are_stored(filed):
    log, (a, b) = filed
    body = log.current(a).body
    assert body["result"]["verdict"] == "confirmed"
    assert body["result"]["implicit_labels"][0]["fields"]["ProduceID"] == "img-42"
    assert body["evidence"]["thumbnail"]["media_type"] == "image/png"
    assert body["evidence"]["original"]["format"] == "png"
    assert log.current(b).body["evidence"]["thumbnail"] is None  # preview=False


def test_package_layout_and_round_trip_in_another_folder(filed, tmp_path):
    log, ids = filed
    pkg = export(log, ids, tmp_path / "pkg.zip")
    with zipfile.ZipFile(pkg) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names == ["README.txt", "complaint.pdf", "report.json",
                         f"originals/{ids[0]}.png", "verify.py", "manifest-sha256.txt",
                         "manifest-sm3.txt"]
        original = zf.read(f"originals/{ids[0]}.png")
        assert hashlib.sha256(original).hexdigest() == log.current(ids[0]).body["file"]["sha256"]
        manifest = zf.read("manifest-sha256.txt").decode()
        assert manifest.count("\n") == 5 and "complaint.pdf" in manifest
        assert zf.read("verify.py") == verify_script_bytes()
        report = json.loads(zf.read("report.json"))
        assert [r["report_id"] for r in report["reports"]] == ids
        assert [len(r["entries"]) for r in report["reports"]] == [1, 2]
        assert "python3 verify.py" in zf.read("README.txt").decode()
        assert str(tmp_path) not in zf.read("report.json").decode()  # no local folders
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "verify.py").write_bytes(verify_script_bytes())
    done = subprocess.run([sys.executable, "verify.py", str(pkg)], cwd=elsewhere,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASSED" in done.stdout and "3 log entries" in done.stdout
    # an unpacked copy verifies too (run with no argument from inside the folder)
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(pkg) as zf:
        zf.extractall(unpacked)
    done = subprocess.run([sys.executable, "verify.py"], cwd=unpacked, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and "PASSED" in done.stdout
    (unpacked / "report.json").write_bytes((unpacked / "report.json").read_bytes()
                                           .replace("微博".encode(), "微信".encode()))
    done = subprocess.run([sys.executable, "verify.py"], cwd=unpacked, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1 and "FAILED" in done.stdout


def test_flipped_byte_fails_in_the_standalone_verifier(filed, tmp_path):
    log, ids = filed
    pkg = export(log, ids, tmp_path / "pkg.zip")
    data = bytearray(pkg.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(data))
    (tmp_path / "verify.py").write_bytes(verify_script_bytes())
    done = subprocess.run([sys.executable, str(tmp_path / "verify.py"), str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "FAILED" in done.stdout


def _structure_offsets(data: bytes) -> list[int]:
    """Every byte offset of every ZIP header, central directory entry and the end record."""
    offsets, pos = [], 0
    while data[pos:pos + 4] == b"PK\x03\x04":
        nlen, xlen = struct.unpack_from("<HH", data, pos + 26)
        size = struct.unpack_from("<I", data, pos + 18)[0]
        offsets += range(pos, pos + 30 + nlen + xlen)
        pos += 30 + nlen + xlen + size
    offsets += range(pos, len(data))  # central directory and end record
    return offsets


@pytest.mark.slow
def test_every_structural_byte_and_sampled_payload_bytes_are_covered(filed, tmp_path,
                                                                      monkeypatch):
    log, ids = filed
    pkg = export(log, ids, tmp_path / "pkg.zip")
    data = pkg.read_bytes()
    assert verify_package(str(pkg)).ok
    positions = _structure_offsets(data)
    rng = __import__("random").Random(7)
    positions += rng.sample(range(len(data)), 100)
    target = tmp_path / "flip.zip"
    for pos in positions:
        flipped = bytearray(data)
        flipped[pos] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(flipped))
        ok, problems, _ = sv.verify(str(target))
        assert not ok, f"byte {pos} flipped unnoticed"
    # and without OpenSSL's SM3 the embedded one is used, with the same outcome
    real_new = hashlib.new
    monkeypatch.setattr(hashlib, "new", lambda name, *a: (_ for _ in ()).throw(ValueError(name))
                        if name == "sm3" else real_new(name, *a))
    assert isinstance(sv.sm3_new(), sv.SM3)
    assert sv.verify(str(pkg))[0]
    target.write_bytes(data.replace(b"img-42", b"img-43"))
    assert not sv.verify(str(target))[0]


def test_two_exports_are_byte_identical(filed, tmp_path):
    log, ids = filed
    one = export(log, ids, tmp_path / "one.zip").read_bytes()
    log.file_report(check(make_png(tmp_path / "c.png")), ReportDraft())  # unrelated activity
    two = export(log, list(reversed(ids)) + ids[:1], tmp_path / "two.zip").read_bytes()
    assert one == two


def test_package_members_never_use_the_original_name(home, tmp_path):
    hostile_names = ["..\\..\\x.png", "x\x1b[31m red\n.png", "\u202egnp.exe", "a" * 240 + ".png",
                     " .png", "-rf .png"]
    media = tmp_path / "media"
    media.mkdir()
    with ReportLog() as log:
        ids = []
        for i, name in enumerate(hostile_names):
            path = make_png(media / name, color=(i * 40, 10, 10))
            result = check(path)
            if i == 0:
                result["file"]["name"] = "../../x\x00.png"  # as a crafted result could say
            entry = log.file_report(result, ReportDraft(keep_original=True), source=path)
            ids.append(entry.report_id)
        pkg = export(log, ids, tmp_path / "pkg.zip")
    with zipfile.ZipFile(pkg) as zf:
        names = zf.namelist()
        out = tmp_path / "x"
        zf.extractall(out)
    fixed = {"README.txt", "complaint.pdf", "report.json", "verify.py", "manifest-sha256.txt",
             "manifest-sm3.txt"}
    for name in names:
        assert name in fixed or sv.ORIGINAL_NAME.match(name), name
        assert ".." not in name and "\\" not in name and name.isascii() and name.isprintable()
    assert sorted(p.name for p in (out / "originals").iterdir()) == sorted(
        f"{i}.png" for i in ids)
    assert not (tmp_path / "x.png").exists()
    assert verify_package(str(pkg)).ok
    assert original_member_name("../../evil", 3, "exe") == "originals/report-003.bin"


def test_failed_export_leaves_nothing_under_the_final_name(filed, tmp_path, monkeypatch):
    log, ids = filed
    out = tmp_path / "pkg.zip"
    out.write_bytes(b"previous package")
    from aigcverify.export import package

    def broken(fh, members, moment, progress=None):
        fh.write(b"PK\x03\x04 half a package")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(package, "write_zip", broken)
    with pytest.raises(StoreError) as info:
        build_package(log, ids, out)
    assert info.value.code == "disk-full"
    assert out.read_bytes() == b"previous package"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_changed_evidence_and_withdrawn_reports_are_refused(filed, tmp_path):
    log, ids = filed
    kept = log.current(ids[0]).body["evidence"]["original"]["sha256"]
    path = log.evidence.path_for(kept)
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(StoreError):
        build_package(log, ids, tmp_path / "pkg.zip")
    assert not (tmp_path / "pkg.zip").exists()
    log.withdraw(ids[1], "mistake")
    with pytest.raises(ReportNotFound):
        build_package(log, [ids[1]], tmp_path / "pkg.zip", include_originals=False)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        pytest.skip(f"{name} not installed (poppler-utils)")
    return path


def test_pdf_shows_legible_chinese(filed, tmp_path):
    log, ids = filed
    pkg = export(log, ids, tmp_path / "pkg.zip")
    with zipfile.ZipFile(pkg) as zf:
        (tmp_path / "complaint.pdf").write_bytes(zf.read("complaint.pdf"))
    text = subprocess.run([_tool("pdftotext"), "-layout", str(tmp_path / "complaint.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    for phrase in ("人工智能生成合成内容投诉材料", "确认为AI生成", "微博", "@某账号",
                   "《人工智能生成合成内容标识办法》第四条", "第十条", "GB 45438-2025",
                   "文件元数据里写着 Label=1", ids[0], "img-42", "法律依据", "SM3"):
        assert phrase in text, phrase
    assert log.current(ids[0]).body["file"]["sha256"] in text
    subprocess.run([_tool("pdftoppm"), "-r", "50", "-png", str(tmp_path / "complaint.pdf"),
                    str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    with Image.open(pages[0]) as page:
        grey = page.convert("L")
        dark = sum(1 for v in grey.get_flattened_data() if v < 128)
        assert dark > grey.width * grey.height * 0.01  # text was drawn, not blank boxes
    if os.environ.get("AIGCVERIFY_KEEP_PDF_PNG"):
        for page in pages:
            shutil.copy(page, Path(os.environ["AIGCVERIFY_KEEP_PDF_PNG"]) / page.name)


def test_pdf_in_english_on_request(filed, tmp_path):
    log, ids = filed
    pkg = export(log, ids, tmp_path / "pkg.zip", lang="en")
    with zipfile.ZipFile(pkg) as zf:
        (tmp_path / "c.pdf").write_bytes(zf.read("complaint.pdf"))
        readme = zf.read("README.txt").decode()
    text = subprocess.run([_tool("pdftotext"), str(tmp_path / "c.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Complaint about AI-generated synthetic content" in text and "Art. 10" in text
    assert readme.index("How to verify") < readme.index("如何核验")


def test_pdf_is_deterministic_and_dated_from_the_reports(filed, tmp_path):
    log, ids = filed
    pkg = export(log, ids, tmp_path / "pkg.zip")
    with zipfile.ZipFile(pkg) as zf:
        pdf = zf.read("complaint.pdf")
        stamp = zf.infolist()[0].date_time
    newest = max(e.created_utc for i in ids for e in log.history(i))
    assert stamp[:5] == tuple(int(x) for x in (newest[0:4], newest[5:7], newest[8:10],
                                               newest[11:13], newest[14:16]))
    assert f"D:{newest[0:4]}{newest[5:7]}{newest[8:10]}".encode() in pdf


def test_previews_of_images_videos_and_junk(tmp_path):
    import av
    import numpy as np

    from aigcverify.export.thumbnail import MAX_SIDE, make_thumbnail, render_thumbnail

    big = tmp_path / "big.png"
    Image.new("RGB", (1600, 900), (0, 90, 200)).save(big, format="PNG")
    thumb = make_thumbnail(str(big), "image")  # in a child process
    assert thumb["source"] == "image" and thumb["png"].startswith(b"\x89PNG")
    assert (thumb["width"], thumb["height"]) == (MAX_SIDE, 270)
    video = tmp_path / "clip.mp4"
    with av.open(str(video), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 40 * i, np.uint8),
                                               format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    keyframe = render_thumbnail(str(video), "video")
    assert keyframe["source"] == "keyframe" and (keyframe["width"], keyframe["height"]) == (64, 48)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    assert make_thumbnail(str(junk), "image") is None  # no preview, no exception
    assert make_thumbnail(str(junk), "audio") is None
