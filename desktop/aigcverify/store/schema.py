"""The log's schema, versioned by PRAGMA user_version, and its migrations.

Rules: a migration never changes a hashed column of an existing entry (the chain would break);
it may add tables, indexes and derived (projection) columns. Before each migration of a
database that already holds data, a complete copy is made with `VACUUM INTO` in
<data folder>/backups/, so a failed or buggy migration can always be undone by hand. Each
migration runs in one transaction together with its user_version bump.
"""

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from .errors import StoreTooNew, from_sqlite_error

__all__ = ["SCHEMA_VERSION", "MIGRATIONS", "HASHED_COLUMNS", "PROJECTION_COLUMNS", "migrate",
           "user_version", "write_transaction"]

log = logging.getLogger(__name__)

# the columns that make up an entry's hashed record, in table order
HASHED_COLUMNS = ("seq", "entry_id", "report_id", "rev", "kind", "supersedes", "created_utc",
                  "tz_offset", "body")
PROJECTION_COLUMNS = ("verdict", "platform", "complaint_type", "file_name", "file_sha256",
                      "seen_at", "search_text")


def _v1_entries(db: sqlite_utils.Database) -> None:
    """The chain: one row per entry, append-only (triggers refuse UPDATE of a hashed column and
    any DELETE, so no code path of the app can change history by accident)."""
    db["entries"].create({
        "seq": int, "entry_id": str, "report_id": str, "rev": int, "kind": str,
        "supersedes": str, "created_utc": str, "tz_offset": str, "body": str,
        "prev_hash": str, "hash": str,
    }, pk="seq", not_null={"entry_id", "report_id", "rev", "kind", "created_utc", "tz_offset",
                           "body", "prev_hash", "hash"})
    db["entries"].create_index(["entry_id"], unique=True)
    db["entries"].create_index(["report_id", "seq"])
    columns = ", ".join(HASHED_COLUMNS + ("prev_hash", "hash"))
    db.execute(f"CREATE TRIGGER entries_append_only_update BEFORE UPDATE OF {columns} ON entries "
               "BEGIN SELECT RAISE(ABORT, 'the report log is append-only'); END")
    db.execute("CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries "
               "BEGIN SELECT RAISE(ABORT, 'the report log is append-only'); END")


def _v2_projections(db: sqlite_utils.Database) -> None:
    """Searchable columns derived from each body (list filters without parsing JSON)."""
    from .canonical import loads  # noqa: PLC0415
    from .model import projections  # noqa: PLC0415

    table = db["entries"]
    for column in PROJECTION_COLUMNS:
        table.add_column(column, str)
    for row in db.query("SELECT seq, kind, body FROM entries"):
        values = projections(row["kind"], loads(row["body"]))
        sets = ", ".join(f"{c} = ?" for c in PROJECTION_COLUMNS)
        db.execute(f"UPDATE entries SET {sets} WHERE seq = ?",
                   [values[c] for c in PROJECTION_COLUMNS] + [row["seq"]])
    for column in ("verdict", "platform", "complaint_type", "created_utc"):
        table.create_index([column], if_not_exists=True)


Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: tuple[tuple[int, Migration], ...] = (
    (1, _v1_entries),
    (2, _v2_projections),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def user_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _has_data(db: sqlite_utils.Database) -> bool:
    """True when there are entries worth a backup (a new, empty database has none)."""
    if not db["entries"].exists():
        return False
    return bool(db.execute("SELECT count(*) FROM entries").fetchone()[0])


def _backup(db: sqlite_utils.Database, backups: Path, version: int) -> Path:
    backups.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = backups / f"reports-v{version}-{stamp}.db"
    db.execute("VACUUM INTO ?", [str(target)])
    log.info("backed up the report log to %s before migrating", target)
    return target


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT; any exception rolls back, SQLite errors become StoreErrors."""
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
            db.execute("COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                db.execute("ROLLBACK")
            raise
    except sqlite3.Error as err:
        raise from_sqlite_error(err) from err


def migrate(db: sqlite_utils.Database, backups: Path,
            upto: int = SCHEMA_VERSION) -> list[Path]:
    """Bring the database to `upto`; returns the backups made. Caller holds the writer lock."""
    version = user_version(db)
    if version > SCHEMA_VERSION:
        raise StoreTooNew(f"schema {version} > {SCHEMA_VERSION}", version=version)
    made: list[Path] = []
    for target, step in MIGRATIONS:
        if target <= version or target > upto:
            continue
        try:
            if _has_data(db):
                made.append(_backup(db, backups, version))
        except sqlite3.Error as err:
            raise from_sqlite_error(err) from err
        with write_transaction(db):
            step(db)
            db.execute(f"PRAGMA user_version = {int(target)}")
        log.info("report log migrated from schema %d to %d", version, target)
        version = target
    return made
