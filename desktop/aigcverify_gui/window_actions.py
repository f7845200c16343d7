"""The window's actions as a table: icon, words, tooltip, shortcut. One QAction per row, so
menus, toolbar buttons and keyboard shortcuts always agree."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from . import icons
from .i18n import t

__all__ = ["ActionSpec", "ACTION_SPECS", "make_actions", "retranslate_actions", "refresh_icons"]


@dataclass(frozen=True)
class ActionSpec:
    icon: str
    text_key: str  # also "<text_key>.tooltip"
    shortcut: QKeySequence.StandardKey | str | None = None
    placeholder: bool = False  # present, disabled, until its feature plugs in


ACTION_SPECS: dict[str, ActionSpec] = {
    "open": ActionSpec("open", "gui.action.open", QKeySequence.StandardKey.Open),
    "open_folder": ActionSpec("open-folder", "gui.action.open-dir", "Ctrl+Shift+O"),
    "paste": ActionSpec("paste", "gui.action.paste", QKeySequence.StandardKey.Paste),
    "remove": ActionSpec("remove", "gui.action.remove", QKeySequence.StandardKey.Delete),
    "cancel": ActionSpec("cancel", "gui.action.cancel", "Esc"),
    "recheck": ActionSpec("recheck", "gui.action.recheck", QKeySequence.StandardKey.Refresh),
    "copy_text": ActionSpec("copy", "gui.action.copy-text", "Ctrl+Shift+C"),
    "copy_json": ActionSpec("json", "gui.action.copy-json", "Ctrl+Shift+J"),
    "settings": ActionSpec("settings", "gui.action.settings", "Ctrl+,"),
    "report": ActionSpec("report", "gui.action.report", None, placeholder=True),
    "history": ActionSpec("history", "gui.action.history", None, placeholder=True),
}


def make_actions(parent: QWidget) -> dict[str, QAction]:
    actions = {}
    for name, spec in ACTION_SPECS.items():
        action = QAction(icons.icon(spec.icon), "", parent)
        action.setObjectName(f"action_{name}")
        if spec.shortcut is not None:
            action.setShortcut(QKeySequence(spec.shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if spec.placeholder:
            action.setEnabled(False)
        parent.addAction(action)  # shortcuts work even when no button shows the action
        actions[name] = action
    retranslate_actions(actions)
    return actions


def _placeholder_text(action: QAction, spec: ActionSpec) -> bool:
    # a feature that plugged in and enabled the action owns its tooltip from then on
    return spec.placeholder and not action.isEnabled()


def retranslate_actions(actions: dict[str, QAction]) -> None:
    for name, action in actions.items():
        spec = ACTION_SPECS.get(name)
        if spec is None:
            continue
        action.setText(t(spec.text_key))
        placeholder = _placeholder_text(action, spec)
        tip = t("gui.action.placeholder.tooltip" if placeholder else f"{spec.text_key}.tooltip")
        shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)


def refresh_icons(actions: dict[str, QAction]) -> None:
    """Re-colour after a light/dark palette change."""
    for name, action in actions.items():
        spec = ACTION_SPECS.get(name)
        if spec is not None:
            action.setIcon(icons.icon(spec.icon))
