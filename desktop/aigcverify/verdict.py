"""The Measures Art. 6 verdict, derived from evidence (never decided inside a parser).

    confirmed  an implicit label says AI-generated: GB 45438 Label "1", or a valid C2PA
               manifest whose active manifest declares a trained-algorithmic source (Art. 6(1))
    declared   no such label, but a label with Label "2", or the user says the publisher
               declared it (Art. 6(2))
    suspected  neither, but Label "3", an AIGC marker that is not Annex E, an explicit label, a
               known watermark, a generator trace in metadata, or a detector score at or above
               its threshold (Art. 6(3))
    none       no evidence found: never "authentic"
    unreadable the file could not be parsed and no evidence was found

`derive` is pure and idempotent: the GUI re-runs it when the "publisher declared" switch moves.
"""

from enum import Enum

from .findings import problem
from .i18n import tr

__all__ = ["Verdict", "derive", "evidence_reasons"]


class Verdict(Enum):
    CONFIRMED = "confirmed"
    DECLARED = "declared"
    SUSPECTED = "suspected"
    NONE = "none"
    UNREADABLE = "unreadable"


# Problems that derive() itself adds; removed first so that derive() can run again.
_OWN_PROBLEMS = {"explicit-without-implicit"}
# Problems that mean "the container could not be read" (with no evidence -> unreadable).
_READ_FAILURES = {"parse-error", "resource-limit", "unsupported-format"}
_AI_SOURCE_STATES = {"valid", "trusted"}
# Hints shown as supporting evidence only: invisible Unicode marks are also left by ordinary
# copy-and-paste (zero-width spaces from web pages and chat apps), so alone they prove nothing.
SUPPORTING_HINT_KINDS = {"hidden-unicode"}


def _detector_counts(detector: dict | None) -> bool:
    if not detector:
        return False
    if detector.get("laundering"):  # re-encoded or resized: the score is not evidence
        return False
    return float(detector.get("score", 0.0)) >= float(detector.get("threshold", 1.0))


def evidence_reasons(result: dict) -> list[tuple[Verdict, str]]:
    """Every piece of evidence as (the verdict it supports, reason code), strongest first."""
    reasons: list[tuple[Verdict, str]] = []
    labels = [entry.get("label") for entry in result.get("implicit_labels", [])]
    c2pa = result.get("c2pa") or {}
    if "1" in labels:
        reasons.append((Verdict.CONFIRMED, "label-1"))
    if c2pa.get("ai_generated") and c2pa.get("state") in _AI_SOURCE_STATES:
        reasons.append((Verdict.CONFIRMED, "c2pa-ai"))
    if "2" in labels:
        reasons.append((Verdict.DECLARED, "label-2"))
    if result.get("declared_by_user"):
        reasons.append((Verdict.DECLARED, "user-declared"))
    if "3" in labels:
        reasons.append((Verdict.SUSPECTED, "label-3"))
    if None in labels:
        reasons.append((Verdict.SUSPECTED, "label-trace"))
    if c2pa.get("ai_generated") and c2pa.get("state") not in _AI_SOURCE_STATES:
        reasons.append((Verdict.SUSPECTED, "c2pa-ai-unverified"))
    elif c2pa.get("synthetic_hint"):
        reasons.append((Verdict.SUSPECTED, "c2pa-hint"))
    if result.get("explicit_labels"):
        reasons.append((Verdict.SUSPECTED, "explicit"))
    if result.get("watermarks"):
        reasons.append((Verdict.SUSPECTED, "watermark"))
    if any(hint.get("kind") not in SUPPORTING_HINT_KINDS for hint in result.get("metadata_hints", [])):
        reasons.append((Verdict.SUSPECTED, "metadata-hint"))
    if _detector_counts(result.get("detector")):
        reasons.append((Verdict.SUSPECTED, "detector"))
    return reasons


def derive(result: dict, lang: str) -> dict:
    """Set result["verdict"], result["reason"] and the verdict's own problems; returns result."""
    problems = [p for p in result.get("problems", []) if p.get("code") not in _OWN_PROBLEMS]
    if result.get("explicit_labels") and not result.get("implicit_labels"):
        problems.append(problem("explicit-without-implicit", lang))
    result["problems"] = problems

    reasons = evidence_reasons(result)
    if reasons:
        verdict, code = reasons[0]
    elif any(p.get("code") in _READ_FAILURES for p in problems):
        verdict, code = Verdict.UNREADABLE, "unreadable"
    else:
        verdict, code = Verdict.NONE, "none"
    result["verdict"] = verdict.value
    result["reason"] = {
        "code": code,
        "message": tr(f"reason.{code}", lang),
        "also": [c for _, c in reasons[1:]],
    }
    return result
