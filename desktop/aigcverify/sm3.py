"""Pure-Python SM3 (GB/T 32905-2016), used only when OpenSSL lacks it. Tested against the
standard's vectors and hashlib."""

import struct

__all__ = ["SM3"]

_IV = (0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600, 0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E)
_MASK = 0xFFFFFFFF


def _rotl(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _MASK


def _p0(x: int) -> int:
    return x ^ _rotl(x, 9) ^ _rotl(x, 17)


def _p1(x: int) -> int:
    return x ^ _rotl(x, 15) ^ _rotl(x, 23)


_T = [_rotl(0x79CC4519 if j < 16 else 0x7A879D8A, j) for j in range(64)]


def _compress(v: list[int], block: bytes) -> list[int]:
    w = list(struct.unpack(">16I", block))
    for j in range(16, 68):
        w.append(_p1(w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)) ^ _rotl(w[j - 13], 7) ^ w[j - 6])
    w1 = [w[j] ^ w[j + 4] for j in range(64)]
    a, b, c, d, e, f, g, h = v
    for j in range(64):
        ss1 = _rotl((_rotl(a, 12) + e + _T[j]) & _MASK, 7)
        ss2 = ss1 ^ _rotl(a, 12)
        if j < 16:
            ff, gg = a ^ b ^ c, e ^ f ^ g
        else:
            ff, gg = (a & b) | (a & c) | (b & c), (e & f) | (~e & g)
        tt1 = (ff + d + ss2 + w1[j]) & _MASK
        tt2 = (gg + h + ss1 + w[j]) & _MASK
        d, c, b, a = c, _rotl(b, 9), a, tt1
        h, g, f, e = g, _rotl(f, 19), e, _p0(tt2)
    return [x ^ y for x, y in zip(v, (a, b, c, d, e, f, g, h))]


class SM3:
    name = "sm3"
    digest_size = 32

    def __init__(self, data: bytes = b"") -> None:
        self._v = list(_IV)
        self._buf = b""
        self._len = 0
        self.update(data)

    def update(self, data: bytes) -> None:
        self._len += len(data)
        buf = self._buf + data
        full = len(buf) - len(buf) % 64
        for i in range(0, full, 64):
            self._v = _compress(self._v, buf[i:i + 64])
        self._buf = buf[full:]

    def digest(self) -> bytes:
        bitlen = self._len * 8
        pad = self._buf + b"\x80" + b"\x00" * ((55 - len(self._buf)) % 64) + struct.pack(">Q", bitlen)
        v = self._v
        for i in range(0, len(pad), 64):
            v = _compress(v, pad[i:i + 64])
        return struct.pack(">8I", *v)

    def hexdigest(self) -> str:
        return self.digest().hex()
