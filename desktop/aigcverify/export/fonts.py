"""Find a CJK font for the complaint PDF (see resources/fonts/README.md for the choice)."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..resources import resource_path

__all__ = ["CjkFont", "find_cjk_font", "FontMissing"]

# (path, text face index, monospace face index or None), first found wins
_CANDIDATES: tuple[tuple[Path, int, int | None], ...] = (
    (resource_path("fonts", "wqy-microhei.ttc"), 0, 1),
    (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0, 1),
    (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0, 1),
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2, None),
    (Path("C:/Windows/Fonts/msyh.ttc"), 0, None),
    (Path("/System/Library/Fonts/PingFang.ttc"), 0, None),
)


class FontMissing(Exception):
    """No usable CJK font: the PDF cannot show Chinese."""


@dataclass(frozen=True, slots=True)
class CjkFont:
    path: Path
    face: int
    mono_face: int | None


@cache
def find_cjk_font() -> CjkFont:
    for path, face, mono in _CANDIDATES:
        if path.is_file():
            return CjkFont(path, face, mono)
    raise FontMissing("no CJK font found (resources/fonts/wqy-microhei.ttc is missing)")
