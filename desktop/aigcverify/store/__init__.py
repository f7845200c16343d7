"""The report log: reports filed by citizens, journalists and disclosure staff, kept in a local
SQLite log that survives crashes and shows any tampering (hash chain + head anchor).

Public API: ReportLog (open/append/read/verify), ReportDraft/Seen/ComplaintType (what a person
types), file_report_for_path (check + preview + append), write_csv, and the StoreError family.
This package never imports Qt; the GUI calls it from its one background helper.
"""

from .errors import (FileChanged, InvalidReport, ReportNotFound, StoreBusy, StoreCorrupt,
                     StoreError, StoreFull, StoreReadOnly, StoreTooNew)
from .log import Entry, ListFilter, ReportLog, ReportSummary
from .model import (COMPLAINT_TYPES, PLATFORM_SUGGESTIONS, ComplaintType, EntryKind, ReportDraft,
                    Seen)

__all__ = ["ReportLog", "Entry", "ListFilter", "ReportSummary", "ReportDraft", "Seen",
           "ComplaintType", "COMPLAINT_TYPES", "EntryKind", "PLATFORM_SUGGESTIONS",
           "StoreError", "StoreBusy", "StoreReadOnly", "StoreFull", "StoreCorrupt", "StoreTooNew",
           "ReportNotFound", "InvalidReport", "FileChanged"]
