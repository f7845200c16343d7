"""The file queue: every file with its state (waiting, checking with progress, done, unreadable,
cancelled). A model + view pair: events from the background helper only update the model.

The progress bar of a file appears only once it has been checking for PROGRESS_DELAY_S, so
quick files never flash one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from PySide6.QtCore import (QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer,
                            Signal)
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QHeaderView, QStyle,
                               QStyledItemDelegate, QStyleOptionProgressBar, QStyleOptionViewItem,
                               QTreeView, QWidget)

from .. import icons
from ..i18n import t

__all__ = ["FileState", "QueueEntry", "QueueModel", "QueueView", "PROGRESS_DELAY_S",
           "STAGE_KEYS"]

ModelIndex = QModelIndex | QPersistentModelIndex
PROGRESS_DELAY_S = 0.5
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 2


class FileState(Enum):
    WAITING = "waiting"
    CHECKING = "checking"
    DONE = "done"
    CANCELLED = "cancelled"


# what the file is doing now (the stage that is running after the one that just finished)
STAGE_KEYS = {
    "": "gui.state.checking.metadata",
    "started": "gui.state.checking.metadata",
    "metadata": "gui.state.checking.explicit",
    "explicit": "gui.state.checking.detector",
    "detector": "gui.state.checking.finishing",
}
STATE_ICONS = {FileState.WAITING: "waiting", FileState.CHECKING: "checking",
               FileState.CANCELLED: "cancelled"}


@dataclass
class QueueEntry:
    uid: int
    path: str
    batch_id: int = 0
    index: int = -1
    state: FileState = FileState.WAITING
    stage: str = ""
    stages_done: int = 0
    stages_total: int = 1
    result: dict | None = None
    declared: bool = False
    started_at: float = 0.0
    lang: str = ""  # the language the file was checked in

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def verdict(self) -> str | None:
        return (self.result or {}).get("verdict") if self.state is FileState.DONE else None


class QueueModel(QAbstractTableModel):
    """Rows of QueueEntry; column 0 the file, column 1 its state."""

    progress_tick = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[QueueEntry] = []
        self._by_uid: dict[int, int] = {}
        self._next_uid = 1
        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._on_tick)

    # -- rows ---------------------------------------------------------------------------------
    def add(self, paths: list[str]) -> list[QueueEntry]:
        if not paths:
            return []
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(paths) - 1)
        added = []
        for path in paths:
            entry = QueueEntry(self._next_uid, path)
            self._next_uid += 1
            self._by_uid[entry.uid] = len(self._rows)
            self._rows.append(entry)
            added.append(entry)
        self.endInsertRows()
        return added

    def remove_rows(self, rows: list[int]) -> list[QueueEntry]:
        removed = []
        for row in sorted(set(rows), reverse=True):
            if 0 <= row < len(self._rows):
                self.beginRemoveRows(QModelIndex(), row, row)
                removed.append(self._rows.pop(row))
                self.endRemoveRows()
        self._by_uid = {e.uid: i for i, e in enumerate(self._rows)}
        return removed

    def entries(self) -> list[QueueEntry]:
        return list(self._rows)

    def entry(self, row: int) -> QueueEntry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, entry: QueueEntry) -> int:
        return self._by_uid.get(entry.uid, -1)

    def changed(self, entry: QueueEntry) -> None:
        """Tell views that entry changed (call after mutating it)."""
        row = self.row_of(entry)
        if row >= 0:
            self.dataChanged.emit(self.index(row, 0), self.index(row, 1))
        checking = any(e.state is FileState.CHECKING for e in self._rows)
        if checking and not self._tick.isActive():
            self._tick.start()
        elif not checking:
            self._tick.stop()

    def refresh_all(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 1))
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 1)

    def _on_tick(self) -> None:
        for row, entry in enumerate(self._rows):
            if entry.state is FileState.CHECKING:
                self.dataChanged.emit(self.index(row, 1), self.index(row, 1), [PROGRESS_ROLE])
        self.progress_tick.emit()

    # -- Qt model API -------------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else 2

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return t("gui.queue.col.file") if section == 0 else t("gui.queue.col.state")
        return None

    @staticmethod
    def state_text(entry: QueueEntry) -> str:
        if entry.state is FileState.DONE:
            return t(f"verdict.{entry.verdict or 'unreadable'}")
        if entry.state is FileState.CHECKING:
            return t(STAGE_KEYS.get(entry.stage, "gui.state.checking.finishing"))
        return t(f"gui.state.{entry.state.value}")

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole):
        entry = self.entry(index.row())
        if entry is None:
            return None
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if col == 0:
                return entry.name
            return self.state_text(entry)
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry.path if col == 0 else self.state_text(entry)
        if role == Qt.ItemDataRole.DecorationRole and col == 1:
            if entry.state is FileState.DONE:
                return icons.icon(f"verdict-{entry.verdict or 'unreadable'}")
            return icons.icon(STATE_ICONS[entry.state])
        if role == PROGRESS_ROLE:
            if entry.state is not FileState.CHECKING:
                return None
            if time.monotonic() - entry.started_at < PROGRESS_DELAY_S:
                return None
            return min(entry.stages_done, entry.stages_total) / max(1, entry.stages_total)
        if role == ENTRY_ROLE:
            return entry
        return None


class _ProgressDelegate(QStyledItemDelegate):
    """Draws the state column as a progress bar (with the state words) while checking."""

    def paint(self, painter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        progress = index.data(PROGRESS_ROLE)
        if progress is None:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum, bar.maximum = 0, 100
        bar.progress = max(5, round(progress * 100))  # a sliver shows that work has started
        bar.text = index.data(Qt.ItemDataRole.DisplayRole)
        bar.textVisible = True
        bar.state = option.state
        bar.palette = option.palette
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)


class QueueView(QTreeView):
    """The queue as a two-column list; Delete removes the selected files (see MainWindow)."""

    def __init__(self, model: QueueModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setObjectName("queueView")
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAllColumnsShowFocus(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setItemDelegateForColumn(1, _ProgressDelegate(self))
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # a fixed width that fits the longest state words of the current language
        # (ResizeToContents would measure every row on each update)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        self.fit_state_column()

    def fit_state_column(self) -> None:
        """Called again after a language switch."""
        verdicts = ("confirmed", "declared", "suspected", "none", "unreadable")
        keys = [f"verdict.{v}" for v in verdicts]
        keys += list(STAGE_KEYS.values()) + ["gui.state.waiting", "gui.state.cancelled"]
        metrics = self.fontMetrics()
        widest = max(metrics.horizontalAdvance(t(k)) for k in keys)
        icon = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.header().resizeSection(1, widest + icon + metrics.horizontalAdvance("M") * 2)

    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.selectionModel().selectedRows()})
