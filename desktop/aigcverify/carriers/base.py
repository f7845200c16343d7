"""What every carrier module yields: raw metadata *sites*, never verdicts.

A carrier module (one per container family) exposes:

    FORMATS: tuple[str, ...]            # sniffed format names it reads (see sniff.FORMATS)
    def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]

`sites` walks the container with every length bounded and yields what it finds, in file
order. It raises only VerifyError subclasses: CarrierError when the container cannot be read
at all. Damage found after useful data (bad CRC, truncated tail) is yielded as a PROBLEM site
so that what was already read still counts.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import BinaryIO, Protocol

from ..limits import Limits

__all__ = ["SiteKind", "Site", "CarrierModule"]


class SiteKind(Enum):
    FIELD = "field"  # a named metadata field: key + text value (AIGC keys are label candidates)
    XMP = "xmp"  # a whole XMP packet (bytes); expanded by metadata.xmp
    EXIF = "exif"  # a TIFF-structured EXIF block (bytes, starts II*\0 / MM\0*); metadata.exif
    FRONT_MATTER = "front-matter"  # YAML front matter text of a Markdown file
    C2PA = "c2pa"  # an embedded C2PA manifest store (JUMBF) is present; value: its bytes or b""
    C2PA_REMOTE = "c2pa-remote"  # a reference to a manifest elsewhere; value: the URL
    TEXT = "text"  # document body text (bounded) for explicit text-prompt checks
    PROBLEM = "problem"  # non-fatal damage: key = problem code, value = detail


@dataclass(frozen=True, slots=True)
class Site:
    kind: SiteKind
    carrier: str  # schema carrier name: png-text, png-itxt, xmp, id3-txxx, mp4-ilst, ...
    location: str  # human-readable place in the container: "APP1 #2", "moov/udta/meta/ilst[3]"
    offset: int | None = None  # byte offset of the payload in the file, when known
    key: str = ""
    value: bytes | str = b""

    def text(self) -> str:
        """The value as text: UTF-8 with replacement (labels are ASCII JSON in practice)."""
        if isinstance(self.value, str):
            return self.value
        return self.value.decode("utf-8", errors="replace")


class CarrierModule(Protocol):
    FORMATS: tuple[str, ...]

    def sites(self, f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]: ...
