"""Short property-based fuzzing of the GB 45438 label decoders (labels.read_labels on FIELD,
XMP-expanded and Markdown front-matter sites). read_labels never raises: a label that cannot
be decoded is a problem, not an error. Two kinds of input: mutated real labels (bytes-level),
and structurally generated JSON / YAML / XMP that stays well-formed while its values go wild
(every JSON type, deep nesting, huge numbers, duplicate and case-folded keys, control chars).
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.fuzz_seeds import build_family, mutation_strategy
from bench.fuzz_targets import run_checked

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))
# generating nested structures costs more than decoding them: fewer, richer examples
GENERATED = settings(SETTINGS, max_examples=40)
ANNEX_E = ("Label", "ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator",
           "PropagateID", "ReservedCode2")
TC260 = "http://www.tc260.org.cn/ns/AIGC/1.0/"

KEYS = st.one_of(st.sampled_from(ANNEX_E + ("AIGC", "label", "LABEL", "SecurityData", "Type",
                                            "PubSD", "Signature", "KeyValue", "AlgID")),
                 st.text(max_size=12))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                    st.sampled_from(["0", "1", "2", "3", "AIGC", "", "\u0000", "１", "٣"]),
                    st.text(max_size=40))
JSONISH = st.recursive(SCALARS, lambda kids: st.one_of(
    st.lists(kids, max_size=5), st.dictionaries(KEYS, kids, max_size=8)), max_leaves=16)
LABELS = st.dictionaries(KEYS, JSONISH, max_size=8).map(
    lambda d: {k: v for k, v in d.items()})
DOCS = st.one_of(LABELS, LABELS.map(lambda d: {"AIGC": d}), JSONISH)


@pytest.fixture(scope="module")
def seed_root(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-seeds")


@pytest.mark.parametrize(("target", "family"), [("labels-json", "label-json"),
                                                ("labels-xmp", "xmp"),
                                                ("labels-yaml", "label-yaml")])
def test_mutated_labels_never_raise(seed_root, target, family):
    seeds = [p.read_bytes() for p in build_family(seed_root, family)]

    @SETTINGS
    @given(mutation_strategy(seeds))
    def fuzz(data: bytes) -> None:
        run_checked(target, data)

    fuzz()


@GENERATED
@given(DOCS, st.sampled_from(["compact", "spaced", "double", "bare", "escaped"]))
def test_generated_json_labels_never_raise(doc, style):
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=True)
    if style == "spaced":
        text = json.dumps(doc, indent=1)
    elif style == "double":  # JSON inside a JSON string, as some writers do
        text = json.dumps(text)
    elif style == "bare":  # Jimeng's APP11 `AIGC{...}`
        text = "AIGC" + text
    elif style == "escaped":
        text = escape(text, {'"': "&quot;"})
    run_checked("labels-json", text.encode("utf-8", "surrogatepass"))


def _yaml_value(value) -> str:
    return json.dumps(value, ensure_ascii=False)  # JSON is YAML flow syntax


@GENERATED
@given(LABELS, st.booleans())
def test_generated_front_matter_never_raises(label, block):
    if block:
        body = "AIGC:\n" + "".join(f"  {json.dumps(str(k))}: {_yaml_value(v)}\n"
                                   for k, v in label.items())
    else:
        body = f"AIGC: {json.dumps(json.dumps(label))}\n"
    run_checked("labels-yaml", body.encode("utf-8", "surrogatepass"))


@GENERATED
@given(LABELS, st.sampled_from(["element", "attribute", "fields"]), st.integers(0, 40))
def test_generated_xmp_never_raises(label, form, depth):
    text = json.dumps(label, ensure_ascii=False)
    if form == "element":
        inner = "<t:AIGC>" + "<rdf:Bag><rdf:li>" * depth + escape(text) \
                + "</rdf:li></rdf:Bag>" * depth + "</t:AIGC>"
        attrs = ""
    elif form == "attribute":
        inner, attrs = "", f" t:AIGC={quoteattr(text)}"
    else:
        inner = "".join(f"<t:{k}>{escape(json.dumps(v))}</t:{k}>" for k, v in label.items()
                        if isinstance(k, str) and k.isidentifier() and k.isascii())
        attrs = ""
    packet = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
              f'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:t="{TC260}"'
              f"{attrs}>{inner}</rdf:Description></rdf:RDF></x:xmpmeta>")
    run_checked("labels-xmp", packet.encode("utf-8", "surrogatepass"))
