"""The report log: filing, editing, withdrawing, listing, validation, migrations, CSV, and the
failure modes (locked, read-only, disk full, damaged) that must never lose a stored report."""

import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlite_utils

from aigcverify import verdict
from aigcverify.pipeline import CheckOptions, new_result
from aigcverify.store import (ComplaintType, EntryKind, InvalidReport, ListFilter, ReportDraft,
                              ReportLog, ReportNotFound, Seen, StoreBusy, StoreCorrupt, StoreFull,
                              StoreReadOnly)
from aigcverify.store.anchor import read_anchor
from aigcverify.store.csvexport import csv_rows, write_csv
from aigcverify.store.errors import FileChanged
from aigcverify.store.model import clean_text, parse_seen_at
from aigcverify.store.schema import SCHEMA_VERSION, migrate, user_version

ROOT = Path(__file__).resolve().parents[2]


def make_result(name: str = "a.png", *, label: str | None = "1", sha: str | None = None,
                fmt: str = "png", lang: str = "zh_CN") -> dict:
    result = new_result(f"/somewhere/{name}", CheckOptions(lang=lang))
    digest = sha or (name.encode().hex() * 64)[:64]
    result["file"].update(size=123, sha256=digest, sm3=digest[::-1], format=fmt,
                          media_type="image")
    if label:
        result["implicit_labels"].append({"carrier": "png-text", "offset": 33,
                                          "fields": {"Label": label}, "label": label,
                                          "conformant": True, "problems": []})
    result["detector"] = {"model": "trace-cnn 1.2", "model_sha256": "ab" * 32, "score": 0.125,
                          "threshold": 0.5, "provider": "CPUExecutionProvider"}
    return verdict.derive(result, lang)


@pytest.fixture
def report_log(home):
    with ReportLog() as opened:
        yield opened


def draft(**kw) -> ReportDraft:
    seen = Seen(platform=kw.pop("platform", "微博"), url=kw.pop("url", "https://weibo.com/1/abc"),
                account=kw.pop("account", "@张三"), seen_at=kw.pop("seen_at", "2025-06-01"))
    return ReportDraft(seen=seen, description=kw.pop("description", "没有AI标识"), **kw)


def test_file_report_stores_everything_and_verifies(report_log, home):
    result = make_result()
    entry = report_log.file_report(result, draft(contact="zs@example.cn"))
    assert entry.seq == 1 and entry.rev == 1 and entry.kind == "report"
    assert entry.report_id.startswith("R-") and len(entry.report_id) == 19
    assert entry.created_utc.endswith("Z") and entry.tz_offset[0] in "+-"
    stored = report_log.current(entry.report_id)
    assert stored == entry
    body = stored.body
    expected = json.loads(json.dumps(result))
    expected["file"]["path"] = "a.png"  # the reporter's folders are not recorded
    assert body["result"] == expected  # the full check result
    assert body["result"]["detector"]["model"] == "trace-cnn 1.2"
    assert body["file"] == {"name": "a.png", "size": 123, "sha256": result["file"]["sha256"],
                            "sm3": result["file"]["sm3"]}
    assert body["seen"] == {"platform": "微博", "url": "https://weibo.com/1/abc",
                            "account": "@张三", "seen_at": "2025-06-01"}
    assert body["complaint"] == {"type": "unlabeled-ai", "description": "没有AI标识",
                                 "contact": "zs@example.cn"}
    report = report_log.verify()
    assert report.ok and report.entries == 1 and report.head_hash == entry.hash
    assert read_anchor(home / "reports.head.json").state == "committed"
    assert report_log.integrity_check() == "ok"
    assert (home / "reports.db").is_file()


def test_wal_full_sync_and_schema_version(report_log):
    db = report_log.db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert user_version(db) == SCHEMA_VERSION


def test_edit_and_withdraw_are_new_entries(report_log):
    first = report_log.file_report(make_result(), draft())
    edited = report_log.edit(first.report_id, draft(platform="抖音", description="更正平台"),
                             note="平台填错了")
    assert (edited.rev, edited.kind, edited.supersedes) == (2, "edit", first.entry_id)
    assert edited.body["seen"]["platform"] == "抖音" and edited.body["note"] == "平台填错了"
    assert edited.body["result"] == first.body["result"]  # the checked facts never change
    gone = report_log.withdraw(first.report_id, "重复提交")
    assert gone.kind == EntryKind.TOMBSTONE.value and gone.body == {"reason": "重复提交"}
    history = report_log.history(first.report_id)
    assert [e.kind for e in history] == ["report", "edit", "tombstone"]  # nothing removed
    assert report_log.list_reports() == []
    shown = report_log.list_reports(ListFilter(include_withdrawn=True))
    assert len(shown) == 1 and shown[0].withdrawn and shown[0].platform == "抖音"
    with pytest.raises(ReportNotFound):
        report_log.edit(first.report_id, draft())
    with pytest.raises(ReportNotFound):
        report_log.withdraw("R-20250101-00000000")
    assert report_log.verify().ok


def test_sql_delete_and_update_are_refused(report_log):
    report_log.file_report(make_result(), draft())
    with pytest.raises(sqlite3.IntegrityError):
        report_log.db.execute("DELETE FROM entries")
    with pytest.raises(sqlite3.IntegrityError):
        report_log.db.execute("UPDATE entries SET body = '{}'")
    assert report_log.count() == 1


def test_list_filters_and_search(report_log):
    clock = iter(datetime(2025, 6, d, 12, tzinfo=timezone.utc) for d in range(1, 30))
    report_log._clock = lambda: next(clock)
    a = report_log.file_report(make_result("cat.png", label="1"), draft(platform="微博"))
    b = report_log.file_report(make_result("dog.png", label="3"),
                               draft(platform="抖音", complaint_type="label-tampered",
                                     description="标识被删掉了"))
    c = report_log.file_report(make_result("sea.png", label=None),
                               draft(platform="抖音", url="https://v.douyin.com/xyz"))
    ids = lambda flt: [r.report_id for r in report_log.list_reports(flt)]  # noqa: E731
    assert ids(ListFilter()) == [c.report_id, b.report_id, a.report_id]  # newest first
    assert ids(ListFilter(verdicts=("confirmed",))) == [a.report_id]
    assert ids(ListFilter(verdicts=("suspected", "none"))) == [c.report_id, b.report_id]
    assert ids(ListFilter(platform="抖音")) == [c.report_id, b.report_id]
    assert ids(ListFilter(complaint_types=("label-tampered",))) == [b.report_id]
    assert ids(ListFilter(search="删掉")) == [b.report_id]
    assert ids(ListFilter(search="DOUYIN.com/XYZ")) == [c.report_id]  # case-insensitive
    assert ids(ListFilter(search=b.report_id.lower())) == [b.report_id]
    assert ids(ListFilter(search="100%_")) == []  # LIKE wildcards are literal
    assert ids(ListFilter(since="2025-06-02", until="2025-06-02")) == [b.report_id]
    assert ids(ListFilter(since="2025-06-03")) == [c.report_id]
    assert report_log.platforms() == ["微博", "抖音"] or report_log.platforms() == ["抖音", "微博"]


def test_validation_rejects_bad_fields(report_log):
    for bad in (ReportDraft(complaint_type="spam"),
                draft(url="javascript:alert(1)"),
                draft(url="ftp://x.example/y"),
                draft(seen_at="yesterday"),
                draft(seen_at=(datetime.now() + timedelta(days=3)).isoformat()),
                draft(description="x" * 20_001),
                draft(platform="p" * 101)):
        with pytest.raises(InvalidReport):
            report_log.file_report(make_result(), bad)
    assert report_log.count() == 0
    cleaned = report_log.file_report(make_result(), draft(
        url="weibo.com/u/1 ".strip(), account="\u202eevil\u202c", description="a\r\nb\x00c",
        seen_at="2025-06-01 14:30"))
    assert cleaned.body["seen"]["url"] == "https://weibo.com/u/1"
    assert cleaned.body["seen"]["account"] == "evil"  # bidi overrides removed
    assert cleaned.body["complaint"]["description"] == "a\nbc"
    assert cleaned.body["seen"]["seen_at"] == "2025-06-01T14:30"


def test_clean_text_and_dates():
    assert clean_text("platform", " 微\n博\t ") == "微 博"
    assert parse_seen_at("2025-06-01T14:30:05+08:00") == "2025-06-01T14:30:05+08:00"
    assert parse_seen_at("") == ""
    with pytest.raises(InvalidReport):
        parse_seen_at("1970-01-01")


def test_keep_original_copies_verified_bytes(report_log, tmp_path):
    source = tmp_path / "weird name.png"
    source.write_bytes(b"\x89PNG fake bytes")
    import hashlib

    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    entry = report_log.file_report(make_result(sha=sha), ReportDraft(keep_original=True),
                                   source=source)
    kept = entry.body["evidence"]["original"]
    assert kept == {"sha256": sha, "size": 15, "format": "png"}
    assert report_log.evidence.path_for(sha).read_bytes() == source.read_bytes()
    assert report_log.evidence_ok(entry) == []
    source.write_bytes(b"changed after the check")
    with pytest.raises(FileChanged):
        report_log.file_report(make_result(sha=sha[::-1]), ReportDraft(keep_original=True),
                               source=source)
    assert report_log.count() == 1


def test_csv_export(report_log, tmp_path):
    a = report_log.file_report(make_result(), draft(description="=HYPERLINK(\"x\")"))
    report_log.edit(a.report_id, draft(description="+1 改过"), note="x")
    b = report_log.file_report(make_result("b.png"), draft())
    report_log.withdraw(b.report_id, "dup")
    out = tmp_path / "log.csv"
    assert write_csv(report_log, out, "zh_CN") == 2
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "报告编号" and len(rows) == 3
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id[a.report_id][16] == "'+1 改过"  # formula-looking cells are neutralized
    assert by_id[b.report_id][1] == "已撤回"
    history = csv_rows(report_log, "en", history=True)
    assert len(history) == 1 + 4 and history[0][0] == "Report ID"


def test_migration_from_v1_makes_a_backup_and_keeps_the_chain(home):
    home.mkdir(parents=True)
    db = sqlite_utils.Database(sqlite3.connect(home / "reports.db", isolation_level=None))
    migrate(db, home / "backups", upto=1)
    assert user_version(db) == 1
    # a v1 log with one entry, written the way v1 wrote it (no search columns)
    from aigcverify.store.canonical import GENESIS, canonical_text, entry_hash
    from aigcverify.store.model import build_body, validate_draft

    body = build_body(validate_draft(draft()), make_result())
    record = {"seq": 1, "entry_id": "R-20250601-0000ABCD/1", "report_id": "R-20250601-0000ABCD",
              "rev": 1, "kind": "report", "supersedes": None,
              "created_utc": "2025-06-01T00:00:00.000Z", "tz_offset": "+08:00", "body": body}
    db["entries"].insert({**record, "body": canonical_text(body), "prev_hash": GENESIS,
                          "hash": entry_hash(GENESIS, record)})
    db.close()
    with ReportLog() as upgraded:
        assert user_version(upgraded.db) == SCHEMA_VERSION
        assert len(upgraded.backups) == 1
        backup = upgraded.backups[0]
        assert backup.parent == home / "backups" and backup.name.startswith("reports-v1-")
        old = sqlite3.connect(backup)
        assert old.execute("PRAGMA user_version").fetchone()[0] == 1
        assert old.execute("SELECT count(*) FROM entries").fetchone()[0] == 1
        assert [r.report_id for r in upgraded.list_reports()] == ["R-20250601-0000ABCD"]
        assert upgraded.list_reports()[0].platform == "微博"  # backfilled search column
        report = upgraded.verify()
        assert report.ok, report.breaks
    with ReportLog() as again:  # no second migration, no second backup
        assert again.backups == []


def test_newer_schema_is_refused(home):
    with ReportLog() as opened:
        opened.db.execute("PRAGMA user_version = 99")
    from aigcverify.store import StoreTooNew

    with pytest.raises(StoreTooNew) as info:
        ReportLog()
    assert "99" in info.value.message("en")


def test_damaged_database_is_refused_without_writing(home):
    with ReportLog() as opened:
        for i in range(8):
            opened.file_report(make_result(f"f{i}.png"), draft(description="x" * 2000))
        opened.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = home / "reports.db"
    data = bytearray(path.read_bytes())
    root = sqlite3.connect(path).execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'entries'").fetchone()[0]
    start = (root - 1) * 4096
    data[start:start + 12] = b"\x07" * 12  # the table's root page header: not a b-tree page
    path.write_bytes(bytes(data))
    before = path.read_bytes()
    with pytest.raises(StoreCorrupt) as info:
        ReportLog()
    assert info.value.message("zh_CN")
    assert path.read_bytes() == before  # nothing was written to the damaged file


def test_locked_by_another_process_gives_busy_and_loses_nothing(report_log, home):
    first = report_log.file_report(make_result(), draft())
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sqlite3, sys, time
            c = sqlite3.connect({str(home / 'reports.db')!r}, isolation_level=None)
            c.execute("BEGIN EXCLUSIVE")
            print("locked", flush=True)
            sys.stdin.readline()
            c.execute("ROLLBACK")
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        report_log.db.execute("PRAGMA busy_timeout = 300")
        with pytest.raises(StoreBusy) as info:
            report_log.file_report(make_result("b.png"), draft())
        assert "另一个程序" in info.value.message("zh_CN")
        assert [r.report_id for r in report_log.list_reports()] == [first.report_id]  # reads go on
    finally:
        holder.communicate("\n", timeout=10)
    second = report_log.file_report(make_result("b.png"), draft())
    assert report_log.verify().ok and second.seq == 2


def test_writer_lock_held_elsewhere_gives_busy(home):
    with ReportLog(timeout_s=0.3) as opened:
        opened.file_report(make_result(), draft())
        holder = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(f"""
                import fcntl, os, sys
                fd = os.open({str(home / 'reports.lock')!r}, os.O_RDWR)
                fcntl.flock(fd, fcntl.LOCK_EX)
                print("locked", flush=True)
                sys.stdin.readline()
            """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "locked"
            with pytest.raises(StoreBusy):
                opened.file_report(make_result("b.png"), draft())
        finally:
            holder.communicate("\n", timeout=10)
        assert opened.count() == 1 and opened.verify().ok


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX flock")
def test_disk_full_database_limit_loses_nothing(home):
    with ReportLog() as opened:
        pages = opened.db.execute("PRAGMA page_count").fetchone()[0]
    acked = []
    with ReportLog(max_page_count=pages + 6) as opened:
        with pytest.raises(StoreFull) as info:
            for i in range(200):
                acked.append(opened.file_report(make_result(f"f{i}.png"),
                                                draft(description="长" * 3000)).report_id)
        assert "磁盘已满" in info.value.message("zh_CN")
        assert len(acked) >= 1
    with ReportLog() as reopened:
        assert {r.report_id for r in reopened.list_reports()} == set(acked)
        assert reopened.verify().ok and reopened.integrity_check() == "ok"
        reopened.file_report(make_result("after.png"), draft())  # room again: works


SCENARIO = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[3])
    from test_store import make_result, draft
    from aigcverify.store import ReportLog, ReportDraft, StoreError
    mode, home = sys.argv[1], sys.argv[2]
    out = {"acked": [], "error": None}
    try:
        with ReportLog(home) as log:
            if mode == "fill":
                import os
                blob = os.path.join(home, "..", "big.bin")
                for i in range(1000):
                    data = os.urandom(64 * 1024)
                    import hashlib
                    with open(blob, "wb") as fh:
                        fh.write(data)
                    sha = hashlib.sha256(data).hexdigest()
                    e = log.file_report(make_result(f"f{i}.png", sha=sha),
                                        ReportDraft(keep_original=True), source=blob)
                    out["acked"].append(e.report_id)
            elif mode == "setup":
                for i in range(3):
                    e = log.file_report(make_result(f"f{i}.png"), draft())
                    out["acked"].append(e.report_id)
            else:
                out["read_only"] = log.read_only
                out["listed"] = [r.report_id for r in log.list_reports()]
                out["verify_ok"] = log.verify().ok
                log.file_report(make_result("new.png"), draft())
    except StoreError as err:
        out["error"] = [type(err).__name__, err.message("zh_CN")]
    print(json.dumps(out, ensure_ascii=False))
""")


def _unshare_ok() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            "mount -t tmpfs -o size=1m tmpfs /mnt && umount /mnt"],
                           capture_output=True)
    return probe.returncode == 0


def _run_in_tmpfs(tmp_path: Path, size: str, script: str) -> list[dict]:
    """Run shell `script` in a private mount namespace with a tmpfs at $M."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    (tmp_path / "scenario.py").write_text(SCENARIO)
    env = {**os.environ, "M": str(mount), "PY": sys.executable, "S": str(tmp_path / "scenario.py"),
           "T": str(Path(__file__).parent), "PYTHONPATH": str(ROOT / "desktop")}
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-ec",
                           f"mount -t tmpfs -o size={size} tmpfs \"$M\"\nmkdir \"$M/home\"\n"
                           + script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


needs_mounts = pytest.mark.skipif(not _unshare_ok(), reason="needs root and unshare/mount")


@needs_mounts
def test_real_disk_full_gives_clear_message_and_loses_nothing(tmp_path):
    fill, check = _run_in_tmpfs(tmp_path, "2m", textwrap.dedent("""
        "$PY" "$S" fill "$M/home" "$T"
        "$PY" "$S" readonly-check "$M/home" "$T" || true
    """))
    assert fill["error"] and fill["error"][0] == "StoreFull", fill
    assert "磁盘已满" in fill["error"][1]
    assert len(fill["acked"]) >= 3
    assert set(fill["acked"]) <= set(check["listed"]) and check["verify_ok"]


@needs_mounts
def test_read_only_media_reads_everything_and_refuses_writes(tmp_path):
    setup, readonly = _run_in_tmpfs(tmp_path, "16m", textwrap.dedent("""
        "$PY" "$S" setup "$M/home" "$T"
        mount -o remount,ro "$M"
        "$PY" "$S" readonly "$M/home" "$T"
    """))
    assert setup["error"] is None and len(setup["acked"]) == 3
    assert readonly["read_only"] is True
    assert sorted(readonly["listed"]) == sorted(setup["acked"]) and readonly["verify_ok"]
    assert readonly["error"][0] == "StoreReadOnly" and "只读" in readonly["error"][1]


@pytest.mark.skipif(os.geteuid() == 0 or sys.platform == "win32",
                    reason="root ignores file permissions; covered by the tmpfs test")
def test_read_only_permissions(home):
    with ReportLog() as opened:
        opened.file_report(make_result(), draft())
    for path in [home, *home.iterdir()]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        with ReportLog() as readonly:
            assert len(readonly.list_reports()) == 1
            with pytest.raises(StoreReadOnly):
                readonly.file_report(make_result("b.png"), draft())
    finally:
        for path in [home, *home.iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_complaint_types_are_complete():
    assert [t.value for t in ComplaintType] == ["unlabeled-ai", "label-tampered",
                                                "misleading-deepfake", "other"]
