"""aigcverify.c2pa_check on real files signed at test time (tests/fixtures/c2pa_fixtures.py).

Offline is proved, not assumed: c2pa-rs silently ignores unknown setting keys, so every network
test points the file at a listener on 127.0.0.1 and checks that our reader never reaches it
while a positive control (the library's own defaults) does.
"""

import datetime
import http.server
import json
import multiprocessing
import threading
import time

import c2pa
import jsonschema
import pytest
from tests.fixtures.c2pa_fixtures import (
    SIGNABLE,
    LocalTsa,
    SigningChain,
    make_c2pa_edit,
    make_c2pa_jpeg,
    make_c2pa_png,
    manifest_definition,
    plain_jpeg_bytes,
    plain_media,
    sign_bytes,
    signing_chain,
)

from aigcverify import c2pa_check
from aigcverify.c2pa_check import (
    OFFLINE_SETTINGS,
    might_have_c2pa,
    offline_settings,
    read_c2pa,
    summarize,
)
from aigcverify.carriers import carrier_for
from aigcverify.carriers.base import Site, SiteKind
from aigcverify.limits import DEFAULT_LIMITS
from aigcverify.metadata import expand
from aigcverify.sniff import sniff


class _Listener:
    """A local HTTP server that records every request made to it (and answers 404)."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.hit = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self) -> None:
                outer.hits.append(f"{self.command} {self.path}")
                outer.hit.set()
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_HEAD = _record

            def log_message(self, *args: object) -> None:  # keep test output clean
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def c2pa_chain() -> SigningChain:
    return signing_chain()  # generated once per session (cached in the fixtures module)


@pytest.fixture
def listener():
    lst = _Listener()
    yield lst
    lst.close()


def _read(path, fmt="jpeg", sites=(), lang="en", **kw):
    return read_c2pa(str(path), fmt, list(sites), lang, **kw)


# --- what a manifest says -------------------------------------------------------------------


def test_trained_algorithmic_jpeg_is_ai_and_valid_offline(tmp_path, c2pa_chain, result_schema):
    path = make_c2pa_jpeg(tmp_path / "ai.jpg", "trainedAlgorithmicMedia", chain=c2pa_chain)
    result, problems = _read(path, lang="zh_CN")
    assert problems == []
    assert result["state"] == "valid"  # untrusted signer is normal offline, not invalid
    assert result["ai_generated"] is True
    assert result["digital_source_types"] == ["trainedAlgorithmicMedia"]
    assert result["claim_generator"] == "AIGCVerify Test Generator/1.0"
    assert result["codes"] == ["signingCredential.untrusted"]
    assert result["remote_manifest"] is False
    assert result["signer"] == "AIGCVerify Test Signer (AIGCVerify Test Org)"
    assert result["title"] == "ai.jpg"
    assert result["manifest_count"] == 1 and result["ingredients_count"] == 0
    assert result["synthetic_hint"] is False
    assert result["state_text"] == (
        "签名有效，但签名者不在信任列表中（离线无法确认身份）；文件自签名以来没有被改动。")
    jsonschema.validate(result, result_schema["properties"]["c2pa"])


def test_composite_with_trained_media_png_is_ai(tmp_path):
    path = make_c2pa_png(tmp_path / "comp.png", "compositeWithTrainedAlgorithmicMedia")
    result, problems = _read(path, fmt="png")
    assert problems == []
    assert (result["state"], result["ai_generated"]) == ("valid", True)
    assert result["digital_source_types"] == ["compositeWithTrainedAlgorithmicMedia"]


def test_algorithmic_media_is_only_a_synthetic_hint(tmp_path):
    result, _ = _read(make_c2pa_jpeg(tmp_path / "algo.jpg", "algorithmicMedia"))
    assert result["ai_generated"] is False
    assert result["synthetic_hint"] is True
    assert result["digital_source_types"] == ["algorithmicMedia"]


def test_plain_created_without_source_type_is_not_ai(tmp_path):
    result, problems = _read(make_c2pa_jpeg(tmp_path / "plain.jpg", None))
    assert problems == []
    assert result["state"] == "valid"
    assert result["ai_generated"] is False and result["synthetic_hint"] is False
    assert result["digital_source_types"] == []


def test_digital_capture_is_not_ai(tmp_path):
    result, _ = _read(make_c2pa_jpeg(tmp_path / "cam.jpg", "digitalCapture"))
    assert result["digital_source_types"] == ["digitalCapture"]
    assert result["ai_generated"] is False and result["synthetic_hint"] is False


def test_ingredient_history_with_ai_parent_gives_hint(tmp_path):
    parent = make_c2pa_jpeg(tmp_path / "parent.jpg", "trainedAlgorithmicMedia")
    result, problems = _read(make_c2pa_edit(tmp_path / "edit.jpg", parent))
    assert problems == []
    assert result["manifest_count"] == 2 and result["ingredients_count"] == 1
    assert result["claim_generator"] == "AIGCVerify Test Editor/2.0"
    assert result["ai_generated"] is False  # the active manifest itself declares no AI source
    assert result["ingredient_source_types"] == ["trainedAlgorithmicMedia"]
    assert result["synthetic_hint"] is True


@pytest.mark.parametrize("fmt", sorted(SIGNABLE))
def test_every_signable_format_through_the_real_carriers(tmp_path, fmt):
    """Sign a real file of each format, read it the way the pipeline does (sniff, carrier,
    XMP/EXIF expansion) and check: the carrier reports the manifest store exactly for the
    formats in CARRIER_REPORTED_FORMATS (the others rely on the byte scan), and the adapter
    reads the manifest in every format."""
    data, mime = plain_media(fmt, tmp_path)
    path = tmp_path / f"signed.{fmt}"
    path.write_bytes(sign_bytes(data, mime, manifest_definition(title=path.name)))
    with open(path, "rb") as fh:
        sniffed = sniff(fh, path.name).format
        sites = expand(list(carrier_for(sniffed).sites(fh, sniffed, DEFAULT_LIMITS)),
                       DEFAULT_LIMITS)
    assert sniffed == fmt
    reported = any(s.kind is SiteKind.C2PA for s in sites)
    assert reported == (fmt in c2pa_check.CARRIER_REPORTED_FORMATS)
    result, problems = read_c2pa(str(path), fmt, sites, "en")
    assert problems == []
    assert (result["state"], result["ai_generated"], result["title"]) == ("valid", True, path.name)
    # and the same file without its manifest reads as "no C2PA" without a library call
    plain = tmp_path / f"plain.{fmt}"
    plain.write_bytes(data)
    with open(plain, "rb") as fh:
        plain_sites = expand(list(carrier_for(fmt).sites(fh, fmt, DEFAULT_LIMITS)),
                             DEFAULT_LIMITS)
    assert read_c2pa(str(plain), fmt, plain_sites, "en") == (None, [])


def test_remote_link_found_by_the_real_xmp_expander(tmp_path):
    path = make_c2pa_jpeg(tmp_path / "remote.jpg", remote_url="https://example.invalid/m.c2pa")
    with open(path, "rb") as fh:
        sites = expand(list(carrier_for("jpeg").sites(fh, "jpeg", DEFAULT_LIMITS)),
                       DEFAULT_LIMITS)
    assert [s.text() for s in sites if s.kind is SiteKind.C2PA_REMOTE] == [
        "https://example.invalid/m.c2pa"]
    result, problems = read_c2pa(str(path), "jpeg", sites, "en")
    assert result["remote_manifest"] is True and result["state"] == "not_checked"
    assert [p["code"] for p in problems] == ["c2pa-remote-not-fetched"]


# --- tampering and trust ----------------------------------------------------------------------


@pytest.mark.parametrize("maker,fmt", [(make_c2pa_jpeg, "jpeg"), (make_c2pa_png, "png")])
def test_tampered_pixels_are_invalid(tmp_path, maker, fmt, result_schema):
    path = maker(tmp_path / f"t.{fmt}", "trainedAlgorithmicMedia", tamper=True)
    result, problems = _read(path, fmt=fmt)
    assert result["state"] == "invalid"
    assert "assertion.dataHash.mismatch" in result["codes"]
    assert [p["code"] for p in problems] == ["c2pa-invalid"]
    assert "assertion.dataHash.mismatch" in problems[0]["detail"]
    assert "signingCredential.untrusted" not in problems[0]["detail"]
    assert result["ai_generated"] is True  # still declared; the verdict weighs the state
    jsonschema.validate(result, result_schema["properties"]["c2pa"])


def test_signer_on_trust_list_is_trusted(tmp_path, c2pa_chain):
    path = make_c2pa_jpeg(tmp_path / "ai.jpg", chain=c2pa_chain)
    result, problems = _read(path, trust_anchors=c2pa_chain.root_pem)
    assert problems == []
    assert result["state"] == "trusted"
    assert result["codes"] == []
    zh = _read(path, lang="zh_CN", trust_anchors=c2pa_chain.root_pem)[0]
    assert zh["state_text"].startswith("签名有效，签名者在信任列表中")


# --- offline, proved ------------------------------------------------------------------------


def test_offline_settings_content():
    assert OFFLINE_SETTINGS["verify"]["remote_manifest_fetch"] is False
    assert OFFLINE_SETTINGS["verify"]["ocsp_fetch"] is False
    assert OFFLINE_SETTINGS["core"]["allowed_network_hosts"] == []
    assert OFFLINE_SETTINGS["verify"]["verify_timestamp_trust"] is False  # no anchors: see below
    anchored = offline_settings("PEM")
    assert anchored["trust"] == {"trust_anchors": "PEM"}
    assert anchored["verify"]["verify_timestamp_trust"] is True
    assert "trust" not in OFFLINE_SETTINGS  # a copy, not a mutation
    assert OFFLINE_SETTINGS["verify"]["verify_timestamp_trust"] is False


def test_remote_manifest_is_reported_and_never_fetched(tmp_path, listener, result_schema):
    path = make_c2pa_jpeg(tmp_path / "remote.jpg", remote_url=listener.url("/manifest.c2pa"))
    data = path.read_bytes()
    assert b"jumdc2pa" not in data and b"dcterms:provenance" in data  # only an XMP link
    result, problems = _read(path)
    assert listener.hits == []
    assert result["remote_manifest"] is True
    assert result["state"] == "not_checked"
    assert result["remote_url"] == listener.url("/manifest.c2pa")
    assert [p["code"] for p in problems] == ["c2pa-remote-not-fetched"]
    jsonschema.validate(result, result_schema["properties"]["c2pa"])
    # Positive control: the library's default settings DO fetch this very file, so it is our
    # settings that keep the reader offline.
    with open(path, "rb") as fh, pytest.raises(c2pa.C2paError):
        c2pa.Reader("image/jpeg", fh)
    assert listener.hit.wait(5)
    assert any("manifest.c2pa" in h for h in listener.hits)


def test_empty_allow_list_alone_blocks_remote_fetch(tmp_path, listener):
    """The second lock works on its own: with fetching switched on, the empty allow-list
    still refuses the URL (so a future default change cannot silently open the network)."""
    path = make_c2pa_jpeg(tmp_path / "remote.jpg", remote_url=listener.url("/m.c2pa"))
    settings = offline_settings()
    settings["verify"]["remote_manifest_fetch"] = True
    ctx = c2pa.Context.from_dict(settings)
    try:
        with open(path, "rb") as fh, pytest.raises(c2pa.C2paError, match="not permitted"):
            c2pa.Reader("image/jpeg", fh, None, ctx)
    finally:
        ctx.close()
    assert listener.hits == []


def test_no_ocsp_request_leaves_the_machine(tmp_path, listener):
    chain = signing_chain(ocsp_url=listener.url("/ocsp"))
    path = make_c2pa_jpeg(tmp_path / "ocsp.jpg", chain=chain)
    result, problems = _read(path)
    assert result["state"] == "valid" and problems == []
    assert listener.hits == []
    # Positive control: with OCSP switched on the library asks our listener.
    ctx = c2pa.Context.from_dict({"verify": {"ocsp_fetch": True}})
    try:
        with open(path, "rb") as fh:
            c2pa.Reader("image/jpeg", fh, None, ctx).close()
    finally:
        ctx.close()
    assert listener.hit.wait(5)
    assert listener.hits and listener.hits[0].startswith("GET /")  # an OCSP GET request


# --- when the library runs ----------------------------------------------------------------


def test_plain_jpeg_never_loads_a_reader(tmp_path, monkeypatch):
    calls = []
    real = c2pa.Reader.try_create.__func__

    def spy(cls, *args, **kwargs):
        calls.append(args)
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(c2pa.Reader, "try_create", classmethod(spy))
    plain = tmp_path / "plain.jpg"
    plain.write_bytes(plain_jpeg_bytes())
    assert _read(plain) == (None, [])
    assert calls == []
    signed = make_c2pa_jpeg(tmp_path / "signed.jpg")
    assert _read(signed)[0]["ai_generated"] is True
    assert len(calls) == 1
    # a carrier's C2PA site makes the library run even without a marker; when the library then
    # finds no manifest store, the C2PA data the carrier saw is reported as unreadable
    site = Site(SiteKind.C2PA, "c2pa", "APP11 #1")
    result, problems = _read(plain, sites=[site])
    assert len(calls) == 2
    assert result["state"] == "not_checked" and result["remote_manifest"] is False
    assert [p["code"] for p in problems] == ["c2pa-unreadable"]
    assert "APP11 #1" in problems[0]["detail"]


def test_marker_scan_windows(tmp_path):
    big = tmp_path / "big.mp4"
    body = bytearray(3 * 1024 * 1024)
    big.write_bytes(bytes(body[:-100]) + b"jumdc2pa" + bytes(92))
    assert might_have_c2pa(str(big), "mp4", [])  # found in the last MiB
    big.write_bytes(bytes(body[:1536 * 1024]) + b"jumdc2pa" + bytes(body[:1536 * 1024]))
    assert not might_have_c2pa(str(big), "mp4", [])  # the middle is not scanned (documented)
    straddle = bytearray(3 * 1024 * 1024)
    cut = len(straddle) - c2pa_check.SCAN_BYTES - 3
    straddle[cut:cut + 8] = b"jumdc2pa"
    big.write_bytes(bytes(straddle))
    assert might_have_c2pa(str(big), "mp4", [])  # a marker across the window edge is found
    assert not might_have_c2pa(str(big), "ogg", [])  # the library cannot read ogg at all


# --- hostile and broken input -----------------------------------------------------------------


def test_unsupported_format_with_c2pa_site(tmp_path):
    path = tmp_path / "x.ogg"
    path.write_bytes(b"OggS" + bytes(100))
    result, problems = _read(path, fmt="ogg", sites=[Site(SiteKind.C2PA, "ogg", "page 3")])
    assert result["state"] == "not_checked" and result["remote_manifest"] is False
    assert [p["code"] for p in problems] == ["c2pa-unreadable"]
    remote = Site(SiteKind.C2PA_REMOTE, "xmp", "XMP", value="https://example.invalid/m.c2pa")
    result, problems = _read(path, fmt="ogg", sites=[remote])
    assert result["remote_manifest"] is True and result["remote_url"] == "https://example.invalid/m.c2pa"
    assert [p["code"] for p in problems] == ["c2pa-remote-not-fetched"]


def test_garbage_with_marker_is_unreadable_not_a_crash(tmp_path):
    path = tmp_path / "junk.jpg"
    path.write_bytes(b"\xff\xd8\xff\xeb\x00\x20JP\x02\x11\x00\x00\x00\x01\x00\x00\x00\x18jumb"
                     b"\x00\x00\x00\x10jumdc2pa\xff\xff" + bytes(64) + b"\xff\xd9")
    result, problems = _read(path)
    assert result["state"] == "not_checked" and result["remote_manifest"] is False
    assert [p["code"] for p in problems] == ["c2pa-unreadable"]
    assert problems[0]["detail"]  # the library's reason, for the expert view


def test_damaged_manifest_bytes_never_raise(tmp_path):
    """Bytes overwritten at several places inside the manifest store: depending on where, the
    library reports failed checks (invalid) or cannot decode it (unreadable); never an escape."""
    data = bytearray(make_c2pa_jpeg(tmp_path / "ok.jpg").read_bytes())
    start = data.find(b"c2pa.assertions")
    seen = set()
    for offset in (start - 40, start + 20, start + 200, start + 600):
        damaged = bytearray(data)
        damaged[offset:offset + 6] = b"\x00\xff\x13\x37\x00\xff"
        path = tmp_path / f"d{offset}.jpg"
        path.write_bytes(bytes(damaged))
        result, problems = _read(path)
        assert result["state"] in ("invalid", "not_checked")
        assert [p["code"] for p in problems] == [
            "c2pa-invalid" if result["state"] == "invalid" else "c2pa-unreadable"]
        seen.add(result["state"])
    assert seen == {"invalid", "not_checked"}


def test_summarize_survives_hostile_store():
    assert summarize({}, "en")["state"] == "not_checked"
    odd = summarize({"manifests": "x", "active_manifest": 5, "validation_status": "y"}, "en")
    assert odd["state"] == "not_checked" and odd["codes"] == []
    store = {
        "active_manifest": "m",
        "validation_state": "Valid",
        "manifests": {"m": {
            "claim_generator_info": [{"name": "Evil\u202eGen\x07" + "A" * 500, "version": 3}],
            "title": "t" * 1000,
            "signature_info": {"common_name": ["not", "text"], "issuer": "Org\x00X"},
            "assertions": [
                None, 7, {"label": "c2pa.actions.v2", "data": {"actions": [
                    {"action": "c2pa.created", "digitalSourceType": 12},
                    {"action": "c2pa.edited", "softwareAgent": {"name": "Tool\u200f"},
                     "digitalSourceType": "https://example.org/x/weirdType"},
                ], "templates": [{"action": "*", "digitalSourceType":
                                  "http://cv.iptc.org/newscodes/digitalsourcetype/"
                                  "trainedAlgorithmicMedia"}]}},
                {"label": "c2pa.actions__2", "data": "not a dict"},
            ],
        }},
    }
    result = summarize(store, "en")
    assert result["state"] == "valid"
    assert "\u202e" not in result["claim_generator"] and "\x07" not in result["claim_generator"]
    assert len(result["claim_generator"]) <= 160 and len(result["title"]) <= 200
    assert result["signer"] == "Org X"
    assert result["software_agents"] == ["Tool"]
    assert result["digital_source_types"] == ["weirdType", "trainedAlgorithmicMedia"]
    assert result["ai_generated"] is True  # declared by the action template


def test_store_without_state_falls_back_to_codes():
    base = {"active_manifest": "m", "manifests": {"m": {}}}
    assert summarize({**base, "validation_status": [{"code": "signingCredential.untrusted"}]},
                     "en")["state"] == "valid"
    assert summarize({**base, "validation_status": [{"code": "claimSignature.mismatch"}]},
                     "en")["state"] == "invalid"


def _child_read(path: str, queue) -> None:
    result, _ = read_c2pa(path, "jpeg", [], "en")
    queue.put(result["state"])


def test_reader_works_in_a_forked_worker(tmp_path):
    """The pipeline forks workers after the parent may have used the library: the parent's
    Context is invalid in the child, so the module must build a fresh one there."""
    path = str(make_c2pa_jpeg(tmp_path / "ai.jpg"))
    assert read_c2pa(path, "jpeg", [], "en")[0]["state"] == "valid"  # parent context exists
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child_read, args=(path, queue))
    proc.start()
    state = queue.get(timeout=30)
    proc.join(30)
    assert (state, proc.exitcode) == ("valid", 0)


@pytest.mark.parametrize("kwargs,verdict,reason", [
    ({}, "confirmed", "c2pa-ai"),
    ({"tamper": True}, "suspected", "c2pa-ai-unverified"),
    ({"source_type": "algorithmicMedia"}, "suspected", "c2pa-hint"),
    ({"source_type": None}, "none", "none"),
    ({"remote_url": "https://example.invalid/m.c2pa"}, "none", "none"),
])
def test_pipeline_verdicts_from_c2pa(tmp_path, kwargs, verdict, reason, result_schema):
    from aigcverify.pipeline import CheckOptions, check_file

    path = make_c2pa_jpeg(tmp_path / "f.jpg", **kwargs)
    result = check_file(path, CheckOptions(detector=False, explicit=False, lang="en"))
    assert (result["verdict"], result["reason"]["code"]) == (verdict, reason)
    jsonschema.validate(result, result_schema)


@pytest.mark.slow
@pytest.mark.skipif(not LocalTsa.available(), reason="needs the openssl command as a local TSA")
def test_timestamped_signature_outlives_its_certificate(tmp_path):
    """Certificates expire after about a year; an RFC 3161 timestamp proves the signature was
    made while it was valid. Offline (no anchors) the adapter must still say "valid", where the
    library's strict default says "invalid" (signingCredential.expired); with anchors the TSA
    must chain to them and the result is "trusted"."""
    chain = signing_chain(lifetime_s=3)
    with LocalTsa(chain, tmp_path) as tsa:
        path = make_c2pa_jpeg(tmp_path / "ts.jpg", chain=chain, tsa_url=tsa.url)
    assert tsa.requests == 1
    time.sleep(max(0.0, (chain.expires - datetime.datetime.now(datetime.UTC)).total_seconds())
               + 1.5)  # let the signing certificate expire (X.509 times have 1 s resolution)
    result, problems = _read(path)
    assert (result["state"], problems) == ("valid", [])
    assert result["signed_at"].startswith(str(datetime.datetime.now(datetime.UTC).year))
    # Control: trusting timestamps without any TSA anchor turns the same file "invalid".
    strict = offline_settings()
    strict["verify"]["verify_timestamp_trust"] = True
    ctx = c2pa.Context.from_dict(strict)
    try:
        with open(path, "rb") as fh, c2pa.Reader("image/jpeg", fh, None, ctx) as reader:
            store = json.loads(reader.json())
    finally:
        ctx.close()
    assert store["validation_state"] == "Invalid"
    assert "signingCredential.expired" in [s["code"] for s in store["validation_status"]]
    assert _read(path, trust_anchors=chain.root_pem)[0]["state"] == "trusted"
