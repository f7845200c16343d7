"""GB 45438 label decoding, Annex E validation, provider codes and SecurityData."""

from __future__ import annotations

import json

import pytest

from aigcverify.carriers.base import Site, SiteKind
from aigcverify.i18n import catalog
from aigcverify.labels import read_labels
from aigcverify.labels.decode import decode_front_matter, decode_json_label
from aigcverify.labels.provider import parse_provider, uscc_check_char, uscc_valid
from aigcverify.labels.security import PINNED_KEYS, check_security
from aigcverify.labels.validate import PROBLEMS, Severity, severity
from tests.fixtures.doc_fixtures import (
    SAMPLE_JSON, SAMPLE_LABEL, STEPFUN_FRONT_MATTER, a1_message, label_json, openssl_available,
    openssl_sm2_sign, security_data, yaml_alias_bomb,
)

needs_openssl = pytest.mark.skipif(not openssl_available(), reason="openssl with SM2 not installed")

# every USCC of label-formats.md §1.3 (real producers): all must pass GB 32100
REAL_USCCS = [
    "91110102MACQD9K640", "9144030008867405X2", "91440300708461136T", "91110108335469089C",
    "91330106MA2CFLDG4R", "91440101MA9Y9T4H7A", "91340000711771143J", "91310104MACE0YX639",
    "91440300MA5G49LC9K", "91110000802100433B", "91110108MACC4D63XF", "91110105MACJ6K1C8A",
    "91340100MAEB4N8H76",
]


def field(value: str, key: str = "AIGC", carrier: str = "png-text", location: str = "tEXt #1",
          offset: int | None = 33) -> Site:
    return Site(SiteKind.FIELD, carrier, location, offset, key=key, value=value)


def front(yaml_text: str) -> Site:
    return Site(SiteKind.FRONT_MATTER, "front-matter", "front matter", 4, value=yaml_text)


def one(sites: list[Site], lang: str = "en") -> tuple[dict, list[dict]]:
    entries, problems = read_labels(sites, lang)
    assert len(entries) == 1, entries
    return entries[0], problems


def codes(problems: list[dict]) -> list[str]:
    return [p["code"] for p in problems]


# --- provider codes -------------------------------------------------------------------------


@pytest.mark.parametrize("uscc", REAL_USCCS)
def test_real_usccs_pass_the_gb32100_check_digit(uscc):
    assert uscc_valid(uscc)


def test_check_digit_catches_a_changed_character():
    assert uscc_check_char("91310104MACE0YX63") == "9"
    assert not uscc_valid("91310104MACE0YX638")
    assert not uscc_valid("91310104MACE0YX739")  # one body character changed
    assert not uscc_valid("91310104MACE0YX6I9")  # I is not in the GB 32100 alphabet
    assert uscc_check_char("short") is None


def test_provider_code_layout():
    info, problems = parse_provider("001191310104MACE0YX63918020")
    assert problems == []
    assert info == {
        "code": "001191310104MACE0YX63918020", "format": "provider-code",
        "uscc": "91310104MACE0YX639", "uscc_valid": True, "subject_type": "organisation",
        "service_type": "generation", "app_code": "8020",
        "organisation": info["organisation"],
    }
    assert info["organisation"]["en"].startswith("StepFun")
    assert info["organisation"]["confidence"] == "I"
    unassigned, _ = parse_provider("001191440101MA9Y9T4H7A00000")
    assert unassigned["service_type"] == "unassigned" and unassigned["app_code"] is None
    tencent, _ = parse_provider("001191440300708461136T1XGW3")
    assert tencent["app_code"] == "XGW3" and tencent["organisation"]["en"].startswith("Tencent")


@pytest.mark.parametrize("code,expected", [
    ("001191310104MACE0YX63818020", ["uscc-check-digit"]),
    ("001191310104MACE0YX6391802", ["provider-code-length"]),
    ("001191310104mace0yx63918020", ["provider-code-charset"]),
    ("001191310104MACE0YX63978020", ["service-type-unknown"]),
])
def test_provider_code_problems(code, expected):
    assert parse_provider(code)[1] == expected


def test_provider_names_are_looked_up_case_insensitively():
    info, problems = parse_provider("minimax")
    assert problems == [] and info["format"] == "name" and info["uscc"] is None
    assert info["organisation"]["en"].startswith("MiniMax")
    assert parse_provider("Some Studio")[0]["organisation"] is None
    assert parse_provider("")[0] is None and parse_provider(None)[0] is None
    bare = parse_provider("91110000802100433B")[0]  # a bare USCC written instead of a code
    assert bare["uscc_valid"] and bare["organisation"]["en"].startswith("Baidu")


# --- decoding variants ----------------------------------------------------------------------


def test_flat_sample_label_is_conformant():
    entry, problems = one([field(SAMPLE_JSON)])
    assert entry["label"] == "1" and entry["conformant"] and entry["problems"] == []
    assert entry["fields"] == SAMPLE_LABEL
    assert (entry["carrier"], entry["offset"], entry["location"]) == ("png-text", 33, "tEXt #1")
    assert entry["wrapped"] is False
    assert entry["producer"]["uscc"] == "91310104MACE0YX639"
    assert [s["status"] for s in entry["security"]] == ["absent", "absent"]
    assert entry["label_meaning"] == "AI-generated or synthesised content"
    assert problems == []


def test_wrapped_label_in_exif_user_comment_with_charset_prefix():
    value = "ASCII\0\0\0" + label_json(wrapped=True)
    entry, _ = one([field(value, key="UserComment", carrier="exif-usercomment")])
    assert entry["wrapped"] and entry["conformant"] and entry["fields"] == SAMPLE_LABEL


@pytest.mark.parametrize("text,problem", [
    (label_json().replace('"', "&quot;"), "html-escaped"),
    ("AIGC" + label_json(), "bare-aigc-prefix"),
])
def test_tolerated_serialisations_are_advisory(text, problem):
    entry, _ = one([field(text)])
    assert problem in entry["problems"] and entry["conformant"] and entry["label"] == "1"


def test_bare_aigc_form_is_found_even_in_a_field_not_named_aigc():
    entry, _ = one([field("AIGC" + label_json(), key="APP11", carrier="jpeg-app")])
    assert entry["label"] == "1"


def test_double_encoded_label_is_decoded_and_flagged():
    entry, problems = one([field(json.dumps(SAMPLE_JSON))])
    assert entry["label"] == "1" and not entry["conformant"]
    assert "double-encoded" in entry["problems"]
    assert "implicit-label-nonconformant" in codes(problems)
    wrapped_string = json.dumps({"AIGC": SAMPLE_JSON})
    entry, _ = one([field(wrapped_string)])
    assert entry["wrapped"] and "double-encoded" in entry["problems"]


def test_duplicate_keys_are_detected():
    text = SAMPLE_JSON[:-1] + ',"Label":"3"}'
    entry, problems = one([field(text)])
    assert "duplicate-key:Label" in entry["problems"] and not entry["conformant"]
    assert {"implicit-label-duplicate-key", "implicit-label-nonconformant"} <= set(codes(problems))


def test_null_reserved_fields_are_only_advisory():
    entry, _ = one([field(label_json(ReservedCode1=None, ReservedCode2=None))])
    assert entry["conformant"]
    assert {"null-reserved:ReservedCode1", "null-reserved:ReservedCode2"} <= set(entry["problems"])
    assert [s["status"] for s in entry["security"]] == ["absent", "absent"]


def test_numeric_label_decodes_but_is_structural():
    entry, _ = one([field(label_json(Label=1))])
    assert entry["label"] == "1" and not entry["conformant"]
    assert "value-not-string:Label" in entry["problems"]


def test_lowercase_keys_decode_with_a_problem():
    text = json.dumps({k.lower(): v for k, v in SAMPLE_LABEL.items()})
    entry, _ = one([field(text)])
    assert entry["label"] == "1" and not entry["conformant"]
    assert "lowercase-keys" in entry["problems"]
    assert "contentproducer" in entry["fields"]  # keys as written


@pytest.mark.parametrize("overrides,expected", [
    ({"Label": "4"}, "label-not-enum"),
    ({"Label": ""}, "empty-field:Label"),
    ({"ProduceID": ""}, "empty-field:ProduceID"),
    ({"ContentProducer": None}, "empty-field:ContentProducer"),
    ({"PropagateID": 5}, "value-not-string:PropagateID"),
    ({"ReservedCode1": {"Type": "TC260PG"}}, "value-not-string:ReservedCode1"),
    ({"Label": True}, "label-not-enum"),
])
def test_structural_problems_make_the_label_nonconformant(overrides, expected):
    entry, _ = one([field(label_json(**overrides))])
    assert expected in entry["problems"] and not entry["conformant"]


def test_missing_fields_and_unknown_fields():
    fields = {k: v for k, v in SAMPLE_LABEL.items() if k != "ProduceID"} | {"Extra": "x"}
    entry, _ = one([field(json.dumps(fields))])
    assert "missing-field:ProduceID" in entry["problems"]
    assert "unknown-field:Extra" in entry["problems"]
    assert severity("unknown-field:Extra") is Severity.ADVISORY
    assert not entry["conformant"]


def test_advisories_do_not_change_conformance():
    entry, _ = one([field(label_json(ContentProducer="豆包 AI", ContentPropagator="",
                                     PropagateID="x-1"))])
    assert entry["conformant"]
    assert "charset-advisory:ContentProducer" in entry["problems"]
    assert "propagator-partial" in entry["problems"]
    entry, _ = one([field(label_json(ContentProducer="001191310104MACE0YX63818020"))])
    assert entry["conformant"] and "uscc-check-digit:ContentProducer" in entry["problems"]
    assert entry["producer"]["uscc_valid"] is False
    entry, _ = one([field(label_json(PropagateID="other"))])
    assert entry["conformant"] and "propagator-inconsistent" in entry["problems"]
    entry, _ = one([field(label_json(ContentProducer="001191310104MACE0YX63928020"))])
    assert "service-type-mismatch:ContentProducer" in entry["problems"]


def test_tencent_lookalike_is_a_trace_not_a_label():
    text = json.dumps({"AIGC": {"ServiceProvider": "腾讯云", "ServiceUser": "1", "Time": "1",
                                "ContentId": "abc"}}, ensure_ascii=False)
    entry, problems = one([field(text, key="ImageDescription", carrier="exif")])
    assert entry["label"] is None and entry["conformant"] is False
    assert entry["problems"] == ["not-annex-e"]
    assert entry["fields"]["ServiceProvider"] == "腾讯云"
    assert codes(problems) == ["implicit-label-trace"]


def test_minimax_old_markdown_is_a_trace():
    yaml_text = ("AIGC:\n  Label: AIGC\n  ContentProducer: Minimax Agent AI\n"
                 f"  ProduceID: '{'0' * 32}'\n")
    entry, problems = one([front(yaml_text)])
    assert entry["label"] is None and not entry["conformant"] and "not-annex-e" in entry["problems"]
    assert "implicit-label-trace" in codes(problems)


def test_unrelated_fields_and_vendor_private_keys_are_ignored():
    sites = [field("Photoshop 25.0", key="Software"), field('{"aigc_type":1}', key="aigc_info"),
             field("mentions AIGC but is prose", key="Comment"),
             Site(SiteKind.TEXT, "text-body", "start", value=SAMPLE_JSON)]
    assert read_labels(sites, "en") == ([], [])


def test_garbage_in_a_field_named_aigc_is_reported():
    entry, problems = one([field("not json {")])
    assert entry["problems"] == ["not-json"] and entry["label"] is None
    assert "implicit-label-nonconformant" in codes(problems)


def test_hostile_json_never_raises():
    for text in ["[" * 100_000, '{"a":' * 50_000, "x" * 2_000_000, '{"Label": NaN}', "\ud800"]:
        entries, _ = read_labels([field(text)], "en")
        assert len(entries) == 1 and entries[0]["conformant"] is False


# --- YAML front matter ----------------------------------------------------------------------


def test_front_matter_block_and_flow_forms():
    block = "title: x\nAIGC:\n" + "".join(f"  {k}: '{v}'\n" for k, v in SAMPLE_LABEL.items())
    flow = "AIGC: " + SAMPLE_JSON + "\n"
    quoted = "AIGC: '" + SAMPLE_JSON + "'\n"
    for text in (block, flow, quoted):
        entry, problems = one([front(text)])
        assert entry["conformant"] and entry["label"] == "1", text
        assert entry["fields"] == SAMPLE_LABEL and entry["carrier"] == "front-matter"
        assert problems == []


def test_front_matter_unquoted_number_label():
    text = "AIGC:\n  Label: 1\n" + "".join(
        f"  {k}: '{v}'\n" for k, v in SAMPLE_LABEL.items() if k != "Label")
    entry, _ = one([front(text)])
    assert entry["label"] == "1" and "value-not-string:Label" in entry["problems"]


def test_front_matter_duplicate_keys_and_bad_yaml():
    text = "AIGC:\n  Label: '1'\n  Label: '2'\n"
    assert "duplicate-key:Label" in decode_front_matter(text).problems
    bad = "AIGC: [unclosed\n  Label: '1'"
    assert decode_front_matter(bad).problems == ["front-matter-invalid"]
    assert decode_front_matter("title: [unclosed") is None  # no AIGC: not our business
    assert decode_front_matter("title: hello\n") is None
    assert decode_front_matter("- a\n- b\n") is None


def test_yaml_alias_bomb_is_refused_quickly():
    decoded = decode_front_matter(yaml_alias_bomb())
    assert decoded.problems == ["front-matter-too-complex"]


def test_yaml_odd_scalars_do_not_escape():
    text = "AIGC:\n  Label: '1'\n  ProduceID: 2025-13-45\n"  # looks like a timestamp
    assert decode_front_matter(text) is not None


def test_decode_json_label_returns_none_for_non_json():
    assert decode_json_label("hello") is None
    assert decode_json_label("[1, 2]") is None


# --- several sites --------------------------------------------------------------------------


def test_consistent_copies_are_a_duplicate():
    entries, problems = read_labels([field(SAMPLE_JSON), field(label_json(wrapped=True),
                                                                key="TC260:AIGC", carrier="xmp")],
                                    "en")
    assert len(entries) == 2 and all(e["conformant"] for e in entries)
    assert codes(problems) == ["implicit-label-duplicate"]
    assert problems[0]["severity"] == "warning" and "2" in problems[0]["detail"]


def test_disagreeing_copies_are_a_conflict():
    entries, problems = read_labels([field(SAMPLE_JSON), field(label_json(Label="3"))], "zh_CN")
    assert codes(problems) == ["implicit-label-conflict"]
    assert problems[0]["message"] and "矛盾" in problems[0]["detail"]


# --- SecurityData ---------------------------------------------------------------------------


def _signed_label(tmp_path, **overrides) -> dict:
    label = {**SAMPLE_LABEL, **overrides}
    spki, sig = openssl_sm2_sign(a1_message(label), tmp_path)
    return {**label, "ReservedCode1": security_data(sig, spki)}


@needs_openssl
def test_signed_label_verifies(tmp_path):
    label = _signed_label(tmp_path)
    entry, problems = one([field(json.dumps(label))])
    first = entry["security"][0]
    assert first["field"] == "ReservedCode1" and first["status"] == "verified"
    assert first["algorithm"].startswith("SM2-with-SM3")
    assert entry["conformant"] and problems == []


@needs_openssl
def test_signed_label_in_front_matter_verifies(tmp_path):
    label = _signed_label(tmp_path)
    yaml_text = "AIGC:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in label.items())
    entry, _ = one([front(yaml_text)])
    assert entry["security"][0]["status"] == "verified"


@needs_openssl
def test_changed_produce_id_fails_the_signature(tmp_path):
    label = _signed_label(tmp_path)
    label["ProduceID"] = "142569260085903361"
    entry, problems = one([field(json.dumps(label))], lang="zh_CN")
    assert entry["security"][0]["status"] == "failed"
    assert "security-failed:ReservedCode1" in entry["problems"]
    assert entry["conformant"]  # the structure is still Annex E
    assert "security-data-failed" in codes(problems)


@needs_openssl
def test_reserved_code2_accepts_the_propagator_message(tmp_path):
    label = dict(SAMPLE_LABEL, PropagateID="P-1")
    message = (f'"Label":"1","ContentPropagator":"{label["ContentPropagator"]}",'
               f'"PropagateID":"P-1"').encode()
    spki, sig = openssl_sm2_sign(message, tmp_path)
    label["ReservedCode2"] = security_data(sig, spki)
    result = check_security("ReservedCode2", label, "en")
    assert result["status"] == "verified"


@needs_openssl
def test_x_only_key_form_in_security_data(tmp_path):
    for attempt in range(40):
        label = {**SAMPLE_LABEL}
        spki, sig = openssl_sm2_sign(a1_message(label), tmp_path, key_name=f"k{attempt}")
        point = spki[-64:]
        if point[-1] % 2 == 0:  # even y: "00"+x names this key
            break
    label["ReservedCode1"] = security_data(sig, b"\x00" + point[:32])
    assert check_security("ReservedCode1", label, "en")["status"] == "verified"


def test_real_stepfun_signature_is_unsupported_not_failed():
    entry, problems = one([front(STEPFUN_FRONT_MATTER)])
    first = entry["security"][0]
    assert first["status"] == "unsupported" and first["detail_code"] == "signing-rule-unknown"
    assert first["signer"] == "StepFun"
    assert "security-data-failed" not in codes(problems)
    assert entry["conformant"] and entry["label"] == "1"


@pytest.mark.parametrize("value,status,detail", [
    ("", "absent", "absent"),
    (None, "absent", "absent"),
    ("e862483430d978cbf828b8b24296ef9328d843a0", "unsupported", "opaque-hex"),  # GB 45438 F.4
    ("dGhpcyBpcyBvcGFxdWU=", "unsupported", "opaque"),
    ('{"Type":" TC260PG","AlgID":"sm3","Value":"ab"}', "unsupported", "no-public-data"),
    ('{"SecurityData":{"Type":"TC260PG","Version":1,"PubSD":[{"Type":"DS",'
     '"AlgID":"1.2.840.113549.1.1.11","TBSData":{"Type":"Content"},"Signature":"00"}]}}',
     "unsupported", "algorithm-unsupported"),
    ('{"SecurityData":{"Type":"TC260PG","Version":1,"PubSD":[{"Type":"DS",'
     '"AlgID":"1.2.156.10197.1.501","TBSData":{"Type":"Bnd"},"Signature":"00"}]}}',
     "unsupported", "algorithm-unsupported"),
    ('{"SecurityData":{"Type":"TC260PG","Version":1,"PubSD":[{"Type":"DS",'
     '"AlgID":"1.2.156.10197.1.501","TBSData":{"Type":"Md"},"Signature":"3006020101020101"}]}}',
     "unsupported", "no-public-key"),  # no key carried, and no pinned key for this producer
    ('{"SecurityData":{"Type":"TC260PG","Version":1}}', "unsupported", "no-public-data"),
    ("{not json", "unsupported", "opaque"),
])
def test_security_statuses(value, status, detail):
    result = check_security("ReservedCode1", dict(SAMPLE_LABEL, ReservedCode1=value), "en")
    assert (result["status"], result["detail_code"]) == (status, detail)
    assert result["detail"] and not result["detail"].startswith("label.")


def test_pinned_table_holds_the_minimax_key():
    assert list(PINNED_KEYS) == ["A0B3B0B6A0C9B0C89CAB328342AF4E8221EC5B40799CBE835AB4251F7B47E4FD"]


def test_keyless_signature_claiming_minimax_is_checked_against_the_pinned_key():
    value = ('{"SecurityData":{"Type":"TC260PG","Version":1,"PubSD":[{"Type":"DS",'
             '"AlgID":"1.2.156.10197.1.501","TBSData":{"Type":"LabelMataData"},'
             '"Signature":"3006020101020101"}]}}')
    label = dict(SAMPLE_LABEL, ContentProducer="MiniMax", ReservedCode1=value)
    assert check_security("ReservedCode1", label, "en")["status"] == "failed"


@needs_openssl
def test_label_claiming_minimax_signed_with_another_key(tmp_path):
    label = _signed_label(tmp_path, ContentProducer="MiniMax")
    result = check_security("ReservedCode1", label, "zh_CN")
    assert (result["status"], result["detail_code"]) == ("verified", "verified-unpinned-key")
    assert "MiniMax" in result["detail"]


# --- catalogs and the result contract -------------------------------------------------------


def test_every_problem_code_has_messages_in_both_languages():
    import aigcverify.labels.security as security_module
    from aigcverify.labels import FILE_PROBLEMS

    detail_codes = {"absent", "too-large", "opaque-hex", "opaque", "no-security-data",
                    "no-public-data", "algorithm-unsupported", "no-signature", "no-public-key",
                    "too-many-signatures", "verified", "verified-pinned", "verified-unpinned-key",
                    "signing-rule-unknown", "signature-mismatch"}
    for lang in ("zh_CN", "en"):
        cat = catalog(lang)
        for base in PROBLEMS:
            assert f"label.problem.{base}" in cat, (lang, base)
        for key in FILE_PROBLEMS.values():
            assert key in cat, (lang, key)
        for code in detail_codes:
            assert f"label.security.detail.{code}" in cat, (lang, code)
        for status in security_module.STATUSES:
            assert f"label.security.status.{status}" in cat, (lang, status)
        for value in ("1", "2", "3", "none"):
            assert f"label.meaning.{value}" in cat


def test_entries_fit_the_result_schema(validate_result):
    sites = [field(SAMPLE_JSON), field(label_json(Label="7")), front(STEPFUN_FRONT_MATTER),
             field(json.dumps({"AIGC": {"ServiceProvider": "x"}}))]
    entries, problems = read_labels(sites, "zh_CN")
    result = {
        "schema": "check-result/1",
        "file": {"path": "x", "size": 1, "sha256": "0" * 64, "media_type": "text", "format": "md"},
        "verdict": "confirmed", "implicit_labels": entries, "c2pa": None, "explicit_labels": [],
        "detector": None, "problems": problems,
    }
    validate_result(json.loads(json.dumps(result, ensure_ascii=False)))


@needs_openssl
def test_pinned_key_path_with_a_test_key(tmp_path, monkeypatch):
    """The verified-pinned path, with a key of our own standing in for a producer's. The pinned
    table stores x only (the even-y point, as MiniMax writes it), so an even-y key is used."""
    from aigcverify.labels import sm2

    for attempt in range(40):
        label = {**SAMPLE_LABEL, "ContentProducer": "TestProducer"}
        spki, sig = openssl_sm2_sign(a1_message(label), tmp_path, key_name=f"k{attempt}")
        key = sm2.parse_public_key(spki)
        if key.y % 2 == 0:
            break
    label["ReservedCode1"] = security_data(sig, spki)
    monkeypatch.setitem(PINNED_KEYS, key.x_hex, {"signer": "Test", "producers": "TestProducer",
                                                 "source": "test", "confidence": "C"})
    result = check_security("ReservedCode1", label, "en")
    assert (result["status"], result["signer"]) == ("verified-pinned", "Test")
    # without the carried key, the pinned key of the named producer is used on its own
    pubsd = json.loads(label["ReservedCode1"])["SecurityData"]["PubSD"]
    keyless = json.dumps({"SecurityData": {"Type": "TC260PG", "Version": 1, "PubSD": pubsd[:1]}})
    result = check_security("ReservedCode1", dict(label, ReservedCode1=keyless), "en")
    assert result["status"] == "verified-pinned"
    # the same x with the odd y is another key: never taken for the pinned one
    odd = b"\x03" + key.x.to_bytes(32, "big")
    label["ReservedCode1"] = security_data(sig, odd)
    assert check_security("ReservedCode1", label, "en")["status"] == "failed"
