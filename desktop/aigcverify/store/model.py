"""What a report holds, how its fields are validated, and the stored body built from them.

A report body (JSON, stored canonically and hashed into the chain):

    file       name, size, sha256, sm3 of the reported file
    result     the full check-result/1 dict (with model name/version/hash when a detector ran)
    seen       where the content was seen: platform, url, account, seen_at
    complaint  type (COMPLAINT_TYPES), description, contact
    evidence   original: the kept copy in the evidence store (or null);
               thumbnail: a small PNG preview in the evidence store (or null)
    note       why an edit was made (edits only)
"""

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any

from .canonical import json_safe
from .errors import InvalidReport

__all__ = ["ComplaintType", "COMPLAINT_TYPES", "EntryKind", "Seen", "ReportDraft",
           "PLATFORM_SUGGESTIONS", "LIMITS", "validate_draft", "build_body", "edit_body",
           "projections", "clean_text", "parse_seen_at", "draft_from_body",
           "local_time_text", "printable"]


class ComplaintType(Enum):
    UNLABELED_AI = "unlabeled-ai"  # AI content published without the required labels
    LABEL_TAMPERED = "label-tampered"  # a label was removed, altered or forged (Art. 10)
    MISLEADING_DEEPFAKE = "misleading-deepfake"  # deep synthesis that misleads the public
    OTHER = "other"


# value -> i18n key of its name; the legal articles each type relies on are in export.legal
COMPLAINT_TYPES: dict[str, str] = {t.value: f"store.type.{t.value}" for t in ComplaintType}


class EntryKind(Enum):
    REPORT = "report"  # the first entry of a report
    EDIT = "edit"  # a full new version that supersedes the previous entry
    TOMBSTONE = "tombstone"  # the report is withdrawn; every earlier entry stays


# offered in the GUI; any text is accepted
PLATFORM_SUGGESTIONS = ("微信", "微博", "抖音", "快手", "小红书", "哔哩哔哩", "今日头条", "知乎",
                        "百度", "X (Twitter)", "YouTube", "Facebook", "Instagram", "TikTok")

# field -> maximum length in characters: a report is typed by a person, not pasted megabytes
LIMITS: dict[str, int] = {
    "platform": 100,
    "url": 4096,
    "account": 300,
    "description": 20_000,
    "contact": 300,
    "note": 2_000,
    "reason": 2_000,
}

_MULTILINE = {"description", "note", "reason"}
_URL_SCHEMES = ("http://", "https://")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True, slots=True)
class Seen:
    platform: str = ""
    url: str = ""
    account: str = ""
    seen_at: str = ""  # ISO 8601 date or date-time as the person gave it (normalized)


@dataclass(frozen=True, slots=True)
class ReportDraft:
    complaint_type: str = ComplaintType.UNLABELED_AI.value
    seen: Seen = field(default_factory=Seen)
    description: str = ""
    contact: str = ""
    keep_original: bool = False


def clean_text(name: str, value: str | None) -> str:
    """NFC, trimmed, without control or bidi-override characters (which can disguise text in
    a printed complaint). Newlines and tabs stay in multi-line fields. Raises on overlong text."""
    text = unicodedata.normalize("NFC", value or "")
    if name in _MULTILINE:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = _CONTROL.sub("", text.replace("\t", "    "))
    else:
        text = _CONTROL.sub("", text.replace("\n", " ").replace("\t", " "))
    text = text.strip()
    limit = LIMITS.get(name)
    if limit is not None and len(text) > limit:
        raise InvalidReport(f"{name} longer than {limit}", field=name, limit=limit)
    return text


def printable(value: object) -> str:
    """Text safe to print on a terminal or a page: control and bidi characters removed (a file
    name can carry escape sequences)."""
    return _CONTROL.sub("", str(value).replace("\n", " ").replace("\t", " "))


def parse_seen_at(value: str, now: datetime | None = None) -> str:
    """'2025-06-01', '2025-06-01 14:30', '2025-06-01T14:30:00+08:00' -> normalized ISO text.
    A time more than a day in the future is refused (a typo, not a sighting)."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidReport(f"seen_at not a date: {value[:40]!r}", field="seen_at") from None
    now = now or datetime.now(timezone.utc)
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=now.astimezone().tzinfo)
    if aware > now + timedelta(days=1):
        raise InvalidReport("seen_at in the future", field="seen_at")
    if aware.year < 1990:
        raise InvalidReport("seen_at before 1990", field="seen_at")
    if len(value) == 10:  # a date only
        return parsed.date().isoformat()
    return parsed.isoformat(timespec="minutes" if parsed.second == 0 else "seconds")


def validate_draft(draft: ReportDraft, now: datetime | None = None) -> ReportDraft:
    """A cleaned copy of the draft; raises InvalidReport naming the first bad field."""
    if draft.complaint_type not in COMPLAINT_TYPES:
        raise InvalidReport(f"unknown complaint type {draft.complaint_type!r}",
                            field="complaint_type")
    url = clean_text("url", draft.seen.url)
    if url and not url.lower().startswith(_URL_SCHEMES):
        if "://" in url or url.lower().startswith(("javascript:", "data:", "file:")):
            raise InvalidReport("url must start with http:// or https://", field="url")
        url = "https://" + url  # people paste "weibo.com/..." without a scheme
    if url and (" " in url or len(url) < 12):
        raise InvalidReport("url is not a web address", field="url")
    seen = Seen(platform=clean_text("platform", draft.seen.platform), url=url,
                account=clean_text("account", draft.seen.account),
                seen_at=parse_seen_at(draft.seen.seen_at, now))
    return replace(draft, seen=seen, description=clean_text("description", draft.description),
                   contact=clean_text("contact", draft.contact))


def build_body(draft: ReportDraft, result: dict, evidence: dict | None = None) -> dict:
    """The stored body of a new report (draft must be validated)."""
    file_info = result.get("file", {})
    path = str(file_info.get("path", "")).replace("\\", "/")
    name = file_info.get("name") or path.rsplit("/", 1)[-1]
    # the reporter's folders (user name, case folders) are not recorded: complaint packages
    # go to third parties, and the file is identified by its name and hashes
    result = {**result, "file": {**file_info, "path": name}}
    body: dict[str, Any] = {
        "file": {"name": name, "size": file_info.get("size", 0),
                 "sha256": file_info.get("sha256", ""), "sm3": file_info.get("sm3", "")},
        "result": result,
        "seen": {"platform": draft.seen.platform, "url": draft.seen.url,
                 "account": draft.seen.account, "seen_at": draft.seen.seen_at},
        "complaint": {"type": draft.complaint_type, "description": draft.description,
                      "contact": draft.contact},
        "evidence": evidence or {"original": None, "thumbnail": None},
    }
    return json_safe(body)


def edit_body(previous: dict, draft: ReportDraft, note: str) -> dict:
    """A new version of a report: the person-typed fields change, the file and result never."""
    body = dict(previous)
    body["seen"] = {"platform": draft.seen.platform, "url": draft.seen.url,
                    "account": draft.seen.account, "seen_at": draft.seen.seen_at}
    body["complaint"] = {"type": draft.complaint_type, "description": draft.description,
                         "contact": draft.contact}
    body["note"] = clean_text("note", note)
    return json_safe(body)


def draft_from_body(body: dict) -> ReportDraft:
    seen = body.get("seen", {})
    complaint = body.get("complaint", {})
    return ReportDraft(complaint_type=complaint.get("type", "other"),
                       seen=Seen(platform=seen.get("platform", ""), url=seen.get("url", ""),
                                 account=seen.get("account", ""),
                                 seen_at=seen.get("seen_at", "")),
                       description=complaint.get("description", ""),
                       contact=complaint.get("contact", ""))


def projections(kind: str, body: dict) -> dict:
    """The searchable columns derived from a body (not hashed: `log verify` re-derives them and
    reports any that differ, so they cannot be altered unnoticed either)."""
    if kind == EntryKind.TOMBSTONE.value:
        return {"verdict": None, "platform": None, "complaint_type": None, "file_name": None,
                "file_sha256": None, "seen_at": None, "search_text": None}
    seen = body.get("seen", {})
    complaint = body.get("complaint", {})
    file_info = body.get("file", {})
    parts = [file_info.get("name", ""), seen.get("platform", ""), seen.get("url", ""),
             seen.get("account", ""), complaint.get("description", ""),
             file_info.get("sha256", "")]
    return {
        "verdict": body.get("result", {}).get("verdict"),
        "platform": seen.get("platform", ""),
        "complaint_type": complaint.get("type"),
        "file_name": file_info.get("name", ""),
        "file_sha256": file_info.get("sha256", ""),
        "seen_at": seen.get("seen_at", ""),
        "search_text": "\n".join(p for p in parts if p).casefold(),
    }


def local_time_text(created_utc: str, tz_offset: str) -> str:
    """'2025-06-01T12:34:56.789Z', '+08:00' -> '2025-06-01 20:34:56 (UTC+08:00)'."""
    try:
        moment = datetime.fromisoformat(created_utc.replace("Z", "+00:00"))
        sign = -1 if tz_offset.startswith("-") else 1
        hours, minutes = tz_offset.lstrip("+-").split(":")
        local = moment.astimezone(timezone(sign * timedelta(hours=int(hours),
                                                           minutes=int(minutes))))
    except (ValueError, AttributeError):
        return created_utc
    return f"{local:%Y-%m-%d %H:%M:%S} (UTC{tz_offset})"
