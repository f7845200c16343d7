"""The one-writer lock: an OS file lock next to the database, held for each append.

SQLite already serializes writers, but an append also writes the head anchor file, and both
must happen under one lock across processes (the GUI and a CLI may run at the same time). The
lock is released by the OS when a process dies, so a `kill -9` never leaves it stuck.
"""

import os
import sys
import time
from pathlib import Path

from .errors import StoreBusy, from_os_error

__all__ = ["WriterLock"]

_POLL_S = 0.02


class WriterLock:
    def __init__(self, path: Path, timeout_s: float = 5.0) -> None:
        self.path = Path(path)
        self.timeout_s = timeout_s
        self._fd: int | None = None

    def _try_lock(self, fd: int) -> bool:
        if sys.platform == "win32":
            import msvcrt  # noqa: PLC0415

            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                return True
            except OSError:
                return False
        import fcntl  # noqa: PLC0415

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise from_os_error(err) from err
        deadline = time.monotonic() + self.timeout_s
        while not self._try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise StoreBusy("writer lock held by another process", path=str(self.path))
            time.sleep(_POLL_S)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if sys.platform == "win32":
            import msvcrt  # noqa: PLC0415

            try:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            except OSError:
                pass  # closing the handle releases it as well
        os.close(fd)  # closing releases the flock

    def __enter__(self) -> "WriterLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
