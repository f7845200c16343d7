"""Canonical JSON (RFC 8785) and the hash that links one log entry to the one before it.

    hash = SHA-256( bytes.fromhex(prev_hash) || JCS(record) )

where record is the entry without its `prev_hash` and `hash` fields and the first entry's
prev_hash is 64 zeros. JCS is RFC 8785: keys sorted by UTF-16 code units, no whitespace,
ECMAScript number formatting. The standalone verify.py in every complaint package carries its
own stdlib-only JCS, tested against the rfc8785 package.

`json_safe` is applied to everything before it is stored, so that what is stored is exactly what
is hashed: RFC 8785 cannot represent NaN, infinities, integers beyond 2**53 or lone surrogates
(file names that were not valid UTF-8).
"""

import hashlib
import json
import math
from typing import Any

import rfc8785

__all__ = ["GENESIS", "HASH_FIELDS", "canonical", "canonical_text", "entry_hash", "json_safe",
           "loads"]

GENESIS = "0" * 64
# fields of a stored entry that are not part of its hashed record
HASH_FIELDS = ("prev_hash", "hash")
_MAX_SAFE_INT = 2**53 - 1


def _safe_str(text: str) -> str:
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:  # lone surrogates from undecodable file names
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def json_safe(value: Any) -> Any:
    """A copy of value that RFC 8785 can encode and JSON round-trips unchanged."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if abs(value) <= _MAX_SAFE_INT else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer() and abs(value) <= _MAX_SAFE_INT:
            return int(value)  # 1.0 and 1 are the same JCS text; keep the stored type stable
        return value
    if isinstance(value, str):
        return _safe_str(value)
    if isinstance(value, dict):
        return {_safe_str(str(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return _safe_str(str(value))


def canonical(value: Any) -> bytes:
    """RFC 8785 bytes of a json_safe value."""
    return rfc8785.dumps(value)


def canonical_text(value: Any) -> str:
    return canonical(value).decode("utf-8")


def loads(text: str) -> Any:
    return json.loads(text)


def entry_hash(prev_hash: str, record: dict) -> str:
    """The chain hash of one entry (record must not contain prev_hash or hash)."""
    digest = hashlib.sha256(bytes.fromhex(prev_hash))
    digest.update(canonical(record))
    return digest.hexdigest()
