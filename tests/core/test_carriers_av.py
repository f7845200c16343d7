"""Audio/video carriers (ID3, FLAC/Ogg comments, RIFF, ISO-BMFF incl. HEIF/AVIF, EBML, FLV):
the exact sites each yields from files written by real writers (PyAV/libavformat, mutagen,
pillow-heif, Pillow, Debian ffmpeg) and byte-built edge cases, plus damage: truncation,
lying sizes, deep nesting, wrong extensions. Damage must give a bounded, typed result."""

import io
import os
import random
import shutil
import struct
import subprocess
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
from tests.fixtures.av_fixtures import (
    C2PA_UUID,
    XMP_UUID,
    amf_ecma_array,
    amf_string,
    av_label,
    bmff_box,
    bmff_full_box,
    ebml_element,
    flv_tag,
    id3_frame,
    id3_tag,
    jumbf_c2pa,
    mdta_meta,
    riff_chunk,
    write_avi,
    write_avif,
    write_flac,
    write_flv,
    write_flv_bytes,
    write_heif,
    write_heif_bytes,
    write_mkv,
    write_mkv_bytes,
    write_mp3,
    write_mp4,
    write_ogg,
    write_wav,
    xmp_packet,
)

from aigcverify.carriers import carrier_for, ebml, flv, id3, isobmff, riff, vorbis
from aigcverify.carriers.base import Site, SiteKind
from aigcverify.errors import CarrierError, VerifyError
from aigcverify.limits import DEFAULT_LIMITS, Limits
from aigcverify.sniff import extension_mismatch, sniff

F, P = SiteKind.FIELD, SiteKind.PROBLEM
LABELS = ("1", "2", "3")
LAVF_PREFIX = "Lavf"
LAVF_COMMENTS = [("vorbis-vendor", "vendor", "Lavf"), ("vorbis-comment", "encoder", "Lavf")]
FAST = 0.5  # seconds: generous bound for "immediate" answers on a loaded 2-core box


class Counting:
    """A file wrapper counting the bytes a reader asks for (proves payloads are skipped)."""

    def __init__(self, f: io.BufferedReader) -> None:
        self.f, self.bytes = f, 0

    def read(self, n: int = -1) -> bytes:
        b = self.f.read(n)
        self.bytes += len(b)
        return b

    def seek(self, pos: int, whence: int = 0) -> int:
        return self.f.seek(pos, whence)

    def tell(self) -> int:
        return self.f.tell()


def read(path: Path, fmt: str | None = None, limits: Limits = DEFAULT_LIMITS) -> list[Site]:
    with open(path, "rb") as f:
        fmt = fmt or sniff(f, path.name).format
        module = carrier_for(fmt)
        assert module is not None, fmt
        return list(module.sites(f, fmt, limits))


def read_bytes(data: bytes, fmt: str, limits: Limits = DEFAULT_LIMITS) -> list[Site]:
    module = carrier_for(fmt)
    assert module is not None
    return list(module.sites(io.BytesIO(data), fmt, limits))


def triples(sites: list[Site], kinds: tuple[SiteKind, ...] = (F,)) -> list[tuple[str, str, str]]:
    """(carrier, key, text) of the sites of the given kinds, Lavf version numbers masked."""
    out = []
    for s in sites:
        if s.kind in kinds:
            text = s.text()
            if text.startswith(LAVF_PREFIX):
                text = LAVF_PREFIX
            out.append((s.carrier, s.key, text))
    return out


def problems(sites: list[Site]) -> list[str]:
    return [s.key for s in sites if s.kind is P]


def assert_offsets(path: Path, sites: list[Site]) -> None:
    """Every FIELD offset points at its value's first bytes in the file."""
    raw = path.read_bytes()
    for s in sites:
        if s.kind is F and s.offset is not None and isinstance(s.value, str) and s.value:
            head, window = s.value[:8], raw[s.offset:s.offset + 64]
            encodings = ("utf-8", "utf-16-be", "utf-16-le")
            assert any(head.encode(e) in window for e in encodings), (s, window[:16])


# -- MP3 / ID3 ----------------------------------------------------------------------------------
@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("version,encoding", [(3, 0), (3, 1), (4, 0), (4, 1), (4, 2), (4, 3)])
def test_mp3_txxx_label_every_version_and_encoding(tmp_path, label, version, encoding):
    j = av_label(label)
    p = write_mp3(tmp_path / "a.mp3", txxx={"AIGC": j}, text={"TSSE": "Lavf62"},
                  v2_version=version, encoding=encoding)
    s = read(p)
    assert sorted(triples(s)) == [("id3", "TSSE", "Lavf"), ("id3-txxx", "AIGC", j)]
    assert all(x.location.startswith(f"ID3v2.{version}/") for x in s)
    assert_offsets(p, s)


def test_mp3_text_comment_id3v1_priv_geob(tmp_path):
    j = av_label(wrapped=True)
    p = write_mp3(tmp_path / "a.mp3", txxx={"AIGC": j, "other": "x"}, comment="note",
                  priv={"XMP": xmp_packet(j)}, geob=[("application/x-c2pa-manifest-store", "c2pa",
                                                      jumbf_c2pa())],
                  id3v1={"title": "T1", "artist": "Ar"})
    s = read(p)
    assert sorted(triples(s)) == sorted([
        ("id3", "TIT2", "T1"), ("id3", "TPE1", "Ar"), ("id3", "COMM", "note"),
        ("id3-txxx", "AIGC", j), ("id3-txxx", "other", "x"),
        ("id3v1", "title", "T1"), ("id3v1", "artist", "Ar")])
    xmp = [x for x in s if x.kind is SiteKind.XMP]
    assert [(x.carrier, x.value) for x in xmp] == [("xmp", xmp_packet(j))]
    c2pa = [x for x in s if x.kind is SiteKind.C2PA]
    assert [(x.carrier, x.value) for x in c2pa] == [("c2pa", jumbf_c2pa())]
    assert s[-1].carrier == "id3v1"  # the v1 tag comes last, from the file end


def _mp3_with(tag: bytes) -> bytes:
    return tag + b"\xff\xfb\x90\x64" + b"\x00" * 413  # one silent MPEG-1 layer III frame


def test_mp3_v22_tag():
    j = av_label()
    frames = (id3_frame("TT2", b"\x00Title") + id3_frame("TXX", b"\x00AIGC\x00" + j.encode()))
    s = read_bytes(_mp3_with(id3_tag(frames, version=2)), "mp3")
    assert triples(s) == [("id3", "TIT2", "Title"), ("id3-txxx", "AIGC", j)]


def test_mp3_v23_unsynchronised_tag():
    j = av_label()
    value = "\u00ff" + j  # latin-1 0xFF must be escaped by unsynchronisation
    body = id3_frame("TXXX", b"\x00AIGC\x00" + value.encode("latin-1"), version=3)
    unsynced = body.replace(b"\xff", b"\xff\x00")
    s = read_bytes(_mp3_with(id3_tag(unsynced, version=3, flags=0x80)), "mp3")
    assert triples(s) == [("id3-txxx", "AIGC", value)]
    assert s[0].offset is None  # positions inside a de-unsynchronised copy are not file offsets


def test_mp3_v24_compressed_frame_and_extended_header():
    j = av_label("3")
    raw = b"\x03AIGC\x00" + j.encode()
    body = struct.pack(">I", len(raw)) + zlib.compress(raw)  # data length indicator first
    frame = id3_frame("TXXX", body, flags=0x0008 | 0x0001)
    ext = bytes([0, 0, 0, 6, 1, 0])  # v2.4 extended header: syncsafe size 6, no flags
    s = read_bytes(_mp3_with(id3_tag(ext + frame, flags=0x40)), "mp3")
    assert triples(s) == [("id3-txxx", "AIGC", j)]


def test_mp3_v23_extended_header():
    ext = struct.pack(">IHI", 6, 0, 0)
    frame = id3_frame("TXXX", b"\x00AIGC\x00v", version=3)
    assert triples(read_bytes(_mp3_with(id3_tag(ext + frame, version=3, flags=0x40)), "mp3")) \
        == [("id3-txxx", "AIGC", "v")]


def test_mp3_v24_plain_sizes_written_by_old_itunes():
    j = av_label() + " " * 200  # > 127 bytes: plain and syncsafe sizes differ
    frames = (id3_frame("TXXX", b"\x00AIGC\x00" + j.encode(), syncsafe=False)
              + id3_frame("TSSE", b"\x00enc", syncsafe=False))
    s = read_bytes(_mp3_with(id3_tag(frames, padding=32)), "mp3")
    assert triples(s) == [("id3-txxx", "AIGC", j), ("id3", "TSSE", "enc")]


def test_mp3_tag_appended_at_end_with_footer_and_id3v1():
    j = av_label("2")
    front = id3_tag(id3_frame("TIT2", b"\x03front"))
    end_tag = id3_tag(id3_frame("TXXX", b"\x03AIGC\x00" + j.encode()), footer=True)
    v1 = b"TAG" + b"v1title".ljust(30, b"\x00") + b"\x00" * 94 + b"\xff"
    s = read_bytes(_mp3_with(front) + end_tag + v1, "mp3")
    assert triples(s) == [("id3", "TIT2", "front"), ("id3-txxx", "AIGC", j),
                          ("id3v1", "title", "v1title")]
    assert s[1].location.startswith("end/ID3v2.4")


def test_mp3_frame_with_lying_length_is_bounded():
    frames = id3_frame("TIT2", b"\x03ok") + id3_frame("TXXX", b"\x03AIGC\x00{}", size=0x0FFFFFFF)
    data = _mp3_with(id3_tag(frames, padding=64))
    tracemalloc.start()
    t = time.perf_counter()
    s = read_bytes(data, "mp3")
    elapsed = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert triples(s) == [("id3", "TIT2", "ok")]
    assert problems(s) == ["parse-error"]
    assert elapsed < FAST and peak < 1 << 20


def test_mp3_tag_size_beyond_file_reports_truncation():
    frames = id3_frame("TXXX", b"\x03AIGC\x00x")
    data = id3_tag(frames, size=200 << 20)  # the tag claims 200 MB; the file ends after it
    s = read_bytes(data, "mp3")
    assert triples(s) == [("id3-txxx", "AIGC", "x")]
    assert problems(s) == ["parse-error"]


def test_mp3_bad_encoding_spoils_one_frame_only():
    frames = id3_frame("TIT2", b"\x09bad") + id3_frame("TXXX", b"\x00AIGC\x00ok")
    s = read_bytes(_mp3_with(id3_tag(frames)), "mp3")
    assert [x.kind for x in s] == [P, F]
    assert triples(s) == [("id3-txxx", "AIGC", "ok")]


def test_mp3_invalid_frame_id_after_good_frames():
    frames = id3_frame("TXXX", b"\x00AIGC\x00ok") + b"t\x00\x01" + b"\x00" * 20
    s = read_bytes(_mp3_with(id3_tag(frames)), "mp3")
    assert triples(s) == [("id3-txxx", "AIGC", "ok")] and problems(s) == ["parse-error"]


def test_mp3_without_tags_and_not_an_mp3(tmp_path):
    assert read(write_mp3(tmp_path / "a.mp3", tag=False)) == []
    with pytest.raises(CarrierError):
        read_bytes(b"RIFF\x00\x00\x00\x00WAVE", "mp3")
    with pytest.raises(CarrierError):
        read_bytes(b"ID3\x09\x00\x00\x00\x00\x00\x00", "mp3")  # unknown version 2.9


def test_mp3_with_wrong_extension_is_read_as_mp3(tmp_path):
    j = av_label()
    p = write_mp3(tmp_path / "a.mp3", txxx={"AIGC": j})
    lying = p.rename(tmp_path / "song.wav")
    with open(lying, "rb") as f:
        assert sniff(f, lying.name).format == "mp3"
    assert extension_mismatch(lying.name, "mp3") == "wav"
    assert triples(read(lying)) == [("id3-txxx", "AIGC", j)]


# -- FLAC / Ogg ----------------------------------------------------------------------------------
@pytest.mark.parametrize("label", LABELS)
def test_flac_vorbis_comment(tmp_path, label):
    j = av_label(label)
    p = write_flac(tmp_path / "a.flac", comments={"AIGC": j, "aigc_note": "x"})
    s = read(p)
    assert triples(s) == [*LAVF_COMMENTS, ("vorbis-comment", "AIGC", j),
                          ("vorbis-comment", "aigc_note", "x")]
    assert_offsets(p, s)


def test_flac_with_leading_id3_tag(tmp_path):
    j = av_label("2")
    tag = id3_tag(id3_frame("TXXX", b"\x03AIGC\x00" + j.encode()))
    p = write_flac(tmp_path / "a.flac", comments={"AIGC": j}, id3_prefix=tag)
    with open(p, "rb") as f:
        assert sniff(f, p.name).format == "flac"
    assert triples(read(p)) == [("id3-txxx", "AIGC", j), ("vorbis-vendor", "vendor", "Lavf"),
                                ("vorbis-comment", "encoder", "Lavf"),
                                ("vorbis-comment", "AIGC", j)]


def _flac_with_comment(comment_body: bytes, declared: int | None = None) -> bytes:
    streaminfo = b"\x00" + (34).to_bytes(3, "big") + b"\x00" * 34
    n = len(comment_body) if declared is None else declared
    return b"fLaC" + streaminfo + bytes([0x84]) + n.to_bytes(3, "big") + comment_body


def test_flac_lying_comment_count_and_entry_length():
    entry = b"AIGC=x"
    body = struct.pack("<I", 0) + struct.pack("<I", 0xFFFFFFFF) + struct.pack("<I", 6) + entry
    s = read_bytes(_flac_with_comment(body), "flac")
    assert triples(s) == [("vorbis-comment", "AIGC", "x")] and problems(s) == ["parse-error"]
    body = struct.pack("<I", 0) + struct.pack("<I", 1) + struct.pack("<I", 0x7FFFFFFF) + entry
    assert problems(read_bytes(_flac_with_comment(body), "flac")) == ["parse-error"]


def test_flac_block_overrunning_file_and_not_flac():
    s = read_bytes(_flac_with_comment(b"\x00" * 8, declared=0xFFFFFF), "flac")
    assert problems(s) == ["parse-error"]
    with pytest.raises(CarrierError):
        read_bytes(b"OggS" + b"\x00" * 40, "flac")


@pytest.mark.parametrize("codec,label", [("opus", "1"), ("vorbis", "2"), ("flac", "3")])
def test_ogg_comment_header(tmp_path, codec, label):
    j = av_label(label)
    p = write_ogg(tmp_path / f"a.{codec}.ogg", codec=codec, comments={"AIGC": j})
    s = read(p)
    assert triples(s) == [*LAVF_COMMENTS, ("vorbis-comment", "AIGC", j)]
    assert codec in s[-1].location
    assert_offsets(p, s)


def test_ogg_comment_spanning_many_pages_is_reassembled(tmp_path):
    j = av_label()
    big = "x" * 200_000  # > 3 pages of 64 KB
    picture = "QUJD" * 30_000  # base64 cover art is skipped, not delivered as text
    p = write_ogg(tmp_path / "a.opus", comments={"ZZBIG": big, "AIGC": j,
                                                 "METADATA_BLOCK_PICTURE": picture})
    s = read(p)
    assert not any(x.key == "METADATA_BLOCK_PICTURE" for x in s)
    assert ("vorbis-comment", "AIGC", j) in triples(s)
    assert ("vorbis-comment", "ZZBIG", big) in triples(s)
    assert_offsets(p, s)


def test_ogg_truncated_inside_comment_header(tmp_path):
    p = write_ogg(tmp_path / "a.opus", comments={"AIGC": "x" * 100_000})
    cut = p.read_bytes()[:30_000]
    s = read_bytes(cut, "ogg")
    assert triples(s) == [] and problems(s) == ["parse-error"]
    with pytest.raises(CarrierError):
        read_bytes(b"fLaC" + b"\x00" * 40, "ogg")


# -- WAV / AVI -----------------------------------------------------------------------------------
@pytest.mark.parametrize("label", LABELS)
def test_wav_aigc_chunk_info_id3_xmp(tmp_path, label):
    j = av_label(label)
    p = write_wav(tmp_path / "a.wav", aigc_chunk=j, info={"ISFT": "gen", "AIGC": j},
                  id3_txxx={"AIGC": j}, xmp=xmp_packet(j))
    s = read(p)
    assert triples(s) == [("id3-txxx", "AIGC", j), ("wav-chunk", "AIGC", j),
                          ("wav-info", "ISFT", "gen"), ("wav-info", "AIGC", j)]
    assert [(x.carrier, x.location) for x in s if x.kind is SiteKind.XMP] == [("xmp", "RIFF/_PMX")]
    assert [x.location for x in s if x.kind is F][:2] == ["RIFF/id3 /ID3v2.4/TXXX[1]", "RIFF/AIGC"]
    assert_offsets(p, s)


def test_wav_odd_chunk_pad_missing_chunk_names_and_c2pa(tmp_path):
    j = av_label()
    extra = (riff_chunk(b"abc ", b"odd", pad=False)  # a writer that forgot the pad byte
             + riff_chunk(b"aigc", j.encode()) + riff_chunk(b"C2PA", jumbf_c2pa()))
    p = write_wav(tmp_path / "a.wav", extra=extra)
    s = read(p)
    assert triples(s) == [("wav-chunk", "aigc", j)]
    assert [x.kind for x in s] == [F, SiteKind.C2PA]


def test_rf64_wav(tmp_path):
    j = av_label("3")
    p = write_wav(tmp_path / "a.wav", aigc_chunk=j, rf64=True)
    with open(p, "rb") as f:
        assert sniff(f, p.name).format == "wav"
    assert triples(read(p)) == [("wav-chunk", "AIGC", j)]


def test_wav_label_appended_without_fixing_riff_size(tmp_path):
    p = write_wav(tmp_path / "a.wav")
    p.write_bytes(p.read_bytes() + riff_chunk(b"AIGC", b"late"))
    assert triples(read(p)) == [("wav-chunk", "AIGC", "late")]


def test_wav_lying_chunk_size_is_immediate(tmp_path):
    p = write_wav(tmp_path / "a.wav", aigc_chunk="first",
                  extra=riff_chunk(b"AIGC", b"x" * 10, size=0xFFFFFFF0))
    t = time.perf_counter()
    s = read(p)
    assert time.perf_counter() - t < FAST
    assert triples(s) == [("wav-chunk", "AIGC", "first")] and problems(s) == ["parse-error"]
    with pytest.raises(CarrierError):
        read_bytes(b"RIFF\x10\x00\x00\x00AVI LIST", "wav")


@pytest.mark.parametrize("label", LABELS)
def test_avi_info_aigc(tmp_path, label):
    j = av_label(label)
    p = write_avi(tmp_path / "a.avi", info={"AIGC": j, "ICMT": "c"})
    s = read(p)
    assert triples(s) == [("avi-info", "ISFT", "Lavf"), ("avi-info", "AIGC", j),
                          ("avi-info", "ICMT", "c")]
    assert_offsets(p, s)


def test_avi_movi_is_never_read(tmp_path):
    p = write_avi(tmp_path / "a.avi", info={"AIGC": "x"})
    raw = p.read_bytes()
    movi = raw.index(b"movi") - 8
    movi_size = struct.unpack("<I", raw[movi + 4:movi + 8])[0]
    with open(p, "rb") as f:
        c = Counting(f)
        list(riff.sites(c, "avi", DEFAULT_LIMITS))  # type: ignore[arg-type]
    assert c.bytes < len(raw) - movi_size


def test_avi_truncated_inside_movi(tmp_path):
    p = write_avi(tmp_path / "a.avi", info={"AIGC": "x"})
    raw = p.read_bytes()
    s = read_bytes(raw[:raw.index(b"movi") + 100], "avi")
    assert triples(s) == [("avi-info", "ISFT", "Lavf")] and problems(s) == ["parse-error"]


# -- MP4 / MOV / M4A -----------------------------------------------------------------------------
MP4_FORMS = {
    # form -> (carrier, key, location) of the label site
    "ffmpeg": ("mp4-ilst", "AIGC", "moov/udta/meta/ilst[1]"),
    "keys": ("mp4-ilst", "AIGC", "moov/udta/meta/ilst[1]"),
    "qt-meta": ("mp4-ilst", "AIGC", "moov/meta/ilst[1]"),
    "mdir": ("mp4-ilst", "AIGC", "moov/udta/meta/ilst[2]"),
    "udta": ("mp4-udta", "AIGC", "moov/udta/AIGC"),
}


@pytest.mark.parametrize("container", ["mp4", "mov", "m4a"])
@pytest.mark.parametrize("form", list(MP4_FORMS))
def test_mp4_label_forms(tmp_path, form, container):
    j = av_label(LABELS[len(form) % 3])
    p = write_mp4(tmp_path / f"a.{container}", aigc=j, form=form, container=container)
    with open(p, "rb") as f:
        assert sniff(f, p.name).format == container
    s = read(p)
    carrier, key, location = MP4_FORMS[form]
    label_sites = [x for x in s if x.key == key]
    assert [(x.carrier, x.text(), x.location) for x in label_sites] == [(carrier, j, location)]
    assert problems(s) == []
    assert_offsets(p, s)


def test_mp4_ffmpeg_writes_keys_for_every_metadata_item(tmp_path):
    j = av_label()
    p = write_mp4(tmp_path / "a.mp4", aigc=j, form="ffmpeg", metadata={"comment": "c"})
    assert sorted(triples(read(p))) == sorted([
        ("mp4-ilst", "AIGC", j), ("mp4-ilst", "comment", "c"), ("mp4-ilst", "encoder", "Lavf")])


def test_mp4_keys_with_utf16_and_software_key(tmp_path):
    items = {"AIGC": av_label("2"), "com.apple.quicktime.software": "Doubao 1.0"}
    raw = write_mp4(tmp_path / "a.mp4", form="none").read_bytes()
    udta = bmff_box(b"udta", mdta_meta(items, dtype=2))
    moov_at = raw.index(b"moov") - 4
    moov = raw[moov_at:]
    new = bmff_box(b"moov", moov[8:] + udta)
    s = read_bytes(raw[:moov_at] + new, "mp4")
    assert [t for t in triples(s) if t[0] == "mp4-ilst" and t[1] != "\xa9too"] == [
        ("mp4-ilst", "AIGC", items["AIGC"]),
        ("mp4-ilst", "com.apple.quicktime.software", "Doubao 1.0")]


def test_mp4_udta_text_atoms_xmp_and_c2pa_uuid(tmp_path):
    j = av_label()
    p = write_mp4(tmp_path / "a.mov", container="mov", form="uuid-xmp", aigc=j,
                  udta={"\xa9cmt": "comment", "\xa9swr": "Kling"}, c2pa=jumbf_c2pa())
    s = read(p)
    assert triples(s) == [("mp4-udta", "\xa9cmt", "comment"), ("mp4-udta", "\xa9swr", "Kling")]
    xmp = [x for x in s if x.kind is SiteKind.XMP]
    assert [(x.carrier, x.value) for x in xmp] == [("mp4-uuid-xmp", xmp_packet(j))]
    assert [(x.carrier, x.value) for x in s if x.kind is SiteKind.C2PA] == [("c2pa", jumbf_c2pa())]


needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="Debian ffmpeg missing")


@needs_ffmpeg
@pytest.mark.parametrize("movflags", ["use_metadata_tags", "use_metadata_tags+faststart"])
def test_mp4_written_by_the_guides_ffmpeg_command(tmp_path, movflags):
    j = av_label()
    src = write_mp4(tmp_path / "in.mp4", form="none")
    out = tmp_path / "out.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(src), "-c", "copy",
                    "-movflags", movflags, "-metadata", f"AIGC={j}", str(out)], check=True)
    assert ("mp4-ilst", "AIGC", j) in triples(read(out))


@needs_ffmpeg
def test_mov_written_by_ffmpeg_without_flag_drops_the_label_but_keeps_udta(tmp_path):
    src = write_mp4(tmp_path / "in.mp4", form="none")
    out = tmp_path / "out.mov"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(src), "-c", "copy",
                    "-metadata", "AIGC=x", "-metadata", "comment=hello", str(out)], check=True)
    s = triples(read(out))
    assert ("mp4-udta", "\xa9cmt", "hello") in s
    assert not any(k == "AIGC" for _, k, _ in s)


def test_fragmented_mp4_stops_at_the_first_fragment(tmp_path):
    j = av_label("2")
    p = write_mp4(tmp_path / "frag.mp4", aigc=j, form="ffmpeg", movflags="frag_every_frame",
                  frames=60)
    raw = p.read_bytes()
    assert raw.count(b"moof") >= 30
    with open(p, "rb") as f:
        c = Counting(f)
        s = list(isobmff.sites(c, "mp4", DEFAULT_LIMITS))  # type: ignore[arg-type]
    assert ("mp4-ilst", "AIGC", j) in triples(s) and problems(s) == []
    assert c.bytes < 2048


def _moov_with(items: dict[str, str]) -> bytes:
    return bmff_box(b"moov", bmff_box(b"udta", mdta_meta(items)))


def test_mp4_moov_after_huge_mdat_is_reached_by_seeking(tmp_path):
    j = av_label()
    p = tmp_path / "big.mp4"
    mdat_size = (3 << 30) + 12345  # 3 GB of (sparse) media: needs the 64-bit largesize
    with open(p, "wb") as f:
        f.write(bmff_box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41"))
        f.write(struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", mdat_size))
        f.seek(f.tell() + mdat_size - 16)
        f.write(_moov_with({"AIGC": j}))
    if os.stat(p).st_blocks * 512 > 64 << 20:
        pytest.skip("file system without sparse files")
    with open(p, "rb") as f:
        c = Counting(f)
        t = time.perf_counter()
        s = list(isobmff.sites(c, "mp4", DEFAULT_LIMITS))  # type: ignore[arg-type]
        assert time.perf_counter() - t < FAST
    assert triples(s) == [("mp4-ilst", "AIGC", j)]
    assert c.bytes < 4096


def test_mp4_lying_box_sizes_are_immediate_and_bounded():
    ftyp = bmff_box(b"ftyp", b"isom\x00\x00\x02\x00isom")
    good = _moov_with({"AIGC": "ok"})
    for bad in (bmff_box(b"moov", b"\x00" * 32, size=0xFFFFFFFF),  # declared 4 GB
                bmff_box(b"moov", b"\x00" * 32, large=True, size=1 << 62),
                bmff_box(b"moov", bmff_box(b"udta", b"", size=0x7FFFFFFF))):
        tracemalloc.start()
        t = time.perf_counter()
        s = read_bytes(ftyp + good + bad, "mp4")
        elapsed = time.perf_counter() - t
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert triples(s) == [("mp4-ilst", "AIGC", "ok")]
        assert problems(s) == ["parse-error"]
        assert elapsed < FAST and peak < 1 << 20


def test_mp4_ten_thousand_deep_nesting():
    inner = bmff_box(b"udta", b"")
    for _ in range(10_000):
        inner = bmff_box(b"udta" if _ % 2 else b"trak", inner)
    data = bmff_box(b"ftyp", b"isom\x00\x00\x02\x00") + bmff_box(b"moov", inner)
    t = time.perf_counter()
    s = read_bytes(data, "mp4")
    assert time.perf_counter() - t < FAST
    assert triples(s) == []


def test_mp4_ilst_damage_keeps_earlier_items_and_other_boxes(tmp_path):
    j = av_label()
    meta_ok = mdta_meta({"AIGC": j})
    broken_ilst = bmff_box(b"ilst", bmff_box(struct.pack(">I", 1), b"\x00" * 4, size=999))
    meta_bad = bmff_full_box(b"meta", broken_ilst)
    data = (bmff_box(b"ftyp", b"isom\x00\x00\x02\x00")
            + bmff_box(b"moov", bmff_box(b"udta", meta_bad) + bmff_box(b"udta", meta_ok)))
    s = read_bytes(data, "mp4")
    assert problems(s) == ["parse-error"] and triples(s) == [("mp4-ilst", "AIGC", j)]


def test_mp4_truncated_and_not_mp4(tmp_path):
    p = write_mp4(tmp_path / "a.mp4", aigc="x", form="keys")
    raw = p.read_bytes()
    s = read_bytes(raw[:raw.index(b"moov") + 40], "mp4")
    assert triples(s) == [] and problems(s) == ["parse-error"]
    with pytest.raises(CarrierError):
        read_bytes(b"\x00\x00\x00\x02\x01\x02\x03\x04garbage", "mp4")


# -- HEIF / AVIF ---------------------------------------------------------------------------------
def test_heif_xmp_and_exif_items_written_by_libheif(tmp_path):
    from PIL import Image

    j = av_label()
    ex = Image.Exif()
    ex[0x010E] = "desc"
    p = write_heif(tmp_path / "a.heic", xmp=xmp_packet(j), exif=ex.tobytes())
    s = read(p)
    kinds = [(x.kind, x.carrier) for x in s]
    assert kinds == [(SiteKind.EXIF, "exif"), (SiteKind.XMP, "xmp")]
    assert s[0].value[:4] in (b"II*\x00", b"MM\x00*") and s[1].value == xmp_packet(j)
    raw = p.read_bytes()
    assert raw[s[1].offset:s[1].offset + len(s[1].value)] == s[1].value
    assert raw[s[0].offset:s[0].offset + 4] == s[0].value[:4]


def test_avif_xmp_and_exif_items_written_by_libavif(tmp_path):
    from PIL import Image

    j = av_label("2")
    ex = Image.Exif()
    ex[0x0131] = "gen"
    p = write_avif(tmp_path / "a.avif", xmp=xmp_packet(j), exif=ex.tobytes())
    with open(p, "rb") as f:
        assert sniff(f, p.name).format == "avif"
    s = read(p)
    assert [x.kind for x in s] == [SiteKind.EXIF, SiteKind.XMP]
    assert s[1].value == xmp_packet(j)


@pytest.mark.parametrize("iloc_version,method,offset_size,base_size", [
    (0, 0, 4, 0), (1, 0, 8, 4), (1, 1, 4, 0), (2, 0, 4, 8), (2, 1, 8, 0)])
def test_heif_byte_built_iloc_variants(tmp_path, iloc_version, method, offset_size, base_size):
    j = av_label()
    tiff = b"MM\x00*\x00\x00\x00\x08\x00\x00"
    p = write_heif_bytes(tmp_path / "a.heic", xmp=xmp_packet(j), exif_tiff=tiff,
                         c2pa=jumbf_c2pa(), iloc_version=iloc_version, method=method,
                         offset_size=offset_size, base_offset_size=base_size,
                         infe_version=3 if iloc_version == 2 else 2)
    s = read(p)
    assert [(x.kind, x.carrier, x.value) for x in s] == [
        (SiteKind.XMP, "xmp", xmp_packet(j)), (SiteKind.EXIF, "exif", tiff),
        (SiteKind.C2PA, "c2pa", jumbf_c2pa())]
    raw = p.read_bytes()
    for x in s:
        assert raw[x.offset:x.offset + len(x.value)] == x.value


def test_heif_lying_extent_is_a_problem_not_a_read(tmp_path):
    p = write_heif_bytes(tmp_path / "a.heic", xmp=b"<x/>", extent_length=0x7FFFFFFF)
    tracemalloc.start()
    s = read(p)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [x.kind for x in s] == [P] and peak < 1 << 20


# -- MKV / WebM ----------------------------------------------------------------------------------
@pytest.mark.parametrize("doctype,label", [("matroska", "1"), ("webm", "2"), ("matroska", "3")])
def test_mkv_tags_written_by_libavformat(tmp_path, doctype, label):
    j = av_label(label)
    suffix = "webm" if doctype == "webm" else "mkv"
    p = write_mkv(tmp_path / f"a.{suffix}", tags={"AIGC": j}, doctype=doctype)
    with open(p, "rb") as f:
        assert sniff(f, p.name).format == ("webm" if doctype == "webm" else "mkv")
    s = read(p)
    assert triples(s) == [("mkv-info", "MuxingApp", "Lavf"), ("mkv-info", "WritingApp", "Lavf"),
                          ("mkv-tag", "AIGC", j), ("mkv-tag", "ENCODER", "Lavf"),
                          ("mkv-tag", "DURATION", "00:00:00.200000000")]
    assert s[2].location == "Segment/Tags/Tag[1]/SimpleTag[1]"
    assert s[4].location.startswith("Segment/Tags/Tag[2](track)")
    assert_offsets(p, s)


def test_mkv_tags_after_clusters_found_through_seekhead_without_reading_clusters(tmp_path):
    j = av_label()
    p = write_mkv_bytes(tmp_path / "a.webm", tags={"AIGC": j}, cluster_bytes=2_000_000)
    with open(p, "rb") as f:
        c = Counting(f)
        s = list(ebml.sites(c, "webm", DEFAULT_LIMITS))  # type: ignore[arg-type]
    assert ("mkv-tag", "AIGC", j) in triples(s)
    assert c.bytes < 4096


def test_mkv_tags_after_clusters_without_seekhead_by_skipping(tmp_path):
    j = av_label("3")
    p = write_mkv_bytes(tmp_path / "a.mkv", tags={"AIGC": j}, seekhead=False,
                        doctype="matroska", nested=[("PARENT", "p"), ("CHILD", "c")])
    s = read(p)
    assert triples(s) == [("mkv-info", "MuxingApp", "fixture-mux"),
                          ("mkv-info", "WritingApp", "fixture-app"),
                          ("mkv-tag", "AIGC", j), ("mkv-tag", "PARENT", "p"),
                          ("mkv-tag", "CHILD", "c")]
    assert s[-1].location.endswith("SimpleTag[2]/SimpleTag[1]")


def test_live_webm_with_unknown_sizes(tmp_path):
    j = av_label()
    p = write_mkv_bytes(tmp_path / "live.webm", tags={"AIGC": j}, live=True, tags_at_end=False,
                        seekhead=False)
    s = read(p)
    assert ("mkv-tag", "AIGC", j) in triples(s) and problems(s) == []


def test_mkv_ten_thousand_nested_simple_tags_hit_the_depth_limit(tmp_path):
    nested = [(f"N{i}", "v") for i in range(10_000)]
    p = write_mkv_bytes(tmp_path / "deep.mkv", tags={"AIGC": "x"}, nested=nested,
                        doctype="matroska", tags_at_end=False)
    t = time.perf_counter()
    s = read(p)
    assert time.perf_counter() - t < FAST
    assert ("mkv-tag", "AIGC", "x") in triples(s)
    assert problems(s) == ["resource-limit"]


def test_mkv_lying_element_size_and_not_ebml(tmp_path):
    header = ebml_element(0x1A45DFA3, ebml_element(0x4282, b"matroska"))
    info = ebml_element(0x1549A966, ebml_element(0x4D80, b"mux"))
    lying_tags = ebml_element(0x1254C367, b"\x00" * 16, size=(1 << 40), size_len=8)
    data = header + ebml_element(0x18538067, info + lying_tags, size_len=8)
    s = read_bytes(data, "mkv")
    assert triples(s) == [("mkv-info", "MuxingApp", "mux")] and problems(s) == ["parse-error"]
    with pytest.raises(CarrierError):
        read_bytes(b"\x00\x00\x00\x20ftypisom", "mkv")


def test_mkv_truncated(tmp_path):
    p = write_mkv(tmp_path / "a.mkv", tags={"AIGC": "x"})
    raw = p.read_bytes()
    s = read_bytes(raw[:len(raw) - 50], "mkv")
    assert ("mkv-tag", "AIGC", "x") in triples(s) and problems(s) == ["parse-error"]


# -- FLV -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("label", LABELS)
def test_flv_onmetadata_written_by_libavformat(tmp_path, label):
    j = av_label(label)
    p = write_flv(tmp_path / "a.flv", metadata={"AIGC": j})
    s = read(p)
    assert triples(s) == [("flv-metadata", "AIGC", j), ("flv-metadata", "encoder", "Lavf")]
    assert_offsets(p, s)


def test_flv_long_strings_nested_objects_and_xmp(tmp_path):
    j = av_label()
    p = write_flv_bytes(tmp_path / "a.flv", long_strings=True,
                        props={"duration": 1.5, "AIGC": j, "stereo": True,
                               "extra": {"AIGC": "inner", "n": 2}})
    assert triples(read(p)) == [("flv-metadata", "AIGC", j),
                                ("flv-metadata", "extra.AIGC", "inner")]
    xmp = amf_string("onXMPData") + amf_ecma_array({"liveXML": xmp_packet(j).decode()})
    s = read(write_flv_bytes(tmp_path / "x.flv", script=xmp))
    assert [(x.kind, x.carrier, x.value) for x in s] == [(SiteKind.XMP, "xmp", xmp_packet(j))]


def test_flv_ten_thousand_deep_objects_hit_the_depth_limit(tmp_path):
    deep: dict = {"AIGC": "bottom"}
    for _ in range(10_000):
        deep = {"o": deep}
    data = amf_string("onMetaData") + b"\x08\x00\x00\x00\x01"
    # built flat: the recursive writer would not manage 10,000 levels either
    opening = (struct.pack(">H", 1) + b"o" + b"\x03") * 10_000
    closing = b"\x00\x00\x09" * 10_001
    body = opening + struct.pack(">H", 4) + b"AIGC" + amf_string("bottom") + closing
    p = write_flv_bytes(tmp_path / "deep.flv", script=data + body)
    t = time.perf_counter()
    s = read(p)
    assert time.perf_counter() - t < FAST
    assert problems(s) == ["resource-limit"] and triples(s) == []


def test_flv_lying_tag_size_and_not_flv(tmp_path):
    header = b"FLV\x01\x05" + struct.pack(">I", 9) + b"\x00" * 4
    script = amf_string("onMetaData") + amf_ecma_array({"AIGC": "x"})
    data = header + flv_tag(18, script) + flv_tag(9, b"\x00" * 8, size=0xFFFFFF)
    s = read_bytes(data, "flv")
    assert triples(s) == [("flv-metadata", "AIGC", "x")] and problems(s) == ["parse-error"]
    with pytest.raises(CarrierError):
        read_bytes(b"FLX\x01", "flv")


# -- independent readers agree with the byte-built fixtures ---------------------------------------
@pytest.mark.skipif(shutil.which("exiftool") is None, reason="Debian exiftool missing")
def test_exiftool_reads_the_same_labels_from_byte_built_fixtures(tmp_path):
    """The byte-built forms are what real readers expect, not shapes only our parser knows."""
    import json

    files = {
        "keys": write_mp4(tmp_path / "k.mp4", aigc="KEYS", form="keys"),
        "qt-meta": write_mp4(tmp_path / "q.mov", aigc="QT", form="qt-meta", container="mov"),
        "mdir": write_mp4(tmp_path / "m.m4a", aigc="MDIR", form="mdir", container="m4a"),
        "flv": write_flv_bytes(tmp_path / "b.flv", props={"AIGC": "FLV"}, long_strings=True),
        "mkv": write_mkv_bytes(tmp_path / "b.mkv", tags={"AIGC": "MKV"}, tags_at_end=False,
                               doctype="matroska"),
        "heif": write_heif_bytes(tmp_path / "h.heic", xmp=xmp_packet("HEIF"), method=0),
    }
    out = subprocess.run(["exiftool", "-json", "-a", "-G1", *map(str, files.values())],
                         capture_output=True, text=True, check=True).stdout
    seen = {Path(r["SourceFile"]).name: {k.split(":")[-1].upper(): v for k, v in r.items()}
            for r in json.loads(out)}
    for form, path in files.items():
        ours = [x.text() for x in read(path) if x.key in ("AIGC", "XMP", "application/rdf+xml")]
        assert any(seen[path.name]["AIGC"] in text for text in ours), form


@needs_ffmpeg
def test_ffprobe_follows_the_same_seekhead_to_tags_after_clusters(tmp_path):
    import json

    p = write_mkv_bytes(tmp_path / "a.mkv", tags={"AIGC": "late"}, doctype="matroska")
    out = subprocess.run(["ffprobe", "-v", "error", "-of", "json", "-show_entries",
                          "format_tags", str(p)], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["format"]["tags"]["AIGC"] == "late"
    assert ("mkv-tag", "AIGC", "late") in triples(read(p))


# -- limits and the error contract ----------------------------------------------------------------
def test_small_limits_give_resource_limit_problems(tmp_path):
    j = av_label()
    p = write_flac(tmp_path / "a.flac", comments={f"K{i}": "v" for i in range(50)} | {"AIGC": j})
    s = read(p, limits=Limits(max_sites=10))
    assert len(s) == 11 and problems(s) == ["resource-limit"]
    p = write_mp4(tmp_path / "a.mp4", aigc=j, form="keys")
    s = read(p, limits=Limits(max_metadata_bytes=16))
    assert problems(s) == ["resource-limit"]
    s = read(write_wav(tmp_path / "a.wav", aigc_chunk=j), limits=Limits(max_structures=2))
    assert problems(s) == ["resource-limit"]


def _fixture_files(d: Path) -> list[Path]:
    j = av_label()
    return [
        write_mp3(d / "a.mp3", txxx={"AIGC": j}, comment="c", v2_version=3, encoding=1),
        _write(d / "b.mp3", _mp3_with(id3_tag(id3_frame("TXXX", b"\x03AIGC\x00x"), footer=True))),
        write_flac(d / "a.flac", comments={"AIGC": j}),
        write_ogg(d / "a.opus", comments={"AIGC": j}),
        write_wav(d / "a.wav", aigc_chunk=j, info={"AIGC": j}, id3_txxx={"AIGC": j}),
        write_avi(d / "a.avi", info={"AIGC": j}),
        write_mp4(d / "a.mp4", aigc=j, form="keys", udta={"\xa9cmt": "c"}, c2pa=jumbf_c2pa()),
        write_mp4(d / "b.mov", aigc=j, form="qt-meta", container="mov"),
        write_heif_bytes(d / "a.heic", xmp=b"<x/>", exif_tiff=b"II*\x00\x08\x00\x00\x00",
                         method=1),
        write_mkv(d / "a.mkv", tags={"AIGC": j}),
        write_mkv_bytes(d / "b.webm", tags={"AIGC": j}, nested=[("A", "b")]),
        write_flv_bytes(d / "a.flv", props={"AIGC": j, "o": {"k": "v"}}),
    ]


def _write(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


def test_only_verify_errors_escape_mutated_files(tmp_path):
    """A small deterministic fuzz: bit flips, truncations, random 4-byte sizes."""
    rng = random.Random(45438)
    for path in _fixture_files(tmp_path):
        raw = path.read_bytes()
        with open(path, "rb") as f:
            fmt = sniff(f, path.name).format
        for _ in range(120):
            data = bytearray(raw)
            choice = rng.random()
            if choice < 0.4:
                for _ in range(rng.randint(1, 8)):
                    data[rng.randrange(len(data))] = rng.randrange(256)
            elif choice < 0.7:
                at = rng.randrange(len(data) - 4)
                data[at:at + 4] = rng.choice([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00",
                                              b"\x7f\xff\xff\xff", b"\x00\x00\x00\x01",
                                              rng.randbytes(4)])
            else:
                del data[rng.randrange(len(data)):]
            try:
                out = read_bytes(bytes(data), fmt)
            except VerifyError:
                continue
            assert all(isinstance(s, Site) for s in out)


def test_modules_declare_their_formats():
    assert id3.FORMATS == ("mp3",)
    assert vorbis.FORMATS == ("flac", "ogg")
    assert riff.FORMATS == ("wav", "avi")
    assert isobmff.FORMATS == ("mp4", "mov", "m4a", "heif", "avif")
    assert ebml.FORMATS == ("mkv", "webm")
    assert flv.FORMATS == ("flv",)
    assert isobmff.XMP_UUID == XMP_UUID and isobmff.C2PA_UUID == C2PA_UUID


def test_reading_is_fast_on_every_fixture(tmp_path):
    files = _fixture_files(tmp_path)
    worst = 0.0
    for path in files:
        with open(path, "rb") as f:
            fmt = sniff(f, path.name).format
            module = carrier_for(fmt)
            list(module.sites(f, fmt, DEFAULT_LIMITS))  # warm imports
            t = time.perf_counter()
            for _ in range(20):
                list(module.sites(f, fmt, DEFAULT_LIMITS))
            worst = max(worst, (time.perf_counter() - t) / 20)
    assert worst < 0.01  # 10 ms per file is already 5x the product's whole-file budget share
