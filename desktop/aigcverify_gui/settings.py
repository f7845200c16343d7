"""User settings, stored as an INI file inside the app's data folder and nowhere else.

QSettings' default locations (registry, ~/.config) would write outside the data folder, so the
file is always opened by path: <data_home>/gui-settings.ini.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from aigcverify.resources import data_home

__all__ = ["Settings", "SETTINGS_FILE", "DEFAULTS"]

SETTINGS_FILE = "gui-settings.ini"

# key -> default. lang "" = follow the system; provider "auto" = let the core choose.
DEFAULTS: dict[str, object] = {
    "lang": "",
    "detector": True,
    "explicit": True,
    "provider": "auto",
}


def _as_bool(value: object) -> bool:
    # IniFormat returns "true"/"false" strings for booleans written by another session
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class Settings:
    """Typed access to the few persistent settings."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder else data_home()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / SETTINGS_FILE
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    # -- plain values ---------------------------------------------------------------------
    @property
    def lang(self) -> str:
        return str(self._qs.value("lang", DEFAULTS["lang"]) or "")

    @lang.setter
    def lang(self, value: str) -> None:
        self._qs.setValue("lang", value or "")

    @property
    def detector(self) -> bool:
        return _as_bool(self._qs.value("detector", DEFAULTS["detector"]))

    @detector.setter
    def detector(self, value: bool) -> None:
        self._qs.setValue("detector", bool(value))

    @property
    def explicit(self) -> bool:
        return _as_bool(self._qs.value("explicit", DEFAULTS["explicit"]))

    @explicit.setter
    def explicit(self, value: bool) -> None:
        self._qs.setValue("explicit", bool(value))

    @property
    def provider(self) -> str:
        return str(self._qs.value("provider", DEFAULTS["provider"]) or "auto")

    @provider.setter
    def provider(self, value: str) -> None:
        self._qs.setValue("provider", value or "auto")

    # -- window state (opaque Qt blobs) -------------------------------------------------------
    def blob(self, key: str) -> QByteArray | None:
        value = self._qs.value(f"window/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_blob(self, key: str, value: QByteArray) -> None:
        self._qs.setValue(f"window/{key}", value)

    def sync(self) -> None:
        self._qs.sync()
