"""Bounds applied to every untrusted length, count and depth (architecture rule 4)."""

from dataclasses import dataclass

__all__ = ["Limits", "DEFAULT_LIMITS", "bounded_read"]

from typing import BinaryIO

from .errors import LimitExceeded, TruncatedError


@dataclass(frozen=True, slots=True)
class Limits:
    max_metadata_bytes: int = 64 * 1024 * 1024  # one metadata payload (chunk, frame, box)
    max_xmp_bytes: int = 8 * 1024 * 1024  # one XMP packet (real ones are KBs; extended ~MBs)
    max_total_metadata: int = 128 * 1024 * 1024  # all payloads of one file together
    max_decompressed: int = 16 * 1024 * 1024  # zTXt/iTXt/zip member inflation
    max_sites: int = 10_000  # metadata items read from one file
    max_depth: int = 32  # box/element nesting
    max_structures: int = 200_000  # chunks/boxes/segments walked in one file
    max_zip_members: int = 10_000
    max_text_bytes: int = 8 * 1024 * 1024  # text documents read for labels and prompts


DEFAULT_LIMITS = Limits()


def bounded_read(f: BinaryIO, n: int, limit: int, what: str) -> bytes:
    """Read exactly n bytes of a declared length, refusing lengths over the limit."""
    if n < 0:
        raise TruncatedError(f"{what}: negative length {n}")
    if n > limit:
        raise LimitExceeded(f"{what}: declared length {n} exceeds limit {limit}")
    data = f.read(n)
    if len(data) != n:
        raise TruncatedError(f"{what}: wanted {n} bytes, file has {len(data)}")
    return data
