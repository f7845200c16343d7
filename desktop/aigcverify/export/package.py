"""The complaint package: one ZIP that a platform, a regulator or a court can check without us.

    README.txt            how to verify (Chinese and English)
    complaint.pdf         the complaint (Chinese by default, English on request)
    report.json           RFC 8785 canonical JSON: every entry of every exported report, with
                          its chain hashes (the chain excerpt)
    originals/<id>.<ext>  kept originals, named by report id and sniffed format only
    verify.py             stdlib-only verifier (export/standalone_verify.py, unchanged)
    manifest-sha256.txt   SHA-256 of every member above
    manifest-sm3.txt      SM3 of every member above

Deterministic: the same reports give the same bytes (reports in filing order, fixed member
order, one timestamp and the PDF date taken from the newest exported entry). Atomic: written to
a temporary file, fsynced and renamed, so the final name never holds half a package.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources as importlib_resources
from pathlib import Path

from .. import __version__
from ..hashing import sm3_hasher
from ..i18n import tr
from ..store.atomic import atomic_writer
from ..store.canonical import canonical
from ..store.errors import InvalidReport, ReportNotFound, StoreError
from ..store.log import Entry, ReportLog
from ..store.model import EntryKind
from .pdf import PdfReport, render_pdf
from .standalone_verify import FORMAT, MANIFESTS, ORIGINAL_NAME
from .zipwriter import MAX_MEMBER_BYTES, Member, write_zip

__all__ = ["build_package", "PackageInfo", "FORMAT_EXTENSIONS", "original_member_name",
           "verify_script_bytes"]

# sniffed format -> file extension of the kept original inside the package
FORMAT_EXTENSIONS: dict[str, str] = {
    "jpeg": "jpg", "png": "png", "webp": "webp", "gif": "gif", "tiff": "tif", "heif": "heic",
    "avif": "avif", "mp3": "mp3", "wav": "wav", "flac": "flac", "ogg": "ogg", "m4a": "m4a",
    "mp4": "mp4", "mov": "mov", "mkv": "mkv", "webm": "webm", "avi": "avi", "flv": "flv",
    "pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "pptx": "pptx", "txt": "txt", "md": "md",
    "html": "html",
}
_REPORT_ID = re.compile(r"^R-\d{8}-[0-9A-F]{8}$")

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True, slots=True)
class PackageInfo:
    path: Path
    size: int
    sha256: str
    reports: int
    entries: int
    originals: int


def original_member_name(report_id: str, index: int, fmt: str) -> str:
    """A fixed-pattern name: the report id when it has the app's shape, else a counter. The
    original's own file name never appears in the package's member names."""
    stem = report_id if _REPORT_ID.match(report_id or "") else f"report-{index:03d}"
    name = f"originals/{stem}.{FORMAT_EXTENSIONS.get(fmt, 'bin')}"
    assert ORIGINAL_NAME.match(name), name
    return name


def verify_script_bytes() -> bytes:
    return importlib_resources.files(__package__).joinpath("standalone_verify.py").read_bytes()


def _readme(lang: str) -> bytes:
    parts = [tr("export.readme", first) for first in
             (("zh_CN", "en") if lang == "zh_CN" else ("en", "zh_CN"))]
    text = "\n\n".join(parts).replace("{format}", FORMAT)
    return text.replace("\n", "\r\n").encode("utf-8")  # Notepad-friendly


def _collect(report_log: ReportLog, report_ids: list[str]) -> list[list[Entry]]:
    histories = []
    for report_id in dict.fromkeys(report_ids):  # de-duplicated, first occurrence kept
        history = report_log.history(report_id)
        if history[-1].kind == EntryKind.TOMBSTONE.value:
            raise ReportNotFound(f"{report_id} was withdrawn", report_id=report_id)
        histories.append(history)
    if not histories:
        raise InvalidReport("no reports to export", field="ids")
    return sorted(histories, key=lambda h: h[0].seq)  # filing order, whatever the ids' order


def _manifest(members: list[Member], hasher: Callable[[], object]) -> bytes:
    lines = []
    for member in members:
        digest = hasher()
        for chunk in member.chunks():
            digest.update(chunk)  # type: ignore[attr-defined]
        lines.append(f"{digest.hexdigest()}  {member.name}\n")  # type: ignore[attr-defined]
    return "".join(lines).encode("ascii")


def build_package(report_log: ReportLog, report_ids: list[str], out: str | Path, *,
                  lang: str = "zh_CN", include_originals: bool = True,
                  progress: Progress | None = None) -> PackageInfo:
    """Write the package for these reports to `out` (atomically) and return what was written."""
    step = progress or (lambda stage, done, total: None)
    histories = _collect(report_log, report_ids)
    step("collect", 0, len(histories))
    pdf_reports, json_reports, originals = [], [], []
    for index, history in enumerate(histories, 1):
        current = history[-1]
        evidence = current.body.get("evidence") or {}
        member_name = None
        original = evidence.get("original")
        if include_originals and original:
            path = report_log.evidence.path_for(original["sha256"])
            if report_log.evidence.read_hash(original["sha256"]) != original["sha256"]:
                raise StoreError(f"kept original of {current.report_id} is missing or changed",
                                 path=str(path))
            if path.stat().st_size <= MAX_MEMBER_BYTES // 2:
                member_name = original_member_name(current.report_id, index,
                                                   original.get("format", "unknown"))
                originals.append(Member(member_name, path=path))
        thumbnail = evidence.get("thumbnail")
        png = report_log.evidence.read_bytes(thumbnail["sha256"]) if thumbnail else None
        if png is not None and hashlib.sha256(png).hexdigest() != thumbnail["sha256"]:
            png = None  # a damaged preview is left out; the hashes still identify the file
        entries = [e.as_dict() for e in history]
        pdf_reports.append(PdfReport(current.report_id, entries, current.body, png, member_name))
        json_reports.append({"report_id": current.report_id, "current": current.entry_id,
                             "original": member_name, "entries": entries})
        step("collect", index, len(histories))
    created = max(datetime.fromisoformat(e.created_utc.replace("Z", "+00:00"))
                  for h in histories for e in h)
    step("pdf", 0, 1)
    pdf = render_pdf(pdf_reports, lang, created)
    step("pdf", 1, 1)
    report_json = canonical({"format": FORMAT, "generator": f"aigcverify {__version__}",
                             "lang": lang, "reports": json_reports})
    payload = ([Member("README.txt", _readme(lang)), Member("complaint.pdf", pdf),
                Member("report.json", report_json)]
               + sorted(originals, key=lambda m: m.name)
               + [Member("verify.py", verify_script_bytes())])
    manifests = [Member(name, _manifest(payload, hashlib.sha256 if algo == "sha256"
                                         else sm3_hasher))
                 for name, algo in MANIFESTS.items()]
    members = payload + manifests
    total = sum(len(m.data) if m.data is not None else m.path.stat().st_size for m in members)
    done = 0

    def on_bytes(n: int) -> None:
        nonlocal done
        done += n
        step("zip", done, total)

    out = Path(out)
    digest = hashlib.sha256()
    with atomic_writer(out) as fh:
        write_zip(_HashingWriter(fh, digest), members, created.replace(tzinfo=None), on_bytes)
    return PackageInfo(out, out.stat().st_size, digest.hexdigest(), len(histories),
                       sum(len(h) for h in histories), len(originals))


class _HashingWriter:
    """Hash the package while it is written (its SHA-256 is shown to the person)."""

    def __init__(self, fh, digest) -> None:  # noqa: ANN001
        self.fh, self.digest = fh, digest

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.fh.write(data)
