"""TIFF (classic and BigTIFF): IFD0 and its Exif sub-IFD, read in place.

A TIFF file is its own EXIF block, so the IFD walk is metadata.exif's: tag 700 becomes the
XMP site (the TC260 image guide's normative carrier), and ImageDescription, Software, Artist,
Make, Model and the Exif UserComment become FIELD sites directly (no EXIF site is yielded,
so nothing is expanded twice). The file is never loaded whole: strips and tiles are not read.
"""

from collections.abc import Iterator
from typing import BinaryIO

from ..limits import Limits
from ..metadata.exif import FileSource, walk_tiff
from .base import Site

__all__ = ["FORMATS", "sites"]

FORMATS = ("tiff",)


def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]:
    f.seek(0, 2)
    size = f.tell()
    yield from walk_tiff(FileSource(f, size), limits, file_offset=0, problem_carrier="tiff")
