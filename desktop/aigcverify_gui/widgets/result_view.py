"""The result of the selected file: verdict badge, the one sentence that says why, the
"publisher declared" switch, the problems, the actions row, and preview | evidence/provenance.

It renders whatever the result holds so far: metadata findings first, slower stages (OCR,
detector) as they finish. It never changes a result itself; the declared switch only emits.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QPushButton, QSplitter,
                               QStackedWidget, QTabWidget, QToolButton, QVBoxLayout, QWidget)

from .. import describe, icons
from ..i18n import current_lang, t
from .node_tree import NodeTree
from .preview import PreviewPanel
from .problems_view import ProblemsView
from .queue_view import STAGE_KEYS, FileState, QueueEntry
from .verdict_badge import VerdictBadge

__all__ = ["ResultView"]


class ResultView(QWidget):
    declared_toggled = Signal(bool)
    copy_text_requested = Signal()
    copy_json_requested = Signal()
    open_folder_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultView")
        self._entry: QueueEntry | None = None
        self._extra_buttons: list[QToolButton] = []

        self.pages = QStackedWidget(self)
        self.empty = QLabel(self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        body = QWidget(self)
        self.badge = VerdictBadge(body)
        self.reason = QLabel(body)
        self.reason.setObjectName("reasonText")
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                            | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        font = QFont(self.reason.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.reason.setFont(font)
        self.status = QLabel(body)
        self.status.setObjectName("checkingStatus")
        self.status.setWordWrap(True)
        self.declared = QCheckBox(body)
        self.declared.setObjectName("declaredSwitch")
        self.declared.toggled.connect(self._on_declared)
        self.problems_title = QLabel(body)
        self.problems = ProblemsView(body)

        self.copy_text = QPushButton(icons.icon("copy"), "", body)
        self.copy_json = QPushButton(icons.icon("json"), "", body)
        self.open_folder = QPushButton(icons.icon("folder"), "", body)
        self.copy_text.clicked.connect(self.copy_text_requested)
        self.copy_json.clicked.connect(self.copy_json_requested)
        self.open_folder.clicked.connect(self.open_folder_requested)
        self.actions_row = QHBoxLayout()
        for button in (self.copy_text, self.copy_json, self.open_folder):
            self.actions_row.addWidget(button)
        self.actions_row.addStretch(1)

        self.preview = PreviewPanel(body)
        self.tabs = QTabWidget(body)
        self.evidence = NodeTree(body)
        self.evidence.setObjectName("evidenceTree")
        self.provenance = NodeTree(body)
        self.provenance.setObjectName("provenanceTree")
        self.tabs.addTab(self.evidence, "")
        self.tabs.addTab(self.provenance, "")
        self.split = QSplitter(Qt.Orientation.Horizontal, body)
        self.split.setObjectName("resultSplit")
        self.split.setChildrenCollapsible(False)
        self.split.addWidget(self.preview)
        self.split.addWidget(self.tabs)
        self.split.setStretchFactor(0, 2)
        self.split.setStretchFactor(1, 3)

        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.badge)
        column.addWidget(self.reason)
        column.addWidget(self.status)
        column.addWidget(self.declared)
        column.addWidget(self.problems_title)
        column.addWidget(self.problems)
        column.addLayout(self.actions_row)
        column.addWidget(self.split, 1)

        self.pages.addWidget(self.empty)
        self.pages.addWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.pages)
        self.setTabOrder(self.declared, self.problems)
        self.setTabOrder(self.problems, self.copy_text)
        self.setTabOrder(self.copy_text, self.copy_json)
        self.setTabOrder(self.copy_json, self.open_folder)
        self.retranslate()
        self.show_entry(None)

    # -- hooks for actions that other features add (report log...) ---------------------------
    def add_action(self, action: QAction) -> QToolButton:
        """A button in the result's action row, after the built-in ones."""
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAccessibleName(action.text().replace("&", ""))
        action.changed.connect(
            lambda b=button, a=action: b.setAccessibleName(a.text().replace("&", "")))
        self.actions_row.addWidget(button)
        self._extra_buttons.append(button)
        return button

    # -- content ------------------------------------------------------------------------------
    @property
    def entry(self) -> QueueEntry | None:
        return self._entry

    def show_entry(self, entry: QueueEntry | None, keep_state: bool = False) -> None:
        self._entry = entry
        if entry is None:
            self.pages.setCurrentWidget(self.empty)
            self.preview.clear()
            return
        self.pages.setCurrentIndex(1)
        lang = current_lang()
        result = entry.result
        if result:
            state = result.get("verdict", "unreadable")  # partial results show their verdict
        elif entry.state is FileState.CANCELLED:
            state = "cancelled"
        else:
            state = "pending"
        self.badge.set_state(state, entry.name)
        if result:
            self.reason.setText(str((result.get("reason") or {}).get("message", "")))
        else:
            self.reason.setText(t(f"gui.reason.{entry.state.value}"))
        self._show_status(entry)
        self.declared.blockSignals(True)
        self.declared.setChecked(entry.declared)
        self.declared.blockSignals(False)
        self.declared.setEnabled(entry.state is not FileState.CANCELLED)
        self.problems.set_result(result)
        count = self.problems.count_problems()
        self.problems_title.setText(t("gui.problems.title", count=count))
        self.problems_title.setVisible(count > 0)
        has_result = result is not None
        for button in (self.copy_text, self.copy_json):
            button.setEnabled(has_result)
        self.evidence.set_nodes(describe.evidence(result, lang) if result else [], keep_state)
        self.provenance.set_nodes(describe.provenance(result, lang) if result else [], keep_state)
        self.preview.set_result(result)

    def _show_status(self, entry: QueueEntry) -> None:
        if entry.state is FileState.CHECKING and entry.result is not None:
            # progressive result: say that slower checks are still running
            self.status.setText(t("gui.status.partial", now=t(STAGE_KEYS.get(
                entry.stage, "gui.state.checking.finishing"))))
            self.status.show()
        elif entry.state is FileState.CANCELLED and entry.result is not None:
            self.status.setText(t("gui.status.cancelled-partial"))
            self.status.show()
        else:
            self.status.hide()

    def _on_declared(self, checked: bool) -> None:
        self.declared_toggled.emit(checked)

    def retranslate(self) -> None:
        self.empty.setText(t("gui.result.empty"))
        self.empty.setAccessibleName(t("gui.result.empty.accessible"))
        self.declared.setText(t("gui.declared.switch"))
        self.declared.setToolTip(t("gui.declared.tooltip"))
        self.declared.setAccessibleName(t("gui.declared.switch"))
        self.declared.setAccessibleDescription(t("gui.declared.tooltip"))
        self.reason.setAccessibleName(t("gui.reason.accessible"))
        self.status.setAccessibleName(t("gui.status.accessible"))
        self.problems.setAccessibleName(t("gui.problems.accessible"))
        self.problems_title.setAccessibleName(t("gui.problems.accessible"))
        for button, key in ((self.copy_text, "gui.action.copy-text"),
                            (self.copy_json, "gui.action.copy-json"),
                            (self.open_folder, "gui.action.open-folder")):
            button.setText(t(key))
            button.setToolTip(t(f"{key}.tooltip"))
            button.setAccessibleName(t(key))
        self.tabs.setTabText(0, t("gui.tab.evidence"))
        self.tabs.setTabText(1, t("gui.tab.provenance"))
        self.tabs.setAccessibleName(t("gui.tab.accessible"))
        self.evidence.setAccessibleName(t("gui.tab.evidence"))
        self.provenance.setAccessibleName(t("gui.tab.provenance"))
        self.split.setAccessibleName(t("gui.result.split.accessible"))
        self.badge.retranslate()
        self.evidence.retranslate()
        self.provenance.retranslate()
        self.preview.retranslate()
        if self._entry is not None:
            self.show_entry(self._entry, keep_state=False)
