"""Atomic file replacement: write a temporary file in the same folder, fsync it, rename it over
the final name, fsync the folder. A crash or a full disk leaves either the old file or the new
one under the final name, never a half-written one (leftover temporaries start with '.' and end
with '.part').
"""

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import from_os_error

__all__ = ["atomic_writer", "atomic_write_bytes", "fsync_dir"]


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX only: Windows has no directory handles to flush)."""
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Yields a binary file; on normal exit it becomes `path` atomically. OSErrors are raised as
    StoreError subclasses (disk full, read-only) and the temporary file is removed."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as err:
        raise from_os_error(err) from err
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        fsync_dir(folder)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise from_os_error(err) from err
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_writer(path) as fh:
        fh.write(data)
