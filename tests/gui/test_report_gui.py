"""The "File report" dialog and the History view, offscreen, with the real report log, the real
check and a real export (waitSignal, never sleep)."""

from __future__ import annotations

import zipfile

import pytest

from aigcverify.export.verify_package import verify_package
from aigcverify.pipeline import CheckOptions, check_file
from aigcverify.store import ReportLog


@pytest.fixture
def worker(home):
    from aigcverify_gui.dialogs.report_dialog import StoreWorker

    w = StoreWorker()
    yield w
    w.close()


@pytest.fixture
def checked(tmp_path, make_png, make_label):
    path = make_png(tmp_path / "疑似.png", {"AIGC": make_label("1")})
    return path, check_file(path, CheckOptions(detector=False, explicit=False, lang="zh_CN"))


def _dialog(qtbot, worker, checked):
    from aigcverify_gui.dialogs.report_dialog import ReportDialog
    from aigcverify_gui.i18n import set_lang

    set_lang("zh_CN")
    path, result = checked
    dialog = ReportDialog(result, path, worker, preview=False)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_report_dialog_validates_then_saves_in_the_background(qtbot, worker, checked, home):
    dialog = _dialog(qtbot, worker, checked)
    assert "确认为AI生成" in dialog.header.text()
    dialog.complaint_type.setCurrentIndex(dialog.complaint_type.findData("label-tampered"))
    dialog.platform.setCurrentText("抖音")
    dialog.url.setText("javascript:alert(1)")
    dialog.description.setPlainText("标识被去掉后重新发布")
    dialog.submit()
    assert dialog.error.isVisible() and "网址" in dialog.error.text()
    assert dialog.url.hasFocus() or not dialog.isActiveWindow()
    with ReportLog() as log:
        assert log.count() == 0  # nothing saved for an invalid form
    dialog.url.setText("v.douyin.com/abc123")
    dialog.account.setText("@某人")
    with qtbot.waitSignal(dialog.saved, timeout=20_000) as saved:
        dialog.submit()
    entry = saved.args[0]
    assert not dialog.isVisible()
    with ReportLog() as log:
        stored = log.current(entry.report_id)
    assert stored.body["complaint"] == {"type": "label-tampered",
                                        "description": "标识被去掉后重新发布", "contact": ""}
    assert stored.body["seen"]["url"] == "https://v.douyin.com/abc123"
    assert stored.body["evidence"]["original"] is not None  # keep-original is on by default
    assert stored.body["result"]["verdict"] == "confirmed"


def test_report_dialog_keeps_the_form_when_saving_fails(qtbot, worker, checked, home):
    dialog = _dialog(qtbot, worker, checked)
    dialog.description.setPlainText("说明")
    with open(checked[0], "ab") as fh:  # the file changes between the check and the save
        fh.write(b"changed after the check")
    with qtbot.waitSignal(dialog.save_failed, timeout=20_000) as failed:
        dialog.submit()
    assert "改动" in failed.args[0] and dialog.isVisible()
    assert dialog.description.toPlainText() == "说明"  # nothing typed is lost


def test_history_lists_filters_verifies_and_exports(qtbot, worker, checked, home, tmp_path,
                                                    make_png):
    from aigcverify_gui.dialogs.history import HistoryDialog
    from aigcverify.store import ReportDraft, Seen

    path, result = checked
    plain = make_png(tmp_path / "plain.png")
    with ReportLog() as log:
        a = log.file_report(result, ReportDraft(seen=Seen(platform="微博"), description="甲",
                                                keep_original=True), source=path)
        b = log.file_report(check_file(plain, CheckOptions(detector=False, explicit=False)),
                            ReportDraft(complaint_type="other", seen=Seen(platform="抖音"),
                                        description="乙"))
    dialog = HistoryDialog(worker)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=10_000)
    assert [dialog.table.item(r, 0).text() for r in range(2)] == [b.report_id, a.report_id]
    assert dialog.platform.count() == 3  # any + the two platforms used
    dialog.verdict.setCurrentIndex(dialog.verdict.findData("confirmed"))
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=10_000)
    assert dialog.table.item(0, 0).text() == a.report_id
    dialog.verdict.setCurrentIndex(0)
    dialog.search.setText("乙")
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1
                    and dialog.table.item(0, 0).text() == b.report_id, timeout=10_000)
    dialog.search.clear()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=10_000)

    with qtbot.waitSignal(worker.done, timeout=20_000):
        dialog.verify_chain()
    qtbot.waitUntil(lambda: "哈希链完好" in dialog.status.text(), timeout=5_000)

    dialog.table.selectRow(1)
    assert dialog.selected_ids() == [a.report_id] and dialog.open_button.isEnabled()
    with qtbot.waitSignal(worker.done, timeout=20_000):
        dialog.open_selected()
    qtbot.waitUntil(lambda: hasattr(dialog, "stored_result"), timeout=5_000)
    from PySide6.QtWidgets import QPlainTextEdit

    assert "甲" in dialog.stored_result.findChild(QPlainTextEdit).toPlainText()

    out = tmp_path / "pkg.zip"
    with qtbot.waitSignal(worker.done, timeout=60_000):
        dialog.export(str(out))
    qtbot.waitUntil(lambda: "投诉材料包已生成" in dialog.status.text(), timeout=5_000)
    assert verify_package(str(out)).ok
    with zipfile.ZipFile(out) as zf:
        assert f"originals/{a.report_id}.png" in zf.namelist()


def test_install_wires_the_window_buttons(qtbot, window, sample_files, home):
    from aigcverify_gui.dialogs import report_dialog

    assert not window.report_action.isEnabled()
    report_dialog.install(window)
    assert window.history_action.isEnabled()
    window.add_files([sample_files["confirmed"]])
    qtbot.waitUntil(window.is_idle, timeout=30_000)
    window.select(0)
    qtbot.waitUntil(window.report_action.isEnabled, timeout=10_000)
    window.report_action.trigger()
    dialog = window._report_dialog
    assert dialog.isVisible() and "confirmed.png" in dialog.header.text()
    dialog.reject()
    window.history_action.trigger()
    qtbot.waitUntil(lambda: window._history_dialog.isVisible(), timeout=5_000)
    window._history_dialog.close()
