"""Start the desktop app.

    aigcverify-gui [--lang zh|en] [FILE|FOLDER...]
    aigcverify-gui --screenshot OUT.png [--lang zh|en] [--select N] [--declared]
                   [--tab evidence|provenance] [--size 1280x820] FILE...

--screenshot opens the files, waits until every result (and the selected file's preview) is
shown, saves a picture of the window and exits 0 (1 on timeout). It works offscreen
(QT_QPA_PLATFORM=offscreen) and never writes the window geometry to the settings.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import time
from collections.abc import Callable

__all__ = ["main", "build_parser", "install_plugins", "PLUGIN_MODULES", "take_screenshot",
           "wait_until"]

log = logging.getLogger(__name__)

# Features that plug into the window later; each module has install(window). Missing ones are
# fine (not built yet); a module that exists but fails to import is a bug and is not hidden.
PLUGIN_MODULES = (
    "aigcverify_gui.dialogs.report_dialog",
    "aigcverify_gui.dialogs.history",
)

EXIT_OK, EXIT_TIMEOUT, EXIT_USAGE, EXIT_BINDING = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aigcverify-gui")
    parser.add_argument("--lang", help="zh or en (default: settings, else the system language)")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="open FILEs, wait for every result, save a screenshot, exit")
    parser.add_argument("--select", type=int, default=0, help="screenshot: row to show (0-based)")
    parser.add_argument("--declared", action="store_true",
                        help="screenshot: turn on the 'publisher declared' switch")
    parser.add_argument("--tab", choices=("evidence", "provenance"), default="evidence")
    parser.add_argument("--size", default="1280x820", help="screenshot: window size WxH")
    parser.add_argument("--timeout", type=float, default=180.0, help="screenshot: seconds to wait")
    parser.add_argument("files", nargs="*", metavar="FILE")
    return parser


def install_plugins(window) -> list[str]:
    installed = []
    for name in PLUGIN_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:
                raise
            continue
        module.install(window)
        installed.append(name)
    return installed


def wait_until(app, predicate: Callable[[], bool], timeout_s: float, slice_ms: int = 50) -> bool:
    """Run the event loop until predicate() holds; False after timeout_s."""
    from PySide6.QtCore import QEventLoop

    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents
                          | QEventLoop.ProcessEventsFlag.WaitForMoreEvents, slice_ms)
    return True


def _parse_size(text: str) -> tuple[int, int]:
    w, _, h = text.lower().partition("x")
    return max(400, int(w)), max(300, int(h))


def take_screenshot(app, window, args: argparse.Namespace) -> int:
    """Open the files, wait for every result and the preview, save the window to a PNG."""
    window.resize(*_parse_size(args.size))
    window.show()
    window.open_paths([os.path.abspath(p) for p in args.files])
    if not wait_until(app, lambda: window.model.rowCount() > 0 and window.is_idle(), args.timeout):
        print("aigcverify-gui: timed out waiting for results", file=sys.stderr)
        return EXIT_TIMEOUT
    window.select(min(max(0, args.select), window.model.rowCount() - 1))
    if args.declared:
        window.result_view.declared.setChecked(True)
    window.result_view.tabs.setCurrentIndex(0 if args.tab == "evidence" else 1)
    entry = window.current_entry()

    def preview_ready() -> bool:
        data = window.result_view.preview.data
        return entry is None or not entry.result or (data is not None and data.path == entry.path)

    if not wait_until(app, preview_ready, args.timeout):
        print("aigcverify-gui: timed out waiting for the preview", file=sys.stderr)
        return EXIT_TIMEOUT
    for _ in range(3):  # let layouts settle after the last update
        app.processEvents()
    picture = window.grab()
    if not picture.save(args.screenshot):
        print(f"aigcverify-gui: cannot write {args.screenshot}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args, qt_args = build_parser().parse_known_args(argv)
    if args.screenshot and not args.files:
        print("aigcverify-gui: --screenshot needs at least one FILE", file=sys.stderr)
        return EXIT_USAGE
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before anything imports onnxruntime
    logging.basicConfig(level=os.environ.get("AIGCVERIFY_LOG", "WARNING"))

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from .binding_check import binding_problem

    problem = binding_problem()
    if problem:
        print(f"aigcverify-gui: {problem}", file=sys.stderr)
        return EXIT_BINDING

    # sharp on fractional high-DPI scales (125 %, 150 %): no rounding of the scale factor
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("AIGCVerify")
    app.setApplicationDisplayName("AIGCVerify")

    from . import icons
    from .i18n import install_qt_translations, set_lang
    from .main_window import MainWindow
    from .settings import Settings
    from .tasks import Tasks

    app.setWindowIcon(icons.app_icon())
    settings = Settings()
    set_lang(args.lang or settings.lang)
    install_qt_translations()
    tasks = Tasks()
    window = MainWindow(tasks, settings, save_state=not args.screenshot)
    install_plugins(window)
    try:
        if args.screenshot:
            return take_screenshot(app, window, args)
        window.show()
        if args.files:
            window.open_paths([os.path.abspath(p) for p in args.files])
        return app.exec()
    finally:
        window.close()
        tasks.close()


if __name__ == "__main__":
    sys.exit(main())
