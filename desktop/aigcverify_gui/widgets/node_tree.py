"""A two-column tree of describe.Node rows (the evidence list and the provenance panel).

Groups and their entries open by default; raw detail rows start closed and open on demand
(click, or Right/+ on the keyboard). When the same file's result is shown again (progressive
results), the rows the user opened or closed stay that way. Ctrl+C copies the current row.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from .. import icons
from ..describe import Node
from ..i18n import t

__all__ = ["NodeTree", "OPEN_DEPTH"]

OPEN_DEPTH = 3  # non-raw rows shallower than this start open (groups, entries, fields)

_KIND_ICONS = {"ok": "ok", "error": "error", "warning": "warning", "info": "info"}


class NodeTree(QTreeWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setUniformRowHeights(False)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # hashes and paths: both ends matter
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.header().setStretchLastSection(True)
        self._nodes: list[Node] = []
        self.retranslate()

    def retranslate(self) -> None:
        self.setHeaderLabels([t("gui.tree.item"), t("gui.tree.value")])
        self.header().setAccessibleName(t("gui.header.accessible"))

    @staticmethod
    def _path(item: QTreeWidgetItem) -> tuple[str, ...]:
        parts = []
        while item is not None:
            parts.append(f"{item.parent() is None}:{item.data(0, Qt.ItemDataRole.UserRole)}")
            item = item.parent()
        return tuple(reversed(parts))

    def _open_state(self) -> dict[tuple[str, ...], bool]:
        state: dict[tuple[str, ...], bool] = {}
        stack = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        while stack:
            item = stack.pop()
            if item.childCount():
                state[self._path(item)] = item.isExpanded()
                stack.extend(item.child(i) for i in range(item.childCount()))
        return state

    def set_nodes(self, nodes: list[Node], keep_state: bool = False) -> None:
        state = self._open_state() if keep_state else {}
        self.setUpdatesEnabled(False)
        try:
            self.clear()
            self._nodes = nodes
            for i, node in enumerate(nodes):
                self._add(None, node, 0, f"{i}:{node.label}", state)
            self._fit_columns()
        finally:
            self.setUpdatesEnabled(True)

    def _fit_columns(self) -> None:
        """The label column as wide as its text, but never more than ~45 % of the view (the
        value column wraps); recomputed on resize because a hidden tab has no width yet."""
        wanted = self.sizeHintForColumn(0) + self.indentation()
        floor = self.fontMetrics().horizontalAdvance("M") * 8
        cap = max(floor, int(self.viewport().width() * 0.5))
        self.setColumnWidth(0, max(floor, min(wanted, cap)))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_columns()

    def _add(self, parent: QTreeWidgetItem | None, node: Node, depth: int, key: str,
             state: dict[tuple[str, ...], bool]) -> None:
        item = QTreeWidgetItem([node.label, node.value])
        item.setData(0, Qt.ItemDataRole.UserRole, key)
        item.setToolTip(1, node.value if len(node.value) > 40 else "")
        if depth == 0:
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
        if node.kind in _KIND_ICONS:
            item.setIcon(0, icons.icon(_KIND_ICONS[node.kind]))
        if parent is None:
            self.addTopLevelItem(item)
        else:
            parent.addChild(item)
        for i, child in enumerate(node.children):
            self._add(item, child, depth + 1, f"{i}:{child.label}", state)
        if node.children:
            default = not node.raw and depth < OPEN_DEPTH
            item.setExpanded(state.get(self._path(item), default))

    def row_text(self, item: QTreeWidgetItem | None) -> str:
        if item is None:
            return ""
        label, value = item.text(0), item.text(1)
        return f"{label}: {value}" if label and value else label or value

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.matches(QKeySequence.StandardKey.Copy):
            QGuiApplication.clipboard().setText(self.row_text(self.currentItem()))
            event.accept()
            return
        super().keyPressEvent(event)
