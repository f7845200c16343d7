"""The installer's own helpers, checked without building anything (runs in `make test`).

bundle_policy decides what the bundle leaves out; a wrong entry would silently drop something
the app needs, so the tables are checked against the app's real imports. app_icons and
win_version produce the platform icons and the Windows version resource.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installer"))

from app_icons import ICO_SIZES, write_icons  # noqa: E402
from bundle_policy import EXCLUDES, plugin_unused, translation_unused  # noqa: E402
from win_version import version_tuple, write_version_file  # noqa: E402


@pytest.mark.parametrize("path,unused", [
    ("/venv/PySide6/Qt/plugins/platforms/libqxcb.so", False),
    ("/venv/PySide6/Qt/plugins/platforms/libqwayland.so", False),
    ("/venv/PySide6/Qt/plugins/platforms/libqoffscreen.so", False),
    ("/venv/PySide6/Qt/plugins/platforms/libqvnc.so", True),
    ("/venv/PySide6/Qt/plugins/platforms/libqeglfs.so", True),
    ("/venv/PySide6/Qt/plugins/platformthemes/libqgtk3.so", True),
    ("/venv/PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", False),
    ("/venv/PySide6/Qt/plugins/generic/libqtuiotouchplugin.so", True),
    ("/venv/PySide6/Qt/plugins/xcbglintegrations/libqxcb-glx-integration.so", True),
    ("/venv/PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so", False),
    ("/venv/PySide6/Qt/plugins/wayland-shell-integration/libivi-shell.so", True),
    ("/venv/PySide6/Qt/plugins/imageformats/libqjpeg.so", False),
    ("/venv/PySide6/Qt/plugins/imageformats/libqpdf.so", True),
    (r"C:\venv\Lib\site-packages\PySide6\plugins\platforms\qwindows.dll", False),
    (r"C:\venv\Lib\site-packages\PySide6\plugins\platforms\qdirect2d.dll", True),
    ("/venv/PySide6/Qt/plugins/platforms/libqcocoa.dylib", False),
    ("/venv/PySide6/Qt/plugins/platforms/darwin/libqmacstyle.dylib", False),
    ("/venv/PySide6/Qt/lib/libQt6Core.so.6", False),
])
def test_unused_qt_plugins(path, unused):
    assert plugin_unused(path) is unused


@pytest.mark.parametrize("path,unused", [
    ("PySide6/Qt/translations/qtbase_zh_CN.qm", False),
    ("PySide6/Qt/translations/qt_zh_CN.qm", False),
    ("PySide6/Qt/translations/qtbase_en.qm", False),
    ("PySide6/Qt/translations/qtbase_de.qm", True),
    ("PySide6/Qt/translations/designer_zh_CN.qm", True),
    (r"PySide6\translations\qtbase_ja.qm", True),
    ("resources/i18n/zh_CN/core.json", False),
])
def test_qt_translations_kept_for_chinese_and_english(path, unused):
    assert translation_unused(path) is unused


def _imported_modules() -> set[str]:
    found = set()
    for source in (ROOT / "desktop").rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_nothing_the_app_imports_is_excluded_from_the_bundle():
    imported = _imported_modules()
    clashes = {m for m in imported for ex in EXCLUDES if m == ex or m.startswith(ex + ".")}
    assert not clashes, f"the app imports modules the bundle leaves out: {sorted(clashes)}"


def test_icons_are_drawn_for_every_platform(tmp_path):
    from PIL import Image

    paths = write_icons(ROOT / "resources" / "icons" / "app.svg", tmp_path)
    with Image.open(paths["ico"]) as ico:
        assert {s[0] for s in ico.info["sizes"]} == set(ICO_SIZES)
    with Image.open(paths["icns"]) as icns:
        assert (512, 512, 2) in icns.info["sizes"]  # the 1024 px Retina picture
    with Image.open(paths["png"]) as png:
        assert png.size == (256, 256) and png.mode == "RGBA"
        assert png.getpixel((0, 0))[3] == 0 and png.getpixel((128, 128))[3] == 255


@pytest.mark.parametrize("text,numbers", [
    ("0.1.0", (0, 1, 0, 0)), ("1.2", (1, 2, 0, 0)), ("1.2.0rc1", (1, 2, 0, 0)),
    ("2.0.1.7", (2, 0, 1, 7)),
])
def test_windows_version_numbers(text, numbers):
    assert version_tuple(text) == numbers


def test_windows_version_resource_text(tmp_path):
    from aigcverify import __version__

    text = Path(write_version_file(tmp_path / "v.txt", "aigcverify-gui.exe")).read_text("utf-8")
    assert f"filevers={version_tuple(__version__)}" in text
    assert "StringStruct('OriginalFilename', 'aigcverify-gui.exe')" in text
    assert f"StringStruct('ProductVersion', '{__version__}')" in text
    compile(text, "v.txt", "eval")  # PyInstaller eval()s it
