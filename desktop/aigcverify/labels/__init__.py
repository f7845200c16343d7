"""GB 45438 implicit labels: find label candidates among carrier sites, decode, validate.

Entry point for the pipeline:

    implicit_labels, problems = read_labels(sites, lang)

Each implicit_labels entry follows check-result.schema.json (carrier, offset, fields, label,
conformant, problems) and adds: location, wrapped, producer, propagator, security,
label_meaning and problem_details ({code, severity, message} per problem). problems are the
file-level entries of the schema's top-level "problems" array, made by findings.problem
(code, message, severity, rule) with a counted detail from this package's catalog. An AIGC
marker in another schema (Tencent ServiceProvider, MiniMax's old `Label: AIGC`) is reported as
"implicit-label-trace", a broken Annex E label as "implicit-label-nonconformant".
Nothing here raises for bad input: a label that cannot be decoded is a problem, not an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..carriers.base import Site, SiteKind
from ..findings import problem
from ..i18n import tr
from .decode import Decoded, decode_front_matter, decode_json_label, looks_like_label
from .security import check_security
from .validate import RESERVED_KEYS, label_meaning, problem_message, severity, validate

__all__ = ["read_labels", "FILE_PROBLEMS", "VENDOR_PRIVATE_KEYS", "MAX_LABEL_SITES"]

MAX_LABEL_SITES = 256  # candidate sites decoded per file; more is hostile or broken

# Field names that contain "aigc" but belong to vendor-private schemes, not to Annex E
# (ByteDance/Douyin exports, label-formats.md §2.12): supporting evidence for metadata hints.
VENDOR_PRIVATE_KEYS = {"aigc_info", "aigc_label_type"}

# File-level problem code -> i18n key of its detail text (placeholders: {count}). The entry
# itself (message, severity, rule) comes from findings.problem, like every file problem.
FILE_PROBLEMS = {
    "implicit-label-nonconformant": "label.file.implicit-label-nonconformant",
    "implicit-label-trace": "label.file.implicit-label-trace",
    "implicit-label-duplicate": "label.file.implicit-label-duplicate",
    "implicit-label-conflict": "label.file.implicit-label-conflict",
    "implicit-label-duplicate-key": "label.file.implicit-label-duplicate-key",
    "security-data-failed": "label.file.security-data-failed",
    "resource-limit": "label.file.resource-limit",
}


def _key_names_aigc(key: str) -> bool:
    return "aigc" in key.casefold() and key.casefold() not in VENDOR_PRIVATE_KEYS


def _decode_site(site: Site) -> Decoded | None:
    """The label candidate of one site, or None when the site is not a label carrier."""
    if site.kind is SiteKind.FRONT_MATTER:
        return decode_front_matter(site.text())
    if site.kind is not SiteKind.FIELD:
        return None
    text = site.text()
    named = _key_names_aigc(site.key)
    if not named and not looks_like_label(text):
        return None
    decoded = decode_json_label(text)
    if decoded is None and named:
        # Annex E a): a field named AIGC is a label carrier; an undecodable value is a defect
        return Decoded(fields={}, problems=["not-json"])
    return decoded


def _entry(site: Site, decoded: Decoded, lang: str) -> dict[str, Any]:
    if decoded.lookalike or not decoded.values:
        # another schema, or nothing decodable: its decode problem says it all (listing seven
        # missing fields of an unreadable payload would only bury the real message)
        label, conformant, problems = None, False, list(decoded.problems)
        producer = propagator = None
        security: list[dict[str, Any]] = []
    else:
        result = validate(decoded.values, decoded.fields, decoded.problems)
        label, conformant, problems = result.label, result.conformant, result.problems
        producer, propagator = result.producer, result.propagator
        # always one result per reserved field (a missing field is "absent"), so that readers
        # of the result find ReservedCode1 first and ReservedCode2 second
        security = [check_security(fld, decoded.values, lang) for fld in RESERVED_KEYS]
        problems.extend(f"security-failed:{s['field']}" for s in security
                        if s["status"] == "failed")
    return {
        "carrier": site.carrier,
        "offset": site.offset,
        "fields": decoded.fields,
        "label": label,
        "conformant": conformant,
        "problems": problems,
        "location": site.location,
        "wrapped": decoded.wrapped,
        "producer": producer,
        "propagator": propagator,
        "security": security,
        "label_meaning": label_meaning(label, lang),
        "problem_details": [
            {"code": p, "severity": severity(p).value, "message": problem_message(p, lang)}
            for p in problems
        ],
    }


def _file_problem(code: str, lang: str, **params: object) -> dict[str, Any]:
    return problem(code, lang, detail=tr(FILE_PROBLEMS[code], lang, **params))


def _identity(entry: dict[str, Any]) -> tuple[str, str, str]:
    """What two copies of one label must agree on (Label, producer, content ID)."""
    fields = {k.casefold(): v for k, v in entry["fields"].items()}
    return (str(entry["label"]), str(fields.get("contentproducer")), str(fields.get("produceid")))


def _file_problems(entries: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    problems = []
    traces = [e for e in entries if "not-annex-e" in e["problems"]]
    bad = [e for e in entries if not e["conformant"] and e not in traces]
    if bad:
        problems.append(_file_problem("implicit-label-nonconformant", lang, count=len(bad)))
    if traces:
        # an AIGC marker in another schema: evidence of labelling intent, not an Annex E label
        problems.append(_file_problem("implicit-label-trace", lang, count=len(traces)))
    if any(p.startswith("duplicate-key:") for e in entries for p in e["problems"]):
        problems.append(_file_problem("implicit-label-duplicate-key", lang))
    labels = [e for e in entries if e not in traces and e["fields"]]
    if len(labels) > 1:
        # GB 45438 6.1 c): keep only one. Disagreeing copies are worse than identical ones.
        distinct = {_identity(e) for e in labels}
        code = "implicit-label-conflict" if len(distinct) > 1 else "implicit-label-duplicate"
        problems.append(_file_problem(code, lang, count=len(labels)))
    failed = sum(s["status"] == "failed" for e in entries for s in e["security"])
    if failed:
        problems.append(_file_problem("security-data-failed", lang, count=failed))
    return problems


def read_labels(sites: Iterable[Site],
                lang: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Decode and validate every GB 45438 implicit label among sites (in site order)."""
    entries: list[dict[str, Any]] = []
    candidates = 0
    limited = False
    for site in sites:
        if site.kind not in (SiteKind.FIELD, SiteKind.FRONT_MATTER):
            continue
        decoded = _decode_site(site)
        if decoded is None:
            continue
        candidates += 1
        if candidates > MAX_LABEL_SITES:
            limited = True
            break
        entries.append(_entry(site, decoded, lang))
    problems = _file_problems(entries, lang)
    if limited:
        problems.append(_file_problem("resource-limit", lang, count=MAX_LABEL_SITES))
    return entries, problems
