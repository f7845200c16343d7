"""The per-file bounds every audio/video container walk needs, kept in one place.

A walk over ISO-BMFF boxes, EBML elements, RIFF chunks, FLAC blocks, Ogg pages, FLV tags or
ID3 tags meets the same hostile lengths and counts. ``Walker`` holds the three guards they
share (architecture rule 4):

- ``count``: every structure walked is counted against ``limits.max_structures``, so a file
  of millions of tiny boxes ends with LimitExceeded instead of a long loop;
- ``spend`` / ``charge``: every metadata payload is checked against
  ``limits.max_metadata_bytes`` and charged to the file's ``limits.max_total_metadata``;
- ``read_at``: a read at an offset that raises TruncatedError when the file is shorter.

``guard`` turns damage found after the start of a file into one PROBLEM site and caps the
number of sites at ``limits.max_sites``. Carrier modules subclass ``Walker`` to add what only
their container needs (the EBML header decoder, the ISO box iterator, the RF64 data size).
"""

from collections.abc import Iterator
from typing import BinaryIO, ClassVar

from ..errors import CarrierError, LimitExceeded, TruncatedError, VerifyError
from ..limits import Limits
from .base import Site, SiteKind

__all__ = ["Walker", "MAX_RECURSION"]

MAX_RECURSION = 200  # whatever Limits say, recursion stays far below Python's stack limit


class Walker:
    """The bounds of one walk over one file.

    f: the file, read only through ``read_at`` (any other read must seek first);
    fmt: the sniffed format, the carrier name of the PROBLEM sites ``guard`` yields.
    A subclass sets ``noun``, what its ``count`` counts ("boxes", "RIFF chunks").
    """

    __slots__ = ("f", "fmt", "limits", "size", "structures", "budget", "max_depth")
    noun: ClassVar[str] = "structures"

    def __init__(self, f: BinaryIO, fmt: str, limits: Limits) -> None:
        self.f, self.fmt, self.limits = f, fmt, limits
        self.structures = 0  # structures walked so far
        self.budget = limits.max_total_metadata  # payload bytes the file may still use
        # recursive walkers stop at this nesting depth (a conditional: cheaper than min())
        depth = limits.max_depth
        self.max_depth = depth if depth < MAX_RECURSION else MAX_RECURSION
        f.seek(0, 2)
        self.size = f.tell()

    def count(self, noun: str = "") -> None:
        """Count one more structure; LimitExceeded past ``limits.max_structures``. ``noun``
        names what was counted when one walker counts several kinds (FLAC blocks, Ogg pages)."""
        self.structures += 1
        if self.structures > self.limits.max_structures:
            raise LimitExceeded(f"more than {self.limits.max_structures} {noun or self.noun}")

    def charge(self, n: int, what: str) -> None:
        """Charge n payload bytes to the file's total only (the caller bounds one payload)."""
        self.budget -= n
        if self.budget < 0:
            raise LimitExceeded(f"{what}: metadata of this file exceeds the total limit")

    def spend(self, n: int, what: str) -> None:
        """Admit one payload of n bytes: refused over ``limits.max_metadata_bytes``, then
        charged to the file's total."""
        if n > self.limits.max_metadata_bytes:
            raise LimitExceeded(f"{what}: {n} bytes exceeds the metadata limit")
        self.budget -= n  # charge(n, what) written out: this runs for every payload read
        if self.budget < 0:
            raise LimitExceeded(f"{what}: metadata of this file exceeds the total limit")

    def read_at(self, pos: int, n: int, what: str) -> bytes:
        """Exactly n bytes at pos; CarrierError for a negative place or length, TruncatedError
        when the file ends first. Not charged: for headers and other small fixed reads."""
        if n < 0 or pos < 0:
            raise CarrierError(f"{what}: impossible read of {n} bytes at {pos}")
        self.f.seek(pos)
        b = self.f.read(n)
        if len(b) != n:
            raise TruncatedError(f"{what}: file ends at {self.size}, wanted {n} bytes at {pos}")
        return b

    def payload(self, pos: int, n: int, what: str) -> bytes:
        """A metadata payload: ``spend`` then ``read_at``."""
        self.spend(n, what)
        return self.read_at(pos, n, what)

    def guard(self, inner: Iterator[Site], location: str = "") -> Iterator[Site]:
        """The sites of inner, at most ``limits.max_sites`` of them. A VerifyError on the way
        (damage after the file's start was accepted) ends the walk as one PROBLEM site at
        ``location``, so that what was already found still counts."""
        emitted = 0
        try:
            for site in inner:
                emitted += 1
                if emitted > self.limits.max_sites:
                    raise LimitExceeded(f"more than {self.limits.max_sites} metadata items")
                yield site
        except VerifyError as e:
            yield Site(SiteKind.PROBLEM, self.fmt, location, None, key=e.code, value=str(e))
