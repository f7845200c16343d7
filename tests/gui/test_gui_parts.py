"""The GUI's pure parts and its start-up: settings, texts, re-translation, screenshot mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aigcverify.i18n import tr
from aigcverify.pipeline import CheckOptions, check_file

ROOT = Path(__file__).resolve().parents[2]


def _check(path, lang="zh_CN"):
    return check_file(path, CheckOptions(detector=False, explicit=False, lang=lang))


def test_settings_live_in_the_data_folder_only(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QByteArray

    from aigcverify_gui.settings import SETTINGS_FILE, Settings

    home = tmp_path / "home"
    monkeypatch.setenv("AIGCVERIFY_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "user" / ".config"))
    s = Settings()
    s.lang, s.detector, s.provider = "en", False, "CPUExecutionProvider"
    s.set_blob("geometry", QByteArray(b"\x01\x02"))
    s.sync()
    again = Settings()
    assert (again.lang, again.detector, again.provider) == ("en", False, "CPUExecutionProvider")
    assert bytes(again.blob("geometry")) == b"\x01\x02"
    assert sorted(p.name for p in home.iterdir()) == [SETTINGS_FILE]
    assert not (tmp_path / "user").exists()


def test_window_geometry_is_remembered(qtbot, tasks, tmp_path):
    from aigcverify_gui.main_window import MainWindow
    from aigcverify_gui.settings import Settings

    settings = Settings(tmp_path / "data")
    first = MainWindow(tasks, settings)
    qtbot.addWidget(first)
    first.show()
    first.resize(first.width(), 480)  # the default would be 90 % of the 800 x 600 offscreen screen
    size = first.size()
    first.close()
    second = MainWindow(tasks, Settings(tmp_path / "data"))
    qtbot.addWidget(second)
    assert second.size() == size
    assert second.height() == 480


def test_settings_dialog_applies_and_switches_language(qtbot, tmp_path):
    from aigcverify_gui.dialogs.settings_dialog import SettingsDialog
    from aigcverify_gui.i18n import current_lang, set_lang
    from aigcverify_gui.settings import Settings

    set_lang("zh_CN")
    settings = Settings(tmp_path)
    dialog = SettingsDialog(settings, providers=["CPUExecutionProvider"])
    qtbot.addWidget(dialog)
    assert dialog.folder.text() == str(tmp_path)
    assert "网络" in dialog.offline.text()
    dialog.lang.setCurrentIndex(dialog.lang.findData("en"))
    dialog.detector.setChecked(False)
    dialog.provider.setCurrentIndex(dialog.provider.findData("CPUExecutionProvider"))
    dialog.apply()
    set_lang(settings.lang)
    try:
        assert current_lang() == "en"
        assert (settings.detector, settings.provider) == (False, "CPUExecutionProvider")
        dialog.retranslate()
        assert dialog.windowTitle() == "Settings"
    finally:
        set_lang("zh_CN")


def test_available_providers_come_from_onnxruntime():
    from aigcverify_gui.dialogs.settings_dialog import available_providers

    assert "CPUExecutionProvider" in available_providers()


def test_relocalize_turns_a_chinese_result_into_english(tmp_path, make_png, make_label):
    from aigcverify_gui.localize import relocalize

    png = make_png(tmp_path / "x.png", {"AIGC": make_label("1", ProduceID="")})
    path = str(Path(png).rename(tmp_path / "x.jpg"))  # a PNG named .jpg: extension-mismatch
    result = _check(path, "zh_CN")
    english = _check(path, "en")
    relocalize(result, "en")
    assert result["reason"]["message"] == english["reason"]["message"]
    meaning = english["implicit_labels"][0]["label_meaning"]
    assert result["implicit_labels"][0]["label_meaning"] == meaning
    assert ([d["message"] for d in result["implicit_labels"][0]["problem_details"]]
            == [d["message"] for d in english["implicit_labels"][0]["problem_details"]])
    by_code = {p["code"]: p["message"] for p in english["problems"]}
    for problem in result["problems"]:
        # translated, or (when the result lacks a parameter) left exactly as checked
        assert problem["message"] == by_code[problem["code"]] or "{" not in problem["message"]
    ext = next(p for p in result["problems"] if p["code"] == "extension-mismatch")
    assert ext["message"] == by_code["extension-mismatch"]


def test_copy_text_says_what_the_screen_says(tmp_path, make_png, make_label):
    from aigcverify_gui.result_text import as_json, as_text

    result = _check(make_png(tmp_path / "c.png", {"AIGC": make_label("1")}))
    text = as_text(result, "zh_CN")
    lines = text.splitlines()
    assert lines[0] == tr("gui.text.file", "zh_CN", name="c.png")
    assert lines[1] == tr("gui.text.verdict", "zh_CN", verdict=tr("verdict.confirmed", "zh_CN"))
    assert result["file"]["sha256"] in text and result["file"]["sm3"] in text
    assert "字节跳动" in text
    assert tr("gui.raw", "zh_CN") not in text  # raw rows only on request
    assert tr("gui.raw", "zh_CN") in as_text(result, "zh_CN", raw=True)
    assert json.loads(as_json(result)) == result


def test_detector_words_are_bands_never_percentages():
    from aigcverify_gui.describe import detector_band, evidence

    assert detector_band({"score": 0.9, "threshold": 0.5}) == "traces"
    assert detector_band({"score": 0.1, "threshold": 0.5}) == "no-traces"
    assert detector_band({"score": 0.9, "threshold": 0.5, "laundering": True}) == "inconclusive"
    assert detector_band({"band": "inconclusive", "score": 0.9, "threshold": 0.5}) == "inconclusive"
    result = {"detector": {"model": "npr 1.0", "score": 0.83, "threshold": 0.5,
                           "provider": "CPUExecutionProvider"}, "stages": ["detector"]}
    for lang in ("zh_CN", "en"):
        group = evidence(result, lang)[-1]
        node = group.children[0]
        assert node.value == tr("gui.detector.band.traces", lang)
        shown = " ".join(f"{c.label} {c.value}" for c in node.children if not c.raw)
        assert "%" not in shown and "83" not in shown.replace("0.83", "")
        assert "0.83" in shown and "0.50" in shown and "npr 1.0" in shown
        words = (node.value + shown).lower()
        assert not any(w in words for w in ("real", "fake", "真实", "伪造"))
    # a video's result carries the measured caveat, shown beside the band
    video = {"detector": {**result["detector"], "caveat": tr("detector.caveat.video", "zh_CN")},
             "stages": ["detector"]}
    node = evidence(video, "zh_CN")[-1].children[0]
    assert tr("detector.caveat.video", "zh_CN") in [c.value for c in node.children]


def test_folder_expansion_is_bounded(tmp_path):
    from aigcverify_gui.tasks import expand_paths

    for i in range(30):
        (tmp_path / f"{i:02d}.txt").write_text("x")
    (tmp_path / ".secret").write_text("x")
    os.symlink(tmp_path, tmp_path / "loop")  # a symlinked folder is not followed
    files = expand_paths([str(tmp_path)], limit=10)
    assert [Path(f).name for f in files] == [f"{i:02d}.txt" for i in range(10)]
    assert len(expand_paths([str(tmp_path)])) == 30


def test_plugins_are_optional_but_never_hidden(qtbot, monkeypatch, tmp_path):
    from aigcverify_gui import app

    calls = []
    plugin = tmp_path / "gui_plugin_ok.py"
    plugin.write_text("def install(window):\n    window.append('installed')\n")
    broken = tmp_path / "gui_plugin_broken.py"
    broken.write_text("import module_that_does_not_exist\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(app, "PLUGIN_MODULES", ("gui_plugin_missing", "gui_plugin_ok"))
    assert app.install_plugins(calls) == ["gui_plugin_ok"]
    assert calls == ["installed"]
    monkeypatch.setattr(app, "PLUGIN_MODULES", ("gui_plugin_broken",))
    with pytest.raises(ModuleNotFoundError):
        app.install_plugins(calls)


def test_the_installed_binding_is_sound():
    from aigcverify_gui.binding_check import binding_problem

    assert binding_problem() is None


def test_screenshot_mode_saves_the_window_and_exits_0(tmp_path, make_png, make_label):
    from PySide6.QtGui import QImage

    files = [make_png(tmp_path / "a.png", {"AIGC": make_label("3")}), make_png(tmp_path / "b.png")]
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", AIGCVERIFY_HOME=str(tmp_path / "home"))
    proc = subprocess.run([sys.executable, "-m", "aigcverify_gui", "--screenshot", str(out),
                           "--lang", "en", "--size", "1000x700", *files],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1000, 700)
    # no window geometry was saved by the screenshot run
    ini = tmp_path / "home" / "gui-settings.ini"
    assert not ini.exists() or "geometry" not in ini.read_text()
    usage = subprocess.run([sys.executable, "-m", "aigcverify_gui", "--screenshot", str(out)],
                           env=env, capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2


def test_a_finished_batch_is_no_longer_busy_when_announced(qtbot, tasks, tmp_path, make_png,
                                                           make_label):
    """The window decides 'idle' when it hears batch_finished; if the helper still counted the
    batch as current at that moment, the window would wait for an idle that never comes."""
    from PySide6.QtCore import Qt

    busy_when_announced = []
    announce = lambda *_: busy_when_announced.append(tasks.busy())  # noqa: E731
    # a direct connection runs in the helper thread, at the very moment of the announcement
    tasks.batch_finished.connect(announce, Qt.ConnectionType.DirectConnection)
    try:
        png = make_png(tmp_path / "a.png", {"AIGC": make_label("1")})
        for _ in range(3):
            with qtbot.waitSignal(tasks.batch_finished, timeout=60_000):
                tasks.submit([png], CheckOptions(detector=False, explicit=False))
    finally:
        tasks.batch_finished.disconnect(announce)
    assert busy_when_announced == [False, False, False]
