"""Frozen entry point of the windowed app (PyInstaller): `aigcverify-gui`.

freeze_support() must run before anything else: the check workers are started from this same
executable (forkserver on Linux, spawn on Windows and macOS), and PyInstaller's version of
freeze_support() recognises those re-launches (the fork server, the resource tracker, a spawned
worker), runs the multiprocessing code they ask for and exits, instead of opening a second
window. Only a real start reaches the GUI import below.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from aigcverify_gui.app import main

    sys.exit(main())
