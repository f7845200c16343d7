"""The report log: an append-only, hash-chained SQLite table in the app's data folder.

    <data folder>/reports.db          SQLite (WAL, synchronous=FULL), table `entries`
    <data folder>/reports.head.json   the head anchor (see anchor.py)
    <data folder>/reports.lock        the one-writer lock
    <data folder>/evidence/           kept originals and thumbnails (evidence.py)
    <data folder>/backups/            VACUUM INTO copies made before each migration

Every change is a new entry: a report is filed (kind "report"), edited (a full new version,
kind "edit", superseding the previous entry) or withdrawn (kind "tombstone"). Nothing is
updated in place, deleted or expired. Each write is one transaction under the writer lock; a
failure (disk full, read-only, locked) rolls back that write only and raises a StoreError whose
message says that everything stored before is intact.
"""

import logging
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

from ..resources import data_home
from .anchor import Anchor, read_anchor, write_anchor
from .canonical import GENESIS, canonical_text, entry_hash, json_safe
from .chain import ChainReport, record_of, verify_entries
from .errors import (InvalidReport, ReportNotFound, StoreCorrupt, StoreError, StoreReadOnly,
                     from_os_error, from_sqlite_error)
from .evidence import EvidenceStore
from .lock import WriterLock
from .model import EntryKind, ReportDraft, build_body, clean_text, edit_body, projections, \
    validate_draft
from .schema import (HASHED_COLUMNS, PROJECTION_COLUMNS, SCHEMA_VERSION, migrate, user_version,
                     write_transaction)

__all__ = ["ReportLog", "Entry", "ReportSummary", "ListFilter", "DB_NAME", "Clock"]

log = logging.getLogger(__name__)

DB_NAME = "reports.db"
ANCHOR_NAME = "reports.head.json"
LOCK_NAME = "reports.lock"
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    entry_id: str
    report_id: str
    rev: int
    kind: str
    supersedes: str | None
    created_utc: str
    tz_offset: str
    body: dict
    prev_hash: str
    hash: str

    @classmethod
    def from_row(cls, row: dict) -> "Entry":
        record = record_of(row)
        return cls(**record, prev_hash=row["prev_hash"], hash=row["hash"])

    def record(self) -> dict:
        return {name: getattr(self, name) for name in HASHED_COLUMNS}

    def as_dict(self) -> dict:
        """The entry as exported: its hashed record plus the two chain hashes."""
        return {**self.record(), "prev_hash": self.prev_hash, "hash": self.hash}


@dataclass(frozen=True, slots=True)
class ReportSummary:
    report_id: str
    seq: int  # of the current (latest) entry
    rev: int
    kind: str
    created_utc: str  # when the report was first filed
    tz_offset: str
    updated_utc: str  # when the current entry was written
    verdict: str | None
    platform: str | None
    complaint_type: str | None
    file_name: str | None
    file_sha256: str | None
    seen_at: str | None

    @property
    def withdrawn(self) -> bool:
        return self.kind == EntryKind.TOMBSTONE.value


@dataclass(frozen=True, slots=True)
class ListFilter:
    verdicts: tuple[str, ...] = ()
    platform: str = ""  # exact match (case-insensitive)
    complaint_types: tuple[str, ...] = ()
    since: str = ""  # ISO date/time, compared with the first filing time (UTC)
    until: str = ""
    search: str = ""  # substring of name, platform, URL, account, description, hash, id
    include_withdrawn: bool = False
    limit: int = 10_000
    offset: int = 0


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _offset_text(moment: datetime) -> str:
    # a UTC clock (the normal case) -> the machine's local offset; an explicit zone is kept
    offset = (moment.astimezone().utcoffset() if moment.tzinfo is timezone.utc
              else moment.utcoffset())
    minutes = int((offset.total_seconds() if offset else 0) // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class ReportLog:
    """One open log. Thread-safe (one internal mutex); use one instance per process."""

    def __init__(self, home: str | Path | None = None, *, timeout_s: float = 5.0,
                 clock: Clock | None = None, max_page_count: int | None = None) -> None:
        self.home = Path(home) if home is not None else data_home()
        self.path = self.home / DB_NAME
        self.anchor_path = self.home / ANCHOR_NAME
        self.evidence = EvidenceStore(self.home / "evidence")
        self.timeout_s = timeout_s
        self._clock = clock or _now
        self._mutex = threading.RLock()
        self._lock = WriterLock(self.home / LOCK_NAME, timeout_s)
        self.read_only = False
        self.backups: list[Path] = []
        self.db = self._open(max_page_count)

    # -- opening -----------------------------------------------------------------------------

    def _connect(self, uri: str | None = None) -> sqlite_utils.Database:
        target, use_uri = (uri, True) if uri else (str(self.path), False)
        conn = sqlite3.connect(target, timeout=self.timeout_s, isolation_level=None,
                               check_same_thread=False, uri=use_uri)
        return sqlite_utils.Database(conn, execute_plugins=False)

    def _open(self, max_page_count: int | None) -> sqlite_utils.Database:
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise from_os_error(err) from err
        try:
            db = self._connect()
            try:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = FULL")
                self._quick_check(db)
            except sqlite3.OperationalError as err:
                db.close()
                if "unable to open" not in str(err) and "readonly" not in str(err):
                    raise
                # read-only media: SQLite cannot create the WAL index; read what is there
                db = self._connect(f"{self.path.as_uri()}?mode=ro&immutable=1")
                self._quick_check(db)
                self.read_only = True
            if max_page_count:  # tests: a database that is "full" at this size
                db.execute(f"PRAGMA max_page_count = {int(max_page_count)}")
        except sqlite3.Error as err:
            raise from_sqlite_error(err) from err
        self.db = db
        if not self.read_only:
            self._prepare_for_writing(db)
        elif user_version(db) != SCHEMA_VERSION:
            raise StoreReadOnly("schema upgrade needed", path=str(self.path))
        return db

    @staticmethod
    def _quick_check(db: sqlite_utils.Database) -> None:
        rows = [r[0] for r in db.execute("PRAGMA quick_check").fetchall()]
        if rows != ["ok"]:
            raise StoreCorrupt("; ".join(rows)[:500])

    def _prepare_for_writing(self, db: sqlite_utils.Database) -> None:
        """Migrate and settle a pending anchor; a read-only folder downgrades to reading."""
        try:
            with self._lock:
                self.backups = migrate(db, self.home / "backups")
                self._remove_stale_temporaries()
                self._try_reconcile()
        except StoreReadOnly:
            if user_version(db) != SCHEMA_VERSION:
                raise
            self.read_only = True

    def close(self) -> None:
        with self._mutex:
            self.db.close()

    def __enter__(self) -> "ReportLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the head anchor ---------------------------------------------------------------------

    def _head(self) -> tuple[int, str]:
        row = self.db.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def _remove_stale_temporaries(self) -> None:
        """Half-written anchor files of a writer that was killed (caller holds the lock, so
        no live writer owns them). Only our own temporaries: never a report or evidence."""
        for stale in self.home.glob(f".{ANCHOR_NAME}.*.part"):
            try:
                stale.unlink()
            except OSError as err:
                log.warning("cannot remove %s: %s", stale, err)

    def _try_reconcile(self) -> None:
        """Reconcile when possible; a full or read-only disk must not stop anyone reading."""
        try:
            self._reconcile_anchor()
        except StoreError as err:
            log.warning("head anchor not settled: %s", err)

    def _reconcile_anchor(self) -> None:
        """Settle an anchor left pending by a crash (caller holds the writer lock)."""
        try:
            anchor = read_anchor(self.anchor_path)
        except ValueError as err:
            log.warning("%s", err)  # verify() reports it; do not overwrite the evidence
            return
        head_seq, head_hash = self._head()
        if anchor is None:
            if head_seq == 0:
                return
            # lost: start again at the current head and say so for ever after (verify warns)
            log.warning("report log has no head anchor; anchoring again at entry %d", head_seq)
            write_anchor(self.anchor_path, Anchor(head_seq, head_hash, restarted_at=head_seq))
            return
        if anchor.state != "pending":
            return
        restarted = anchor.restarted_at
        if (head_seq, head_hash) == (anchor.seq, anchor.hash):
            write_anchor(self.anchor_path, Anchor(anchor.seq, anchor.hash,
                                                  restarted_at=restarted))
        elif (head_seq, head_hash) == (anchor.prev_seq, anchor.prev_hash):
            write_anchor(self.anchor_path, Anchor(anchor.prev_seq, anchor.prev_hash,
                                                  restarted_at=restarted))
        # else: leave it pending; verify() names the mismatch

    # -- writing -----------------------------------------------------------------------------

    def _append(self, make: Callable[[datetime], tuple[str, str, int, str | None, dict]]
                ) -> Entry:
        """Append one entry. `make(moment)` runs inside the write transaction and returns
        (kind, report_id, rev, supersedes, body)."""
        if self.read_only:
            raise StoreReadOnly("opened read-only", path=str(self.path))
        with self._mutex, self._lock:
            self._reconcile_anchor()
            restarted = self._restarted_at()
            db = self.db
            with write_transaction(db):
                moment = self._clock()
                kind, report_id, rev, supersedes, body = make(moment)
                head_seq, head_hash = self._head()
                record = {"seq": head_seq + 1, "entry_id": f"{report_id}/{rev}",
                          "report_id": report_id, "rev": rev, "kind": kind,
                          "supersedes": supersedes, "created_utc": _utc_text(moment),
                          "tz_offset": _offset_text(moment), "body": json_safe(body)}
                digest = entry_hash(head_hash, record)
                write_anchor(self.anchor_path, Anchor(record["seq"], digest, "pending",
                                                      head_seq, head_hash, restarted))
                row = {**record, "body": canonical_text(record["body"]),
                       "prev_hash": head_hash, "hash": digest,
                       **projections(kind, record["body"])}
                db["entries"].insert(row)
            try:
                write_anchor(self.anchor_path, Anchor(record["seq"], digest,
                                                      restarted_at=restarted))
            except StoreError as err:  # stored already; the pending anchor settles next time
                log.warning("entry %s stored, head anchor not updated: %s", record["seq"], err)
        return Entry(**record, prev_hash=head_hash, hash=digest)

    def _restarted_at(self) -> int:
        try:
            anchor = read_anchor(self.anchor_path)
        except ValueError:
            return self._head()[0] or 0  # an unreadable anchor is replaced: say where
        return anchor.restarted_at if anchor else 0

    def _new_report_id(self, moment: datetime) -> str:
        return f"R-{moment.astimezone().strftime('%Y%m%d')}-{secrets.token_hex(4).upper()}"

    def file_report(self, result: dict, draft: ReportDraft, *, source: str | Path | None = None,
                    thumbnail: dict | None = None) -> Entry:
        """File a new report. With draft.keep_original, `source` is copied into the evidence
        store first (refused if its bytes differ from the checked ones). `thumbnail` is
        {"png": bytes, "width", "height", "source"} or None."""
        draft = validate_draft(draft)
        evidence: dict = {"original": None, "thumbnail": None}
        sha256 = result.get("file", {}).get("sha256", "")
        if draft.keep_original:
            if source is None:
                raise InvalidReport("no file to keep", field="keep_original")
            size = self.evidence.put_file(source, sha256)
            evidence["original"] = {"sha256": sha256, "size": size,
                                    "format": result.get("file", {}).get("format", "unknown")}
        if thumbnail:
            digest = self.evidence.put_bytes(thumbnail["png"])
            evidence["thumbnail"] = {"sha256": digest, "media_type": "image/png",
                                     "width": thumbnail["width"], "height": thumbnail["height"],
                                     "source": thumbnail.get("source", "image")}
        body = build_body(draft, result, evidence)

        def make(moment: datetime) -> tuple[str, str, int, str | None, dict]:
            return EntryKind.REPORT.value, self._new_report_id(moment), 1, None, body

        return self._append(make)

    def _current_entry(self, report_id: str) -> Entry:
        rows = list(self.db.query("SELECT * FROM entries WHERE report_id = ? "
                                  "ORDER BY seq DESC LIMIT 1", [report_id]))
        if not rows:
            raise ReportNotFound(report_id, report_id=report_id)
        return Entry.from_row(rows[0])

    def edit(self, report_id: str, draft: ReportDraft, note: str = "") -> Entry:
        """A new version of the person-typed fields; the file, result and evidence stay."""
        draft = validate_draft(draft)

        def make(moment: datetime) -> tuple[str, str, int, str | None, dict]:
            current = self._current_entry(report_id)
            if current.kind == EntryKind.TOMBSTONE.value:
                raise ReportNotFound(f"{report_id} was withdrawn", report_id=report_id)
            return (EntryKind.EDIT.value, report_id, current.rev + 1, current.entry_id,
                    edit_body(current.body, draft, note))

        return self._append(make)

    def withdraw(self, report_id: str, reason: str = "") -> Entry:
        """A tombstone: the report leaves the list; every earlier entry stays in the log."""
        reason = clean_text("reason", reason)

        def make(moment: datetime) -> tuple[str, str, int, str | None, dict]:
            current = self._current_entry(report_id)
            if current.kind == EntryKind.TOMBSTONE.value:
                raise ReportNotFound(f"{report_id} was withdrawn", report_id=report_id)
            return (EntryKind.TOMBSTONE.value, report_id, current.rev + 1, current.entry_id,
                    {"reason": reason})

        return self._append(make)

    # -- reading -----------------------------------------------------------------------------

    def _read(self, fn: Callable[[], object]) -> object:
        with self._mutex:
            try:
                return fn()
            except sqlite3.Error as err:
                raise from_sqlite_error(err) from err

    def entries(self, report_id: str | None = None) -> list[Entry]:
        """Every entry (of one report), in chain order."""
        def run() -> list[Entry]:
            if report_id is None:
                rows = self.db.query("SELECT * FROM entries ORDER BY seq")
            else:
                rows = self.db.query("SELECT * FROM entries WHERE report_id = ? ORDER BY seq",
                                     [report_id])
            return [Entry.from_row(r) for r in rows]
        return self._read(run)  # type: ignore[return-value]

    def history(self, report_id: str) -> list[Entry]:
        found = self.entries(report_id)
        if not found:
            raise ReportNotFound(report_id, report_id=report_id)
        return found

    def current(self, report_id: str) -> Entry:
        return self._read(lambda: self._current_entry(report_id))  # type: ignore[return-value]

    def count(self) -> int:
        return self._read(lambda: self.db.execute(  # type: ignore[return-value]
            "SELECT count(*) FROM entries").fetchone()[0])

    def head(self) -> tuple[int, str]:
        return self._read(self._head)  # type: ignore[return-value]

    def list_reports(self, flt: ListFilter | None = None) -> list[ReportSummary]:
        """Current version of each report, newest first, filtered."""
        flt = flt or ListFilter()
        where, params = ["e.seq = (SELECT max(seq) FROM entries WHERE report_id = e.report_id)"], []
        if not flt.include_withdrawn:
            where.append("e.kind != 'tombstone'")
        if flt.verdicts:
            where.append(f"e.verdict IN ({', '.join('?' * len(flt.verdicts))})")
            params += list(flt.verdicts)
        if flt.complaint_types:
            where.append(f"e.complaint_type IN ({', '.join('?' * len(flt.complaint_types))})")
            params += list(flt.complaint_types)
        if flt.platform:
            where.append("lower(e.platform) = lower(?)")
            params.append(flt.platform)
        if flt.since:
            where.append("f.created_utc >= ?")
            params.append(flt.since)
        if flt.until:
            where.append("f.created_utc < ?")
            params.append(flt.until if "T" in flt.until else flt.until + "T99")
        if flt.search:
            where.append("(e.search_text LIKE ? ESCAPE '\\' OR e.report_id LIKE ? ESCAPE '\\')")
            params += [_like(flt.search.casefold()), _like(flt.search.upper())]
        sql = ("SELECT e.*, f.created_utc AS first_utc, f.tz_offset AS first_offset "
               "FROM entries e JOIN entries f ON f.report_id = e.report_id AND f.rev = 1 "
               f"WHERE {' AND '.join(where)} ORDER BY f.seq DESC LIMIT ? OFFSET ?")
        params += [int(flt.limit), int(flt.offset)]

        def run() -> list[ReportSummary]:
            out = []
            for row in self.db.query(sql, params):
                if row["kind"] == EntryKind.TOMBSTONE.value:  # show what was withdrawn
                    prev = self.db.execute(
                        f"SELECT {', '.join(PROJECTION_COLUMNS)} FROM entries "
                        "WHERE entry_id = ?", [row["supersedes"]]).fetchone()
                    row.update(dict(zip(PROJECTION_COLUMNS, prev or (None,) * 7)))
                out.append(ReportSummary(
                    report_id=row["report_id"], seq=row["seq"], rev=row["rev"], kind=row["kind"],
                    created_utc=row["first_utc"], tz_offset=row["first_offset"],
                    updated_utc=row["created_utc"], verdict=row["verdict"],
                    platform=row["platform"], complaint_type=row["complaint_type"],
                    file_name=row["file_name"], file_sha256=row["file_sha256"],
                    seen_at=row["seen_at"]))
            return out
        return self._read(run)  # type: ignore[return-value]

    def platforms(self) -> list[str]:
        """Distinct platforms used so far (for filter menus)."""
        return self._read(lambda: [r[0] for r in self.db.execute(  # type: ignore[return-value]
            "SELECT DISTINCT platform FROM entries WHERE platform IS NOT NULL AND platform != '' "
            "ORDER BY platform").fetchall()])

    def iter_rows(self) -> Iterator[dict]:
        """Raw rows in chain order (for verification and CSV)."""
        with self._mutex:
            try:
                yield from self.db.query("SELECT * FROM entries ORDER BY seq")
            except sqlite3.Error as err:
                raise from_sqlite_error(err) from err

    # -- checking ----------------------------------------------------------------------------

    def integrity_check(self) -> str:
        rows = self._read(lambda: self.db.execute("PRAGMA integrity_check").fetchall())
        return "; ".join(r[0] for r in rows)  # type: ignore[union-attr]

    def verify(self) -> ChainReport:
        """Recompute the chain and compare its head with the anchor."""
        if not self.read_only:
            with self._mutex, self._lock:
                self._try_reconcile()
        anchor, anchor_error = None, None
        try:
            anchor = read_anchor(self.anchor_path)
        except ValueError as err:
            anchor_error = str(err)
        except OSError as err:
            raise from_os_error(err) from err
        return verify_entries(self.iter_rows(), anchor, anchor_error)

    def evidence_ok(self, entry: Entry) -> list[str]:
        """SHA-256s of evidence files of an entry that are missing or changed."""
        bad = []
        for item in (entry.body.get("evidence") or {}).values():
            if item and self.evidence.read_hash(item["sha256"]) != item["sha256"]:
                bad.append(item["sha256"])
        return bad

