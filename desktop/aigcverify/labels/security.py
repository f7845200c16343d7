"""SecurityData in ReservedCode1/2 (TC260-PG-202511A): parse it and check SM2 label signatures.

What a result can honestly mean (label-formats.md §4.4):
* verified        - an SM2-with-SM3 signature over the guide's Annex A.1 message verifies
                    with the public key carried next to it: the label fields were not changed
                    since signing. It says nothing about *who* signed (detail
                    "verified-unpinned-key" when the label names a producer whose real key we
                    know and another key signed).
* verified-pinned - it verifies with a key we ship for a known producer (PINNED_KEYS).
* failed          - a signature and a key (carried, or pinned for the producer the label names)
                    are present and well-formed, but the signature does not match the label:
                    the label was changed, or the signer used another message.
* unsupported     - opaque data, another algorithm (RSA in Honor files), content bindings,
                    or a producer whose signing rule is known to be unreproducible. Normal.
* absent          - the field is empty, null or missing.

The A.1 message is the generator's three elements as JSON pairs without braces:
    "Label":"1","ContentProducer":"<v2>","ProduceID":"<v3>"
signed with SM2 and the default user ID 1234567812345678. For ReservedCode2 (platform side) the
message is not public; we also try the propagator analogue (an inference, [I]).
"""

from __future__ import annotations

import binascii
import json
import re
from functools import cache
from typing import Any

from ..i18n import tr
from . import sm2

__all__ = [
    "STATUSES",
    "SM2_SIGNATURE_ALGS",
    "PINNED_KEYS",
    "UNREPRODUCED_KEYS",
    "check_security",
    "a1_message",
]

STATUSES = ("verified-pinned", "verified", "failed", "unsupported", "absent")

SM2_SIGNATURE_ALGS = {sm2.SM2_SIGN_OID}
# A PubKey entry may be tagged with the signature OID (observed), the curve OID or id-ecPublicKey.
SM2_KEY_ALGS = {sm2.SM2_SIGN_OID, sm2.SM2_CURVE_OID, sm2.EC_PUBLIC_KEY_OID}
ALGORITHM_NAMES = {
    sm2.SM2_SIGN_OID: "SM2-with-SM3",
    "1.2.840.113549.1.1.11": "RSA-with-SHA256",
    "1.2.840.10045.4.3.2": "ECDSA-with-SHA256",
}
# TBSData.Type values that mean "the signature covers the label metadata" (MiniMax and StepFun
# spell it LabelMataData; the guide's own value is Md). Compared case-insensitively.
LABEL_TBS_TYPES = {"md", "labelmatadata", "labelmetadata"}

# Producer keys we ship. Source: wiltodelta/remove-ai-watermarks
# src/remove_ai_watermarks/_internal/tc260_producers.py (Apache-2.0; found in the public code
# index in the fork Zalexanninev15/remove-ai-watermarks @304bd071): the x coordinate carried by
# measured MiniMax Hailuo exports (2026-09-29); the key is the even-y point. Confidence [S].
PINNED_KEYS: dict[str, dict[str, str]] = {
    "A0B3B0B6A0C9B0C89CAB328342AF4E8221EC5B40799CBE835AB4251F7B47E4FD": {
        "signer": "MiniMax",
        "producers": "MiniMax",  # ContentProducer values (comma-separated, any case) it signs for
        "source": "wiltodelta/remove-ai-watermarks _internal/tc260_producers.py",
        "confidence": "S",
    },
}
# Keys whose genuine signatures do not verify under A.1 (nor ~860 other candidate messages,
# label-formats.md §4.3): a mismatch there is "we cannot check", not "tampered".
UNREPRODUCED_KEYS: dict[str, dict[str, str]] = {
    "5728F08C58D9C72150A705693EF7337859F8FF216E802630041AFAE5C036F0A6": {
        "signer": "StepFun",
        "source": "label-formats.md §4.3 (public StepFun Markdown front matter)",
    },
}

# Bounds on untrusted structures
MAX_SECURITY_CHARS = 64 * 1024
MAX_PUBSD_ENTRIES = 16
MAX_ATTEMPTS = 16  # signature x key x message combinations (about 25 ms each)

_HEX = re.compile(r"^[0-9A-Fa-f]+$")


def _get(obj: dict[str, Any], name: str) -> Any:
    """Key lookup that tolerates case variants (Honor writes PubSd)."""
    if name in obj:
        return obj[name]
    folded = name.casefold()
    return next((v for k, v in obj.items() if str(k).casefold() == folded), None)


def _quoted(value: Any) -> str:
    return json.dumps(value if isinstance(value, str) else str(value), ensure_ascii=False)


def a1_message(values: dict[str, Any], producer_key: str = "ContentProducer",
               id_key: str = "ProduceID") -> bytes:
    """The Annex A.1 signed bytes: three JSON pairs, comma-separated, no braces."""
    pairs = [("Label", values.get("Label")), (producer_key, values.get(producer_key)),
             (id_key, values.get(id_key))]
    return ",".join(f'"{k}":{_quoted(v)}' for k, v in pairs).encode("utf-8")


def _result(fld: str, status: str, detail_code: str, lang: str, algorithm: str | None = None,
            **params: str) -> dict[str, Any]:
    return {
        "field": fld,
        "status": status,
        "detail_code": detail_code,
        "detail": tr(f"label.security.detail.{detail_code}", lang, algorithm=algorithm or "-",
                     **params),
        "algorithm": algorithm,
        **({"signer": params["signer"]} if "signer" in params else {}),
    }


def _hex_bytes(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value or len(value) % 2 or len(value) > 4096:
        return None
    if not _HEX.match(value):
        return None
    return binascii.unhexlify(value)


def _security_object(value: Any) -> tuple[dict[str, Any] | None, str]:
    """The SecurityData object, or (None, why-not)."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_SECURITY_CHARS:
            return None, "too-large"
        if not text.startswith("{"):
            return None, "opaque-hex" if _HEX.match(text) else "opaque"
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return None, "opaque"
    if not isinstance(value, dict):
        return None, "opaque"
    inner = _get(value, "SecurityData")
    if isinstance(inner, dict):
        return inner, ""
    if _get(value, "PubSD") is not None or _get(value, "Type") is not None:
        return value, ""  # no SecurityData wrapper (Tencent EXIF, Honor nested objects)
    return None, "no-security-data"


def _keys(entries: list[dict[str, Any]]) -> list[sm2.PublicKey]:
    keys = []
    for entry in entries:
        if str(_get(entry, "Type") or "").casefold() != "pubkey":
            continue
        if str(_get(entry, "AlgID") or "") not in SM2_KEY_ALGS:
            continue
        raw = _hex_bytes(_get(entry, "KeyValue"))
        if raw is None:
            continue
        try:
            keys.append(sm2.parse_public_key(raw))
        except sm2.SM2FormatError:
            continue  # a malformed key cannot verify anything; the DS then counts as keyless
    return keys


def _label_signatures(entries: list[dict[str, Any]]) -> tuple[list[tuple[int, int]], set[str]]:
    """SM2 signatures over the label metadata, and the AlgIDs of signatures we cannot check."""
    signatures: list[tuple[int, int]] = []
    other_algs: set[str] = set()
    for entry in entries:
        if str(_get(entry, "Type") or "").casefold() != "ds":
            continue
        alg = str(_get(entry, "AlgID") or "")
        tbs = _get(entry, "TBSData")
        tbs_type = str(_get(tbs, "Type") or "md") if isinstance(tbs, dict) else "md"
        if alg not in SM2_SIGNATURE_ALGS:
            other_algs.add(alg or "?")
            continue
        if tbs_type.strip().casefold() not in LABEL_TBS_TYPES:
            other_algs.add(f"{alg} ({tbs_type})")  # content binding: byte ranges unknown
            continue
        raw = _hex_bytes(_get(entry, "Signature"))
        if raw is None:
            continue
        try:
            signatures.append(sm2.parse_signature(raw))
        except sm2.SM2FormatError:
            continue
    return signatures, other_algs


@cache
def _pinned_key(x_hex: str) -> sm2.PublicKey:
    return sm2.parse_public_key(b"\x00" + bytes.fromhex(x_hex))


def _pinned_for(producer: Any) -> list[str]:
    """x coordinates of the pinned keys of the producer the label names (if any)."""
    name = str(producer or "").strip().casefold()
    return [x for x, entry in PINNED_KEYS.items()
            if name and name in {p.strip().casefold() for p in entry["producers"].split(",")}]


def check_security(fld: str, values: dict[str, Any], lang: str) -> dict[str, Any]:
    """Check the SecurityData in values[fld] (fld is ReservedCode1 or ReservedCode2)."""
    value = values.get(fld)
    if value is None or (isinstance(value, str) and not value.strip()):
        return _result(fld, "absent", "absent", lang)
    obj, why = _security_object(value)
    if obj is None:
        return _result(fld, "unsupported", why, lang)
    entries = _get(obj, "PubSD")
    if not isinstance(entries, list):
        return _result(fld, "unsupported", "no-public-data", lang)
    entries = [e for e in entries[:MAX_PUBSD_ENTRIES] if isinstance(e, dict)]
    signatures, other_algs = _label_signatures(entries)
    if not signatures:
        alg = ", ".join(sorted(ALGORITHM_NAMES.get(a, a) for a in other_algs)) or None
        why = "algorithm-unsupported" if other_algs else "no-signature"
        return _result(fld, "unsupported", why, lang, alg)
    algorithm = f"{ALGORITHM_NAMES[sm2.SM2_SIGN_OID]} ({sm2.SM2_SIGN_OID})"
    embedded = _keys(entries)
    pinned = _pinned_for(values.get("ContentProducer"))
    # A carried key that equals a pinned one is recognised below (same x, even y). Pinned
    # keys stand in only when the label carries no usable key, and only for the producer the
    # label names: another producer's key failing would say nothing about this label.
    keys = embedded or [_pinned_key(x) for x in pinned]
    if not keys:
        return _result(fld, "unsupported", "no-public-key", lang, algorithm)
    messages = [a1_message(values)]
    if fld == "ReservedCode2":
        messages.insert(0, a1_message(values, "ContentPropagator", "PropagateID"))
    attempts = 0
    for signature in signatures:
        for key in keys:
            for message in messages:
                attempts += 1
                if attempts > MAX_ATTEMPTS:
                    return _result(fld, "unsupported", "too-many-signatures", lang, algorithm)
                if sm2.verify(key, message, signature):
                    if key.x_hex in PINNED_KEYS and key.y == _pinned_key(key.x_hex).y:
                        return _result(fld, "verified-pinned", "verified-pinned", lang, algorithm,
                                       signer=PINNED_KEYS[key.x_hex]["signer"])
                    if pinned:
                        # the label names a producer whose key we know, but another key signed
                        return _result(fld, "verified", "verified-unpinned-key", lang, algorithm,
                                       signer=PINNED_KEYS[pinned[0]]["signer"])
                    return _result(fld, "verified", "verified", lang, algorithm)
    unreproduced = next((UNREPRODUCED_KEYS[k.x_hex] for k in embedded
                         if k.x_hex in UNREPRODUCED_KEYS), None)
    if unreproduced:
        return _result(fld, "unsupported", "signing-rule-unknown", lang, algorithm,
                       signer=unreproduced["signer"])
    return _result(fld, "failed", "signature-mismatch", lang, algorithm)
