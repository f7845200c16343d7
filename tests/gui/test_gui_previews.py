"""Preview decoding (background helper) and painting, on files written at test time."""

from __future__ import annotations

import math
import socket
import struct
import wave
import zlib

import numpy as np
import pytest
from PySide6.QtGui import QColor

from aigcverify_gui.previews import decode_preview


def _never() -> bool:
    return False


def _mp4(path, seconds=3, fps=10, size=(160, 120)):
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(seconds * fps):
            shade = int(255 * i / (seconds * fps))
            frame = av.VideoFrame.from_ndarray(np.full((size[1], size[0], 3), shade, np.uint8),
                                               format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return str(path)


def _wav(path, rate=16000):
    """1 s tone, 1 s silence, 1 s tone."""
    t = np.arange(rate) / rate
    tone = (0.8 * np.sin(2 * math.pi * 440 * t) * 32767).astype("<i2")
    pcm = np.concatenate([tone, np.zeros(rate, "<i2"), tone])
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return str(path)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_header_only(path, width, height):
    """A PNG that announces width x height but carries almost no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
                     + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _png_chunk(b"IEND", b""))
    return str(path)


def test_video_keyframes_start_at_the_first_frame(tmp_path):
    data = decode_preview(_mp4(tmp_path / "v.mp4"), "video", 1, _never)
    assert data.error == ""
    assert data.kind == "video"
    assert data.duration_s == pytest.approx(3.0, abs=0.2)
    times = [ts for ts, _ in data.frames]
    assert times[0] == 0.0
    assert len(times) >= 4 and times == sorted(times)
    assert all(img.height() == 120 for _, img in data.frames)
    # later frames are brighter: the strip shows the right moments, not the first frame 8 times
    first, last = data.frames[0][1], data.frames[-1][1]
    assert QColor(last.pixel(5, 5)).lightness() > QColor(first.pixel(5, 5)).lightness() + 60


def test_audio_waveform_is_downsampled_and_shows_the_silence(tmp_path):
    data = decode_preview(_wav(tmp_path / "a.wav"), "audio", 1, _never)
    assert data.error == ""
    assert data.duration_s == pytest.approx(3.0, abs=0.05)
    peaks = data.peaks
    assert 100 <= len(peaks) <= 1200
    n = len(peaks)
    assert peaks[: n // 3 - 5].min() > 0.5
    assert peaks[n // 3 + 5: 2 * n // 3 - 5].max() < 0.05


def test_text_head_reads_chinese_in_gb18030(tmp_path):
    path = tmp_path / "t.txt"
    lines = [f"第{i}行：本文由人工智能生成" for i in range(100)]
    path.write_bytes("\n".join(lines).encode("gb18030"))
    data = decode_preview(str(path), "text", 1, _never)
    assert data.text.splitlines()[0] == lines[0]
    assert len(data.text.splitlines()) == 40


def test_huge_pictures_are_refused_before_decoding(tmp_path):
    data = decode_preview(_png_header_only(tmp_path / "huge.png", 30000, 30000), "image", 1, _never)
    assert data.error == "gui.preview.too-large"
    assert data.image is None


def test_damaged_media_gives_no_preview_and_no_exception(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 8)
    for media in ("video", "audio", "image"):
        data = decode_preview(str(junk), media, 1, _never)
        assert data.error, media


def test_a_newer_request_stops_decoding(tmp_path):
    assert decode_preview(_mp4(tmp_path / "v.mp4"), "video", 1, lambda: True) is None


def test_ffmpeg_may_not_open_anything_but_the_file(tmp_path):
    """A playlist that points to a server: the preview must not connect to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.setblocking(False)
    port = server.getsockname()[1]
    playlist = tmp_path / "list.m3u8"
    playlist.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n"
                        f"http://127.0.0.1:{port}/seg.ts\n#EXT-X-ENDLIST\n")
    try:
        data = decode_preview(str(playlist), "video", 1, _never)
        assert data.error
        with pytest.raises(BlockingIOError):
            server.accept()
    finally:
        server.close()


def test_boxes_are_drawn_where_the_label_is(qtbot, tmp_path, make_png):
    from aigcverify_gui.widgets.preview import BOX_COLOUR, PreviewPanel

    path = make_png(tmp_path / "p.png", size=(400, 200), colour=(30, 30, 30))
    data = decode_preview(path, "image", 1, _never)
    panel = PreviewPanel()
    qtbot.addWidget(panel)
    panel.resize(800, 500)
    panel.show()
    panel.set_preview(data)
    panel.set_result({"explicit_labels": [{"modality": "image-text", "text": "AI生成",
                                           "box": [300, 160, 390, 190], "compliant": True}]})
    assert panel.page() == "image"
    assert "1" in panel.caption.text()
    shot = panel.canvas.grab().toImage()
    rect = panel.canvas.image_rect()
    scale = rect.width() / 400
    x = round(rect.x() + 300 * scale)
    y = round(rect.y() + 175 * scale)
    edge = QColor(shot.pixel(x, y))
    assert (edge.red(), edge.green()) > (200, 180) and edge.blue() < 80, edge.name()
    inside = QColor(shot.pixel(round(rect.x() + 345 * scale), y))
    assert inside.lightness() < 60  # the picture itself, not covered
    assert BOX_COLOUR.name() == "#ffd60a"


def test_video_and_audio_marks_follow_the_label_times(qtbot, tmp_path):
    from aigcverify_gui.widgets.preview import PreviewPanel

    panel = PreviewPanel()
    qtbot.addWidget(panel)
    panel.set_preview(decode_preview(_mp4(tmp_path / "v.mp4"), "video", 1, _never))
    panel.set_result({"explicit_labels": [{"modality": "video-text", "text": "AI生成",
                                           "start_s": 0.0, "duration_s": 1.0, "compliant": False}]})
    marked = [ts for ts, _ in panel.data.frames if panel.strip.marked(ts)]
    assert marked and all(ts <= 1.0 for ts in marked)
    assert "0.0" in panel.caption.text() and "1.0" in panel.caption.text()
    panel.set_preview(decode_preview(_wav(tmp_path / "a.wav"), "audio", 2, _never))
    panel.set_result({"explicit_labels": [{"modality": "audio-rhythm", "text": "·−··",
                                           "start_s": 0.0, "duration_s": 0.9, "compliant": True}]})
    assert panel.page() == "audio"
    assert "0.9" in panel.caption.text()
