"""File-level problems: coded data with a translated message and the rule each one breaks.

The verdict is derived from evidence; problems explain what is wrong with the file or its labels.
Meanings live in PROBLEM_CODES, messages in resources/i18n/<lang>/core.json
("problem.<code>" and "rule.<code>").
"""

from enum import Enum

from .i18n import catalog, normalize_lang, tr

__all__ = ["Severity", "PROBLEM_CODES", "problem", "has_problem"]


class Severity(Enum):
    ERROR = "error"  # the file or a label breaks a mandatory rule, or could not be read
    WARNING = "warning"  # deviates from a recommendation, or evidence is weaker than it looks
    INFO = "info"  # worth knowing, not a fault


# code -> (severity, rule reference key or None)
PROBLEM_CODES: dict[str, tuple[Severity, str | None]] = {
    "implicit-label-nonconformant": (Severity.ERROR, "gb45438-annex-e"),
    "implicit-label-conflict": (Severity.ERROR, "measures-art10"),
    "implicit-label-duplicate": (Severity.WARNING, "gb45438-6-1c"),
    "implicit-label-duplicate-key": (Severity.ERROR, "gb45438-annex-e"),
    "implicit-label-trace": (Severity.WARNING, "gb45438-annex-e"),
    "security-data-failed": (Severity.ERROR, "measures-art10"),
    "explicit-without-implicit": (Severity.ERROR, "measures-art5"),
    "explicit-label-too-small": (Severity.ERROR, "gb45438-5-2"),
    "explicit-label-too-short": (Severity.ERROR, "gb45438-5-4"),
    "explicit-label-position": (Severity.ERROR, "gb45438-5-2"),
    "explicit-label-elements": (Severity.WARNING, "gb45438-5-1"),
    "explicit-audio-position": (Severity.WARNING, "gb45438-5-3"),
    "c2pa-invalid": (Severity.ERROR, None),
    "c2pa-remote-not-fetched": (Severity.INFO, None),
    "c2pa-unreadable": (Severity.WARNING, None),
    "extension-mismatch": (Severity.WARNING, None),
    "parse-error": (Severity.ERROR, None),
    "file-damaged": (Severity.WARNING, None),
    "file-encrypted": (Severity.WARNING, None),
    "container-ambiguous": (Severity.WARNING, None),
    "resource-limit": (Severity.ERROR, None),
    "unsupported-format": (Severity.WARNING, None),
    "detector-laundering": (Severity.INFO, None),
    "detector-failed": (Severity.WARNING, None),
    "explicit-failed": (Severity.WARNING, None),
    "analysis-incomplete": (Severity.WARNING, None),
}


def problem(code: str, lang: str, detail: str = "", message_key: str | None = None,
            **kwargs: object) -> dict:
    """A schema `problems` entry: code, message (translated), plus severity, rule and detail.
    message_key names a more specific message than the code's own, when one exists."""
    severity, rule = PROBLEM_CODES.get(code, (Severity.WARNING, None))
    key = message_key if message_key and message_key in catalog(normalize_lang(lang)) else f"problem.{code}"
    entry: dict = {
        "code": code,
        "message": tr(key, lang, detail=detail, **kwargs),
        "severity": severity.value,
    }
    if rule:
        entry["rule"] = tr(f"rule.{rule}", lang)
    if detail:
        entry["detail"] = detail
    return entry


def has_problem(problems: list[dict], code: str) -> bool:
    return any(p.get("code") == code for p in problems)
