"""A check result described for people: evidence, provenance and problems as trees of Nodes.

Pure functions of the result dict (no widgets), shared by the evidence and provenance trees and
by "copy result as text", so the screen and the copied text always say the same thing.
Everything the core may leave out (stages not run yet, carriers not built yet) is optional here.
Meanings (states, bands, source types) are tables of catalog keys, never if-chains.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aigcverify.i18n import tr

__all__ = [
    "Node",
    "evidence",
    "provenance",
    "problems",
    "detector_band",
    "human_size",
    "organisation_name",
    "C2PA_STATE_KEYS",
    "BAND_KEYS",
    "SEVERITY_KEYS",
]

RAW_MAX_CHARS = 400  # one raw value shown in the tree (the JSON copy has it all)
RAW_MAX_ITEMS = 60  # children of one raw object or list
RAW_MAX_DEPTH = 4

C2PA_STATE_KEYS = {
    "trusted": "gui.c2pa.state.trusted",
    "valid": "gui.c2pa.state.valid",
    "invalid": "gui.c2pa.state.invalid",
    "not_checked": "gui.c2pa.state.not_checked",
}
# Detector bands: the words we show; never "real"/"fake", never a bare percentage.
BAND_KEYS = {
    "no-traces": "gui.detector.band.no-traces",
    "inconclusive": "gui.detector.band.inconclusive",
    "traces": "gui.detector.band.traces",
}
# spellings a detector module may use for the same three bands
_BAND_ALIASES = {
    "none": "no-traces", "low": "no-traces", "no_traces": "no-traces", "clean": "no-traces",
    "uncertain": "inconclusive", "medium": "inconclusive", "mid": "inconclusive",
    "high": "traces", "ai": "traces", "ai-traces": "traces", "likely": "traces",
}
SEVERITY_KEYS = {
    "error": "gui.severity.error",
    "warning": "gui.severity.warning",
    "info": "gui.severity.info",
}
SERVICE_TYPE_KEYS = {
    "generation": "gui.service.generation",
    "propagation": "gui.service.propagation",
    "unassigned": "gui.service.unassigned",
    "unknown": "gui.service.unknown",
}
SECURITY_STATUS_KEYS = {
    "verified-pinned": "gui.security.verified-pinned",
    "verified": "gui.security.verified",
    "failed": "gui.security.failed",
    "unsupported": "gui.security.unsupported",
    "absent": "gui.security.absent",
}
MODALITY_KEYS = {
    "image-text": "gui.modality.image-text",
    "video-text": "gui.modality.video-text",
    "audio-rhythm": "gui.modality.audio-rhythm",
    "audio-speech": "gui.modality.audio-speech",
    "text-prompt": "gui.modality.text-prompt",
}
# where an explicit label sits on the picture
POSITION_KEYS = {
    "top-left": "gui.position.top-left", "top": "gui.position.top",
    "top-right": "gui.position.top-right", "left": "gui.position.left",
    "right": "gui.position.right", "bottom-left": "gui.position.bottom-left",
    "bottom": "gui.position.bottom", "bottom-right": "gui.position.bottom-right",
    "center": "gui.position.center", "middle": "gui.position.center",
}
# C2PA digital source types (last URI segment) -> plain words
SOURCE_TYPE_KEYS = {
    "trainedAlgorithmicMedia": "gui.c2pa.source.trainedAlgorithmicMedia",
    "compositeWithTrainedAlgorithmicMedia": "gui.c2pa.source.compositeWithTrainedAlgorithmicMedia",
    "algorithmicMedia": "gui.c2pa.source.algorithmicMedia",
    "compositeSynthetic": "gui.c2pa.source.compositeSynthetic",
    "digitalCapture": "gui.c2pa.source.digitalCapture",
    "digitalArt": "gui.c2pa.source.digitalArt",
    "composite": "gui.c2pa.source.composite",
}
# how a hint or watermark dict names itself, most telling first
_NAME_KEYS = ("message", "name", "generator", "vendor", "software", "key", "kind", "code")
_VALUE_KEYS = ("value", "text", "detail", "source", "location")


@dataclass
class Node:
    """One row: a label, its value, child rows. raw rows start collapsed."""

    label: str
    value: str = ""
    children: list[Node] = field(default_factory=list)
    raw: bool = False
    kind: str = ""  # icon hint: "ok", "error", "warning", "info", ""


def _t(key: str, lang: str, **kw: object) -> str:
    return tr(key, lang, **kw)


def human_size(size: int, lang: str) -> str:
    units = ("B", "KB", "MB", "GB", "TB")
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    short = f"{value:.0f} {units[unit]}" if unit == 0 else f"{value:.1f} {units[unit]}"
    return _t("gui.size", lang, short=short, bytes=f"{size:,}")


def _clip(text: str, limit: int = RAW_MAX_CHARS) -> str:
    text = text.replace("\r", " ").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return _clip(json.dumps(value, ensure_ascii=False))
    return _clip(str(value))


def raw_nodes(value: Any, depth: int = 0) -> list[Node]:
    """The raw dict/list as rows (bounded in depth, width and length)."""
    items: list[tuple[str, Any]]
    if isinstance(value, dict):
        items = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(f"[{i}]", v) for i, v in enumerate(value)]
    else:
        return [Node("", _scalar(value), raw=True)]
    rows = []
    for key, item in items[:RAW_MAX_ITEMS]:
        if isinstance(item, (dict, list)) and item and depth < RAW_MAX_DEPTH:
            rows.append(Node(key, "", raw_nodes(item, depth + 1), raw=True))
        else:
            rows.append(Node(key, _scalar(item), raw=True))
    if len(items) > RAW_MAX_ITEMS:
        rows.append(Node("…", str(len(items) - RAW_MAX_ITEMS), raw=True))
    return rows


def _raw(value: Any, lang: str) -> Node:
    return Node(_t("gui.raw", lang), "", raw_nodes(value), raw=True)


def organisation_name(info: dict | None, lang: str) -> str:
    """The provider's organisation from the bundled table, else its name or code as written."""
    if not info:
        return ""
    org = info.get("organisation") or {}
    name = org.get("zh" if lang == "zh_CN" else "en") or org.get("en") or org.get("zh")
    return str(name or info.get("code") or "")


# -- evidence -------------------------------------------------------------------------------

def _label_site(entry: dict, lang: str) -> Node:
    where = " · ".join(str(x) for x in (entry.get("carrier"), entry.get("location")) if x)
    meaning = entry.get("label_meaning") or _t("gui.label.value", lang, value=entry.get("label"))
    conformance = _t("gui.label.conformant" if entry.get("conformant")
                     else "gui.label.nonconformant", lang)
    node = Node(where or _t("gui.ev.implicit", lang), f"{meaning} · {conformance}",
                kind="ok" if entry.get("conformant") else "warning")
    fields = entry.get("fields") or {}
    if fields:
        node.children.append(Node(_t("gui.label.fields", lang), "",
                                  [Node(str(k), _scalar(v)) for k, v in fields.items()]))
    details = entry.get("problem_details")
    if details is None:  # older result without details: the codes as written
        details = [{"message": str(p), "severity": ""} for p in entry.get("problems") or []]
    if details:
        node.children.append(Node(_t("gui.label.problems", lang), str(len(details)), [
            Node(_t(SEVERITY_KEYS.get(_label_severity(d), "gui.severity.warning"), lang),
                 str(d.get("message") or d.get("code") or ""), kind=_label_severity(d))
            for d in details]))
    for role, key in (("producer", "gui.prov.producer"), ("propagator", "gui.prov.propagator")):
        info = entry.get(role)
        if info:
            node.children.append(Node(_t(key, lang), organisation_name(info, lang)))
    for sec in entry.get("security") or []:
        node.children.append(_security_node(sec, lang))
    node.children.append(_raw({k: entry.get(k) for k in ("carrier", "location", "offset", "wrapped",
                                                           "label", "conformant", "problems")
                               if k in entry}, lang))
    return node


def _label_severity(detail: dict) -> str:
    # label-level problems are "structural" (breaks Annex E) or "advisory" (a recommendation)
    return {"structural": "error", "advisory": "info"}.get(str(detail.get("severity")),
                                                          str(detail.get("severity") or "warning"))


def _security_node(sec: dict, lang: str) -> Node:
    status = str(sec.get("status", ""))
    words = _t(SECURITY_STATUS_KEYS[status], lang) if status in SECURITY_STATUS_KEYS else status
    kind = {"verified-pinned": "ok", "verified": "ok", "failed": "error"}.get(status, "info")
    node = Node(_t("gui.security.field", lang, field=sec.get("field", "")), words, kind=kind)
    if sec.get("detail"):
        node.children.append(Node(_t("gui.detail", lang), str(sec["detail"])))
    if sec.get("algorithm"):
        node.children.append(Node(_t("gui.security.algorithm", lang), str(sec["algorithm"])))
    return node


def _c2pa_nodes(c2pa: dict, lang: str) -> Node:
    state = str(c2pa.get("state", ""))
    words = _t(C2PA_STATE_KEYS[state], lang) if state in C2PA_STATE_KEYS else state
    kind = {"trusted": "ok", "valid": "ok", "invalid": "error"}.get(state, "info")
    node = Node(_t("gui.c2pa.credential", lang), words, kind=kind)
    if c2pa.get("state_text"):
        node.children.append(Node(_t("gui.c2pa.state", lang), str(c2pa["state_text"])))
    for key, label in (("signer", "gui.c2pa.signer"), ("claim_generator", "gui.c2pa.generator"),
                       ("signed_at", "gui.c2pa.signed_at")):
        if c2pa.get(key):
            node.children.append(Node(_t(label, lang), _scalar(c2pa[key])))
    sources = c2pa.get("digital_source_types") or []
    if sources:
        node.children.append(Node(_t("gui.c2pa.source", lang), "; ".join(
            _t(SOURCE_TYPE_KEYS[s], lang) if s in SOURCE_TYPE_KEYS else str(s) for s in sources)))
    node.children.append(Node(_t("gui.c2pa.ai", lang),
                              _t("gui.yes" if c2pa.get("ai_generated") else "gui.no", lang)))
    if c2pa.get("remote_manifest"):
        node.children.append(Node(_t("gui.c2pa.remote", lang), _t("gui.c2pa.remote.value", lang),
                                  kind="info"))
    node.children.append(_raw(c2pa, lang))
    return node


def _explicit_node(label: dict, lang: str) -> Node:
    modality = str(label.get("modality", ""))
    title = _t(MODALITY_KEYS[modality], lang) if modality in MODALITY_KEYS else modality
    compliant = bool(label.get("compliant"))
    value = _t("gui.explicit.text", lang, text=_clip(str(label.get("text", "")), 80))
    node = Node(title, value, kind="ok" if compliant else "warning")
    if label.get("start_s") is not None:
        node.children.append(Node(_t("gui.explicit.when", lang), _t(
            "gui.explicit.when.value", lang, start=f"{float(label['start_s']):.1f}",
            end=f"{float(label['start_s']) + float(label.get('duration_s') or 0):.1f}")))
    position = label.get("position")
    if position:
        words = _t(POSITION_KEYS[position], lang) if position in POSITION_KEYS else str(position)
        node.children.append(Node(_t("gui.explicit.position", lang), words))
    if label.get("box"):
        node.children.append(Node(_t("gui.explicit.where", lang), _scalar(label["box"])))
    if label.get("height_ratio") is not None:
        node.children.append(Node(_t("gui.explicit.height", lang),
                                  f"{float(label['height_ratio']) * 100:.1f}%"))
    node.children.append(Node(_t("gui.explicit.compliant", lang), _t(
        "gui.explicit.compliant.yes" if compliant else "gui.explicit.compliant.no", lang)))
    for p in label.get("problems") or []:
        node.children.append(Node(_t("gui.severity.warning", lang), _scalar(p), kind="warning"))
    node.children.append(_raw(label, lang))
    return node


def _summary(item: dict) -> tuple[str, str]:
    name = next((str(item[k]) for k in _NAME_KEYS if item.get(k)), "")
    value = next((_scalar(item[k]) for k in _VALUE_KEYS if item.get(k) not in (None, "")), "")
    return name, value


def _generic_node(item: Any, lang: str) -> Node:
    if not isinstance(item, dict):
        return Node(_scalar(item))
    name, value = _summary(item)
    return Node(name or "—", value, [_raw(item, lang)])


def _number(value: object) -> str:
    """0.5 -> "0.50", 1.0001 -> "1.0001": enough digits that score and threshold never look
    equal when they are not."""
    text = f"{float(value):.4f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def detector_band(detector: dict) -> str:
    """no-traces | inconclusive | traces, from the detector's own band when it gives one."""
    band = str(detector.get("band") or "").lower()
    band = _BAND_ALIASES.get(band, band)
    if band in BAND_KEYS:
        return band
    if detector.get("laundering"):
        return "inconclusive"
    score, threshold = float(detector.get("score", 0.0)), float(detector.get("threshold", 1.0))
    return "traces" if score >= threshold else "no-traces"


def _detector_node(detector: dict, lang: str) -> Node:
    band = detector_band(detector)
    node = Node(_t("gui.detector.result", lang), _t(BAND_KEYS[band], lang),
                kind={"traces": "warning", "inconclusive": "info"}.get(band, "ok"))
    node.children.append(Node(_t("gui.detector.score", lang), _t(
        "gui.detector.score.value", lang, score=_number(detector.get("score", 0)),
        threshold=_number(detector.get("threshold", 0)))))
    if detector.get("band_text"):
        node.children.append(Node(_t("gui.detail", lang), str(detector["band_text"])))
    if detector.get("caveat"):
        node.children.append(Node(_t("gui.detail", lang), _scalar(detector["caveat"]), kind="info"))
    node.children.append(Node(_t("gui.detector.model", lang), str(detector.get("model", ""))))
    if detector.get("provider"):
        node.children.append(Node(_t("gui.detector.provider", lang), str(detector["provider"])))
    if detector.get("laundering"):
        node.children.append(Node(_t("gui.detector.laundering", lang),
                                  _scalar(detector["laundering"]), kind="info"))
    node.children.append(_raw(detector, lang))
    return node


def _group(title_key: str, lang: str, children: list[Node], state: str = "ran",
           single: bool = False) -> Node:
    """state: "ran", "not-run" (stage off or not reached) or "failed" (stage could not run).
    single: the group holds at most one entry (C2PA, detector): its value is the entry's."""
    if children and single:
        value = children[0].value
    elif children:
        value = _t("gui.ev.count", lang, count=len(children))
    else:
        value = _t({"ran": "gui.ev.none", "not-run": "gui.ev.not-run",
                    "failed": "gui.ev.failed"}[state], lang)
    return Node(_t(title_key, lang), value, children)


def _stage_state(result: dict, stage: str) -> str:
    codes = {p.get("code") for p in result.get("problems") or [] if isinstance(p, dict)}
    if f"{stage}-failed" in codes:
        return "failed"
    return "ran" if stage in (result.get("stages") or []) else "not-run"


def evidence(result: dict, lang: str) -> list[Node]:
    """Every kind of evidence, one group each (empty groups say "none found" / "not run")."""
    groups = [
        _group("gui.ev.implicit", lang,
               [_label_site(e, lang) for e in result.get("implicit_labels") or []]),
        _group("gui.ev.c2pa", lang,
               [_c2pa_nodes(result["c2pa"], lang)] if result.get("c2pa") else [], single=True),
        _group("gui.ev.explicit", lang,
               [_explicit_node(e, lang) for e in result.get("explicit_labels") or []],
               _stage_state(result, "explicit")),
        _group("gui.ev.hints", lang,
               [_generic_node(h, lang) for h in result.get("metadata_hints") or []]),
        _group("gui.ev.watermarks", lang,
               [_generic_node(w, lang) for w in result.get("watermarks") or []]),
        _group("gui.ev.detector", lang,
               [_detector_node(result["detector"], lang)] if result.get("detector") else [],
               _stage_state(result, "detector"), single=True),
    ]
    return groups


# -- provenance -----------------------------------------------------------------------------

def _main_label(result: dict) -> dict | None:
    labels = [e for e in result.get("implicit_labels") or [] if e.get("fields")]
    conformant = [e for e in labels if e.get("conformant")]
    return (conformant or labels or [None])[0]


def _provider_group(title_key: str, info: dict | None, id_key: str, fields: dict,
                    lang: str) -> Node:
    node = Node(_t(title_key, lang))
    if not info and not fields.get(id_key):
        node.value = _t("gui.prov.absent", lang)
        return node
    if info:
        org = info.get("organisation")
        node.value = organisation_name(info, lang)
        org_name = organisation_name(info, lang) if org else _t("gui.prov.org-unknown", lang)
        node.children.append(Node(_t("gui.prov.organisation", lang), org_name))
        node.children.append(Node(_t("gui.prov.code", lang), str(info.get("code", ""))))
        if info.get("uscc"):
            valid = info.get("uscc_valid")
            suffix = ("" if valid is None
                      else _t("gui.prov.uscc.ok" if valid else "gui.prov.uscc.bad", lang))
            node.children.append(Node(_t("gui.prov.uscc", lang), f"{info['uscc']} {suffix}".strip(),
                                      kind="" if valid is not False else "warning"))
        service = info.get("service_type")
        if service:
            words = (_t(SERVICE_TYPE_KEYS[service], lang) if service in SERVICE_TYPE_KEYS
                     else str(service))
            node.children.append(Node(_t("gui.prov.service", lang), words))
        if info.get("app_code"):
            node.children.append(Node(_t("gui.prov.app", lang), str(info["app_code"])))
    if fields.get(id_key) not in (None, ""):
        node.children.append(Node(id_key, _scalar(fields[id_key])))
    return node


def provenance(result: dict, lang: str) -> list[Node]:
    groups: list[Node] = []
    main = _main_label(result)
    fields = (main or {}).get("fields") or {}
    groups.append(_provider_group("gui.prov.producer", (main or {}).get("producer"), "ProduceID",
                                  fields, lang))
    groups.append(_provider_group("gui.prov.propagator", (main or {}).get("propagator"),
                                  "PropagateID", fields, lang))
    security = [_security_node(s, lang) for s in (main or {}).get("security") or []]
    groups.append(Node(_t("gui.prov.security", lang),
                       "" if security else _t("gui.prov.absent", lang), security))
    c2pa = result.get("c2pa")
    chain = Node(_t("gui.prov.c2pa", lang), "" if c2pa else _t("gui.ev.none", lang))
    if c2pa:
        chain.children = _c2pa_nodes(c2pa, lang).children
        for i, manifest in enumerate(c2pa.get("manifests") or c2pa.get("chain") or []):
            chain.children.append(Node(_t("gui.prov.manifest", lang, n=i + 1), "",
                                       raw_nodes(manifest), raw=True))
    groups.append(chain)
    info = result.get("file") or {}
    media = info.get("media_type", "unknown")
    file_node = Node(_t("gui.prov.file", lang), str(info.get("name") or ""), [
        Node(_t("gui.prov.path", lang), str(info.get("path", ""))),
        Node(_t("gui.prov.format", lang), f"{info.get('format', 'unknown')} · "
                                          f"{_t(f'media.{media}', lang)}"),
        Node(_t("gui.prov.size", lang), human_size(int(info.get("size") or 0), lang)),
        Node("SHA-256", str(info.get("sha256", ""))),
        Node("SM3", str(info.get("sm3", ""))),
    ])
    groups.append(file_node)
    if len([e for e in result.get("implicit_labels") or [] if e.get("fields")]) > 1:
        groups.insert(0, Node(_t("gui.prov.several", lang), "", kind="info"))
    return groups


# -- problems -------------------------------------------------------------------------------

def problems(result: dict) -> list[dict]:
    """The file's problems, most severe first (stable within a severity)."""
    order = {"error": 0, "warning": 1, "info": 2}
    items = [p for p in result.get("problems") or [] if isinstance(p, dict)]
    return sorted(items, key=lambda p: order.get(str(p.get("severity")), 1))
