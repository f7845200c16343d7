"""Bounded reading of the bit-level headers of AV1 and HEVC, for detect/heif_quality.py.

    BitReader(data)      MSB-first bits of `data`: u(n), flag(), Exp-Golomb ue(v) / se(v)
                         (H.265 section 9.2), AV1 uvlc() and ns(n) (sections 4.10.3, 4.10.7)
    bits_for(n)          Ceil(Log2(n)), the width of an index coded among n choices
    uint_at(data, p, n)  big-endian n-byte unsigned field at data[p:]
    Unparseable          what every reader here (and in heif_items, av1_header, hevc_header)
                         raises on truncated, out-of-bounds or unexpected input

Nothing here reads past the bytes it was given: a short or hostile header raises Unparseable,
which the entry points of heif_quality turn into None. Generic MSB-first bits only: VP8's
boolean (arithmetic) decoder in detect/webp_quality.py is a different thing and stays there.
Written from the two specifications.
"""

from __future__ import annotations

__all__ = ["Unparseable", "BitReader", "bits_for", "uint_at"]


class Unparseable(Exception):
    """Truncated, out of bounds or unexpected input (internal to the AVIF / HEIF quality reader:
    never escapes heif_quality's entry points)."""


class BitReader:
    """MSB-first bit reader over `data` (AV1 f(n) and HEVC u(n) are the same thing)."""

    __slots__ = ("_data", "_pos", "_end")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0
        self._end = len(data) * 8

    def u(self, n: int) -> int:
        if self._pos + n > self._end:
            raise Unparseable("bits past the end")
        value = 0
        for _ in range(n):
            byte = self._data[self._pos >> 3]
            value = (value << 1) | ((byte >> (7 - (self._pos & 7))) & 1)
            self._pos += 1
        return value

    def flag(self) -> bool:
        return bool(self.u(1))

    def _leading_zeros(self, limit: int) -> int:
        zeros = 0
        while not self.u(1):
            zeros += 1
            if zeros > limit:
                raise Unparseable("Exp-Golomb code too long")
        return zeros

    def ue(self, maximum: int = (1 << 32) - 2) -> int:
        """H.265 ue(v) (section 9.2), refused above `maximum`."""
        zeros = self._leading_zeros(31)
        value = (1 << zeros) - 1 + self.u(zeros)
        if value > maximum:
            raise Unparseable(f"ue(v) {value} above {maximum}")
        return value

    def se(self, low: int = -(1 << 31), high: int = (1 << 31) - 1) -> int:
        """H.265 se(v): k -> (-1)^(k+1) * Ceil(k / 2), refused outside low..high."""
        k = self.ue()
        value = (k + 1) >> 1 if k & 1 else -(k >> 1)
        if not low <= value <= high:
            raise Unparseable(f"se(v) {value} outside {low}..{high}")
        return value

    def uvlc(self) -> int:
        """AV1 uvlc() (section 4.10.3)."""
        zeros = self._leading_zeros(32)
        return (1 << 32) - 1 if zeros >= 32 else self.u(zeros) + (1 << zeros) - 1

    def ns(self, n: int) -> int:
        """AV1 ns(n) (section 4.10.7): 0..n-1 in a non-symmetric code."""
        w = n.bit_length()  # FloorLog2(n) + 1
        m = (1 << w) - n
        v = self.u(w - 1)
        return v if v < m else (v << 1) - m + self.u(1)


def bits_for(n: int) -> int:
    """Ceil(Log2(n)) for n >= 1."""
    return (n - 1).bit_length()


def uint_at(data: bytes, pos: int, n: int) -> int:
    """The big-endian unsigned n-byte field at data[pos:], refused past the end."""
    if pos < 0 or pos + n > len(data):
        raise Unparseable("field past the end of its box")
    return int.from_bytes(data[pos:pos + n], "big")
