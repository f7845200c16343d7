"""SHA-256 and SM3 of the raw bytes; the pure-Python SM3 fallback against the standard."""

import hashlib

from aigcverify.hashing import file_hashes
from aigcverify.sm3 import SM3

# GB/T 32905-2016 Appendix A examples
VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]


def test_sm3_fallback_matches_standard_vectors():
    for message, digest in VECTORS:
        assert SM3(message).hexdigest() == digest


def test_sm3_fallback_streams_like_hashlib():
    data = bytes(range(256)) * 40
    h = SM3()
    for i in range(0, len(data), 97):
        h.update(data[i:i + 97])
    assert h.hexdigest() == hashlib.new("sm3", data).hexdigest()


def test_file_hashes(tmp_path):
    p = tmp_path / "x.bin"
    data = b"\x00\xff" * 700_000
    p.write_bytes(data)
    size, sha, sm3 = file_hashes(p)
    assert size == len(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert sm3 == SM3(data).hexdigest()
