"""PyInstaller hook for PySide6.QtGui (replaces the stock one): the stock collection minus the
Qt plugins listed in installer/bundle_policy.py.

Filtering here, before PyInstaller's dependency analysis, keeps out the libraries that only
those plugins link (QtNetwork, QtOpenGL, EGLFS support, GTK with cairo and pango); removing the
plugins after the analysis would leave those libraries in the bundle.
"""

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

from bundle_policy import plugin_unused  # installer/ is on sys.path (see aigcverify.spec)

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(src, dest) for src, dest in binaries if not plugin_unused(src)]
