"""Frozen entry point of the console CLI (PyInstaller)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # worker processes re-enter here in a frozen app
    from aigcverify.cli import main

    sys.exit(main())
