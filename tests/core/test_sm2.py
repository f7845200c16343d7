"""SM2 verification against signatures made by OpenSSL 3 at test time."""

from __future__ import annotations

import subprocess

import pytest

from aigcverify.labels import sm2
from tests.fixtures.doc_fixtures import openssl_available, openssl_sm2_sign

needs_openssl = pytest.mark.skipif(not openssl_available(), reason="openssl with SM2 not installed")

MESSAGE = (b'"Label":"1","ContentProducer":"001191310104MACE0YX63918020",'
           b'"ProduceID":"142569260085903360"')


def _sec1(key: sm2.PublicKey, compressed: bool = False) -> bytes:
    x = key.x.to_bytes(32, "big")
    if compressed:
        return bytes([2 + (key.y & 1)]) + x
    return b"\x04" + x + key.y.to_bytes(32, "big")


def test_curve_parameters_are_consistent():
    assert sm2._on_curve(sm2.GX, sm2.GY)
    assert sm2._mul(sm2.N, (sm2.GX, sm2.GY)) is None  # n is the order of G
    assert sm2._mul(sm2.N - 1, (sm2.GX, sm2.GY)) == (sm2.GX, (-sm2.GY) % sm2.P)


@needs_openssl
def test_openssl_signature_verifies_and_any_change_fails(tmp_path):
    spki, der = openssl_sm2_sign(MESSAGE, tmp_path)
    key = sm2.parse_public_key(spki)
    sig = sm2.parse_signature(der)
    assert key.form == "spki"
    assert sm2.verify(key, MESSAGE, sig)
    # one byte of the message changed
    changed = bytearray(MESSAGE)
    changed[-2] ^= 0x01
    assert not sm2.verify(key, bytes(changed), sig)
    # one bit of s changed (still valid DER)
    r, s = sig
    assert not sm2.verify(key, MESSAGE, (r, s ^ 1))
    # another user ID gives another Z_A
    assert not sm2.verify(key, MESSAGE, sig, user_id=b"")


@needs_openssl
def test_openssl_default_id_trap(tmp_path):
    """OpenSSL 3.0's pkeyutl signs with an empty ID unless distid is given; that signature must
    not verify under GB/T 32918's default ID, and does under the empty one."""
    key_path = tmp_path / "k.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "SM2", "-out", str(key_path)], check=True,
                   capture_output=True)
    (tmp_path / "m").write_bytes(MESSAGE)
    subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey",
                    str(key_path), "-in", str(tmp_path / "m"), "-out", str(tmp_path / "s")],
                   check=True, capture_output=True)
    spki = subprocess.run(["openssl", "pkey", "-in", str(key_path), "-pubout", "-outform", "DER"],
                          check=True, capture_output=True).stdout
    key = sm2.parse_public_key(spki)
    sig = sm2.parse_signature((tmp_path / "s").read_bytes())
    assert not sm2.verify(key, MESSAGE, sig)
    assert sm2.verify(key, MESSAGE, sig, user_id=b"")


@needs_openssl
def test_every_key_encoding_gives_the_same_point(tmp_path):
    spki, der = openssl_sm2_sign(MESSAGE, tmp_path)
    key = sm2.parse_public_key(spki)
    sig = sm2.parse_signature(der)
    raw_xy = key.x.to_bytes(32, "big") + key.y.to_bytes(32, "big")
    for encoded, form in ((_sec1(key), "sec1-uncompressed"), (_sec1(key, True), "sec1-compressed"),
                          (raw_xy, "raw-xy")):
        other = sm2.parse_public_key(encoded)
        assert (other.x, other.y, other.form) == (key.x, key.y, form)
        assert sm2.verify(other, MESSAGE, sig)
    # MiniMax's "00"+x form means the even-y point: it verifies exactly when y is even
    x_only = sm2.parse_public_key(b"\x00" + key.x.to_bytes(32, "big"))
    assert x_only.form == "x-only-even-y" and x_only.y % 2 == 0
    assert sm2.verify(x_only, MESSAGE, sig) == (key.y % 2 == 0)


@needs_openssl
def test_x_only_key_with_even_y_verifies(tmp_path):
    for attempt in range(40):  # each fresh key has even y with probability 1/2
        spki, der = openssl_sm2_sign(MESSAGE, tmp_path, key_name=f"k{attempt}")
        key = sm2.parse_public_key(spki)
        if key.y % 2 == 0:
            break
    else:
        pytest.fail("no even-y key in 40 tries")
    x_only = sm2.parse_public_key(b"\x00" + key.x.to_bytes(32, "big"))
    assert sm2.verify(x_only, MESSAGE, sm2.parse_signature(der))


def test_pinned_minimax_x_is_on_the_curve():
    x = bytes.fromhex("A0B3B0B6A0C9B0C89CAB328342AF4E8221EC5B40799CBE835AB4251F7B47E4FD")
    key = sm2.parse_public_key(b"\x00" + x)
    assert sm2._on_curve(key.x, key.y) and key.y % 2 == 0


@needs_openssl
def test_non_sm2_keys_are_refused(tmp_path):
    pem = tmp_path / "p256.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-out", str(pem)], check=True, capture_output=True)
    spki = subprocess.run(["openssl", "pkey", "-in", str(pem), "-pubout", "-outform", "DER"],
                          check=True, capture_output=True).stdout
    with pytest.raises(sm2.SM2FormatError, match="not an SM2 key"):
        sm2.parse_public_key(spki)


@pytest.mark.parametrize("encoded", [
    b"\x04" + (1).to_bytes(32, "big") + (1).to_bytes(32, "big"),  # not on the curve
    b"\x05" + bytes(32),  # unknown prefix
    b"\x30\x03\x02\x01\x01",  # DER but not an SPKI
    bytes(10),
    b"\x30" + b"\x82\xff\xff",  # length beyond the data
    bytes(600),  # too long
])
def test_malformed_keys_raise_format_error(encoded):
    with pytest.raises(sm2.SM2FormatError):
        sm2.parse_public_key(encoded)


def test_x_coordinate_without_curve_point_is_refused():
    # the first x for which x^3 + ax + b is a quadratic non-residue: no point has it
    x = next(x for x in range(1, 1000)
             if pow((x ** 3 + sm2.A * x + sm2.B) % sm2.P, (sm2.P - 1) // 2, sm2.P) != 1)
    with pytest.raises(sm2.SM2FormatError, match="not on the SM2 curve"):
        sm2.parse_public_key(b"\x00" + x.to_bytes(32, "big"))


@pytest.mark.parametrize("der", [
    b"\x30\x06\x02\x01\x01\x02\x01\x01\x00",  # trailing byte after the SEQUENCE
    b"\x30\x06\x02\x01\x81\x02\x01\x01",  # negative r
    b"\x30\x03\x02\x01\x01",  # only r
    b"\x31\x06\x02\x01\x01\x02\x01\x01",  # SET, not SEQUENCE
    b"\x30\x08\x02\x01\x01\x02\x01\x01\x02\x00",  # trailing element in the SEQUENCE
])
def test_malformed_signatures_raise_format_error(der):
    with pytest.raises(sm2.SM2FormatError):
        sm2.parse_signature(der)


def test_out_of_range_signature_values_never_verify():
    key = sm2.PublicKey(sm2.GX, sm2.GY, "raw-xy")
    for sig in ((0, 1), (1, 0), (sm2.N, 1), (1, sm2.N), (1, sm2.N - 1)):  # last: r + s = n
        assert not sm2.verify(key, MESSAGE, sig)


def test_raw_64_byte_signature_is_accepted():
    assert sm2.parse_signature((5).to_bytes(32, "big") + (7).to_bytes(32, "big")) == (5, 7)
