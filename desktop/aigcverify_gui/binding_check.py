"""Refuse to run on a Qt binding that corrupts the interpreter's reference counts.

PySide6/shiboken6 6.12.0 (abi3 wheel) on CPython 3.11 drops one reference to None on every call
of a void Qt method (setText, processEvents, ...) and one reference to True on every
Signal.emit(). CPython 3.12+ makes None/True immortal and hides it; on 3.11 the process aborts
after a few thousand calls ("Fatal Python error: none_dealloc"), i.e. within seconds of use.
A clear message at start-up is better than a crash in the middle of a user's batch.
"""

from __future__ import annotations

import sys

__all__ = ["binding_problem"]

_PROBE_CALLS = 16


def binding_problem() -> str | None:
    """A sentence saying what is wrong with the installed binding, or None when it is sound.
    Needs no QApplication (uses a plain QObject)."""
    import PySide6
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(_PROBE_CALLS):
        probe.setObjectName("probe")  # a void method
        probe.ping.emit()
    lost_none = none_before - sys.getrefcount(None)
    lost_true = true_before - sys.getrefcount(True)
    if lost_none >= _PROBE_CALLS or lost_true >= _PROBE_CALLS:
        py = ".".join(map(str, sys.version_info[:3]))
        return (f"PySide6 {PySide6.__version__} loses references to None/True on Python {py} "
                f"and would crash; install PySide6-Essentials 6.11.2 or use Python 3.12+.")
    return None
