"""One way to find bundled resources, the same in the source tree and in a frozen bundle."""

import os
import sys
from pathlib import Path

__all__ = ["resource_dir", "resource_path", "models_dir", "data_home"]


def _root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)  # PyInstaller one-folder bundle
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parents[2]  # desktop/aigcverify/ -> project root


def resource_dir() -> Path:
    return _root() / "resources"


def resource_path(*parts: str) -> Path:
    return resource_dir().joinpath(*parts)


def models_dir() -> Path:
    return _root() / "models"


def data_home() -> Path:
    """The app's data folder: AIGCVERIFY_HOME, else the platform default. Created on demand."""
    override = os.environ.get("AIGCVERIFY_HOME")
    if override:
        home = Path(override)
    elif sys.platform == "win32":
        home = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "AIGCVerify"
    elif sys.platform == "darwin":
        home = Path.home() / "Library" / "Application Support" / "AIGCVerify"
    else:
        home = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "aigcverify"
    home.mkdir(parents=True, exist_ok=True)
    return home
