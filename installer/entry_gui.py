"""Frozen entry point of the windowed app (PyInstaller)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # worker processes re-enter here in a frozen app
    from aigcverify_gui.app import main

    sys.exit(main())
