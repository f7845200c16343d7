"""The "short-long-short-short" audio prompt, in files made by real encoders, and decoys."""

import numpy as np
import pytest
from tests.fixtures.explicit_fixtures import (
    add_noise,
    beep_signal,
    espeak_speech,
    make_label_video,
    music_signal,
    rhythm_signal,
    write_audio,
)

from aigcverify.explicit.audio_rhythm import ANALYSIS_RATE, find_rhythm
from aigcverify.pipeline import CheckOptions, check_file

OPTIONS = CheckOptions(detector=False, lang="zh_CN")


def _rhythms(path, validate_result):
    result = check_file(path, OPTIONS)
    validate_result(result)
    return result, [e for e in result["explicit_labels"] if e["modality"] == "audio-rhythm"]


@pytest.mark.parametrize("codec,rate,dot,noise_db", [
    ("wav", 16000, 0.12, None),
    ("mp3", 44100, 0.12, 10),
    ("aac", 48000, 0.08, None),
    ("opus", 48000, 0.2, 12),
    ("flac", 22050, 0.1, None),
])
def test_rhythm_at_the_start(tmp_path, validate_result, codec, rate, dot, noise_db):
    samples, onset = rhythm_signal(rate, dot_s=dot, freq=800 if codec != "opus" else 1000)
    if noise_db is not None:
        samples = add_noise(samples, noise_db)
    path = write_audio(tmp_path / f"prompt-{codec}", samples, rate, codec)
    result, hits = _rhythms(path, validate_result)
    assert len(hits) == 1, hits
    hit = hits[0]
    assert hit["start_s"] == pytest.approx(onset, abs=0.03)
    assert hit["duration_s"] == pytest.approx(6 * dot + 3 * dot, abs=0.05)
    assert hit["elements_s"][1] / hit["elements_s"][0] == pytest.approx(3, rel=0.25)
    assert hit["position"] == "start" and hit["compliant"] and hit["heuristic"] is True
    assert result["verdict"] == "suspected"


def test_rhythm_only_at_the_end_is_reported_but_not_compliant(tmp_path, validate_result):
    samples, onset = rhythm_signal(44100, at="end", total_s=12.0)
    path = write_audio(tmp_path / "end", samples, 44100, "mp3")
    result, hits = _rhythms(path, validate_result)
    assert [h["position"] for h in hits] == ["end"]
    assert hits[0]["problems"] == ["explicit-audio-position"]
    assert "explicit-audio-position" in [p["code"] for p in result["problems"]]


def test_rhythm_at_start_and_middle(tmp_path):
    rate = 22050
    first, _ = rhythm_signal(rate, total_s=20.0)
    both, _ = rhythm_signal(rate, total_s=20.0, at="middle", bed=first)
    hits = find_rhythm(np.interp(np.arange(0, len(both), rate / ANALYSIS_RATE),
                                 np.arange(len(both)), both).astype(np.float32))
    assert len(hits) == 2 and hits[1].start == pytest.approx(10.0 - 0.54, abs=0.05)


def test_decoys_give_no_hit(tmp_path, validate_result):
    rate = 44100
    decoys = {
        "beep": beep_signal(rate),
        "music": music_signal(rate, total_s=12.0, seed=7),
        "noise": add_noise(np.zeros(rate * 4), 0.0) * 0.1,
        "silence": np.zeros(rate * 3),
    }
    for name, samples in decoys.items():
        _, hits = _rhythms(write_audio(tmp_path / name, samples, rate, "mp3"), validate_result)
        assert hits == [], name


def test_speech_is_not_a_rhythm(tmp_path, validate_result):
    speech = espeak_speech("本内容由人工智能生成。短，长，短，短。", "cmn", 22050, tmp_path)
    _, hits = _rhythms(write_audio(tmp_path / "speech", speech, 22050, "aac"), validate_result)
    assert hits == []


def test_rhythm_in_a_video_sound_track(tmp_path, validate_result):
    samples, _ = rhythm_signal(48000, total_s=2.0, lead_s=0.2, dot_s=0.1)
    path = make_label_video(tmp_path / "tone.mp4", [], duration=2.0, audio=samples,
                            size=(320, 180))
    result, hits = _rhythms(path, validate_result)
    assert len(hits) == 1 and hits[0]["position"] == "start"
    assert [e for e in result["explicit_labels"] if e["modality"] == "video-text"] == []


def test_long_audio_keeps_its_first_and_last_window(tmp_path, monkeypatch):
    from aigcverify.explicit import audio_rhythm

    monkeypatch.setattr(audio_rhythm, "ANALYSE_MAX_S", 20.0)
    monkeypatch.setattr(audio_rhythm, "WINDOW_S", 8.0)
    rate = 16000
    start, _ = rhythm_signal(rate, total_s=40.0)
    both, end_onset = rhythm_signal(rate, total_s=40.0, at="end", bed=start)
    path = write_audio(tmp_path / "long", both, rate, "flac")
    pieces, duration = audio_rhythm.decode_mono(str(path), "flac")
    assert duration == pytest.approx(40.0, abs=0.05)
    assert [round(offset) for offset, _ in pieces] == [0, 32]
    assert all(len(samples) / ANALYSIS_RATE == pytest.approx(8.0, abs=0.2) for _, samples in pieces)
    entries = audio_rhythm.check_audio(str(path), "flac", "en")
    assert [(e["position"], e["compliant"]) for e in entries] == [("start", True), ("end", True)]
    assert entries[1]["start_s"] == pytest.approx(end_onset, abs=0.03)
