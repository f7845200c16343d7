"""The stdlib-only verify.py: its RFC 8785 canonicalizer matches the rfc8785 package, its SM3
matches GB/T 32905 and OpenSSL, it imports nothing outside the standard library and runs on
the oldest Python it claims."""

import ast
import hashlib
import math
import sys

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from aigcverify.export import standalone_verify as sv
from aigcverify.sm3 import SM3 as CoreSM3
from aigcverify.store.canonical import canonical, entry_hash, json_safe

JSON = st.recursive(
    st.none() | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_embedded_jcs_matches_rfc8785(value):
    value = json_safe(value)  # what the app stores (lone surrogates escaped)
    assert sv.jcs(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("number", [0.0, -0.0, 1.0, -1.5, 1e21, 1e-7, 123456789012345680000.0,
                                    5e-324, 1.7976931348623157e308, 0.000001, 1e-6, 333333.3333,
                                    2**53 - 1, -(2**53 - 1), 100, 1e20, 4.35, 0.1 + 0.2])
def test_jcs_numbers_follow_ecmascript(number):
    assert sv.jcs(number) == rfc8785.dumps(number)


def test_jcs_orders_keys_by_utf16_code_units():
    value = {"\U0001f600": 1, "\ufb01": 2, "a": 3, "é": 4}  # astral sorts before U+FB01
    assert sv.jcs(value) == rfc8785.dumps(value)
    assert sv.jcs(value).decode().index("\U0001f600") < sv.jcs(value).decode().index("\ufb01")


def test_jcs_refuses_what_rfc8785_refuses():
    for bad in (math.nan, math.inf, 2**53):
        with pytest.raises(ValueError):
            sv.jcs(bad)


def test_entry_hash_is_the_same_in_app_and_verifier():
    record = {"seq": 1, "entry_id": "R-1/1", "body": {"x": [1.5, "中文", None]}}
    assert sv.entry_hash("0" * 64, record) == entry_hash("0" * 64, record)
    assert canonical(record) == sv.jcs(record)


@pytest.mark.parametrize("data,expected", [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
])
def test_embedded_sm3_standard_vectors(data, expected):
    assert sv.SM3(data).hexdigest() == expected


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 130))
def test_embedded_sm3_matches_core_and_openssl_in_pieces(data, step):
    digest = sv.SM3()
    for i in range(0, len(data), step):
        digest.update(data[i:i + step])
    assert digest.hexdigest() == CoreSM3(data).hexdigest()
    try:
        assert digest.hexdigest() == hashlib.new("sm3", data).hexdigest()
    except ValueError:
        pass  # this OpenSSL has no SM3: the core fallback above is the reference


def test_verify_py_imports_only_the_standard_library():
    source = sv.__file__
    tree = ast.parse(open(source, encoding="utf-8").read())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports in verify.py"
            modules.add(node.module.split(".")[0])
    assert modules <= set(sys.stdlib_module_names), modules - set(sys.stdlib_module_names)
    # 3.8-compatible syntax: no match statements, no walrus, no PEP 604 annotations
    assert not any(isinstance(n, (ast.Match, ast.NamedExpr)) for n in ast.walk(tree))
    assert not any(isinstance(n, ast.AnnAssign) or getattr(n, "returns", None) is not None
                   for n in ast.walk(tree))


def test_verify_py_refuses_non_packages(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    ok, problems, _ = sv.verify(str(junk))
    assert not ok and problems[0][0] == "zip-structure"
    assert sv.main([str(junk)]) == 1
    assert sv.main([str(tmp_path / "missing.zip")]) == 2
