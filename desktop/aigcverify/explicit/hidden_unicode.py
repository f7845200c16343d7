"""Invisible Unicode marks in text: zero-width characters, bidi controls, tag characters and
runs of variation selectors. Text watermarking schemes (and "ASCII smuggling") hide data in
them; an ordinary reader cannot see them. They are reported as metadata_hints, not as labels.

Legitimate uses are left out, so that ordinary text does not raise a hint:
  * a byte-order mark at the very start;
  * ZWJ/ZWNJ inside emoji sequences and inside joining scripts (Arabic, Indic, Mongolian...);
  * bidi marks in a text that contains right-to-left letters;
  * one variation selector after a character (emoji/text presentation, CJK ideographic
    variants); only runs of MIN_VS_RUN or more count;
  * tag characters inside an emoji tag sequence (U+1F3F4 ... U+E007F: subdivision flags).
The code points come from resources/explicit_terms.json ("hidden_unicode").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..i18n import tr
from .terms import terms

__all__ = ["HiddenMarks", "scan_hidden", "hidden_hint"]

_BIDI = {0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}
_JOINERS = {0x200C, 0x200D}
_BLACK_FLAG = 0x1F3F4
_CANCEL_TAG = 0xE007F
# (first, last) code point ranges
_JOINING_SCRIPTS = ((0x0600, 0x08FF), (0x0900, 0x0DFF), (0x0700, 0x074F), (0x1800, 0x18AF),
                    (0xFB50, 0xFDFF), (0xFE70, 0xFEFF), (0x0F00, 0x0FFF), (0x1000, 0x109F),
                    (0x1780, 0x17FF), (0xA840, 0xA87F))
_RTL_LETTERS = ((0x0590, 0x08FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFE), (0x10800, 0x10FFF),
                (0x1E800, 0x1EFFF))
_EMOJI = ((0x1F000, 0x1FAFF), (0x2600, 0x27BF), (0x2300, 0x23FF), (0x2B00, 0x2BFF),
          (0xFE0E, 0xFE0F), (0x1F3FB, 0x1F3FF), (0x00A9, 0x00A9), (0x00AE, 0x00AE))


def _in(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


@dataclass(slots=True)
class HiddenMarks:
    counts: dict[str, int] = field(default_factory=dict)  # kind -> number of characters
    positions: list[int] = field(default_factory=list)  # character offsets (first few)
    tag_text: str = ""  # what the tag characters spell, when they encode ASCII

    def __bool__(self) -> bool:
        return any(self.counts.values())


def _config() -> tuple[set[int], tuple[int, int], tuple[tuple[int, int], ...], int, int]:
    cfg = terms().hidden
    zero_width = {int(h, 16) for h in cfg["zero_width"]}
    tag = (int(cfg["tag_range"][0], 16), int(cfg["tag_range"][1], 16))
    vs = tuple((int(a, 16), int(b, 16)) for a, b in cfg["variation_selector_ranges"])
    return zero_width, tag, vs, int(cfg["min_run_for_variation_selectors"]), \
        int(cfg["max_positions_reported"])


def scan_hidden(text: str, offset: int = 0) -> HiddenMarks:
    """Count the suspicious invisible characters in text (offsets shifted by offset)."""
    zero_width, (tag_lo, tag_hi), vs_ranges, min_run, max_positions = _config()
    marks = HiddenMarks()
    has_rtl = any(_in(ord(ch), _RTL_LETTERS) for ch in text if ord(ch) >= 0x0590)
    n = len(text)
    in_flag_sequence = False
    tags: list[str] = []
    i = 0

    def note(kind: str, at: int, count: int = 1) -> None:
        marks.counts[kind] = marks.counts.get(kind, 0) + count
        if len(marks.positions) < max_positions:
            marks.positions.append(offset + at)

    while i < n:
        cp = ord(text[i])
        if cp == _BLACK_FLAG:
            in_flag_sequence = True
        elif tag_lo <= cp <= tag_hi:
            if in_flag_sequence:
                in_flag_sequence = cp != _CANCEL_TAG
            else:
                note("tag", i)
                if 0xE0020 <= cp <= 0xE007E:
                    tags.append(chr(cp - 0xE0000))
        elif _in(cp, vs_ranges):
            j = i
            while j < n and _in(ord(text[j]), vs_ranges):
                j += 1
            if j - i >= min_run:
                note("variation-selector-run", i, j - i)
            i = j
            in_flag_sequence = False
            continue
        elif cp in zero_width:
            prev_cp = ord(text[i - 1]) if i > 0 else 0
            next_cp = ord(text[i + 1]) if i + 1 < n else 0
            legit = (
                (cp == 0xFEFF and i == 0 and offset == 0)
                or (cp in _JOINERS and (_in(prev_cp, _EMOJI) or _in(next_cp, _EMOJI)
                                        or _in(prev_cp, _JOINING_SCRIPTS)
                                        or _in(next_cp, _JOINING_SCRIPTS)))
                or (cp in _BIDI and has_rtl)
                or (cp == 0x180E and _in(prev_cp, ((0x1800, 0x18AF),)))
            )
            if not legit:
                note("bidi-control" if cp in _BIDI else "zero-width", i)
        else:
            in_flag_sequence = False
        i += 1
    marks.tag_text = "".join(tags)[:200]
    return marks


def hidden_hint(marks: HiddenMarks, source: str, lang: str) -> dict:
    """A metadata_hints entry for the marks found in one text source."""
    total = sum(marks.counts.values())
    kinds = tr("explicit.list-separator", lang).join(
        tr(f"explicit.hidden.kind.{k}", lang) for k in sorted(marks.counts))
    hint = {
        "source": source,
        "kind": "hidden-unicode",
        "counts": dict(sorted(marks.counts.items())),
        "positions": marks.positions,
        "message": tr("explicit.hidden.message", lang, count=total, kinds=kinds),
    }
    if marks.tag_text:
        hint["decoded_tags"] = marks.tag_text
    return hint
