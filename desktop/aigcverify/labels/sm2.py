"""SM2 signature verification (GB/T 32918.2, curve sm2p256v1, hash SM3) - verify only.

Why our own code: the `cryptography` package offers SM3 but no SM2 curve operations, and a
verifier needs nothing secret, so a short, readable affine-coordinate implementation is enough
(speed is irrelevant: a label carries one or two signatures). Nothing here handles private keys,
so constant-time arithmetic is not needed.

Conventions follow the TC260-PG-202511A practice described in label-formats.md §4:
* the signer's user ID defaults to "1234567812345678" (GB/T 32918 / GM/T 0009 default), which is
  also OpenSSL's default distinguishing ID for `pkeyutl -digest sm3`;
* SM3 comes from hashlib (OpenSSL) with aigcverify.sm3 as fallback;
* signatures are DER SEQUENCE{INTEGER r, INTEGER s} (a bare 64-byte r||s is tolerated);
* public keys arrive as X.509 SubjectPublicKeyInfo DER, as an uncompressed/compressed SEC1
  point, as a bare 64-byte x||y, or in MiniMax's "00"+x form (x only: the even-y point).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import LabelDecodeError
from ..hashing import sm3_hasher

__all__ = [
    "SM2FormatError",
    "PublicKey",
    "DEFAULT_ID",
    "SM2_SIGN_OID",
    "parse_public_key",
    "parse_signature",
    "za",
    "verify",
]

# --- curve sm2p256v1 (GB/T 32918.5 recommended parameters) -----------------------------------
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

DEFAULT_ID = b"1234567812345678"
SM2_SIGN_OID = "1.2.156.10197.1.501"  # SM2 signature with SM3
SM2_CURVE_OID = "1.2.156.10197.1.301"
EC_PUBLIC_KEY_OID = "1.2.840.10045.2.1"

# Bounds on untrusted encodings: an SPKI for a 256-bit key is 91 bytes, a signature <= 72.
MAX_KEY_BYTES = 512
MAX_SIGNATURE_BYTES = 256

_Point = tuple[int, int] | None  # None is the point at infinity


class SM2FormatError(LabelDecodeError):
    """A key or signature is not in any SM2 encoding we understand (distinct from 'wrong')."""


@dataclass(frozen=True, slots=True)
class PublicKey:
    x: int
    y: int
    form: str  # "spki", "sec1-uncompressed", "sec1-compressed", "x-only-even-y", "raw-xy"

    @property
    def x_hex(self) -> str:
        return f"{self.x:064X}"


# --- field and group arithmetic ---------------------------------------------------------------


def _on_curve(x: int, y: int) -> bool:
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A * x + B)) % P == 0


def _add(p1: _Point, p2: _Point) -> _Point:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    x1, y1 = p1
    x2, y2 = p2
    if x1 == x2:
        if (y1 + y2) % P == 0:
            return None
        lam = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P  # doubling
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return x3, (lam * (x1 - x3) - y1) % P


def _mul(k: int, point: _Point) -> _Point:
    result: _Point = None
    addend = point
    while k:
        if k & 1:
            result = _add(result, addend)
        addend = _add(addend, addend)
        k >>= 1
    return result


def _y_from_x(x: int, odd: bool) -> int:
    if not 0 <= x < P:
        raise SM2FormatError("x coordinate out of range")
    rhs = (x * x * x + A * x + B) % P
    y = pow(rhs, (P + 1) // 4, P)  # P = 3 (mod 4), so this is the square root if one exists
    if y * y % P != rhs:
        raise SM2FormatError("x coordinate is not on the SM2 curve")
    if (y & 1) != odd:
        y = P - y
    return y


# --- minimal DER reading (only what SPKI and ECDSA-style signatures need) ----------------------


def _tlv(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """One DER element at pos: (tag, content, position after it). Definite lengths only."""
    if pos + 2 > len(data):
        raise SM2FormatError("DER: truncated header")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 2 or pos + n > len(data):
            raise SM2FormatError("DER: unsupported length form")
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    end = pos + length
    if end > len(data):
        raise SM2FormatError("DER: element runs past the end")
    return tag, data[pos:end], end


def _oid(content: bytes) -> str:
    if not content:
        raise SM2FormatError("DER: empty OID")
    first = content[0]
    parts = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in content[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


def _point_from_sec1(data: bytes) -> PublicKey:
    if len(data) == 65 and data[0] == 0x04:
        x, y = int.from_bytes(data[1:33], "big"), int.from_bytes(data[33:], "big")
        return PublicKey(x, y, "sec1-uncompressed")
    if len(data) == 33 and data[0] in (0x02, 0x03):
        x = int.from_bytes(data[1:], "big")
        return PublicKey(x, _y_from_x(x, data[0] == 0x03), "sec1-compressed")
    raise SM2FormatError("public key point has an unknown encoding")


def _parse_spki(data: bytes) -> PublicKey:
    tag, body, end = _tlv(data, 0)
    if tag != 0x30 or end != len(data):
        raise SM2FormatError("SPKI: not one SEQUENCE")
    tag, alg, pos = _tlv(body, 0)
    if tag != 0x30:
        raise SM2FormatError("SPKI: no AlgorithmIdentifier")
    tag, oid1, apos = _tlv(alg, 0)
    if tag != 0x06:
        raise SM2FormatError("SPKI: algorithm is not an OID")
    alg_oid = _oid(oid1)
    params = ""
    if apos < len(alg):
        tag, oid2, _ = _tlv(alg, apos)
        if tag == 0x06:
            params = _oid(oid2)
    # id-ecPublicKey with the SM2 curve is the usual form; some writers put the SM2 OID first.
    if not (alg_oid == EC_PUBLIC_KEY_OID and params == SM2_CURVE_OID) and alg_oid != SM2_CURVE_OID:
        raise SM2FormatError(f"SPKI: not an SM2 key (algorithm {alg_oid}, curve {params or '-'})")
    tag, bits, pos = _tlv(body, pos)
    if tag != 0x03 or not bits or bits[0] != 0 or pos != len(body):
        raise SM2FormatError("SPKI: bad subjectPublicKey BIT STRING")
    key = _point_from_sec1(bits[1:])
    return PublicKey(key.x, key.y, "spki")


def parse_public_key(data: bytes) -> PublicKey:
    """Any of the key encodings met in labels -> a validated curve point."""
    if len(data) > MAX_KEY_BYTES:
        raise SM2FormatError("public key too long")
    if data[:1] == b"\x30":
        key = _parse_spki(data)
    elif len(data) == 33 and data[0] == 0x00:
        # MiniMax writes "00" + x; the y coordinate is the even one (label-formats.md §4.2).
        x = int.from_bytes(data[1:], "big")
        key = PublicKey(x, _y_from_x(x, False), "x-only-even-y")
    elif len(data) == 64:
        x, y = int.from_bytes(data[:32], "big"), int.from_bytes(data[32:], "big")
        key = PublicKey(x, y, "raw-xy")
    else:
        key = _point_from_sec1(data)
    if not _on_curve(key.x, key.y):
        raise SM2FormatError("public key is not a point on the SM2 curve")
    return key


def parse_signature(data: bytes) -> tuple[int, int]:
    """DER SEQUENCE{r, s} (strict: no trailing bytes, positive integers) or bare 64-byte r||s."""
    if len(data) > MAX_SIGNATURE_BYTES:
        raise SM2FormatError("signature too long")
    if len(data) == 64 and data[0] != 0x30:
        return int.from_bytes(data[:32], "big"), int.from_bytes(data[32:], "big")
    tag, body, end = _tlv(data, 0)
    if tag != 0x30 or end != len(data):
        raise SM2FormatError("signature: not one DER SEQUENCE")
    values = []
    pos = 0
    for _ in range(2):
        tag, content, pos = _tlv(body, pos)
        if tag != 0x02 or not content or content[0] & 0x80:
            raise SM2FormatError("signature: r/s is not a positive INTEGER")
        values.append(int.from_bytes(content, "big"))
    if pos != len(body):
        raise SM2FormatError("signature: trailing data in SEQUENCE")
    return values[0], values[1]


# --- the verification itself ------------------------------------------------------------------


def _sm3(data: bytes) -> bytes:
    # hashlib.new("sm3") when the OpenSSL build has it, else the pure-Python SM3
    hasher = sm3_hasher()
    hasher.update(data)
    return hasher.digest()


def za(key: PublicKey, user_id: bytes = DEFAULT_ID) -> bytes:
    """Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GB/T 32918.2 §5.5)."""
    if len(user_id) * 8 > 0xFFFF:
        raise SM2FormatError("user ID too long")
    parts = [
        (len(user_id) * 8).to_bytes(2, "big"),
        user_id,
        *(v.to_bytes(32, "big") for v in (A, B, GX, GY, key.x, key.y)),
    ]
    return _sm3(b"".join(parts))


def verify(key: PublicKey, message: bytes, signature: tuple[int, int],
           user_id: bytes = DEFAULT_ID) -> bool:
    """True when (r, s) is a valid SM2 signature of message under key (GB/T 32918.2 §7.1)."""
    r, s = signature
    if not (1 <= r < N and 1 <= s < N):
        return False
    e = int.from_bytes(_sm3(za(key, user_id) + message), "big")
    t = (r + s) % N
    if t == 0:
        return False
    point = _add(_mul(s, (GX, GY)), _mul(t, (key.x, key.y)))
    if point is None:
        return False
    return (e + point[0]) % N == r
