"""The drop zone: files and whole folders dragged from the file manager, plus Open/Paste buttons.

Only local paths are accepted (file URLs or pasted path text); nothing is ever fetched. Folder
expansion happens later, on the background helper.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QMimeData, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from .. import icons
from ..i18n import t

__all__ = ["DropZone", "paths_from_mime", "paths_from_text", "MAX_PASTED_LINES"]

MAX_PASTED_LINES = 1000  # a pasted text longer than this is not a list of paths


def paths_from_text(text: str) -> list[str]:
    """Existing local paths in pasted text: one per line, quotes and file:// URLs allowed."""
    out = []
    for line in text.splitlines()[:MAX_PASTED_LINES]:
        item = line.strip().strip('"').strip("'").strip()
        if not item:
            continue
        if item.startswith("file:"):
            url = QUrl(item)
            if not url.isLocalFile():
                continue
            item = url.toLocalFile()
        item = os.path.expanduser(item)
        if os.path.exists(item):
            out.append(os.path.abspath(item))
    return out


def paths_from_mime(mime: QMimeData | None) -> list[str]:
    if mime is None:
        return []
    if mime.hasUrls():
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]
    if mime.hasText():
        return paths_from_text(mime.text())
    return []


class DropZone(QFrame):
    """Accepts drops; emits paths_dropped with the local paths (files and folders)."""

    paths_dropped = Signal(list)

    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its buttons take the focus
        self._hover = False
        self._icon = QLabel(self)
        self._hint = QLabel(self)
        self._hint.setWordWrap(True)
        self._hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.buttons: list[QToolButton] = []
        row = QHBoxLayout()
        row.addStretch(1)
        for action in actions:
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            row.addWidget(button)
            self.buttons.append(button)
        row.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(12, 12, 12, 12)
        column.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(self._hint)
        column.addLayout(row)
        self.retranslate()

    def retranslate(self) -> None:
        self._hint.setText(t("gui.drop.hint"))
        self.setAccessibleName(t("gui.drop.accessible"))
        self.setToolTip(t("gui.drop.tooltip"))
        for button in self.buttons:
            button.setAccessibleName(button.defaultAction().text().replace("&", ""))
        self._restyle()

    def changeEvent(self, event) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange:
            self._restyle()

    def _restyle(self) -> None:
        pal = self.palette()
        edge = pal.color(QPalette.ColorRole.Highlight if self._hover else QPalette.ColorRole.Mid)
        sheet = (f"QFrame#dropZone {{ border: 2px dashed {edge.name()}; border-radius: 10px; }}")
        if sheet != self.styleSheet():
            self.setStyleSheet(sheet)
        side = round(self.fontMetrics().height() * 2.2)
        self._icon.setPixmap(icons.pixmap("drop", side, pal.color(QPalette.ColorRole.WindowText),
                                          self.devicePixelRatioF()))

    def _set_hover(self, hover: bool) -> None:
        if hover != self._hover:
            self._hover = hover
            self._restyle()

    # -- drag and drop ------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if paths_from_mime(event.mimeData()):
            event.acceptProposedAction()
            self._set_hover(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self._set_hover(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self._set_hover(False)
        paths = paths_from_mime(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.paths_dropped.emit(paths)
