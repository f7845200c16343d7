"""GB 45438 Annex E validation in two levels (label-formats.md §8.3).

* structural: what Annex E requires - the seven keys, non-empty Label/ContentProducer/ProduceID,
  string values, Label in {"1","2","3"}, a single JSON object that a strict parser accepts.
  Any structural problem makes the label non-conformant.
* advisory: what Annex E recommends or what good practice expects - the charset rule j)
  ("mainly" printable ASCII), the 27-character provider code and its USCC check digit, the
  service-type digit, a consistent propagator copy. Advisory problems never change conformance.

Problem codes are short strings, "base" or "base:Field"; PROBLEMS maps each base to its level,
and its message key is "label.problem.<base>" (with {field} filled in).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..i18n import tr
from .decode import ANNEX_E_KEYS
from .provider import parse_provider

__all__ = [
    "Severity",
    "PROBLEMS",
    "LABEL_VALUES",
    "REQUIRED_NON_EMPTY",
    "RESERVED_KEYS",
    "Validation",
    "severity",
    "problem_message",
    "validate",
    "label_meaning",
]


class Severity(str, Enum):
    STRUCTURAL = "structural"
    ADVISORY = "advisory"


S, A = Severity.STRUCTURAL, Severity.ADVISORY

# base code -> level. Message key: "label.problem.<base>".
PROBLEMS: dict[str, Severity] = {
    # decoding (decode.py)
    "not-json": S,  # a field named AIGC whose value is not a JSON object
    "not-annex-e": S,  # an AIGC marker in another schema (Tencent ServiceProvider, MiniMax old)
    "double-encoded": S,  # the JSON object was encoded as a JSON string once more
    "duplicate-key": S,  # strict JSON/YAML: the same key twice (which one counts is undefined)
    "lowercase-keys": S,  # Annex E names are case-sensitive
    "label-too-large": S,
    "front-matter-invalid": S,  # YAML that does not parse, in a front matter that mentions AIGC
    "front-matter-too-complex": S,  # alias/event bomb refused before building it
    "html-escaped": A,  # &quot; left in the value: an extra escaping layer
    "bare-aigc-prefix": A,  # AIGC{...}: keyword glued to the JSON (Jimeng APP segments)
    # Annex E structure
    "missing-field": S,
    "empty-field": S,
    "value-not-string": S,
    "label-not-enum": S,
    # Annex E recommendations and provider-code rules
    "unknown-field": A,
    "null-reserved": A,  # ReservedCode null (Kling): not a string, but the field is optional
    "charset-advisory": A,  # rule j): values should mainly be printable ASCII without space
    "provider-code-length": A,
    "provider-code-charset": A,
    "uscc-check-digit": A,
    "service-type-unknown": A,
    "service-type-mismatch": A,  # ContentProducer carries a propagation-service code
    "propagator-partial": A,  # only one of ContentPropagator / PropagateID filled
    "propagator-inconsistent": A,  # producer copied as propagator, but with another ID
    "security-failed": A,  # a SecurityData signature did not verify (see security.py)
}

# Label value -> i18n key of its meaning (Measures Art. 6 / Annex E).
LABEL_VALUES: dict[str, str] = {
    "1": "label.meaning.1",
    "2": "label.meaning.2",
    "3": "label.meaning.3",
}
LABEL_MEANING_UNKNOWN = "label.meaning.none"

REQUIRED_NON_EMPTY = ("Label", "ContentProducer", "ProduceID")
RESERVED_KEYS = ("ReservedCode1", "ReservedCode2")
PROVIDER_KEYS = ("ContentProducer", "ContentPropagator")


def _is_rule_j_char(ch: str) -> bool:
    # 0x21, 0x23-0x5B, 0x5D-0x7E, plus '"' which JSON always writes escaped (\"), as rule j) allows
    return "!" <= ch <= "~" and ch != "\\"


@dataclass
class Validation:
    label: str | None
    conformant: bool
    problems: list[str]
    producer: dict[str, Any] | None
    propagator: dict[str, Any] | None


def severity(code: str) -> Severity:
    """Level of a problem code ('base' or 'base:Field'); unknown codes count as structural so
    that a new decoder code can never silently pass a label."""
    return PROBLEMS.get(code.split(":", 1)[0], Severity.STRUCTURAL)


def problem_message(code: str, lang: str) -> str:
    base, _, fld = code.partition(":")
    return tr(f"label.problem.{base}", lang, field=fld)


def label_meaning(label: str | None, lang: str) -> str:
    return tr(LABEL_VALUES.get(label or "", LABEL_MEANING_UNKNOWN), lang)


def _label_value(value: Any, problems: list[str]) -> str | None:
    if isinstance(value, bool):  # bool is an int in Python; true/false is no Label
        problems.append("value-not-string:Label")
        problems.append("label-not-enum")
        return None
    if isinstance(value, int):
        problems.append("value-not-string:Label")
        value = str(value)
    elif not isinstance(value, str):
        problems.append("label-not-enum")
        return None
    if value in LABEL_VALUES:
        return value
    problems.append("label-not-enum")
    return None


def _structure(values: dict[str, Any], fields: dict[str, Any], problems: list[str]) -> str | None:
    for key in ANNEX_E_KEYS:
        if key not in values:
            problems.append(f"missing-field:{key}")
    for key in REQUIRED_NON_EMPTY:
        if key in values and values[key] in ("", None):
            problems.append(f"empty-field:{key}")
    for key, value in values.items():
        if key == "Label" or isinstance(value, str):
            continue  # Label has its own rules below
        if value is None and (key in RESERVED_KEYS or key in REQUIRED_NON_EMPTY):
            continue  # null reserved: advisory; null required: already empty-field
        problems.append(f"value-not-string:{key}")
    label = None
    if "Label" in values and values["Label"] not in ("", None):
        label = _label_value(values["Label"], problems)
    known = {k.casefold() for k in ANNEX_E_KEYS}
    problems.extend(f"unknown-field:{k}" for k in fields if k.casefold() not in known)
    return label


def _advisory(values: dict[str, Any], problems: list[str]) -> tuple[dict | None, dict | None]:
    for key in RESERVED_KEYS:
        if key in values and values[key] is None:
            problems.append(f"null-reserved:{key}")
    for key in ANNEX_E_KEYS:
        value = values.get(key)
        if isinstance(value, str) and not all(_is_rule_j_char(ch) for ch in value):
            problems.append(f"charset-advisory:{key}")
    infos: dict[str, dict | None] = {}
    for key in PROVIDER_KEYS:
        info, codes = parse_provider(values.get(key))
        infos[key] = info
        problems.extend(f"{code}:{key}" for code in codes)
    producer, propagator = infos["ContentProducer"], infos["ContentPropagator"]
    if producer and producer["service_type"] == "propagation":
        problems.append("service-type-mismatch:ContentProducer")
    has_cp = values.get("ContentPropagator") not in ("", None)
    has_pid = values.get("PropagateID") not in ("", None)
    if has_cp != has_pid:
        problems.append("propagator-partial")
    if (has_cp and has_pid and values.get("ContentPropagator") == values.get("ContentProducer")
            and values.get("PropagateID") != values.get("ProduceID")):
        problems.append("propagator-inconsistent")
    return producer, propagator


def validate(values: dict[str, Any], fields: dict[str, Any],
             decode_problems: list[str]) -> Validation:
    """values: canonical key -> raw value; fields: the object as written (for unknown keys)."""
    problems = list(decode_problems)
    label = _structure(values, fields, problems)
    producer, propagator = _advisory(values, problems)
    problems = list(dict.fromkeys(problems))
    conformant = all(severity(p) is Severity.ADVISORY for p in problems)
    return Validation(label, conformant, problems, producer, propagator)
