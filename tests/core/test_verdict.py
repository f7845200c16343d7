"""Measures Art. 6, exactly as the schema's `verdict` description says."""

import pytest

from aigcverify.pipeline import CheckOptions, new_result
from aigcverify.verdict import derive


def _result(**evidence) -> dict:
    result = new_result("x.png", CheckOptions())
    result.update(evidence)
    return result


def _label(value):
    return {"carrier": "png-text", "offset": 0, "fields": {"Label": value}, "label": value,
            "conformant": value is not None, "problems": []}


C2PA_AI_VALID = {"state": "valid", "ai_generated": True, "digital_source_types": ["trainedAlgorithmicMedia"],
                 "claim_generator": "x", "remote_manifest": False, "codes": []}


@pytest.mark.parametrize(("evidence", "verdict", "code"), [
    ({"implicit_labels": [_label("1")]}, "confirmed", "label-1"),
    ({"c2pa": C2PA_AI_VALID}, "confirmed", "c2pa-ai"),
    ({"c2pa": {**C2PA_AI_VALID, "state": "trusted"}}, "confirmed", "c2pa-ai"),
    ({"c2pa": {**C2PA_AI_VALID, "state": "invalid"}}, "suspected", "c2pa-ai-unverified"),
    ({"c2pa": {**C2PA_AI_VALID, "ai_generated": False, "synthetic_hint": True}}, "suspected", "c2pa-hint"),
    ({"c2pa": {**C2PA_AI_VALID, "ai_generated": False}}, "none", "none"),
    ({"implicit_labels": [_label("2")]}, "declared", "label-2"),
    ({"declared_by_user": True}, "declared", "user-declared"),
    ({"implicit_labels": [_label("3")]}, "suspected", "label-3"),
    ({"implicit_labels": [_label(None)]}, "suspected", "label-trace"),
    ({"explicit_labels": [{"modality": "image-text", "text": "AI生成", "compliant": True}]}, "suspected", "explicit"),
    ({"watermarks": [{"kind": "sd-dwtdct"}]}, "suspected", "watermark"),
    ({"metadata_hints": [{"generator": "ComfyUI"}]}, "suspected", "metadata-hint"),
    ({"detector": {"model": "m", "score": 0.9, "threshold": 0.5, "provider": "CPUExecutionProvider"}}, "suspected", "detector"),
    ({"detector": {"model": "m", "score": 0.5, "threshold": 0.5, "provider": "CPUExecutionProvider"}}, "suspected", "detector"),
    ({"detector": {"model": "m", "score": 0.49, "threshold": 0.5, "provider": "CPUExecutionProvider"}}, "none", "none"),
    ({"detector": {"model": "m", "score": 0.9, "threshold": 0.5, "provider": "CPU", "laundering": "jpeg"}}, "none", "none"),
    ({}, "none", "none"),
])
def test_single_piece_of_evidence(evidence, verdict, code):
    result = derive(_result(**evidence), "en")
    assert result["verdict"] == verdict
    assert result["reason"]["code"] == code
    assert result["reason"]["message"]


def test_strongest_evidence_wins_and_the_rest_is_kept():
    result = derive(_result(implicit_labels=[_label("3"), _label("1")], declared_by_user=True,
                            metadata_hints=[{"generator": "x"}]), "zh_CN")
    assert result["verdict"] == "confirmed"
    assert result["reason"]["also"] == ["user-declared", "label-3", "metadata-hint"]
    assert "第六条第一项" in result["reason"]["message"]


def test_label_1_confirms_even_when_nonconformant():
    label = {**_label("1"), "conformant": False, "problems": ["missing-field:ProduceID"]}
    assert derive(_result(implicit_labels=[label]), "en")["verdict"] == "confirmed"


def test_declared_label_beats_user_declaration_order_but_both_declared():
    assert derive(_result(implicit_labels=[_label("3")], declared_by_user=True), "en")["verdict"] == "declared"


def test_unreadable_only_without_evidence():
    broken = {"code": "parse-error", "message": "x"}
    assert derive(_result(problems=[broken]), "en")["verdict"] == "unreadable"
    assert derive(_result(problems=[broken], implicit_labels=[_label("1")]), "en")["verdict"] == "confirmed"


def test_explicit_without_implicit_is_added_once_and_rederived():
    result = _result(explicit_labels=[{"modality": "image-text", "text": "AI生成", "compliant": True}])
    derive(result, "en")
    derive(result, "en")
    codes = [p["code"] for p in result["problems"]]
    assert codes.count("explicit-without-implicit") == 1
    result["implicit_labels"] = [_label("1")]
    derive(result, "en")
    assert "explicit-without-implicit" not in [p["code"] for p in result["problems"]]


def test_none_is_never_called_authentic():
    for lang in ("zh_CN", "en"):
        message = derive(_result(), lang)["reason"]["message"]
        assert "authentic" not in message.lower() and "真实" not in message


def test_hidden_unicode_marks_alone_are_supporting_evidence():
    hint = {"kind": "hidden-unicode", "counts": {"U+200B": 3}}
    assert derive(_result(metadata_hints=[hint]), "en")["verdict"] == "none"
    both = [hint, {"kind": "software", "generator": "ComfyUI"}]
    assert derive(_result(metadata_hints=both), "en")["verdict"] == "suspected"
