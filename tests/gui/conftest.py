"""GUI test fixtures: real files made at test time, one background helper (with its real worker
processes) for the whole session, and a fresh main window per test. Offscreen Qt."""

from __future__ import annotations

import json
import os
import struct

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from aigcverify_gui.binding_check import binding_problem  # noqa: E402

# Checked once, before any test touches Qt: a broken binding would abort the whole pytest run
# (every other suite with it), so the GUI tests fail one by one with the reason instead.
BINDING_PROBLEM = binding_problem()

PRODUCER = "001191110102MACQD9K64010000"


def label_json(label: str, **extra: str) -> str:
    fields = {"Label": label, "ContentProducer": PRODUCER, "ProduceID": f"id-{label}",
              "ReservedCode1": "", "ContentPropagator": PRODUCER, "PropagateID": f"id-{label}",
              "ReservedCode2": ""}
    fields.update(extra)
    return json.dumps(fields)


def png_with_text(path, chunks: dict[str, str] | None = None, size=(96, 64), colour=(40, 120, 200)):
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for key, value in (chunks or {}).items():
        info.add_text(key, value)
    Image.new("RGB", size, colour).save(path, pnginfo=info)
    return str(path)


def truncated_png(path) -> str:
    """A PNG signature and the start of an IHDR chunk, then the file ends: the PNG reader
    cannot read it at all."""
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + b"\xff" * 3)
    return str(path)


@pytest.fixture(autouse=True)
def _sound_binding():
    if BINDING_PROBLEM:
        pytest.fail(BINDING_PROBLEM, pytrace=False)


@pytest.fixture
def sample_files(tmp_path):
    """One file per verdict (name -> path)."""
    folder = tmp_path / "samples"
    folder.mkdir()
    junk = folder / "junk.jpg"
    junk.write_bytes(os.urandom(600))
    return {
        "confirmed": png_with_text(folder / "confirmed.png", {"AIGC": label_json("1")}),
        "declared": png_with_text(folder / "declared.png", {"AIGC": label_json("2")}),
        "suspected": png_with_text(folder / "suspected.png", {"AIGC": label_json("3")}),
        "none": png_with_text(folder / "plain.png"),
        "unreadable": str(junk),
    }


@pytest.fixture(scope="session")
def tasks():
    if BINDING_PROBLEM:
        pytest.fail(BINDING_PROBLEM, pytrace=False)
    from aigcverify_gui.tasks import Tasks

    helper = Tasks()
    yield helper
    helper.close()


@pytest.fixture
def settings(tmp_path):
    from aigcverify_gui.settings import Settings

    s = Settings(tmp_path / "data")
    # the detector has no model in a fresh checkout; OCR is slow: the GUI tests check the GUI
    s.detector = False
    s.explicit = False
    return s


@pytest.fixture
def window(qtbot, tasks, settings):
    from aigcverify_gui.i18n import set_lang
    from aigcverify_gui.main_window import MainWindow

    set_lang("zh_CN")
    win = MainWindow(tasks, settings, save_state=False)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.warmed, timeout=10_000)
    yield win
    # leave the shared helper idle for the next test
    tasks.cancel_all()
    qtbot.waitUntil(lambda: not tasks.busy(), timeout=20_000)
    set_lang("zh_CN")


def drop_files(widget, paths: list[str]) -> None:
    """A real drag-enter + drop of file URLs onto widget, as the file manager sends them."""
    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = widget.rect().center()
    enter = QDragEnterEvent(QPoint(centre), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    assert drop.isAccepted()


@pytest.fixture
def drop():
    return drop_files


@pytest.fixture
def make_png():
    """make_png(path, chunks={"AIGC": label_json("1")}) -> str path of a real PNG."""
    return png_with_text


@pytest.fixture
def make_label():
    return label_json


@pytest.fixture
def make_truncated_png():
    return truncated_png
