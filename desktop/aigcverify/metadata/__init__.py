"""Shared expanders for metadata blocks that many containers embed: XMP and EXIF.

Carrier modules yield an XMP or EXIF site as one opaque block; `expand` opens those blocks
into the FIELD / C2PA_REMOTE / PROBLEM sites inside them, right after the block they came
from, so every later stage sees one flat list in file order. An EXIF block may itself hold an
XMP packet (tag 700): that one is expanded too (one level, which is all the formats allow).
"""

from collections.abc import Iterable, Iterator

from ..carriers.base import Site, SiteKind
from ..errors import VerifyError
from ..limits import Limits
from . import exif, xmp

__all__ = ["expand"]


def _inner(site: Site, limits: Limits) -> Iterator[Site]:
    """The sites inside one XMP or EXIF block (with the XMP inside an EXIF block opened)."""
    try:
        if site.kind is SiteKind.XMP:
            yield from xmp.fields(site, limits)
        elif site.kind is SiteKind.EXIF:
            for sub in exif.fields(site, limits):
                yield sub
                if sub.kind is SiteKind.XMP:
                    yield from xmp.fields(sub, limits)
    except VerifyError as e:  # the expanders report damage as sites; this is the backstop
        yield Site(SiteKind.PROBLEM, site.carrier, site.location, site.offset, key=e.code,
                   value=str(e))


def expand(sites: Iterable[Site], limits: Limits) -> list[Site]:
    """Return `sites` with each XMP/EXIF site followed by what it contains, at most
    `limits.max_sites` sites in all (a PROBLEM `resource-limit` marks the cut)."""
    out: list[Site] = []
    cap = max(1, limits.max_sites)

    def add(site: Site) -> bool:
        if len(out) >= cap:
            last = out[-1]
            out[-1] = Site(SiteKind.PROBLEM, last.carrier, last.location, last.offset,
                           key="resource-limit",
                           value=f"more than {cap} metadata items; the rest was ignored")
            return False
        out.append(site)
        return True

    for site in sites:
        if not add(site):
            break
        if site.kind in (SiteKind.XMP, SiteKind.EXIF):
            if not all(add(sub) for sub in _inner(site, limits)):
                break
    return out
