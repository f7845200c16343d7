"""Recompute the hash chain of the log and name the first broken link.

Pure: rows in (dicts with every column, in seq order), a ChainReport out. Checks, per entry:
the sequence has no gap, prev_hash equals the hash of the entry before, the hash matches the
record, the body is readable JSON, the derived search columns match the body, and the
report structure holds (an edit or tombstone supersedes the latest entry of its report). Then
the head is compared with the anchor file. After a break the walk goes on from the stored hash,
so a single tampered row is reported once, not as a cascade.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from .anchor import Anchor
from .canonical import GENESIS, entry_hash
from .model import EntryKind, projections
from .schema import HASHED_COLUMNS, PROJECTION_COLUMNS

__all__ = ["Break", "ChainReport", "verify_entries", "record_of"]

_KINDS = {k.value for k in EntryKind}


@dataclass(frozen=True, slots=True)
class Break:
    seq: int  # the entry where the problem shows (0: the log as a whole)
    code: str  # seq-gap, prev-mismatch, hash-mismatch, body-unreadable, projection-mismatch,
    #            structure, anchor-missing, anchor-mismatch, anchor-ahead, anchor-behind,
    #            anchor-unreadable; warnings: anchor-pending, anchor-restarted
    detail: str = ""


@dataclass(slots=True)
class ChainReport:
    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    breaks: list[Break] = field(default_factory=list)
    warnings: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def first_break(self) -> Break | None:
        return self.breaks[0] if self.breaks else None


def record_of(row: dict) -> dict:
    """The hashed record of a stored row: the hashed columns, with the body parsed."""
    record = {name: row.get(name) for name in HASHED_COLUMNS}
    record["body"] = json.loads(row["body"]) if isinstance(row["body"], str) else row["body"]
    return record


class _Walker:
    def __init__(self, report: ChainReport) -> None:
        self.report = report
        self.expected_seq = 1
        self.prev_hash = GENESIS
        self.latest: dict[str, tuple[str, str]] = {}  # report_id -> (entry_id, kind)

    def fail(self, seq: int, code: str, detail: str = "") -> None:
        self.report.breaks.append(Break(seq, code, detail))

    def structure(self, row: dict) -> None:
        seq, kind, report_id = row["seq"], row.get("kind"), row.get("report_id")
        if kind not in _KINDS:
            self.fail(seq, "structure", f"unknown kind {kind!r}")
            return
        if row.get("entry_id") != f"{report_id}/{row.get('rev')}":
            self.fail(seq, "structure", "entry_id does not match report_id/rev")
        previous = self.latest.get(report_id)
        if kind == EntryKind.REPORT.value:
            if previous is not None or row.get("supersedes") is not None or row.get("rev") != 1:
                self.fail(seq, "structure", f"{report_id} filed twice")
        elif previous is None or row.get("supersedes") != previous[0]:
            self.fail(seq, "structure",
                      f"{kind} does not supersede the latest entry of {report_id}")
        elif previous[1] == EntryKind.TOMBSTONE.value:
            self.fail(seq, "structure", f"{report_id} changed after it was withdrawn")
        self.latest[report_id] = (row.get("entry_id"), kind)

    def step(self, row: dict) -> None:
        seq = row["seq"]
        if seq != self.expected_seq:
            self.fail(seq, "seq-gap", f"expected entry {self.expected_seq}, found {seq}")
        if row["prev_hash"] != self.prev_hash:
            self.fail(seq, "prev-mismatch", "does not link to the entry before it")
        try:
            record = record_of(row)
        except (TypeError, ValueError) as err:
            self.fail(seq, "body-unreadable", str(err)[:200])
        else:
            if entry_hash(row["prev_hash"], record) != row["hash"]:
                self.fail(seq, "hash-mismatch", "the entry was changed after it was written")
            expected = projections(row.get("kind"), record["body"])
            bad = [c for c in PROJECTION_COLUMNS if c in row and row[c] != expected[c]]
            if bad:
                self.fail(seq, "projection-mismatch", ", ".join(bad))
        self.structure(row)
        self.prev_hash = row["hash"]
        self.expected_seq = seq + 1
        self.report.entries += 1
        self.report.head_seq, self.report.head_hash = seq, row["hash"]


def _check_anchor(report: ChainReport, anchor: Anchor | None, anchor_error: str | None,
                  hashes: dict[int, str]) -> None:
    if anchor_error:
        report.breaks.append(Break(0, "anchor-unreadable", anchor_error))
        return
    if anchor is None:
        if report.entries:
            report.warnings.append(Break(0, "anchor-missing"))
        return
    if anchor.restarted_at:
        report.warnings.append(Break(anchor.restarted_at, "anchor-restarted"))
    if anchor.state == "pending":
        report.warnings.append(Break(anchor.seq, "anchor-pending"))
        anchor = Anchor(seq=anchor.prev_seq, hash=anchor.prev_hash) \
            if report.head_seq == anchor.prev_seq else anchor
    if anchor.seq > report.head_seq:
        report.breaks.append(Break(report.head_seq + 1, "anchor-ahead",
                                   f"the last {anchor.seq - report.head_seq} entries are missing"))
    elif anchor.seq < report.head_seq:
        report.breaks.append(Break(anchor.seq + 1, "anchor-behind",
                                   f"{report.head_seq - anchor.seq} entries were added "
                                   "outside the app"))
    elif anchor.seq and hashes.get(anchor.seq) != anchor.hash:
        report.breaks.append(Break(anchor.seq, "anchor-mismatch", "the head entry differs"))


def verify_entries(rows: Iterable[dict], anchor: Anchor | None = None,
                   anchor_error: str | None = None, check_anchor: bool = True) -> ChainReport:
    report = ChainReport()
    walker = _Walker(report)
    for row in rows:
        walker.step(row)
    if check_anchor:
        _check_anchor(report, anchor, anchor_error, {report.head_seq: report.head_hash})
    report.breaks.sort(key=lambda b: (b.seq == 0, b.seq))
    return report
