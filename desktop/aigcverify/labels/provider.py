"""The service-provider code in ContentProducer / ContentPropagator, and the USCC inside it.

Layout (TC260 coding-rules guide, transcribed in label-formats.md §1.3), 27 characters:

    pos 1-2    format-definition code, "00"
    pos 3      subject type ("1" = organisation)
    pos 4      binding method ("1" = Unified Social Credit Code)
    pos 5-22   the 18-character USCC (GB 32100-2015)
    pos 23     service type: "1" generation, "2" propagation, "0" with "0000" = not assigned
    pos 24-27  a model/app code chosen by the provider

The standard allows "name or code", so a bare product name ("doubao", "MiniMax") is normal and
is looked up in the bundled producer table (resources/producers.json).
"""

from __future__ import annotations

import json
import logging
import re
from functools import cache
from typing import Any

from ..resources import resource_path

__all__ = [
    "PROVIDER_CODE_LENGTH",
    "USCC_ALPHABET",
    "uscc_check_char",
    "uscc_valid",
    "parse_provider",
    "producer_table",
]

log = logging.getLogger(__name__)

PROVIDER_CODE_LENGTH = 27

# GB 32100-2015: the 31 characters allowed in a USCC (no I, O, S, V, Z) and the weights of
# positions 1-17; the 18th character is the check character.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}

SUBJECT_TYPES = {"1": "organisation"}  # other subject layouts (individuals...) are unknown [U]
BINDING_METHODS = {"1": "uscc"}
SERVICE_TYPES = {"1": "generation", "2": "propagation"}

# Something that tries to be a code: starts with the format code and is long and alphanumeric.
_CODE_LIKE = re.compile(r"^00[0-9A-Za-z]{16,}$")
_CODE_ALPHABET = re.compile(r"^[0-9A-Z]+$")


def uscc_check_char(first17: str) -> str | None:
    """The GB 32100 check character for the first 17 USCC characters, None if not computable."""
    if len(first17) != 17 or any(ch not in _USCC_VALUE for ch in first17):
        return None
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_valid(uscc: str) -> bool:
    return len(uscc) == 18 and uscc_check_char(uscc[:17]) == uscc[17]


@cache
def producer_table() -> dict[str, Any]:
    """resources/producers.json: {"by_uscc": {...}, "by_name": {...}}; empty if missing."""
    path = resource_path("producers.json")
    try:
        with open(path, encoding="utf-8") as fh:
            table = json.load(fh)
    except (OSError, ValueError) as e:  # a broken bundle must not break label reading
        log.warning("producer table unavailable: %s", e)
        return {"by_uscc": {}, "by_name": {}}
    return table


def _organisation(uscc: str | None, name: str | None) -> dict[str, Any] | None:
    table = producer_table()
    entry = None
    if uscc:
        entry = table.get("by_uscc", {}).get(uscc)
    if entry is None and name:
        entry = {k.casefold(): v for k, v in table.get("by_name", {}).items()}.get(name.casefold())
    if entry is None:
        return None
    return {k: entry.get(k) for k in ("zh", "en", "source", "confidence")}


def parse_provider(value: object) -> tuple[dict[str, Any] | None, list[str]]:
    """Decode one ContentProducer/ContentPropagator value.

    Returns (info, problems). problems are advisory base codes (the caller adds the field):
    provider-code-length, provider-code-charset, provider-format, uscc-check-digit,
    service-type-unknown. info is None for empty or non-string values.
    """
    if not isinstance(value, str) or not value.strip():
        return None, []
    code = value.strip()
    info: dict[str, Any] = {
        "code": code,
        "format": "name",
        "uscc": None,
        "uscc_valid": None,
        "subject_type": None,
        "service_type": None,
        "app_code": None,
        "organisation": None,
    }
    problems: list[str] = []
    if not _CODE_LIKE.match(code):
        # A name, or a bare USCC written instead of a provider code.
        if len(code) == 18 and uscc_valid(code.upper()):
            info["uscc"], info["uscc_valid"] = code.upper(), True
        info["organisation"] = _organisation(info["uscc"], code)
        return info, problems

    info["format"] = "provider-code"
    if len(code) != PROVIDER_CODE_LENGTH:
        problems.append("provider-code-length")
    if not _CODE_ALPHABET.match(code):
        problems.append("provider-code-charset")  # the guide allows digits and upper case only
    upper = code.upper()
    subject = upper[2:3]
    info["subject_type"] = SUBJECT_TYPES.get(subject, "unknown")
    if subject == "1" and BINDING_METHODS.get(upper[3:4]) == "uscc" and len(upper) >= 22:
        uscc = upper[4:22]
        info["uscc"] = uscc
        info["uscc_valid"] = uscc_valid(uscc)
        if not info["uscc_valid"]:
            problems.append("uscc-check-digit")
    if len(upper) == PROVIDER_CODE_LENGTH:
        ext = upper[22:27]
        if ext == "00000":
            info["service_type"] = "unassigned"
        else:
            info["service_type"] = SERVICE_TYPES.get(ext[0], "unknown")
            info["app_code"] = ext[1:]
            if info["service_type"] == "unknown":
                problems.append("service-type-unknown")
    info["organisation"] = _organisation(info["uscc"], None)
    return info, problems
