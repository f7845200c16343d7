"""WebP: the RIFF chunks of a `RIFF….WEBP` file.

`XMP ` (trailing space) is the XMP packet, `EXIF` the EXIF block (some writers keep the JPEG
`Exif\\0\\0` prefix), `C2PA` the C2PA manifest store. Image chunks are skipped with a seek.
"""

import struct
from collections.abc import Iterator
from typing import BinaryIO

from ..errors import CarrierError
from ..limits import Limits
from .base import Site, SiteKind

__all__ = ["FORMATS", "sites"]

FORMATS = ("webp",)

XMP_CHUNK = b"XMP "
EXIF_CHUNK = b"EXIF"
C2PA_CHUNK = b"C2PA"
_READ_CHUNKS = {XMP_CHUNK, EXIF_CHUNK}


def _problem(code: str, detail: str, location: str, offset: int | None) -> Site:
    return Site(SiteKind.PROBLEM, "webp", location, offset, key=code, value=detail)


def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]:
    f.seek(0, 2)
    size = f.tell()
    f.seek(0)
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        raise CarrierError("WebP: not a RIFF/WEBP file")
    (riff_size,) = struct.unpack("<I", head[4:8])
    declared_end = 8 + riff_size
    end = min(size, declared_end)
    pos = 12
    count = 0
    total = 0
    while pos + 8 <= end:
        f.seek(pos)
        fourcc, length = struct.unpack("<4sI", f.read(8))
        count += 1
        where = f"{fourcc.decode('latin-1').strip()} #{count}"
        if count > limits.max_structures:
            yield _problem("resource-limit", f"more than {limits.max_structures} chunks", where,
                           pos)
            return
        data_off = pos + 8
        if data_off + length > size:
            if count == 1:
                raise CarrierError(f"WebP: first chunk declares {length} bytes, file is {size}")
            yield _problem("parse-error", f"{where} at {pos} declares {length} bytes, the file "
                           f"ends at {size}", where, pos)
            return
        if fourcc == C2PA_CHUNK:
            yield Site(SiteKind.C2PA, "c2pa", where, data_off, value=b"")
        elif fourcc in _READ_CHUNKS:
            if length > limits.max_metadata_bytes or total + length > limits.max_total_metadata:
                yield _problem("resource-limit", f"{where}: {length} bytes", where, data_off)
            else:
                total += length
                data = f.read(length)
                if fourcc == XMP_CHUNK:
                    yield Site(SiteKind.XMP, "xmp", where, data_off, value=data)
                else:
                    skip = 6 if data.startswith(b"Exif\x00\x00") else 0
                    yield Site(SiteKind.EXIF, "exif", where, data_off + skip, value=data[skip:])
        pos = data_off + length + (length & 1)  # chunks are padded to even sizes
    if count == 0:
        raise CarrierError("WebP: no chunk in the file")
    if declared_end > size:
        yield _problem("parse-error", f"RIFF size says {declared_end} bytes, the file has {size}",
                       "end of file", size)
