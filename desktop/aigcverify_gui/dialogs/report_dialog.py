""""File report": a dialog on the shown result that files it into the report log.

The fields are the report's (complaint type, where the content was seen, the reporter's text,
an optional contact, keep a copy of the original); they are validated by the core
(store.model.validate_draft) before anything is saved, and the save runs in the background on
the log's one writer thread (StoreWorker), never on the GUI thread. A failure (locked,
read-only, disk full) keeps the dialog open with everything typed, and says so.

`install(window)` wires the main window's "File report" action (and the History view).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget)

from aigcverify.store import (COMPLAINT_TYPES, PLATFORM_SUGGESTIONS, InvalidReport, ReportDraft,
                              ReportLog, Seen, StoreError)
from aigcverify.store.filing import file_report_for_path
from aigcverify.store.model import validate_draft

from ..i18n import current_lang, t
from ..widgets.queue_view import FileState

__all__ = ["ReportDialog", "StoreWorker", "install", "store_worker"]

log = logging.getLogger(__name__)

# field name (as InvalidReport names it) -> attribute of the dialog's widget
FIELD_WIDGETS: dict[str, str] = {
    "complaint_type": "complaint_type", "platform": "platform", "url": "url",
    "account": "account", "seen_at": "seen_at", "description": "description",
    "contact": "contact", "keep_original": "keep_original", "file": "keep_original",
}


class StoreWorker(QObject):
    """The report log's one writer: a thread that owns the ReportLog and runs jobs in order.

    A job is fn(report_log, progress) -> value; `done(job_id, value)` or
    `failed(job_id, StoreError)` arrives on the GUI thread; `progress(job_id, stage, done,
    total)` while it runs. `changed` fires after a job that wrote."""

    done = Signal(int, object)
    failed = Signal(int, object)
    progress = Signal(int, str, int, int)
    changed = Signal()

    def __init__(self, home: str | Path | None = None) -> None:
        super().__init__()
        self.home = home
        self._jobs: queue.Queue = queue.Queue()
        self._next = 0
        self._log: ReportLog | None = None
        self._thread = threading.Thread(target=self._loop, daemon=True, name="aigcverify-store")
        self._thread.start()

    def submit(self, fn: Callable[[ReportLog, Callable[[str, int, int], None]], object],
               writes: bool = False) -> int:
        self._next += 1
        self._jobs.put((self._next, fn, writes))
        return self._next

    def close(self, timeout: float = 10.0) -> None:
        self._jobs.put(None)
        self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                break
            job_id, fn, writes = job

            def progress(stage: str, done: int, total: int, job_id: int = job_id) -> None:
                self.progress.emit(job_id, stage, done, total)

            try:
                if self._log is None:
                    self._log = ReportLog(self.home)
                value = fn(self._log, progress)
            except StoreError as err:
                self.failed.emit(job_id, err)
                continue
            except Exception as err:  # noqa: BLE001 - a bug must not kill the writer thread;
                # logged with its traceback and shown to the person as a failure
                log.exception("report log job failed")
                self.failed.emit(job_id, StoreError(f"{type(err).__name__}: {err}"))
                continue
            # never None through an `object` signal (see tasks.py)
            self.done.emit(job_id, value if value is not None else {})
            if writes:
                self.changed.emit()
        if self._log is not None:
            self._log.close()


def store_worker(window: QWidget) -> StoreWorker:
    """The window's StoreWorker (created on first use, closed with the window)."""
    worker = getattr(window, "_store_worker", None)
    if worker is None:
        worker = StoreWorker()
        window._store_worker = worker
        window.destroyed.connect(lambda *_: worker.close())
    return worker


class ReportDialog(QDialog):
    """Fill in and file a report about `result` (the file at `path`)."""

    saved = Signal(object)  # the new log Entry
    save_failed = Signal(str)  # the message shown

    def __init__(self, result: dict, path: str, worker: StoreWorker,
                 parent: QWidget | None = None, *, preview: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("reportDialog")
        self.setWindowTitle(t("store.gui.report.title"))
        self.result, self.path, self.worker, self.preview = result, path, worker, preview
        self._job: int | None = None
        self.lang = current_lang()
        info = result.get("file") or {}
        self.header = QLabel(t("store.gui.report.header", name=info.get("name") or Path(path).name,
                               verdict=t(f"verdict.{result.get('verdict', 'none')}")), self)
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        self.complaint_type = QComboBox(self)
        for value, key in COMPLAINT_TYPES.items():
            self.complaint_type.addItem(t(key), value)
        self.platform = QComboBox(self)
        self.platform.setEditable(True)
        self.platform.addItems(["", *PLATFORM_SUGGESTIONS])
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("https://")
        self.account = QLineEdit(self)
        self.seen_at = QLineEdit(self)
        self.seen_at.setPlaceholderText(t("store.gui.report.seen-at.placeholder"))
        self.description = QPlainTextEdit(self)
        self.description.setPlaceholderText(t("store.gui.report.description.placeholder"))
        self.description.setTabChangesFocus(True)
        self.contact = QLineEdit(self)
        self.keep_original = QCheckBox(t("store.gui.report.keep-original"), self)
        self.keep_original.setChecked(True)
        self.error = QLabel(self)
        self.error.setObjectName("reportError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b02020;")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        form = QFormLayout()
        for key, widget in (("type", self.complaint_type), ("platform", self.platform),
                            ("url", self.url), ("account", self.account),
                            ("seen-at", self.seen_at), ("description", self.description),
                            ("contact", self.contact)):
            label = QLabel(t(f"store.gui.report.{key}"), self)
            label.setBuddy(widget)
            form.addRow(label, widget)
        form.addRow("", self.keep_original)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(t("store.gui.report.file"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        worker.done.connect(self._on_done)
        worker.failed.connect(self._on_failed)
        self.resize(560, 520)

    def draft(self) -> ReportDraft:
        return ReportDraft(
            complaint_type=self.complaint_type.currentData(),
            seen=Seen(platform=self.platform.currentText(), url=self.url.text(),
                      account=self.account.text(), seen_at=self.seen_at.text()),
            description=self.description.toPlainText(), contact=self.contact.text(),
            keep_original=self.keep_original.isChecked())

    def show_error(self, text: str, field: str | None = None) -> None:
        self.error.setText(text)
        self.error.show()
        widget = getattr(self, FIELD_WIDGETS.get(field or "", ""), None)
        if widget is not None:
            widget.setFocus()

    def submit(self) -> None:
        """Validate here (fast, on the GUI thread), then save in the background."""
        try:
            draft = validate_draft(self.draft())
        except InvalidReport as err:
            self.show_error(t("store.gui.report.invalid", field=t(
                f"store.gui.report.{_label_key(err.fields.get('field'))}")),
                str(err.fields.get("field", "")))
            return
        self.error.hide()
        self._set_busy(True)
        result, path, lang, preview = self.result, self.path, self.lang, self.preview

        def job(report_log: ReportLog, progress) -> object:  # noqa: ANN001
            return file_report_for_path(report_log, path, draft, result=result, lang=lang,
                                        preview=preview)

        self._job = self.worker.submit(job, writes=True)

    def _set_busy(self, busy: bool) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not busy)
        self.setCursor(Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor)

    def _on_done(self, job_id: int, entry: object) -> None:
        if job_id != self._job:
            return
        self._job = None
        self._set_busy(False)
        self.saved.emit(entry)
        self.accept()

    def _on_failed(self, job_id: int, err: object) -> None:
        if job_id != self._job:
            return
        self._job = None
        self._set_busy(False)
        message = err.message(self.lang) if isinstance(err, StoreError) else str(err)
        if not isinstance(err, InvalidReport):
            message += "\n" + t("store.gui.report.kept")
        self.show_error(message, err.fields.get("field") if isinstance(err, StoreError) else None)
        self.save_failed.emit(message)


def _label_key(field: object) -> str:
    return {"complaint_type": "type", "seen_at": "seen-at", "keep_original": "keep-original",
            "file": "keep-original"}.get(str(field), str(field))


def install(window) -> None:  # noqa: ANN001 - aigcverify_gui.main_window.MainWindow
    """Wire "File report" (enabled while a finished result is shown) and the History view."""
    from . import history  # noqa: PLC0415

    action = window.report_action
    worker = store_worker(window)

    def refresh(*_: object) -> None:
        # only a finished check is filed: a partial result would be a weaker complaint
        result = window.current_result()
        entry = window.current_entry()
        action.setEnabled(bool(result and result.get("file") and entry is not None
                               and entry.state == FileState.DONE))

    def open_dialog() -> None:
        result = window.current_result()
        entry = window.current_entry()
        if not result or entry is None:
            return
        dialog = ReportDialog(result, getattr(entry, "path", result["file"].get("path", "")),
                              worker, window)
        dialog.saved.connect(lambda e: window.statusBar().showMessage(
            t("store.gui.report.saved", id=e.report_id), 8000))
        dialog.open()
        window._report_dialog = dialog  # keep a reference while it is open

    action.triggered.connect(open_dialog)
    window.result_changed.connect(refresh)
    window.entry_updated.connect(refresh)
    refresh()
    history.install(window)
