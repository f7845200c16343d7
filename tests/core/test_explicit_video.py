"""Visible labels in video (GB 45438 5.4: opening frames, at least 2 s, 5 % of the shortest
side), on H.264 videos written by PyAV with the label drawn on chosen frames."""

import pytest
from tests.fixtures.explicit_fixtures import make_label_video, need_cjk_font

from aigcverify.explicit.video import check_video
from aigcverify.pipeline import CheckOptions, check_file

OPTIONS = CheckOptions(detector=False, lang="zh_CN")


@pytest.fixture(autouse=True)
def _font():
    need_cjk_font()


def _video_labels(result):
    return [e for e in result["explicit_labels"] if e["modality"] == "video-text"]


def test_label_on_the_opening_for_three_seconds(tmp_path, validate_result):
    path = make_label_video(tmp_path / "ok.mp4", [(0, 3.0)], text="AI生成", ratio=0.07,
                            duration=3.5, size=(854, 480))
    result = check_file(path, OPTIONS)
    validate_result(result)
    labels = _video_labels(result)
    assert len(labels) == 1
    label = labels[0]
    assert label["text"] == "AI生成" and label["start_s"] == 0.0
    assert label["duration_s"] == pytest.approx(3.0, abs=0.25)
    assert label["height_ratio"] == pytest.approx(0.07, rel=0.2)
    assert label["compliant"] and label["problems"] == []
    assert result["verdict"] == "suspected"
    assert "explicit-without-implicit" in [p["code"] for p in result["problems"]]


@pytest.mark.slow
@pytest.mark.parametrize("spans,start,seconds", [
    ([(0, 1.0)], 0.0, 1.0),
    ([(0, 2.0)], 0.0, 2.0),
    ([(1.5, 4.0)], 1.5, 2.5),
])
def test_opening_duration_rule(tmp_path, spans, start, seconds):
    path = make_label_video(tmp_path / "v.mp4", spans, text="豆包AI生成", ratio=0.07,
                            duration=4.0, size=(854, 480))
    labels = check_video(str(path), "mp4")
    assert len(labels) == 1
    label = labels[0]
    assert label["start_s"] == pytest.approx(start, abs=0.13)
    assert label["duration_s"] == pytest.approx(seconds, abs=0.13)
    compliant = start == 0.0 and seconds >= 2.0
    assert label["compliant"] is compliant
    assert ("explicit-label-too-short" in label["problems"]) is (not compliant)


@pytest.mark.slow
def test_video_without_a_label(tmp_path, validate_result):
    path = make_label_video(tmp_path / "plain.mp4", [], duration=3.0, size=(854, 480))
    result = check_file(path, OPTIONS)
    validate_result(result)
    assert result["explicit_labels"] == [] and result["verdict"] == "none"


def test_frames_are_read_as_displayed_when_the_video_is_rotated(tmp_path):
    """A display-matrix rotation (phone videos) is applied the way FFmpeg's autorotate does."""
    import shutil
    import subprocess
    from fractions import Fraction

    import av
    import numpy as np

    from aigcverify.explicit.video import sample_frames

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg (Debian) is not installed")
    src, rotated = tmp_path / "src.mp4", tmp_path / "rot.mp4"
    with av.open(str(src), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for i in range(5):
            rgb = np.zeros((240, 320, 3), np.uint8)
            rgb[:60, :80] = 255  # a white block in the top-left corner of the coded picture
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 10)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(src), "-c", "copy",
                    "-metadata:s:v:0", "rotate=90", str(rotated)], check=True, timeout=60)
    samples, _, coded = sample_frames(str(rotated), "mp4")
    assert coded == (320, 240)
    frame = samples[0].bgr
    assert frame.shape[:2] == (320, 240)  # displayed upright: portrait
    white = np.argwhere(frame[:, :, 0] > 200).mean(axis=0)
    assert white[0] > 240 and white[1] < 60  # the block is shown bottom-left, as ffmpeg shows it


def test_broken_picture_track_does_not_hide_the_sound_track(tmp_path):
    """A video whose frames cannot be decoded still gets its audio prompt checked; the failure
    is reported as explicit-failed next to what was found."""
    import av
    import numpy as np
    from tests.fixtures.explicit_fixtures import rhythm_signal

    from aigcverify.explicit import run

    samples, _ = rhythm_signal(48000, total_s=2.0, lead_s=0.2, dot_s=0.1)
    good = make_label_video(tmp_path / "tone.mp4", [], duration=2.0, audio=samples,
                            size=(320, 180))
    # rewrite the file with every video packet's payload zeroed: the demuxer is happy, the
    # decoder is not
    broken = tmp_path / "broken.mp4"
    with av.open(str(good)) as src, av.open(str(broken), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux():
            if packet.dts is None:
                continue
            target = streams[packet.stream.index]
            if packet.stream.type == "video":
                junk = av.Packet(np.full(packet.size, 0x5A, np.uint8).tobytes())
                junk.pts, junk.dts, junk.time_base = packet.pts, packet.dts, packet.time_base
                packet = junk
            packet.stream = target
            out.mux(packet)
    result = {"file": {"media_type": "video", "format": "mp4"}, "explicit_labels": [],
              "problems": [], "metadata_hints": []}
    run(str(broken), result, [], OPTIONS)
    assert [e["modality"] for e in result["explicit_labels"]] == ["audio-rhythm"]
    failed = [p for p in result["problems"] if p["code"] == "explicit-failed"]
    assert len(failed) == 1 and "video could not be decoded" in failed[0]["detail"]
