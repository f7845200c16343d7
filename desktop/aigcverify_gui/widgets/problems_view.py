"""The file's problems in plain words, each with the rule it breaks and how serious it is."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

from .. import icons
from ..describe import SEVERITY_KEYS, problems
from ..i18n import t

__all__ = ["ProblemsView", "SEVERITY_ICONS"]

SEVERITY_ICONS = {"error": "error", "warning": "warning", "info": "info"}
MAX_VISIBLE_ROWS = 5  # more scroll: the verdict must stay on screen


class ProblemsView(QListWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("problemsView")
        self.setWordWrap(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setIconSize(QSize(20, 20))
        self._items: list[dict] = []

    def set_result(self, result: dict | None) -> None:
        self._items = problems(result or {})
        self.clear()
        for p in self._items:
            severity = str(p.get("severity") or "warning")
            words = t(SEVERITY_KEYS.get(severity, "gui.severity.warning"))
            text = str(p.get("message", ""))
            if p.get("rule"):
                text += "\n" + t("gui.problem.rule", rule=p["rule"])
            item = QListWidgetItem(icons.icon(SEVERITY_ICONS.get(severity, "warning")), text)
            item.setToolTip(f"{words}: {p.get('detail', '')}" if p.get("detail") else words)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{words}: {text}")
            self.addItem(item)
        self.setVisible(bool(self._items))
        self.updateGeometry()

    def count_problems(self) -> int:
        return len(self._items)

    def sizeHint(self) -> QSize:  # noqa: N802
        shown = self._items[:MAX_VISIBLE_ROWS] or [{}]
        lines = sum(1 + bool(p.get("rule")) for p in shown)  # message, and the rule under it
        line = self.fontMetrics().lineSpacing()
        height = lines * line + len(shown) * 8 + 2 * self.frameWidth()
        return QSize(super().sizeHint().width(), height)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(100, self.fontMetrics().lineSpacing() * 2 + 8)
