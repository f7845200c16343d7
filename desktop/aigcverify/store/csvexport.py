"""The log as CSV for spreadsheets: one row per report (current version) or per entry.

UTF-8 with a byte-order mark so that Excel shows Chinese correctly; cells that a spreadsheet
would run as a formula (=, +, -, @, tab, CR) are prefixed with an apostrophe; written atomically.
"""

import csv
import io
import os

from ..i18n import tr
from .atomic import atomic_write_bytes
from .log import Entry, ReportLog
from .model import EntryKind

__all__ = ["CSV_COLUMNS", "write_csv", "csv_rows"]

# column key -> how its value is taken from (entry, first entry of the report)
CSV_COLUMNS: tuple[str, ...] = (
    "report_id", "status", "rev", "filed_utc", "tz_offset", "updated_utc", "verdict",
    "complaint_type", "file_name", "file_size", "sha256", "sm3", "platform", "url", "account",
    "seen_at", "description", "contact", "original_kept", "entry_hash",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(entry: Entry, first: Entry, content: Entry, lang: str) -> list[str]:
    body = content.body
    file_info, seen = body.get("file", {}), body.get("seen", {})
    complaint = body.get("complaint", {})
    verdict = body.get("result", {}).get("verdict", "")
    status = "withdrawn" if entry.kind == EntryKind.TOMBSTONE.value else entry.kind
    values = {
        "report_id": entry.report_id, "status": tr(f"store.status.{status}", lang),
        "rev": entry.rev, "filed_utc": first.created_utc, "tz_offset": f"UTC{first.tz_offset}",
        "updated_utc": entry.created_utc,
        "verdict": tr(f"verdict.{verdict}", lang) if verdict else "",
        "complaint_type": tr(f"store.type.{complaint.get('type', 'other')}", lang),
        "file_name": file_info.get("name", ""), "file_size": file_info.get("size", ""),
        "sha256": file_info.get("sha256", ""), "sm3": file_info.get("sm3", ""),
        "platform": seen.get("platform", ""), "url": seen.get("url", ""),
        "account": seen.get("account", ""), "seen_at": seen.get("seen_at", ""),
        "description": complaint.get("description", ""), "contact": complaint.get("contact", ""),
        "original_kept": tr("store.yes" if (body.get("evidence") or {}).get("original")
                            else "store.no", lang),
        "entry_hash": entry.hash,
    }
    return [_cell(values[c]) for c in CSV_COLUMNS]


def csv_rows(report_log: ReportLog, lang: str, *, history: bool = False,
             report_ids: list[str] | None = None) -> list[list[str]]:
    """Header + rows. history=False: each report's current version (withdrawn ones included,
    marked); history=True: every entry of the log in chain order."""
    rows = [[tr(f"store.csv.{c}", lang) for c in CSV_COLUMNS]]
    first: dict[str, Entry] = {}
    latest_content: dict[str, Entry] = {}
    current: dict[str, Entry] = {}
    wanted = set(report_ids) if report_ids else None
    for entry in report_log.entries():
        if wanted is not None and entry.report_id not in wanted:
            continue
        first.setdefault(entry.report_id, entry)
        if entry.kind != EntryKind.TOMBSTONE.value:
            latest_content[entry.report_id] = entry
        current[entry.report_id] = entry
        if history:
            rows.append(_row(entry, first[entry.report_id], latest_content[entry.report_id], lang))
    if not history:
        for report_id, entry in current.items():
            rows.append(_row(entry, first[report_id], latest_content[report_id], lang))
    return rows


def write_csv(report_log: ReportLog, out: str | os.PathLike, lang: str, *,
              history: bool = False, report_ids: list[str] | None = None) -> int:
    """Write the CSV atomically; returns the number of data rows."""
    rows = csv_rows(report_log, lang, history=history, report_ids=report_ids)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    atomic_write_bytes(out, "\ufeff".encode() + buffer.getvalue().encode("utf-8"))
    return len(rows) - 1
