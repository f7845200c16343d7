"""File a report about a file: check it if needed, make a preview, append to the log.

Shared by `aigcverify report FILE` and the GUI's "File report" dialog (which runs it in the
background helper). The check runs in a worker process (untrusted parsing); a result passed in
from an earlier check is accepted only if the file still has the same SHA-256.
"""

import logging
import os
from collections.abc import Callable
from pathlib import Path

from ..hashing import file_hashes
from .errors import FileChanged, InvalidReport, from_os_error
from .log import Entry, ReportLog
from .model import ReportDraft, validate_draft

__all__ = ["file_report_for_path", "check_in_worker"]

log = logging.getLogger(__name__)

Progress = Callable[[str], None]  # stage name: "check", "preview", "save"


def check_in_worker(path: str, lang: str, *, declared: bool = False, detector: bool = True,
                    explicit: bool = True, timeout_s: float = 10.0) -> dict:
    """The check-result dict of one file, computed in a worker process."""
    from ..pipeline import CheckOptions  # noqa: PLC0415 - heavy; only when a check is needed
    from ..worker import check_paths  # noqa: PLC0415

    options = CheckOptions(declared=declared, detector=detector, explicit=explicit, lang=lang,
                           timeout_s=timeout_s)
    result = check_paths([path], options, workers=1)[0]
    if result is None:  # cancelled: cannot happen without a cancel token
        raise InvalidReport("the check did not finish", field="file")
    return result


def file_report_for_path(report_log: ReportLog, path: str | os.PathLike, draft: ReportDraft, *,
                         result: dict | None = None, lang: str = "zh_CN", preview: bool = True,
                         progress: Progress | None = None,
                         check: Callable[[str, str], dict] | None = None) -> Entry:
    """Validate, check (unless `result` is given), preview, and append. Returns the entry."""
    path = str(path)
    step = progress or (lambda stage: None)
    draft = validate_draft(draft)  # fail fast, before the slow check
    if not os.path.isfile(path):
        raise InvalidReport(f"not a file: {path}", field="file")
    if result is None:
        step("check")
        result = (check or (lambda p, lg: check_in_worker(p, lg)))(path, lang)
    else:
        try:
            _, sha256, _ = file_hashes(path)
        except OSError as err:
            raise from_os_error(err) from err
        if sha256 != result.get("file", {}).get("sha256"):
            raise FileChanged(path)
    thumbnail = None
    if preview:
        step("preview")
        from ..export.thumbnail import make_thumbnail  # noqa: PLC0415

        thumbnail = make_thumbnail(path, result.get("file", {}).get("media_type", "unknown"))
    step("save")
    name = Path(path).name
    result.setdefault("file", {}).setdefault("name", name)
    return report_log.file_report(result, draft, source=path, thumbnail=thumbnail)
