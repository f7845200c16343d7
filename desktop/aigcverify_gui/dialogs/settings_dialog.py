"""Settings: language, detector and explicit-label checks, execution provider, data folder, and
the statement that no network is ever used. Applied when the user presses OK; the language
switches at once (no restart)."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget)

from .. import icons
from ..i18n import LANG_CHOICES, t
from ..settings import Settings

__all__ = ["SettingsDialog", "available_providers"]


def available_providers() -> list[str]:
    """onnxruntime's execution providers on this machine (empty if it cannot be loaded)."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before the first import
    try:
        import onnxruntime
    except ImportError:
        return []
    return list(onnxruntime.get_available_providers())


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None,
                 providers: list[str] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.settings = settings
        self.lang = QComboBox(self)
        for value, key in LANG_CHOICES:
            self.lang.addItem(t(key), value)
        self.lang.setCurrentIndex(max(0, self.lang.findData(settings.lang)))
        self.detector = QCheckBox(self)
        self.detector.setChecked(settings.detector)
        self.explicit = QCheckBox(self)
        self.explicit.setChecked(settings.explicit)
        self.provider = QComboBox(self)
        self.provider.addItem(t("gui.settings.provider.auto"), "auto")
        for name in providers if providers is not None else available_providers():
            self.provider.addItem(name, name)
        found = self.provider.findData(settings.provider)
        self.provider.setCurrentIndex(found if found >= 0 else 0)
        self.folder = QLabel(str(settings.folder), self)
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                            | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.folder.setWordWrap(True)
        self.open_folder = QPushButton(icons.icon("folder"), t("gui.settings.folder.open"), self)
        self.open_folder.clicked.connect(self._open_folder)
        self.offline = QLabel(self)
        self.offline.setWordWrap(True)
        self.offline.setObjectName("offlineStatement")
        self.restart_note = QLabel(self)
        self.restart_note.setWordWrap(True)

        form = QFormLayout()
        self._labels = {name: QLabel(self) for name in ("lang", "detector", "explicit", "provider",
                                                         "folder")}
        form.addRow(self._labels["lang"], self.lang)
        form.addRow(self._labels["detector"], self.detector)
        form.addRow(self._labels["explicit"], self.explicit)
        form.addRow(self._labels["provider"], self.provider)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.open_folder)
        form.addRow(self._labels["folder"], folder_row)
        for name, label in self._labels.items():
            label.setBuddy({"lang": self.lang, "detector": self.detector, "explicit": self.explicit,
                            "provider": self.provider, "folder": self.open_folder}[name])

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.restart_note)
        layout.addWidget(self.offline)
        layout.addWidget(buttons)
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(t("gui.settings.title"))
        for name, label in self._labels.items():
            label.setText(t(f"gui.settings.{name}"))
        for i, (_, key) in enumerate(LANG_CHOICES):
            self.lang.setItemText(i, t(key))
        self.provider.setItemText(0, t("gui.settings.provider.auto"))
        self.detector.setText(t("gui.settings.detector.check"))
        self.explicit.setText(t("gui.settings.explicit.check"))
        self.offline.setText(t("gui.settings.offline"))
        self.restart_note.setText(t("gui.settings.applies"))
        self.open_folder.setText(t("gui.settings.folder.open"))
        names = {self.lang: "gui.settings.lang", self.detector: "gui.settings.detector",
                 self.explicit: "gui.settings.explicit", self.provider: "gui.settings.provider",
                 self.folder: "gui.settings.folder", self.open_folder: "gui.settings.folder.open",
                 self.offline: "gui.settings.offline.accessible",
                 self.restart_note: "gui.settings.applies"}
        for widget, key in names.items():
            widget.setAccessibleName(t(key))
        self.provider.setToolTip(t("gui.settings.provider.tooltip"))
        self.detector.setToolTip(t("gui.settings.detector.tooltip"))
        self.explicit.setToolTip(t("gui.settings.explicit.tooltip"))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        ok.setText(t("gui.ok"))
        cancel.setText(t("gui.cancel"))
        ok.setAccessibleName(t("gui.ok"))
        cancel.setAccessibleName(t("gui.cancel"))

    def _open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.settings.folder)))

    def apply(self) -> None:
        """Write the chosen values to the settings file."""
        self.settings.lang = self.lang.currentData() or ""
        self.settings.detector = self.detector.isChecked()
        self.settings.explicit = self.explicit.isChecked()
        self.settings.provider = self.provider.currentData() or "auto"
        self.settings.sync()
