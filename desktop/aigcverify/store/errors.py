"""Errors of the report log: each has a code, a translated message and the promise that nothing
already stored was lost (the failing write was rolled back as a whole).

These are not parser errors (VerifyError is for untrusted file contents); they describe the
state of the user's own data folder, so the GUI and the CLI can say what to do about it.
"""

import errno
import sqlite3

from ..i18n import tr

__all__ = ["StoreError", "StoreBusy", "StoreReadOnly", "StoreFull", "StoreCorrupt",
           "StoreTooNew", "ReportNotFound", "InvalidReport", "FileChanged", "from_os_error",
           "from_sqlite_error"]


class StoreError(Exception):
    """Root of the report log's errors. `message(lang)` is what a person reads."""

    code = "store-error"

    def __init__(self, detail: str = "", **fields: object) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.fields = fields

    def message(self, lang: str) -> str:
        return tr(f"store.error.{self.code}", lang, detail=self.detail, **self.fields)


class StoreBusy(StoreError):
    """Another program holds the log's write lock for longer than we wait."""

    code = "busy"


class StoreReadOnly(StoreError):
    """The database file or its folder cannot be written (read-only media, permissions)."""

    code = "read-only"


class StoreFull(StoreError):
    """The disk (or the database's size limit) is full."""

    code = "disk-full"


class StoreCorrupt(StoreError):
    """quick_check failed: the file is damaged; we refuse to write to it."""

    code = "corrupt"


class StoreTooNew(StoreError):
    """The database was written by a newer version of the app."""

    code = "too-new"


class ReportNotFound(StoreError):
    code = "not-found"


class InvalidReport(StoreError):
    """A report draft failed validation; fields names the offending field."""

    code = "invalid"


class FileChanged(StoreError):
    """The file's bytes differ from the ones that were checked: refuse to keep a wrong copy."""

    code = "file-changed"


# SQLite's words for each condition (sqlite3 in 3.11 exposes no error codes on every build).
_SQLITE_PATTERNS: tuple[tuple[str, type[StoreError]], ...] = (
    ("database is locked", StoreBusy),
    ("database table is locked", StoreBusy),
    ("readonly database", StoreReadOnly),
    ("read-only", StoreReadOnly),
    ("database or disk is full", StoreFull),
    ("disk i/o error", StoreError),
    ("malformed", StoreCorrupt),
    ("file is not a database", StoreCorrupt),
    ("unable to open database", StoreReadOnly),
)

_ERRNO_CLASSES: dict[int, type[StoreError]] = {
    errno.ENOSPC: StoreFull,
    errno.EDQUOT: StoreFull,
    errno.EROFS: StoreReadOnly,
    errno.EACCES: StoreReadOnly,
    errno.EPERM: StoreReadOnly,
}


def from_sqlite_error(err: sqlite3.Error) -> StoreError:
    text = str(err).lower()
    for pattern, cls in _SQLITE_PATTERNS:
        if pattern in text:
            return cls(str(err))
    return StoreError(str(err))


def from_os_error(err: OSError) -> StoreError:
    cls = _ERRNO_CLASSES.get(err.errno or 0, StoreError)
    return cls(f"{err.strerror or err}: {err.filename or ''}".strip(": "))
