"""History: the reports in the log, with search and filters (verdict, date, platform, type);
open a stored result, verify the hash chain on demand, export selected reports as a complaint
package (with progress) or the list as CSV.

Every log operation runs on the window's StoreWorker (report_dialog.py), the log's one writer
thread; this dialog only shows what comes back. A progress dialog appears only when an export
takes longer than half a second.
"""

from __future__ import annotations

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDateEdit, QDialog,
                               QFileDialog, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPlainTextEdit, QProgressDialog, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from aigcverify.store import COMPLAINT_TYPES, ListFilter, ReportLog, StoreError
from aigcverify.store.model import local_time_text

from .. import result_text
from ..i18n import current_lang, t
from .report_dialog import StoreWorker, store_worker

__all__ = ["HistoryDialog", "install", "COLUMNS"]

VERDICTS = ("confirmed", "declared", "suspected", "none", "unreadable")
COLUMNS = ("id", "filed", "verdict", "type", "platform", "file")
_ANY_DATE = QDate(2000, 1, 1)  # the date edits' "any" value
PROGRESS_DELAY_MS = 500


class HistoryDialog(QDialog):
    def __init__(self, worker: StoreWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyDialog")
        self.setWindowTitle(t("store.gui.history.title"))
        self.worker = worker
        self.lang = current_lang()
        self.rows: list = []  # ReportSummary, in table order
        self._jobs: dict[int, str] = {}  # job id -> what it is
        self._progress: QProgressDialog | None = None

        self.search = QLineEdit(self)
        self.search.setPlaceholderText(t("store.gui.history.search"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(220)
        self.verdict = self._combo([(t(f"verdict.{v}"), v) for v in VERDICTS])
        self.type = self._combo([(t(k), v) for v, k in COMPLAINT_TYPES.items()])
        self.platform = self._combo([])
        self.since, self.until = self._date(), self._date()
        self.withdrawn = QCheckBox(t("store.gui.history.withdrawn"), self)
        filters = QHBoxLayout()
        for key, widget in (("search-label", self.search), ("verdict", self.verdict),
                            ("type", self.type), ("platform", self.platform),
                            ("since", self.since), ("until", self.until)):
            label = QLabel(t(f"store.gui.history.{key}"), self)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget, 2 if widget is self.search else 0)
        filters.addWidget(self.withdrawn)

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("historyTable")
        self.table.setHorizontalHeaderLabels([t(f"store.gui.history.col.{c}") for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self.open_selected)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.open_button = QPushButton(t("store.gui.history.open"), self)
        self.verify_button = QPushButton(t("store.gui.history.verify"), self)
        self.export_button = QPushButton(t("store.gui.history.export"), self)
        self.csv_button = QPushButton(t("store.gui.history.csv"), self)
        self.english = QCheckBox(t("store.gui.history.english"), self)
        self.status = QLabel(self)
        self.status.setObjectName("historyStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button.clicked.connect(self.open_selected)
        self.verify_button.clicked.connect(self.verify_chain)
        self.export_button.clicked.connect(self.choose_export)
        self.csv_button.clicked.connect(self.choose_csv)
        buttons = QHBoxLayout()
        for widget in (self.open_button, self.verify_button, self.export_button, self.english,
                       self.csv_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        for signal in (self.search.textChanged, self.verdict.currentIndexChanged,
                       self.type.currentIndexChanged, self.platform.currentIndexChanged,
                       self.since.dateChanged, self.until.dateChanged, self.withdrawn.toggled):
            signal.connect(self.reload)
        worker.done.connect(self._on_done)
        worker.failed.connect(self._on_failed)
        worker.progress.connect(self._on_progress)
        worker.changed.connect(self.reload)
        self._update_buttons()
        self.resize(1000, 560)
        self.reload()

    # -- widgets ---------------------------------------------------------------------------
    def _combo(self, items: list[tuple[str, str]]) -> QComboBox:
        combo = QComboBox(self)
        combo.addItem(t("store.gui.history.any"), "")
        for text, value in items:
            combo.addItem(text, value)
        return combo

    def _date(self) -> QDateEdit:
        edit = QDateEdit(self)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(_ANY_DATE)
        edit.setSpecialValueText(t("store.gui.history.any"))
        edit.setDate(_ANY_DATE)
        return edit

    def filter(self) -> ListFilter:
        def date(edit: QDateEdit) -> str:
            return "" if edit.date() == _ANY_DATE else edit.date().toString("yyyy-MM-dd")

        return ListFilter(verdicts=tuple(v for v in [self.verdict.currentData()] if v),
                          complaint_types=tuple(v for v in [self.type.currentData()] if v),
                          platform=self.platform.currentData() or "", since=date(self.since),
                          until=date(self.until), search=self.search.text().strip(),
                          include_withdrawn=self.withdrawn.isChecked())

    def selected_ids(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.rows[r].report_id for r in rows if r < len(self.rows)]

    def _update_buttons(self) -> None:
        chosen = self.selected_ids()
        self.open_button.setEnabled(len(chosen) == 1)
        live = [r for r in self.rows if r.report_id in chosen and not r.withdrawn]
        self.export_button.setEnabled(bool(live) and len(live) == len(chosen))

    # -- jobs ------------------------------------------------------------------------------
    def _submit(self, what: str, fn, writes: bool = False) -> int:  # noqa: ANN001
        job = self.worker.submit(fn, writes=writes)
        self._jobs[job] = what
        return job

    def reload(self, *_: object) -> None:
        flt = self.filter()
        self._submit("list", lambda lg, progress: (lg.list_reports(flt), lg.platforms()))

    def open_selected(self, *_: object) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self._submit("open", lambda lg, progress: lg.history(ids[0]))

    def verify_chain(self) -> None:
        self.status.setText(t("store.gui.history.verifying"))

        def job(lg: ReportLog, progress) -> object:  # noqa: ANN001
            return lg.verify(), lg.integrity_check()

        self._submit("verify", job)

    def choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, t("store.gui.history.export"),
                                              "complaint-package.zip", "ZIP (*.zip)")
        if path:
            self.export(path)

    def export(self, path: str) -> int:
        from aigcverify.export.package import build_package  # noqa: PLC0415 - fpdf2 is heavy

        ids, lang = self.selected_ids(), ("en" if self.english.isChecked() else "zh_CN")
        self._progress = QProgressDialog(t("store.gui.history.exporting"), "", 0, 100, self)
        self._progress.setCancelButton(None)  # an atomic export is short; nothing half-written
        self._progress.setMinimumDuration(PROGRESS_DELAY_MS)
        self._progress.setWindowModality(Qt.WindowModality.WindowModal)
        self._progress.setValue(0)
        return self._submit("export", lambda lg, progress: build_package(
            lg, ids, path, lang=lang, progress=progress))

    def choose_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, t("store.gui.history.csv"), "reports.csv",
                                              "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str) -> int:
        from aigcverify.store.csvexport import write_csv  # noqa: PLC0415

        lang = self.lang
        return self._submit("csv", lambda lg, progress: (write_csv(lg, path, lang), path))

    # -- results (GUI thread) --------------------------------------------------------------
    def _on_progress(self, job: int, stage: str, done: int, total: int) -> None:
        if self._jobs.get(job) == "export" and self._progress is not None and total:
            share = {"collect": (0, 20), "pdf": (20, 60), "zip": (60, 100)}.get(stage, (0, 100))
            self._progress.setValue(share[0] + (share[1] - share[0]) * done // total)

    def _close_progress(self) -> None:
        if self._progress is not None:
            self._progress.reset()
            self._progress.deleteLater()
            self._progress = None

    def _on_done(self, job: int, value: object) -> None:
        what = self._jobs.pop(job, None)
        if what == "list":
            self._fill(*value)
        elif what == "open":
            self._show_report(value)
        elif what == "verify":
            report, integrity = value
            if report.ok and integrity == "ok":
                text = t("store.cli.verify-ok", n=report.entries, seq=report.head_seq,
                         hash=report.head_hash)
            else:
                first = report.first_break
                text = t("store.cli.verify-broken", seq=first.seq,
                         what=t(f"store.break.{first.code}"), detail=first.detail,
                         n=len(report.breaks)) if first else \
                    t("store.cli.integrity-bad", detail=integrity)
            self.status.setText(text)
        elif what == "export":
            self._close_progress()
            self.status.setText(t("store.cli.package-written", path=str(value.path),
                                  size=value.size, n=value.reports, sha256=value.sha256))
        elif what == "csv":
            rows, path = value
            self.status.setText(t("store.cli.csv-written", n=rows, path=path))

    def _on_failed(self, job: int, err: object) -> None:
        what = self._jobs.pop(job, None)
        if what is None:
            return
        self._close_progress()
        message = err.message(self.lang) if isinstance(err, StoreError) else str(err)
        self.status.setText(message + "\n" + t("store.cli.nothing-lost"))

    def _fill(self, rows: list, platforms: list[str]) -> None:
        chosen = set(self.selected_ids())
        current = self.platform.currentData()
        self.platform.blockSignals(True)
        self.platform.clear()
        self.platform.addItem(t("store.gui.history.any"), "")
        for name in platforms:
            self.platform.addItem(name, name)
        self.platform.setCurrentIndex(max(0, self.platform.findData(current)))
        self.platform.blockSignals(False)
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            withdrawn = t("store.gui.history.withdrawn-mark") if row.withdrawn else ""
            values = (row.report_id, local_time_text(row.created_utc, row.tz_offset),
                      t(f"verdict.{row.verdict}.short") if row.verdict else "",
                      t(f"store.type.{row.complaint_type}") + withdrawn,
                      row.platform or "", row.file_name or "")
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
            if row.report_id in chosen:
                self.table.selectRow(r)
        self.status.setText(t("store.cli.count", n=len(rows)))
        self._update_buttons()

    def _show_report(self, history: list) -> None:
        current = history[-1]
        content = next(e for e in reversed(history) if e.kind != "tombstone")
        body = content.body
        seen, complaint = body.get("seen", {}), body.get("complaint", {})
        lines = [f"{current.report_id}  ({t('store.status.' + current.kind)})",
                 f"{t('store.cli.type')}: {t('store.type.' + complaint.get('type', 'other'))}",
                 f"{t('store.cli.platform')}: {seen.get('platform', '')}",
                 f"{t('store.cli.url')}: {seen.get('url', '')}",
                 f"{t('store.cli.account')}: {seen.get('account', '')}",
                 f"{t('store.cli.seen-at')}: {seen.get('seen_at', '')}",
                 f"{t('store.cli.description')}: {complaint.get('description', '')}", "",
                 result_text.as_text(body.get("result", {}), self.lang), "",
                 f"{t('store.cli.entry-hash')}: {current.hash}"]
        dialog = QDialog(self)
        dialog.setObjectName("storedResultDialog")
        dialog.setWindowTitle(current.report_id)
        text = QPlainTextEdit("\n".join(lines), dialog)
        text.setReadOnly(True)
        QVBoxLayout(dialog).addWidget(text)
        dialog.resize(640, 520)
        dialog.open()
        self.stored_result = dialog


def install(window) -> None:  # noqa: ANN001 - aigcverify_gui.main_window.MainWindow
    """Wire the toolbar's "History" action (idempotent: report_dialog.install calls it too)."""
    if getattr(window, "_history_installed", False):
        return
    window._history_installed = True
    action = window.history_action

    def open_history() -> None:
        dialog = getattr(window, "_history_dialog", None)
        if dialog is not None and dialog.lang != current_lang():  # the language was switched
            dialog.deleteLater()
            dialog = None
        if dialog is None:
            dialog = HistoryDialog(store_worker(window), window)
            window._history_dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.reload()

    action.triggered.connect(open_history)
    action.setEnabled(True)
