"""Turn one label payload (a FIELD value or a YAML front matter block) into Annex E fields.

Tolerant reading, strict reporting: every serialisation variant of label-formats.md §2 is decoded
(flat and {"AIGC":{...}}-wrapped JSON, XML/HTML-escaped quotes, the bare `AIGC{...}` form,
double-encoded JSON, numeric or lower-case keys, YAML block and flow forms), and every deviation
becomes a problem code for validate.py to weigh. Nothing here decides conformance.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml

__all__ = [
    "ANNEX_E_KEYS",
    "MAX_PAYLOAD_CHARS",
    "Decoded",
    "decode_json_label",
    "decode_front_matter",
    "looks_like_label",
    "plain",
]

# The seven Annex E elements, in the order the standard lists them (names are case-sensitive).
ANNEX_E_KEYS = (
    "Label",
    "ContentProducer",
    "ProduceID",
    "ReservedCode1",
    "ContentPropagator",
    "PropagateID",
    "ReservedCode2",
)
_CANONICAL = {k.casefold(): k for k in ANNEX_E_KEYS}

# Bounds: a real label is well under 8 KiB even with two SecurityData blocks.
MAX_PAYLOAD_CHARS = 1024 * 1024
MAX_FRONT_MATTER_CHARS = 256 * 1024
MAX_YAML_EVENTS = 50_000
MAX_YAML_ALIASES = 32  # labels never need aliases; a few are tolerated, a bomb is not
MAX_PLAIN_DEPTH = 16
MAX_PLAIN_ITEMS = 1000
MAX_DUPLICATES_REPORTED = 16

# Prefixes that an EXIF UserComment carries before its text (8 bytes, JEITA CP-3451 table 9).
_EXIF_CHARSET_PREFIXES = ("ASCII\0\0\0", "UNICODE\0", "JIS\0\0\0\0\0", "\0" * 8)
_BARE_PREFIX = "AIGC"
_WRAPPER_KEY = "AIGC"


@dataclass
class Decoded:
    """One decoded label candidate.

    fields: the label object exactly as written (keys as written), made JSON-safe for output.
    values: canonical Annex E key -> raw decoded value (types kept, for validation).
    """

    fields: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)
    wrapped: bool = False
    lookalike: bool = False  # an AIGC marker that is not an Annex E label (Tencent, MiniMax old)
    problems: list[str] = field(default_factory=list)


class _NotJson(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NotJson(f"non-standard JSON constant {name}")


def _strict_loads(text: str, duplicates: list[str]) -> Any:
    """json.loads that records duplicate object keys (json keeps the last silently)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in items:
            if key in obj and len(duplicates) < MAX_DUPLICATES_REPORTED:
                duplicates.append(key)
            obj[key] = value
        return obj

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as e:  # JSONDecodeError is a ValueError
        raise _NotJson(str(e)) from None


def plain(value: Any, depth: int = 0) -> Any:
    """A JSON-serialisable copy of a decoded value (YAML can produce dates, bytes, sets...)."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if depth >= MAX_PLAIN_DEPTH:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())[:MAX_PLAIN_ITEMS]
        return {str(k): plain(v, depth + 1) for k, v in items}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v, depth + 1) for v in list(value)[:MAX_PLAIN_ITEMS]]
    return str(value)


def _annex_e_view(obj: dict[Any, Any]) -> tuple[dict[str, Any], list[str]]:
    """canonical key -> value, plus 'lowercase-keys' when keys differ from Annex E in case."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in obj.items():
        canon = _CANONICAL.get(str(key).casefold())
        if canon is None:
            continue
        if key != canon and "lowercase-keys" not in problems:
            problems.append("lowercase-keys")
        values.setdefault(canon, value)
    return values, problems


def _find_wrapper(obj: dict[Any, Any]) -> Any:
    """The value under the AIGC wrapper key, or None. Exact key first, then any case."""
    if _WRAPPER_KEY in obj:
        return obj[_WRAPPER_KEY]
    for key, value in obj.items():
        if str(key).casefold() == _WRAPPER_KEY.casefold():
            return value
    return None


def _from_object(obj: Any, problems: list[str], duplicates: list[str]) -> Decoded | None:
    """Unwrap and classify a decoded JSON/YAML value. None when it is not an object at all."""
    wrapped = False
    if isinstance(obj, dict) and not _annex_e_view(obj)[0]:
        inner = _find_wrapper(obj)
        if isinstance(inner, str):
            # {"AIGC":"{\"Label\":...}"}: the label object was JSON-encoded once more
            try:
                inner = _strict_loads(inner.strip(), duplicates)
                problems.append("double-encoded")
            except _NotJson:
                inner = None
        if isinstance(inner, dict):
            obj, wrapped = inner, True
    if not isinstance(obj, dict):
        return None
    values, case_problems = _annex_e_view(obj)
    problems.extend(case_problems)
    problems.extend(f"duplicate-key:{k}" for k in dict.fromkeys(duplicates))
    label = values.get("Label")
    lookalike = not values or (isinstance(label, str) and label.strip().casefold() == "aigc")
    if lookalike:
        problems.append("not-annex-e")
    return Decoded(fields=plain(obj), values=values, wrapped=wrapped, lookalike=lookalike,
                   problems=list(dict.fromkeys(problems)))


def looks_like_label(text: str) -> bool:
    """Cheap test for values of fields whose *name* does not say AIGC (EXIF comments etc.)."""
    head = text.lstrip("\0 \t\r\n")
    for prefix in _EXIF_CHARSET_PREFIXES:
        if head.startswith(prefix):
            head = head[len(prefix):].lstrip()
    return (
        '"AIGC"' in text
        or "&quot;AIGC&quot;" in text
        or head.startswith(_BARE_PREFIX + "{")
        or ('"Label"' in text and '"ContentProducer"' in text)
    )


def decode_json_label(text: str) -> Decoded | None:
    """Decode one JSON label value. Returns None when the text is not JSON at all (the caller
    decides whether that matters: it does for a field named AIGC, not for a random comment)."""
    problems: list[str] = []
    if len(text) > MAX_PAYLOAD_CHARS:
        return Decoded(fields={}, problems=["label-too-large"])
    body = text.strip().strip("\0").strip()
    for prefix in _EXIF_CHARSET_PREFIXES:
        if body.startswith(prefix):
            body = body[len(prefix):].strip("\0").strip()
    if body.startswith(_BARE_PREFIX + "{"):
        body = body[len(_BARE_PREFIX):]  # Jimeng APP9/APP11: keyword glued to the JSON
        problems.append("bare-aigc-prefix")
    if "&quot;" in body and '"' not in body:
        body = html.unescape(body)  # an escaping layer the container did not remove
        problems.append("html-escaped")
    duplicates: list[str] = []
    try:
        obj = _strict_loads(body, duplicates)
        if isinstance(obj, str):
            obj = _strict_loads(obj.strip(), duplicates)
            problems.append("double-encoded")
    except _NotJson:
        return None
    return _from_object(obj, problems, duplicates)


# --- YAML front matter ---------------------------------------------------------------------


class _LabelYamlLoader(yaml.SafeLoader):
    """SafeLoader that records duplicate mapping keys (PyYAML keeps the last silently)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[str] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen and len(self.duplicate_keys) < MAX_DUPLICATES_REPORTED:
                    self.duplicate_keys.append(key_node.value)
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)


def _yaml_too_complex(text: str) -> bool:
    """Count events and aliases before building anything: an alias bomb is cheap to parse
    but explodes when the shared structure is walked or serialised."""
    aliases = events = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        events += 1
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
        if aliases > MAX_YAML_ALIASES or events > MAX_YAML_EVENTS:
            return True
    return False


def decode_front_matter(text: str) -> Decoded | None:
    """Decode a Markdown YAML front matter block; None when it carries no AIGC key."""
    mentions_aigc = "aigc" in text.casefold()
    if len(text) > MAX_FRONT_MATTER_CHARS:
        return Decoded(fields={}, problems=["label-too-large"]) if mentions_aigc else None
    try:
        if _yaml_too_complex(text):
            too_complex = Decoded(fields={}, problems=["front-matter-too-complex"])
            return too_complex if mentions_aigc else None
        loader = _LabelYamlLoader(text)
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError):
        # ValueError/OverflowError: PyYAML's timestamp and int constructors on odd scalars
        return Decoded(fields={}, problems=["front-matter-invalid"]) if mentions_aigc else None
    if not isinstance(data, dict):
        return None
    key = next((k for k in data if "aigc" in str(k).casefold()), None)
    if key is None:
        return None
    value = data[key]
    # only duplicates that touch the label matter here (a repeated "title:" is not our business)
    duplicates = [k for k in loader.duplicate_keys
                  if k.casefold() in _CANONICAL or "aigc" in k.casefold()]
    if isinstance(value, str):
        decoded = decode_json_label(value)  # `AIGC: '{"Label":"1",...}'` as a quoted string
        if decoded is None:
            return Decoded(fields={str(key): value}, lookalike=True, problems=["not-annex-e"])
        decoded.problems.extend(f"duplicate-key:{k}" for k in duplicates)
        return decoded
    if isinstance(value, dict):
        return _from_object(value, [], duplicates)
    return Decoded(fields={str(key): plain(value)}, lookalike=True, problems=["not-annex-e"])
