"""GB 45438 rules for explicit labels: hits in, explicit_labels entries and file problems out.

The numbers are the standard's (5 % of the shortest side, 2 s on the opening frames); where the
standard gives no number (what "edge or corner" means, how much measuring error to forgive), the
choice is ours and is named here so that it can be shown and changed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..findings import problem
from ..i18n import tr
from .terms import LabelMatch

__all__ = ["RULES", "EDGE_BAND", "HEIGHT_TOLERANCE", "position_of", "picture_entry",
           "file_problems", "Rules"]


@dataclass(frozen=True, slots=True)
class Rules:
    min_height_ratio: float | None = None  # glyph height / shortest side (GB 45438 5.2, 5.4)
    needs_edge: bool = False  # at an edge or corner of the picture (5.2)
    min_opening_s: float | None = None  # on screen from the opening for at least this (5.4)
    opening_window_s: float | None = None  # "opening frames": the label must start by then
    at_start_s: float | None = None  # audio prompt must begin within this many seconds (5.3)


RULES: dict[str, Rules] = {
    "image-text": Rules(min_height_ratio=0.05, needs_edge=True),
    "video-text": Rules(min_height_ratio=0.05, min_opening_s=2.0, opening_window_s=0.5),
    "audio-rhythm": Rules(at_start_s=3.0),
    "audio-speech": Rules(at_start_s=3.0),
    "text-prompt": Rules(),
}
# A label counts as at an edge when its gap to some side of the picture is at most this
# fraction of that side (the standard names no number; Annex C's figure shows ~3 %).
EDGE_BAND = 0.12
# Measured glyph heights are within ~10 % of the truth (bench/explicit_eval.py): a label is only
# called too small when it is below the limit by more than that, to give the publisher the
# benefit of the measuring doubt.
HEIGHT_TOLERANCE = 0.10

# entry problem code -> i18n key of its detail text
_DETAIL_KEYS: dict[str, str] = {
    "explicit-label-too-small": "explicit.detail.too-small",
    "explicit-label-position": "explicit.detail.position",
    "explicit-label-too-short": "explicit.detail.too-short",
    "explicit-label-elements": "explicit.detail.elements",
    "explicit-audio-position": "explicit.detail.audio-position",
}
# the file-level code used for each entry problem
_FILE_CODE: dict[str, str] = {
    "explicit-label-too-small": "explicit-label-too-small",
    "explicit-label-position": "explicit-label-position",
    "explicit-label-too-short": "explicit-label-too-short",
    "explicit-label-elements": "explicit-label-elements",
    "explicit-audio-position": "explicit-audio-position",
}
_FAMILY: dict[str, str] = {
    "image-text": "visual", "video-text": "visual",
    "audio-rhythm": "audio", "audio-speech": "audio", "text-prompt": "text",
}


def position_of(box: tuple[float, float, float, float], width: int,
                height: int) -> tuple[str, bool]:
    """("bottom-right" | "top" | ... | "centre", at an edge or corner?)."""
    x0, y0, x1, y1 = box
    gaps = {"left": x0 / width, "right": (width - x1) / width,
            "top": y0 / height, "bottom": (height - y1) / height}
    horizontal = "left" if gaps["left"] <= gaps["right"] else "right"
    vertical = "top" if gaps["top"] <= gaps["bottom"] else "bottom"
    near_h = gaps[horizontal] <= EDGE_BAND
    near_v = gaps[vertical] <= EDGE_BAND
    if near_h and near_v:
        return f"{vertical}-{horizontal}", True
    if near_v:
        return vertical, True
    if near_h:
        return horizontal, True
    return "centre", False


def too_small(height_ratio: float, rules: Rules) -> bool:
    if rules.min_height_ratio is None:
        return False
    return height_ratio < rules.min_height_ratio * (1 - HEIGHT_TOLERANCE)


def picture_entry(modality: str, match: LabelMatch, raw_text: str,
                  box: tuple[float, float, float, float], ink_height: float,
                  width: int, height: int, score: float) -> dict:
    """An explicit_labels entry for a label read off a picture or frame (size/position/elements;
    video.py adds timing)."""
    rules = RULES[modality]
    ratio = ink_height / min(width, height)
    position, at_edge = position_of(box, width, height)
    problems = []
    if too_small(ratio, rules):
        problems.append("explicit-label-too-small")
    if rules.needs_edge and not at_edge:
        problems.append("explicit-label-position")
    if not match.elements_complete:
        problems.append("explicit-label-elements")
    return {
        "modality": modality,
        "text": raw_text.strip(),
        "term": match.term,
        "form": match.kind,
        "vendor": match.vendor,
        "box": [round(v) for v in box],
        "height_ratio": round(ratio, 4),
        "position": position,
        "at_edge": at_edge,
        "ocr_score": round(score, 3),
        "start_s": None,
        "duration_s": None,
        "compliant": not problems,
        "problems": problems,
    }


def _detail(code: str, entry: dict, lang: str) -> str:
    pct = round(100 * (entry.get("height_ratio") or 0), 1)
    return tr(_DETAIL_KEYS[code], lang, text=entry.get("text", ""), pct=pct,
              need=round(100 * (RULES[entry["modality"]].min_height_ratio or 0)),
              position=tr(f"explicit.position.{entry.get('position', 'centre')}", lang),
              start=entry.get("start_s"), seconds=entry.get("duration_s"),
              need_s=RULES[entry["modality"]].min_opening_s)


def file_problems(entries: list[dict], lang: str) -> list[dict]:
    """File-level problems: for each family (visual, audio, text) in which no label complies,
    every rule its labels break, once, with the first offending label as the detail."""
    out: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for family in ("visual", "audio", "text"):
        members = [e for e in entries if _FAMILY.get(e["modality"]) == family]
        if not members or any(e["compliant"] for e in members):
            continue
        for entry in members:
            for code in entry["problems"]:
                file_code = _FILE_CODE.get(code)
                if file_code is None or (file_code, family) in seen:
                    continue
                seen.add((file_code, family))
                out.append(problem(file_code, lang, detail=_detail(code, entry, lang)))
    return out
