"""The main window: drop zone and queue on the left, the selected file's result on the right.

A thin client of the core: files go to the background helper (tasks.py), its events update the
queue model, and the result view shows the selected file. Nothing here parses a file.

Hooks for features that arrive later (report log, history):
  * `report_action` (result action row) and `history_action` (toolbar) exist from the start,
    disabled with a tooltip; a feature connects `triggered` and calls `setEnabled(True)`.
  * `add_result_action(action)` / `add_toolbar_action(action)` add more.
  * `current_result()` and the `result_changed` signal tell a feature what is shown.
app.py imports PLUGIN_MODULES and calls their `install(window)`.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (QFileDialog, QLabel, QMainWindow, QProgressBar, QSplitter,
                               QToolBar, QVBoxLayout, QWidget)

from aigcverify import verdict
from aigcverify.pipeline import CheckOptions

from . import result_text
from .dialogs.settings_dialog import SettingsDialog
from .i18n import current_lang, language, set_lang, t
from .localize import relocalize
from .previews import PreviewData
from .settings import Settings
from .tasks import BatchStatus, Tasks
from .widgets.drop_zone import DropZone, paths_from_mime
from .widgets.queue_view import FileState, QueueEntry, QueueModel, QueueView
from .widgets.result_view import ResultView
from .window_actions import make_actions, refresh_icons, retranslate_actions

__all__ = ["MainWindow", "PROGRESS_DELAY_MS"]

log = logging.getLogger(__name__)

PROGRESS_DELAY_MS = 500  # a progress indicator only for work longer than this
COUNTS_INTERVAL_MS = 150
STAGE_NAMES = ("metadata", "explicit", "detector")


class MainWindow(QMainWindow):
    result_changed = Signal(object)  # the shown result dict ({} when none)
    entry_updated = Signal(object)  # a QueueEntry after an event changed it
    idle = Signal()  # every file in the queue has reached a final state
    preview_shown = Signal(object)  # PreviewData shown for the selected file
    ready = Signal()  # first-use costs are paid (see _warm_up)

    def __init__(self, tasks: Tasks, settings: Settings, *, save_state: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)
        self.tasks = tasks
        self.settings = settings
        self.save_state = save_state
        self._by_key: dict[tuple[int, int], QueueEntry] = {}
        self._pending_expand: set[int] = set()
        self._preview_token = 0
        self._preview_path = ""
        self._batch_size = 0  # files submitted since the queue was last idle
        self._batch_done = 0

        self.actions = make_actions(self)
        self.report_action = self.actions["report"]
        self.history_action = self.actions["history"]

        self.model = QueueModel(self)
        self.queue = QueueView(self.model, self)
        self.drop_zone = DropZone([self.actions["open"], self.actions["open_folder"],
                                   self.actions["paste"]], self)
        self.result_view = ResultView(self)
        self.result_view.add_action(self.report_action)

        left = QWidget(self)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.drop_zone)
        column.addWidget(self.queue, 1)
        self.split = QSplitter(Qt.Orientation.Horizontal, self)
        self.split.setObjectName("mainSplit")
        self.split.setChildrenCollapsible(False)
        self.split.addWidget(left)
        self.split.addWidget(self.result_view)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 3)
        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(8, 8, 8, 8)
        outer.addWidget(self.split)
        self.setCentralWidget(central)

        self.toolbar = QToolBar(self)
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        # open / open folder / paste are buttons of the drop zone (and Ctrl+O, Ctrl+V)
        for name in ("cancel", "remove", "recheck", None, "settings", "history"):
            if name is None:
                self.toolbar.addSeparator()
            else:
                self.toolbar.addAction(self.actions[name])
        self.addToolBar(self.toolbar)

        self.progress = QProgressBar(self)
        self.progress.setObjectName("batchProgress")
        self.progress.setMaximumWidth(240)
        self.progress.hide()
        self.counts = QLabel(self)
        self.offline = QLabel(self)
        self.statusBar().addWidget(self.counts, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.offline)
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_DELAY_MS)
        self._progress_timer.timeout.connect(self._show_progress)
        # counts and the progress bar are refreshed a few times a second, not once per event:
        # QProgressBar.setValue() repaints synchronously
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(COUNTS_INTERVAL_MS)
        self._counts_timer.timeout.connect(self._update_counts)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PROGRESS_DELAY_MS)
        self._preview_timer.timeout.connect(self.result_view.preview.show_loading)

        self._connect()
        self.setTabOrder(self.drop_zone.buttons[-1], self.queue)
        self.setTabOrder(self.queue, self.result_view.declared)
        self._restore_state()
        self.retranslate()
        self._update_actions()
        self.warmed = False
        QTimer.singleShot(0, self._warm_up)

    # -- wiring -------------------------------------------------------------------------------
    def _connect(self) -> None:
        a = self.actions
        a["open"].triggered.connect(self.choose_files)
        a["open_folder"].triggered.connect(self.choose_folder)
        a["paste"].triggered.connect(self.paste_paths)
        a["remove"].triggered.connect(self.remove_selected)
        a["cancel"].triggered.connect(self.cancel)
        a["recheck"].triggered.connect(self.recheck_selected)
        a["copy_text"].triggered.connect(self.copy_text)
        a["copy_json"].triggered.connect(self.copy_json)
        a["settings"].triggered.connect(self.open_settings)
        self.drop_zone.paths_dropped.connect(self.open_paths)
        self.queue.selectionModel().currentRowChanged.connect(self._on_current_row)
        self.queue.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.result_view.declared_toggled.connect(self.set_declared)
        self.result_view.copy_text_requested.connect(self.copy_text)
        self.result_view.copy_json_requested.connect(self.copy_json)
        self.result_view.open_folder_requested.connect(self.open_containing_folder)
        self.tasks.check_event.connect(self._on_check_event)
        self.tasks.batch_finished.connect(self._on_batch_finished)
        self.tasks.expanded.connect(self._on_expanded)
        self.tasks.preview_ready.connect(self._on_preview)
        language().changed.connect(self._on_language)

    def _warm_up(self) -> None:
        """Pay Qt's first-use costs (style sheets, fonts, lazily created binding types, the first
        layout of the result page) while the user looks at the empty window, not during the
        first batch: each is tens of milliseconds. The result page is rendered once into an
        off-screen pixmap with an empty core result; nothing of it reaches the screen."""
        from aigcverify.pipeline import new_result

        view = self.result_view
        sample = verdict.derive(new_result("", self.check_options()), current_lang())
        entry = QueueEntry(0, "", state=FileState.DONE, result=sample)
        for state in ("confirmed", "pending"):
            view.badge.set_state(state, " ")
        view.show_entry(entry)
        view.grab()
        self.queue.grab()
        view.show_entry(self.model.entry(self.queue.currentIndex().row()))
        self.warmed = True
        self.ready.emit()
        self.tasks.warm_up()

    # -- plug-in hooks ------------------------------------------------------------------------
    def add_result_action(self, action: QAction) -> None:
        """Add a button for `action` to the result's action row (e.g. "File report")."""
        self.result_view.add_action(action)

    def add_toolbar_action(self, action: QAction) -> None:
        self.toolbar.addAction(action)

    def current_entry(self) -> QueueEntry | None:
        return self.result_view.entry

    def current_result(self) -> dict | None:
        entry = self.current_entry()
        return entry.result if entry else None

    # -- adding files -------------------------------------------------------------------------
    def check_options(self) -> CheckOptions:
        return CheckOptions(detector=self.settings.detector, explicit=self.settings.explicit,
                            lang=current_lang(), provider=self.settings.provider)

    def open_paths(self, paths: list[str]) -> None:
        """Files are queued at once; folders are expanded on the background helper first."""
        paths = [str(p) for p in paths]
        files = [p for p in paths if not os.path.isdir(p)]
        folders = [p for p in paths if os.path.isdir(p)]
        if files:
            self.add_files(files)
        if folders:
            self._pending_expand.add(self.tasks.expand(folders))
            self._update_counts()

    def _on_expanded(self, request: int, files: list) -> None:
        if request not in self._pending_expand:
            return
        self._pending_expand.discard(request)
        if files:
            self.add_files(files)
        else:
            self.statusBar().showMessage(t("gui.status.no-files"), 5000)
            self._check_idle()

    def add_files(self, files: list[str]) -> list[QueueEntry]:
        entries = self.model.add(files)
        options = self.check_options()
        batch, offset = self.tasks.submit(files, options)
        total = 1 + int(options.explicit) + int(options.detector)
        for i, entry in enumerate(entries):
            entry.batch_id, entry.index, entry.stages_total = batch, offset + i, total
            entry.lang = options.lang
            self._by_key[(batch, offset + i)] = entry
        if self._batch_size == 0:
            self._progress_timer.start()
        self._batch_size += len(entries)
        if self.current_entry() is None and entries:
            self.select(self.model.row_of(entries[0]))
        self._update_counts()
        self._update_actions()
        return entries

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, t("gui.dialog.open-files"))
        if files:
            self.open_paths(files)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, t("gui.dialog.open-folder"))
        if folder:
            self.open_paths([folder])

    def paste_paths(self) -> None:
        paths = paths_from_mime(QGuiApplication.clipboard().mimeData())
        if paths:
            self.open_paths(paths)
        else:
            self.statusBar().showMessage(t("gui.status.paste-empty"), 5000)

    # -- drag and drop anywhere on the window --------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        self.drop_zone.dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self.drop_zone.dragLeaveEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802
        self.drop_zone.dropEvent(event)

    # -- events from the background helper -----------------------------------------------------
    def _on_check_event(self, batch: int, index: int, stage: str, result: object) -> None:
        entry = self._by_key.get((batch, index))
        if entry is None:  # removed by the user meanwhile
            return
        if stage == "started":
            entry.state, entry.stage = FileState.CHECKING, "started"
            entry.started_at = time.monotonic()
        elif stage == "cancelled":
            entry.state = FileState.CANCELLED
            self._settle(entry)
        elif isinstance(result, dict) and result:
            entry.result = self._prepared(result, entry)
            if stage == "done":
                entry.state, entry.stages_done = FileState.DONE, entry.stages_total
                self._settle(entry)
            else:
                entry.state = FileState.CHECKING
                entry.stage = stage
                entry.stages_done = min(entry.stages_total - 1, entry.stages_done + 1)
        self.model.changed(entry)
        if entry is self.current_entry():
            self._show(entry, keep_state=True)
        self.entry_updated.emit(entry)

    def _settle(self, entry: QueueEntry) -> None:
        self._by_key.pop((entry.batch_id, entry.index), None)
        self._batch_done += 1
        if not self._counts_timer.isActive():
            self._counts_timer.start()

    def _prepared(self, result: dict, entry: QueueEntry) -> dict:
        """The user's declared switch and the current language, applied to a fresh result."""
        lang = current_lang()
        result["declared_by_user"] = entry.declared
        if entry.lang != lang:  # the language was switched while this file was checked
            relocalize(result, lang)
        elif entry.declared:
            verdict.derive(result, lang)
        return result

    def _on_batch_finished(self, batch: int, status: str, message: str) -> None:
        for (b, _), entry in list(self._by_key.items()):
            if b != batch:
                continue
            # files the helper never reported on: cancelled (or the batch failed)
            entry.state = FileState.CANCELLED
            self._settle(entry)
            self.model.changed(entry)
            if entry is self.current_entry():
                self._show(entry, keep_state=True)
        if status == BatchStatus.FAILED:
            self.statusBar().showMessage(t("gui.status.batch-failed", message=message))
        self._check_idle()

    def _check_idle(self) -> None:
        busy = self.tasks.busy() or bool(self._pending_expand) or any(
            e.state in (FileState.WAITING, FileState.CHECKING) for e in self.model.entries())
        if busy:
            return
        self._progress_timer.stop()
        self._counts_timer.stop()
        self.progress.hide()
        self._batch_size = self._batch_done = 0
        self._update_counts()
        self._update_actions()
        self.idle.emit()

    def is_idle(self) -> bool:
        return (not self.tasks.busy() and not self._pending_expand and all(
            e.state in (FileState.DONE, FileState.CANCELLED) for e in self.model.entries()))

    def _show_progress(self) -> None:
        if self._batch_size and self._batch_done < self._batch_size:
            self.progress.show()
            self._update_counts()

    def _update_counts(self) -> None:
        done = sum(e.state is FileState.DONE for e in self.model.entries())
        total = self.model.rowCount()
        if self._batch_size and self._batch_done < self._batch_size:
            self.counts.setText(t("gui.status.checking", done=self._batch_done,
                                  total=self._batch_size))
            self.progress.setRange(0, self._batch_size)
            self.progress.setValue(self._batch_done)
            self.progress.setFormat(t("gui.status.progress", done=self._batch_done,
                                      total=self._batch_size))
        elif self._pending_expand:
            self.counts.setText(t("gui.status.expanding"))
        else:
            self.counts.setText(t("gui.status.ready", done=done, total=total) if total
                                else t("gui.status.empty"))
        self._update_actions()

    # -- selection and the result view -----------------------------------------------------------
    def select(self, row: int) -> None:
        index = self.model.index(row, 0)
        if index.isValid():
            self.queue.setCurrentIndex(index)

    def _on_current_row(self, current: QModelIndex, previous: QModelIndex) -> None:
        entry = self.model.entry(current.row()) if current.isValid() else None
        self._show(entry, keep_state=False)
        self._update_actions()

    def _show(self, entry: QueueEntry | None, keep_state: bool) -> None:
        self.result_view.show_entry(entry, keep_state=keep_state)
        if entry is None:
            self._preview_path = ""
        elif entry.result and entry.path != self._preview_path:
            self._request_preview(entry)
        elif not entry.result and entry.path != self._preview_path:
            self._preview_path = ""
            self.result_view.preview.clear("gui.preview.waiting")
        self.result_changed.emit((entry.result or {}) if entry else {})
        self._update_actions()

    def _request_preview(self, entry: QueueEntry) -> None:
        media = (entry.result or {}).get("file", {}).get("media_type", "unknown")
        self._preview_path = entry.path
        self._preview_token = self.tasks.request_preview(entry.path, media)
        self._preview_timer.start()

    def _on_preview(self, data: PreviewData) -> None:
        if data.token != self._preview_token:
            return
        self._preview_timer.stop()
        self.result_view.preview.set_preview(data)
        self.preview_shown.emit(data)

    def set_declared(self, declared: bool) -> None:
        """The publisher-declared switch: re-derive the verdict as the Measures say (Art. 6(2))."""
        entry = self.current_entry()
        if entry is None:
            return
        entry.declared = declared
        if entry.result:
            entry.result["declared_by_user"] = declared
            verdict.derive(entry.result, current_lang())
        self.model.changed(entry)
        self._show(entry, keep_state=True)

    # -- queue actions ------------------------------------------------------------------------
    def remove_selected(self) -> None:
        rows = self.queue.selected_rows()
        if not rows:
            return
        for entry in self.model.remove_rows(rows):
            if (entry.batch_id, entry.index) in self._by_key:
                self.tasks.skip(entry.batch_id, entry.index)
                self._settle(entry)
        if self.model.rowCount():
            self.select(min(rows[0], self.model.rowCount() - 1))
        else:
            self._show(None, keep_state=False)
        self._update_counts()
        self._check_idle()

    def cancel(self) -> None:
        """Stop checking: running files end as "cancelled" (never an error)."""
        self.tasks.cancel_all()
        self._pending_expand.clear()
        self.statusBar().showMessage(t("gui.status.cancelled"), 5000)

    def recheck_selected(self) -> None:
        """Check the selected finished files again, in place, with the current settings."""
        rows = self.queue.selected_rows() or ([self.model.row_of(self.current_entry())]
                                              if self.current_entry() else [])
        entries = [e for e in (self.model.entry(r) for r in rows) if e is not None
                   and e.state in (FileState.DONE, FileState.CANCELLED)]
        if not entries:
            return
        options = self.check_options()
        batch, offset = self.tasks.submit([e.path for e in entries], options)
        total = 1 + int(options.explicit) + int(options.detector)
        for i, entry in enumerate(entries):
            entry.state, entry.stage, entry.result = FileState.WAITING, "", None
            entry.stages_done, entry.stages_total, entry.lang = 0, total, options.lang
            entry.batch_id, entry.index = batch, offset + i
            self._by_key[(batch, offset + i)] = entry
            self.model.changed(entry)
        if self._batch_size == 0:
            self._progress_timer.start()
        self._batch_size += len(entries)
        current = self.current_entry()
        if current in entries:
            self._preview_path = ""
            self._show(current, keep_state=True)
        self._update_counts()

    # -- result actions -----------------------------------------------------------------------
    def copy_text(self) -> None:
        result = self.current_result()
        if result:
            QGuiApplication.clipboard().setText(result_text.as_text(result, current_lang()))
            self.statusBar().showMessage(t("gui.status.copied"), 3000)

    def copy_json(self) -> None:
        result = self.current_result()
        if result:
            QGuiApplication.clipboard().setText(result_text.as_json(result))
            self.statusBar().showMessage(t("gui.status.copied"), 3000)

    def folder_url(self) -> QUrl | None:
        entry = self.current_entry()
        return QUrl.fromLocalFile(str(Path(entry.path).resolve().parent)) if entry else None

    def open_containing_folder(self) -> None:
        url = self.folder_url()
        if url is None:
            return
        if getattr(sys, "frozen", False) and sys.platform.startswith("linux"):
            # The bundle's LD_LIBRARY_PATH and Qt plugin path would be inherited by the user's
            # file manager and can crash it: start xdg-open with the user's own environment.
            env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "QT_PLUGIN_PATH")}
            if "LD_LIBRARY_PATH_ORIG" in os.environ:
                env["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH_ORIG"]
            subprocess.Popen(["xdg-open", url.toLocalFile()], env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return
        QDesktopServices.openUrl(url)

    def _update_actions(self) -> None:
        entry = self.current_entry()
        has_result = bool(entry and entry.result)
        self.actions["copy_text"].setEnabled(has_result)
        self.actions["copy_json"].setEnabled(has_result)
        self.actions["remove"].setEnabled(bool(self.queue.selected_rows()))
        self.actions["cancel"].setEnabled(not self.is_idle())
        self.actions["recheck"].setEnabled(bool(entry and entry.state in (FileState.DONE,
                                                                          FileState.CANCELLED)))
        self.result_view.open_folder.setEnabled(entry is not None)

    # -- settings and language ----------------------------------------------------------------
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        if dialog.exec():
            dialog.apply()
            set_lang(self.settings.lang)

    def _on_language(self, lang: str) -> None:
        for entry in self.model.entries():
            if entry.result:
                relocalize(entry.result, lang)
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(t("gui.window.title"))
        retranslate_actions(self.actions)
        self.toolbar.setWindowTitle(t("gui.toolbar"))
        self.toolbar.setAccessibleName(t("gui.toolbar"))
        self.queue.setAccessibleName(t("gui.queue.accessible"))
        self.queue.setToolTip(t("gui.queue.tooltip"))
        self.queue.header().setAccessibleName(t("gui.header.accessible"))
        self.queue.fit_state_column()
        self.progress.setAccessibleName(t("gui.status.progress.accessible"))
        self.counts.setAccessibleName(t("gui.status.accessible"))
        self.offline.setText(t("gui.status.offline"))
        self.offline.setToolTip(t("gui.settings.offline"))
        self.offline.setAccessibleName(t("gui.status.offline"))
        self.split.setAccessibleName(t("gui.main.split.accessible"))
        self.drop_zone.retranslate()
        self.model.refresh_all()
        self.result_view.retranslate()
        for widget in self.toolbar.findChildren(QWidget):
            action = getattr(widget, "defaultAction", lambda: None)()
            if action is not None:
                widget.setAccessibleName(action.text().replace("&", ""))
        self._update_counts()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            refresh_icons(self.actions)
            self.model.refresh_all()

    # -- window state -------------------------------------------------------------------------
    def _restore_state(self) -> None:
        geometry = self.settings.blob("geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            screen = QGuiApplication.primaryScreen()
            avail = screen.availableGeometry() if screen else None
            if avail is not None:
                self.resize(min(1280, int(avail.width() * 0.9)),
                            min(820, int(avail.height() * 0.9)))
        for key, splitter, shares in (("main-split", self.split, (2, 5)),
                                      ("result-split", self.result_view.split, (2, 3))):
            blob = self.settings.blob(key)
            if blob is None or not splitter.restoreState(blob):
                # QSplitter ignores stretch factors while children ask for more than their share
                total = sum(shares)
                splitter.setSizes([10_000 * share // total for share in shares])

    def save_window_state(self) -> None:
        self.settings.set_blob("geometry", self.saveGeometry())
        self.settings.set_blob("main-split", self.split.saveState())
        self.settings.set_blob("result-split", self.result_view.split.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.save_state:
            self.save_window_state()
        super().closeEvent(event)

