"""Frozen entry point of the console CLI (PyInstaller): `aigcverify`.

freeze_support() must run first: the check workers are started from this same executable
(forkserver on Linux, spawn on Windows and macOS), and PyInstaller's freeze_support() turns
those re-launches into the multiprocessing process they ask for instead of a second CLI run.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from aigcverify.cli import main

    sys.exit(main())
