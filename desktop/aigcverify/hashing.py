"""SHA-256 and SM3 of the raw bytes, streamed, before any parser sees them."""

import hashlib
from pathlib import Path

from .sm3 import SM3

__all__ = ["file_hashes", "sm3_hasher"]

CHUNK = 1 << 20


def sm3_hasher():
    """hashlib's SM3 where OpenSSL provides it, else the pure-Python fallback."""
    try:
        return hashlib.new("sm3")
    except ValueError:
        return SM3()


def file_hashes(path: str | Path) -> tuple[int, str, str]:
    """(size, sha256 hex, sm3 hex) of the file as it is on disk."""
    sha, sm3 = hashlib.sha256(), sm3_hasher()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            size += len(chunk)
            sha.update(chunk)
            sm3.update(chunk)
    return size, sha.hexdigest(), sm3.hexdigest()
