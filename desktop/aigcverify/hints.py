"""Generator traces in ordinary metadata ("metadata hints"), driven by resources/generators.json.

A hint is not a label: it is a trace an AI tool leaves in fields that every file has (EXIF
Software, XMP CreatorTool, PNG text chunks, ID3 TSSE, MP4 ©too, PDF Producer/Creator, OOXML
Application, HTML generator), or a private marker a vendor writes next to the standard label.
Under the Measures Art. 6(3) a trace makes content "suspected", so a false positive costs the
user a wrong verdict: patterns match whole tokens of known generator names, and generic values
("Adobe Photoshop 25.0", "GIMP 2.10", "Lavf60.3.100") match nothing.

The table (see the file's "_about") has three parts:
  generators            id -> product, vendor, name patterns
  rules                 field key(s) + a test on the value -> hint kind, generator, message
  digital_source_types  IPTC/C2PA digital source type -> ai | synthetic | none (shared with
                        c2pa_check, which documents the meanings)

Fields whose key contains "AIGC" are GB 45438 label candidates: labels/ reads them, this module
skips them so that one field never counts twice. Only FIELD sites are read; XMP and EXIF blocks
reach this module already expanded into FIELD sites by metadata.expand.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .carriers.base import Site, SiteKind
from .i18n import tr
from .resources import resource_path

__all__ = [
    "HINT_KINDS",
    "MAX_VALUE_CHARS",
    "Generator",
    "Rule",
    "HintTable",
    "load_table",
    "local_name",
    "clean_text",
    "source_type_category",
    "metadata_hints",
]

log = logging.getLogger(__name__)

HINT_KINDS = ("software", "generation-parameters", "digital-source-type", "vendor-private")
MAX_VALUE_CHARS = 200  # the value shown in a hint
SCAN_CHARS = 64 * 1024  # how much of one field value the rules look at (bounds the work)
SKIP_KEY_MARK = "aigc"  # GB 45438 Annex E a): label fields have "AIGC" in their name

_KEY_SEPARATORS = re.compile(r"[:/}#.]")
_KEY_INDEX = re.compile(r"\[[^\]]*\]$")
_KEY_JUNK = "©\ufffd@ \t"  # "©too" may arrive as "\ufffdtoo" when decoded as UTF-8
# Control characters and bidi overrides are removed from untrusted text before it is shown:
# a value with U+202E could otherwise display reversed text in a report.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_text(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """Untrusted text made safe to show: control and format characters become spaces, runs of
    whitespace collapse, and the result is cut to limit characters (with an ellipsis)."""
    text = value if isinstance(value, str) else str(value)
    text = text[: limit * 4]
    text = "".join(" " if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def local_name(key: str) -> str:
    """'xmp:CreatorTool' / '{ns}CreatorTool' / 'Exif.Image.Software' / '/Producer' ->
    the last name part; '©too' -> 'too'; 'dc:description[1]' -> 'description'."""
    key = _KEY_INDEX.sub("", key.strip())
    parts = [p for p in _KEY_SEPARATORS.split(key) if p.strip(_KEY_JUNK)]
    return parts[-1].strip(_KEY_JUNK) if parts else key.strip(_KEY_JUNK)


@dataclass(frozen=True, slots=True)
class Generator:
    id: str
    product: str
    vendor: str
    regex: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    keys: frozenset[str] | None  # None: any key
    kind: str
    message: str
    generator: Generator | None = None
    vendor: str | None = None  # for vendor markers that name no product
    regex: re.Pattern[str] | None = None
    match_generator: bool = False  # the value must name a known generator
    any_value: bool = False  # the key alone is the trace (value must not be empty)
    json_all: tuple[str, ...] = ()
    json_any: tuple[str, ...] = ()
    source_types: frozenset[str] = frozenset()  # categories for digital source type rules
    needles: tuple[str, ...] = ()  # cheap pre-filter: one must occur in the lower-cased value


@dataclass(frozen=True)
class HintTable:
    generators: tuple[Generator, ...]
    rules: tuple[Rule, ...]
    source_types: dict[str, tuple[str, str]]  # lower-case term -> (term, category)

    @functools.cached_property
    def _keyed(self) -> dict[str, tuple[Rule, ...]]:
        keys = {k for rule in self.rules if rule.keys for k in rule.keys}
        return {k: tuple(r for r in self.rules if r.keys is None or k in r.keys) for k in keys}

    @functools.cached_property
    def _wildcard(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.keys is None)

    def rules_for(self, name: str) -> tuple[Rule, ...]:
        """The rules that apply to a field with this local name, in table order."""
        return self._keyed.get(name, self._wildcard)

    def generator_named_in(self, text: str) -> Generator | None:
        for gen in self.generators:
            if gen.regex.search(text):
                return gen
        return None


def _compile(patterns: list[str], what: str) -> re.Pattern[str]:
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE | re.DOTALL)
    except re.error as err:  # a broken table is a packaging bug: fail loudly, at load time
        raise ValueError(f"generators.json: bad pattern in {what}: {err}") from err


def _parse_table(doc: dict) -> HintTable:
    generators = tuple(
        Generator(g["id"], g["product"], g["vendor"], _compile(g["patterns"], g["id"]))
        for g in doc["generators"])
    by_id = {g.id: g for g in generators}
    software_keys = frozenset(doc["software_keys"])
    rules = []
    for r in doc["rules"]:
        keys = r["keys"]
        key_set = (None if keys == "*" else software_keys if keys == "@software_keys"
                   else frozenset(keys))
        gen_id = r.get("generator")
        if gen_id is not None and gen_id not in by_id:
            raise ValueError(f"generators.json: rule {r['id']} names unknown generator {gen_id}")
        if r["kind"] not in HINT_KINDS:
            raise ValueError(f"generators.json: rule {r['id']} has unknown kind {r['kind']}")
        rules.append(Rule(
            id=r["id"], keys=key_set, kind=r["kind"], message=r["message"],
            generator=by_id.get(gen_id) if gen_id else None, vendor=r.get("vendor"),
            regex=_compile([r["regex"]], r["id"]) if r.get("regex") else None,
            match_generator=bool(r.get("match_generator")), any_value=bool(r.get("any_value")),
            json_all=tuple(r.get("json_all", ())), json_any=tuple(r.get("json_any", ())),
            source_types=frozenset(r.get("source_type", ())),
            needles=tuple(n.lower() for n in r.get("needles", ())),
        ))
    source_types = {term.lower(): (term, cat) for term, cat in doc["digital_source_types"].items()}
    return HintTable(generators, tuple(rules), source_types)


@functools.cache
def load_table(path: str | None = None) -> HintTable:
    """The parsed, precompiled table (once per process)."""
    file = Path(path) if path else resource_path("generators.json")
    with open(file, encoding="utf-8") as fh:
        return _parse_table(json.load(fh))


def source_type_category(value: str) -> tuple[str, str] | None:
    """A digital source type URI or term -> (term, category) with category ai / synthetic /
    none; None when the term is not in the vocabulary."""
    term = value.strip().rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].strip()
    return load_table().source_types.get(term.lower()) if term else None


def _json_keys(text: str) -> set[str] | None:
    if not text.lstrip().startswith("{"):
        return None
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return set(obj) if isinstance(obj, dict) else None


@dataclass(frozen=True, slots=True)
class _Match:
    rule: Rule
    generator: Generator | None
    detail: dict[str, str]


class _Value:
    """One field value, lower-cased at most once however many rules look at it."""

    __slots__ = ("text", "_lower")

    def __init__(self, text: str) -> None:
        self.text = text
        self._lower: str | None = None

    @property
    def lower(self) -> str:
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower


def _apply(rule: Rule, value: _Value, table: HintTable) -> _Match | None:
    if rule.needles and not any(n in value.lower for n in rule.needles):
        return None
    text = value.text
    if rule.any_value:
        return _Match(rule, rule.generator, {}) if text.strip() else None
    if rule.match_generator:
        gen = table.generator_named_in(text)
        return _Match(rule, gen, {}) if gen else None
    if rule.source_types:
        found = source_type_category(text)
        if found and found[1] in rule.source_types:
            return _Match(rule, None, {"type": found[0], "category": found[1]})
        return None
    if rule.json_all:
        keys = _json_keys(text)
        if keys is None or not all(k in keys for k in rule.json_all):
            return None
        if rule.json_any and not any(k in keys for k in rule.json_any):
            return None
        return _Match(rule, rule.generator, {})
    if rule.regex is not None:
        m = rule.regex.search(text)
        if m is None:
            return None
        detail = {"level": m.group(1)} if m.groups() and m.group(1) else {}
        return _Match(rule, rule.generator, detail)
    return None


def _head(site: Site) -> str:
    """The first SCAN_CHARS characters of the value, without decoding a huge payload whole."""
    raw = site.value
    text = raw[:SCAN_CHARS] if isinstance(raw, str) else raw[: SCAN_CHARS * 4].decode(
        "utf-8", errors="replace")[:SCAN_CHARS]
    return text.replace("\x00", " ")


def _hint(site: Site, match: _Match, text: str, lang: str) -> dict:
    rule, gen = match.rule, match.generator
    product = gen.product if gen else None
    vendor = gen.vendor if gen else rule.vendor
    message_key = rule.message
    if "category" in match.detail:
        message_key = f"{rule.message}.{match.detail['category']}"
    hint = {
        "source": site.carrier,
        "key": clean_text(site.key, 100),
        "value": clean_text(text),
        "generator": product,
        "vendor": vendor,
        "kind": rule.kind,
        "location": site.location,
        "message": tr(message_key, lang, key=clean_text(site.key, 60), generator=product or "",
                      vendor=vendor or "", **match.detail),
        "rule": rule.id,
    }
    if "type" in match.detail:
        hint["source_type"] = match.detail["type"]
    return hint


def metadata_hints(sites: list[Site], lang: str) -> list[dict]:
    """One hint per FIELD site that carries a generator trace (first matching rule wins), in
    site order; identical traces seen twice at the same kind of place are reported once."""
    table = load_table()
    hints: list[dict] = []
    seen: set[tuple] = set()
    for site in sites:
        if site.kind is not SiteKind.FIELD or not site.key:
            continue
        name = local_name(site.key)
        if SKIP_KEY_MARK in name.lower() or SKIP_KEY_MARK in site.key.lower():
            continue
        value = _Value(_head(site))
        for rule in table.rules_for(name):
            match = _apply(rule, value, table)
            if match is None:
                continue
            gen_id = match.generator.id if match.generator else None
            ident = (site.carrier, name, value.text[: MAX_VALUE_CHARS * 4], gen_id, rule.id)
            if ident not in seen:
                seen.add(ident)
                hints.append(_hint(site, match, value.text, lang))
            break
    return hints
