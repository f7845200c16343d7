"""A deterministic ZIP writer for complaint packages.

Written by hand (not zipfile) so that every byte is specified and the standalone verify.py can
check every byte back: stored members (PDFs and media are compressed already, and the output
then does not depend on a zlib version), ASCII names from fixed patterns, one timestamp taken
from the reports, fixed attributes, no extra fields, no comments, no ZIP64. Standard readers
(zipfile, unzip, Explorer) open it as an ordinary ZIP.
"""

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from .standalone_verify import (CENTRAL_FMT, CENTRAL_SIG, END_FMT, END_SIG, LOCAL_FMT,
                                LOCAL_SIG, ZIP_EXTERNAL_ATTR, ZIP_MADE_BY, ZIP_VERSION)

__all__ = ["Member", "write_zip", "dos_stamp", "MAX_MEMBER_BYTES"]

MAX_MEMBER_BYTES = 0xFFFFFFFF - 1  # no ZIP64: one member and the whole file stay under 4 GiB
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Member:
    name: str  # ASCII, from a fixed pattern
    data: bytes | None = None
    path: Path | None = None  # streamed from disk (kept originals)

    def chunks(self) -> "list[bytes] | _FileChunks":
        return [self.data] if self.data is not None else _FileChunks(self.path)


class _FileChunks:
    def __init__(self, path: Path | None) -> None:
        assert path is not None
        self.path = path

    def __iter__(self):  # noqa: ANN204
        with open(self.path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                yield chunk


def dos_stamp(moment: datetime) -> tuple[int, int]:
    """(time, date) in MS-DOS format, seconds rounded down to even, clamped to 1980..2107."""
    year = min(max(moment.year, 1980), 2107)
    time = (moment.hour << 11) | (moment.minute << 5) | (moment.second // 2)
    date = ((year - 1980) << 9) | (moment.month << 5) | moment.day
    return time, date


def _crc_and_size(member: Member) -> tuple[int, int]:
    crc, size = 0, 0
    for chunk in member.chunks():
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
    return crc & 0xFFFFFFFF, size


def write_zip(out: BinaryIO, members: list[Member], moment: datetime,
              progress: Callable[[int], None] | None = None) -> None:
    """Write members in the given order. progress(bytes_written) is called per chunk."""
    mtime, mdate = dos_stamp(moment)
    central: list[bytes] = []
    offset = 0
    for member in members:
        name = member.name.encode("ascii")
        crc, size = _crc_and_size(member)
        if size > MAX_MEMBER_BYTES or offset > MAX_MEMBER_BYTES:
            raise ValueError(f"{member.name}: too large for a package (over 4 GiB)")
        header = struct.pack(LOCAL_FMT, LOCAL_SIG, ZIP_VERSION, 0, 0, mtime, mdate, crc, size,
                             size, len(name), 0) + name
        out.write(header)
        written = 0
        for chunk in member.chunks():
            out.write(chunk)
            written += len(chunk)
            if progress:
                progress(len(chunk))
        if written != size:  # the source changed while we were writing
            raise ValueError(f"{member.name}: changed while being packaged")
        central.append(struct.pack(CENTRAL_FMT, CENTRAL_SIG, ZIP_MADE_BY, ZIP_VERSION, 0, 0,
                                   mtime, mdate, crc, size, size, len(name), 0, 0, 0, 0,
                                   ZIP_EXTERNAL_ATTR, offset) + name)
        offset += len(header) + size
    cd = b"".join(central)
    out.write(cd)
    out.write(struct.pack(END_FMT, END_SIG, 0, 0, len(members), len(members), len(cd), offset, 0))
