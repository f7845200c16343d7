"""What goes into the bundle and what stays out: the tables behind installer/aigcverify.spec.

Kept apart from the spec so that the spec and the Qt hook (installer/hooks/) read the same
tables, and so that a test can check them without running PyInstaller.
"""

from __future__ import annotations

from pathlib import PurePath

__all__ = ["EXCLUDES", "UNUSED_QT_PLUGINS", "QT_TRANSLATION_LANGS", "QT_TRANSLATION_CATALOGS",
           "plugin_unused", "translation_unused"]

# Python packages never imported by the app. Training and test tools share the build
# virtualenv; PyInstaller would follow their optional imports. Network client libraries are
# excluded as well: the product never touches the network, and an accidental import now fails
# loudly instead of quietly working.
EXCLUDES = (
    # training, notebooks, plotting
    "torch", "torchvision", "torchaudio", "onnx", "tensorboard", "imwatermark", "sympy",
    "networkx", "mpmath", "matplotlib", "scipy", "pandas", "skimage", "sklearn",
    "tkinter", "_tkinter", "IPython", "jupyter", "notebook", "pydoc_data", "lib2to3",
    # tests and build tools
    "pytest", "_pytest", "pytestqt", "hypothesis", "atheris", "jsonschema",
    "jsonschema_specifications", "setuptools", "pkg_resources", "pip", "PyInstaller",
    # network
    "requests", "urllib3", "certifi", "idna", "charset_normalizer", "av.datasets",
    # Qt modules the GUI does not import (it uses QtCore, QtGui, QtWidgets and QtSvg)
    "PySide6.QtNetwork", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets",
    "PySide6.QtQuickControls2", "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets",
    "PySide6.QtWebChannel", "PySide6.QtWebSockets", "PySide6.Qt3DCore", "PySide6.QtMultimedia",
    "PySide6.QtMultimediaWidgets", "PySide6.QtSql", "PySide6.QtTest", "PySide6.QtDesigner",
    "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtPdf", "PySide6.QtPdfWidgets",
    "PySide6.QtCharts", "PySide6.QtDBus", "PySide6.QtPrintSupport", "PySide6.QtHelp",
    "PySide6.QtUiTools", "PySide6.QtXml", "PySide6.QtConcurrent", "PySide6.QtStateMachine",
)

# Qt plugins this app never loads, by plugin type, matched by file stem without the "lib"
# prefix (None: the whole type). The GUI paints with Qt's raster engine (no OpenGL), so
# GL/EGL/Vulkan integrations go; so do embedded-device platforms (framebuffer, EGLFS, VNC,
# KMS), kiosk input (evdev, TUIO, virtual keyboard), Wayland shells other than xdg-shell (what
# desktop compositors speak) and image formats the app never shows. The GTK3 theme goes too: it
# would carry a private copy of GTK's cairo/pango stack that can clash with the user's own GTK;
# Qt's own style is used instead (the xdg-desktop-portal theme stays, for native file dialogs).
# Removing them in the hook, before dependency analysis, also keeps out what only they link
# (QtNetwork via VNC/TUIO, QtOpenGL, EGLFS support libraries, GTK, cairo, pango).
UNUSED_QT_PLUGINS: dict[str, frozenset[str] | None] = {
    "platforms": frozenset({"qeglfs", "qlinuxfb", "qminimal", "qminimalegl", "qvkkhrdisplay",
                            "qvnc", "qdirect2d"}),
    "platformthemes": frozenset({"qgtk3"}),
    "imageformats": frozenset({"qpdf", "qtga", "qwbmp", "qicns", "qmacheif", "qmacjp2"}),
    "platforminputcontexts": frozenset({"qtvirtualkeyboardplugin"}),
    "generic": None,
    "egldeviceintegrations": None,
    "xcbglintegrations": None,
    "wayland-graphics-integration-client": None,
    "wayland-shell-integration": frozenset({"fullscreen-shell-v1", "ivi-shell", "qt-shell",
                                            "wl-shell-plugin"}),
}

# Qt's own translations (standard dialogs and context menus): the app speaks Chinese and
# English. `qt_<lang>.qm` is the catalogue that loads `qtbase_<lang>.qm`.
QT_TRANSLATION_LANGS = ("zh_CN", "en")
QT_TRANSLATION_CATALOGS = ("qt", "qtbase")


def plugin_unused(path: str) -> bool:
    """Whether path (source or bundle path …/plugins/<type>/<file>) is an unused Qt plugin."""
    parts = PurePath(path.replace("\\", "/")).parts
    if "plugins" not in parts:
        return False
    i = len(parts) - 1 - parts[::-1].index("plugins")  # the last "plugins" folder
    if len(parts) != i + 3 or parts[i + 1] not in UNUSED_QT_PLUGINS:
        return False
    stems = UNUSED_QT_PLUGINS[parts[i + 1]]
    return stems is None or parts[-1].split(".")[0].removeprefix("lib") in stems


def translation_unused(path: str) -> bool:
    """Whether path is a Qt translation (…/translations/*.qm) of another language or tool."""
    p = PurePath(path.replace("\\", "/"))
    if p.suffix != ".qm" or "translations" not in p.parts:
        return False
    return p.name not in {f"{cat}_{lang}.qm" for cat in QT_TRANSLATION_CATALOGS
                          for lang in QT_TRANSLATION_LANGS}
