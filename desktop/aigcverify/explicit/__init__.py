"""Explicit (visible and audible) AI labels: the "explicit" stage of the pipeline.

Measures Art. 6(3): an explicit label is evidence that a file is AI-generated (verdict
"suspected" when no implicit label says more), and a visible label without the metadata label
suggests the implicit label was stripped (verdict.py adds explicit-without-implicit). GB 45438-2025
chapter 5 sets the rules checked here: the text must carry an AI and a generation element, on
pictures at an edge or corner with glyphs at least 5 % of the shortest side, in video on the
opening frames for at least 2 s, in audio the "short-long-short-short" rhythm (or a spoken
prompt) at the start.

    image-text     ocr.py + image.py       OCR over the picture, tiles for big ones
    video-text     video.py                dense opening, sparse key frames, label tracks
    audio-rhythm   audio_rhythm.py         tone onsets/durations from the envelope (heuristic)
    text-prompt    text_prompt.py          prompts at the start/end of TXT/MD/HTML/DOCX/PDF text
    hidden marks   hidden_unicode.py       zero-width/tag/variation-selector runs -> metadata_hints

Importing this package loads no model: the OCR engine is a per-process singleton created the
first time a picture is read (ocr.engine()).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import ExplicitError

if TYPE_CHECKING:
    from ..carriers.base import Site
    from ..pipeline import CheckOptions

__all__ = ["run", "ExplicitError", "CHECKS"]

log = logging.getLogger(__name__)


# A check returns (explicit_labels entries, metadata_hints, failures): a failure is the
# ExplicitError of one part (the picture track of a video, say) when another part still worked.
CheckResult = tuple[list[dict], list[dict], list[ExplicitError]]


def _image(path: str, fmt: str, sites: list, lang: str) -> CheckResult:
    from .image import check_image

    return check_image(path), [], []


def _video(path: str, fmt: str, sites: list, lang: str) -> CheckResult:
    """Frames and sound track are read separately: a broken one must not hide the other."""
    from .audio_rhythm import check_audio
    from .video import check_video

    entries: list[dict] = []
    failures: list[ExplicitError] = []
    for part in (lambda: check_video(path, fmt),
                 lambda: check_audio(path, fmt, lang, optional=True)):
        try:
            entries.extend(part())
        except ExplicitError as err:
            failures.append(err)
    if len(failures) == 2:
        raise failures[0]
    return entries, [], failures


def _audio(path: str, fmt: str, sites: list, lang: str) -> CheckResult:
    from .audio_rhythm import check_audio

    return check_audio(path, fmt, lang), [], []


def _text(path: str, fmt: str, sites: list, lang: str) -> CheckResult:
    from .text_prompt import check_text

    entries, hints = check_text(path, fmt, sites, lang)
    return entries, hints, []


# media_type (sniff.MEDIA_TYPES) -> its check
CHECKS: dict[str, Callable[[str, str, list, str], CheckResult]] = {
    "image": _image,
    "video": _video,
    "audio": _audio,
    "document": _text,
    "text": _text,
}


def run(path: str, result: dict, sites: "list[Site]", options: "CheckOptions") -> None:
    """Pipeline stage: add explicit_labels, their file-level problems and hidden-mark hints."""
    from ..findings import problem
    from .judge import file_problems

    media_type = result["file"].get("media_type", "unknown")
    fmt = result["file"].get("format", "unknown")
    check = CHECKS.get(media_type)
    if check is None:
        return
    entries, hints, failures = check(str(path), fmt, list(sites or []), options.lang)
    result.setdefault("explicit_labels", []).extend(entries)
    result.setdefault("problems", []).extend(file_problems(entries, options.lang))
    result.setdefault("metadata_hints", []).extend(hints)
    for err in failures:  # one part failed, the rest was checked: say so, keep what was found
        result["problems"].append(problem("explicit-failed", options.lang, detail=str(err)[:300]))
