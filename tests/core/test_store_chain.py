"""Tamper evidence: editing a field, deleting a row, swapping two rows and inserting a forged
row are each detected, and `log verify` names the first broken link. The attacker here uses
sqlite3 directly (drops the append-only triggers first), as someone with the file would."""

import json
import os
import shutil
import sqlite3
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigcverify import verdict
from aigcverify.pipeline import CheckOptions, new_result
from aigcverify.store import ReportDraft, ReportLog, Seen
from aigcverify.store.canonical import canonical_text, entry_hash
from aigcverify.store.chain import verify_entries
from aigcverify.store.model import projections
from aigcverify.store.schema import HASHED_COLUMNS, PROJECTION_COLUMNS

COLUMNS = HASHED_COLUMNS + ("prev_hash", "hash") + PROJECTION_COLUMNS


def small_result(i: int) -> dict:
    result = new_result(f"/data/file{i}.jpg", CheckOptions(lang="en"))
    result["file"].update(size=1000 + i, sha256=f"{i:064x}", sm3=f"{i * 7:064x}",
                          format="jpeg", media_type="image")
    if i % 3 == 0:
        result["implicit_labels"].append({"carrier": "xmp", "offset": i, "fields": {"Label": "1"},
                                          "label": "1", "conformant": True, "problems": []})
    return verdict.derive(result, "en")


def build_log(home: Path, n_reports: int) -> None:
    """n_reports filings with some edits and withdrawals, through the real API."""
    start = datetime(2025, 6, 1, tzinfo=timezone.utc)
    ticks = iter(start + timedelta(seconds=s) for s in range(10**7))
    with ReportLog(home, clock=lambda: next(ticks)) as log:
        ids = []
        for i in range(n_reports):
            ids.append(log.file_report(small_result(i), ReportDraft(
                seen=Seen(platform=("微博", "抖音", "B站")[i % 3]), description=f"报告 {i}")).report_id)
            if i % 10 == 5:
                log.edit(ids[i - 3], ReportDraft(description=f"更正 {i}"), note="edit")
            if i % 25 == 7:
                log.withdraw(ids[i - 1], "dup")
        log.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class Attacker:
    """Direct SQL on a copy of the log."""

    def __init__(self, home: Path) -> None:
        self.conn = sqlite3.connect(home / "reports.db", isolation_level=None)
        self.conn.execute("DROP TRIGGER IF EXISTS entries_append_only_update")
        self.conn.execute("DROP TRIGGER IF EXISTS entries_append_only_delete")
        self.conn.execute("DROP INDEX IF EXISTS idx_entries_entry_id")  # lets rows trade places
        self.conn.row_factory = sqlite3.Row

    def rows(self) -> list[dict]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM entries ORDER BY seq")]

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM entries").fetchone()[0]

    def put(self, seq: int, row: dict) -> None:
        cols = [c for c in COLUMNS if c != "seq"]
        self.conn.execute(f"UPDATE entries SET {', '.join(c + ' = ?' for c in cols)} WHERE seq = ?",
                          [row[c] for c in cols] + [seq])

    def edit_field(self, seq: int, field: str) -> None:
        row = self.rows()[seq - 1]
        body = json.loads(row["body"])
        if field == "platform":
            body.setdefault("seen", {})["platform"] = "篡改"
        elif field == "verdict":
            result = body.setdefault("result", {})
            result["verdict"] = "none" if result.get("verdict") == "confirmed" else "confirmed"
        elif field == "created_utc":
            row["created_utc"] = "2020-01-01T00:00:00.000Z"
        elif field == "search_column":
            row["platform"] = "篡改"  # only the derived column
        row["body"] = canonical_text(body)
        self.put(seq, row)

    def delete(self, seq: int) -> None:
        self.conn.execute("DELETE FROM entries WHERE seq = ?", [seq])

    def swap(self, a: int, b: int) -> None:
        rows = self.rows()
        ra, rb = rows[a - 1], rows[b - 1]
        self.put(a, rb)
        self.put(b, ra)

    def insert_forged(self, at: int) -> None:
        """A well-formed new report with a correctly computed hash, slipped in at `at`."""
        rows = self.rows()
        prev_hash = rows[at - 2]["hash"] if at > 1 else "0" * 64
        for seq in range(len(rows), at - 1, -1):
            self.conn.execute("UPDATE entries SET seq = seq + 1 WHERE seq = ?", [seq])
        body = json.loads(rows[0]["body"])
        body["complaint"]["description"] = "伪造的报告"
        record = {"seq": at, "entry_id": "R-20250601-FFFFFFFF/1",
                  "report_id": "R-20250601-FFFFFFFF", "rev": 1, "kind": "report",
                  "supersedes": None, "created_utc": "2025-06-01T00:00:00.000Z",
                  "tz_offset": "+08:00", "body": body}
        row = {**record, "body": canonical_text(body), "prev_hash": prev_hash,
               "hash": entry_hash(prev_hash, record), **projections("report", body)}
        self.conn.execute(f"INSERT INTO entries ({', '.join(COLUMNS)}) VALUES "
                          f"({', '.join('?' * len(COLUMNS))})", [row[c] for c in COLUMNS])

    def close(self) -> None:
        self.conn.close()


def verify_copy(home: Path):
    with ReportLog(home) as log:
        return log.verify()


@pytest.fixture(scope="module")
def small_log(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("chain") / "home"
    build_log(home, 30)
    return home


@pytest.fixture
def copy(small_log, tmp_path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(small_log, target)
    return target


def test_untouched_log_verifies(copy):
    report = verify_copy(copy)
    assert report.ok and report.entries > 30 and not report.warnings


@pytest.mark.parametrize("field", ["platform", "verdict", "created_utc", "search_column"])
def test_edited_field_is_detected_at_its_entry(copy, field):
    attacker = Attacker(copy)
    attacker.edit_field(12, field)
    attacker.close()
    report = verify_copy(copy)
    assert not report.ok
    assert report.first_break.seq == 12
    expected = "projection-mismatch" if field == "search_column" else "hash-mismatch"
    assert report.first_break.code == expected


def test_deleted_rows_are_detected(copy):
    attacker = Attacker(copy)
    attacker.delete(9)
    attacker.close()
    report = verify_copy(copy)
    assert report.first_break.seq == 10 and report.first_break.code == "seq-gap"


def test_deleting_the_first_and_last_rows_is_detected(copy):
    attacker = Attacker(copy)
    n = attacker.count()
    attacker.delete(n)  # the chain alone cannot see this: the head anchor does
    attacker.close()
    report = verify_copy(copy)
    assert not report.ok and report.first_break.code == "anchor-ahead"
    attacker = Attacker(copy)
    attacker.delete(1)
    attacker.close()
    assert verify_copy(copy).first_break.seq == 2


def test_swapped_rows_are_detected(copy):
    attacker = Attacker(copy)
    attacker.swap(5, 17)
    attacker.close()
    report = verify_copy(copy)
    assert not report.ok and report.first_break.seq == 5


def test_forged_rows_are_detected_in_the_middle_and_at_the_end(copy):
    attacker = Attacker(copy)
    n = attacker.count()
    attacker.insert_forged(n + 1)  # a perfect append: only the anchor can tell
    attacker.close()
    report = verify_copy(copy)
    assert not report.ok and report.first_break.code == "anchor-behind"
    assert report.first_break.seq == n + 1


def test_forged_row_in_the_middle(copy):
    attacker = Attacker(copy)
    attacker.insert_forged(8)
    attacker.close()
    report = verify_copy(copy)
    assert not report.ok and report.first_break.seq <= 9


def test_lost_anchor_is_restarted_and_remembered(copy):
    (copy / "reports.head.json").unlink()
    with ReportLog(copy) as log:  # anchored again on open, and the restart is recorded
        n = log.count()
        report = log.verify()
        assert report.ok and [(w.code, w.seq) for w in report.warnings] == [
            ("anchor-restarted", n)]
        log.file_report(small_result(999), ReportDraft())
        report = log.verify()  # the warning outlives later appends
    assert report.ok and report.warnings[0].code == "anchor-restarted"
    assert verify_entries([], None).ok


def test_damaged_anchor_is_reported(copy):
    (copy / "reports.head.json").write_text("{not json")
    report = verify_copy(copy)
    assert not report.ok and report.breaks[-1].code == "anchor-unreadable"


# -- property-based, over a log of thousands of rows ---------------------------------------

@pytest.fixture(scope="module")
def big_log(tmp_path_factory) -> Path:
    base = Path("/dev/shm") if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) \
        else tmp_path_factory.mktemp("big")
    home = Path(tempfile.mkdtemp(prefix="aigcverify-chain-", dir=base)) / "home"
    build_log(home, 2000)
    yield home
    shutil.rmtree(home.parent, ignore_errors=True)


TAMPERS = st.one_of(
    st.tuples(st.just("edit"), st.integers(1, 10**6), st.sampled_from(
        ["platform", "verdict", "created_utc", "search_column"])),
    st.tuples(st.just("delete"), st.integers(1, 10**6), st.none()),
    st.tuples(st.just("swap"), st.integers(1, 10**6), st.integers(1, 10**6)),
    st.tuples(st.just("forge"), st.integers(1, 10**6), st.none()),
)


@pytest.mark.slow
@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(tamper=TAMPERS)
def test_any_tampering_of_a_big_log_is_detected(big_log, tamper):
    kind, a, b = tamper
    with tempfile.TemporaryDirectory(dir=big_log.parent) as scratch:
        home = Path(scratch) / "home"
        shutil.copytree(big_log, home)
        attacker = Attacker(home)
        n = attacker.count()
        assert n > 2000
        a = 1 + a % n
        if kind == "edit":
            attacker.edit_field(a, b)
            expected = a
        elif kind == "delete":
            attacker.delete(a)
            expected = a + 1 if a < n else a
        elif kind == "swap":
            b = 1 + b % n
            if a == b:
                b = a % n + 1
            attacker.swap(a, b)
            expected = min(a, b)
        else:
            a = 1 + a % (n + 1)
            attacker.insert_forged(a)
            expected = a + 1 if a <= n else a
        attacker.close()
        report = verify_copy(home)
    assert not report.ok, tamper
    assert report.first_break.seq <= expected, (tamper, report.first_break)
    assert report.first_break.seq >= min(expected - 1, a), (tamper, report.first_break)
