"""RIFF containers: WAV (also RF64/BW64) and AVI (with OpenDML 'AVIX' extensions).

GB 45438 puts the WAV label in a top-level chunk ``AIGC`` and the AVI label in ``LIST 'INFO'``
sub-chunk ``AIGC``. The walk reads chunk headers and seeks over everything else: audio
``data``, the AVI ``movi`` list and ``AVIX`` extensions are never read.
"""

from collections.abc import Iterator
from typing import BinaryIO

from ..errors import CarrierError, LimitExceeded, TruncatedError
from ..limits import Limits
from . import id3
from ._walk import Walker
from .base import Site, SiteKind

__all__ = ["FORMATS", "sites"]

FORMATS = ("wav", "avi")

RIFF_MAGICS = (b"RIFF", b"RF64", b"BW64")
FORM_OF_FORMAT = {"wav": b"WAVE", "avi": b"AVI "}
INFO_CARRIER = {"wav": "wav-info", "avi": "avi-info"}  # LIST 'INFO' sub-chunks
CHUNK_CARRIER = {"wav": "wav-chunk", "avi": "avi-chunk"}  # chunks named like *AIGC*
MEDIA_LISTS = {b"movi", b"rec "}  # lists of audio/video frames: never read
ID3_CHUNKS = {b"id3 ", b"ID3 ", b"ID32"}
XMP_CHUNK = b"_PMX"
C2PA_CHUNK = b"C2PA"
DS64 = b"ds64"
RF64_SIZE_PLACEHOLDER = 0xFFFFFFFF


class _Walk(Walker):
    """Walker bounds plus what the RF64 ds64 chunk says about the 'data' chunk."""

    __slots__ = ("ds64_data_size",)
    noun = "RIFF chunks"

    def __init__(self, f: BinaryIO, fmt: str, limits: Limits) -> None:
        super().__init__(f, fmt, limits)
        self.ds64_data_size: int | None = None  # RF64: the real size of the 'data' chunk


def _plausible_id(cid: bytes) -> bool:
    return len(cid) == 4 and all(0x20 <= b < 0x7F for b in cid)


def _text(raw: bytes) -> bytes:
    """Chunk text as written, minus the NUL terminator and padding writers append."""
    return raw.rstrip(b"\x00")


def sites(f: BinaryIO, fmt: str, limits: Limits) -> Iterator[Site]:
    try:
        walk = _Walk(f, fmt, limits)
        if fmt not in FORM_OF_FORMAT:
            raise CarrierError(f"RIFF reader cannot read {fmt!r}")
        head = walk.read_at(0, 12, "RIFF header") if walk.size >= 12 else b""
        if head[:4] not in RIFF_MAGICS or head[8:12] != FORM_OF_FORMAT[fmt]:
            raise CarrierError(f"not a RIFF {FORM_OF_FORMAT[fmt].decode()} file")
        yield from walk.guard(_file_sites(walk, head), "RIFF")
    except OSError as e:
        raise CarrierError(f"read error: {e}") from e


def _file_sites(walk: _Walk, head: bytes) -> Iterator[Site]:
    declared = int.from_bytes(head[4:8], "little")
    if head[:4] != b"RIFF" or declared in (0, RF64_SIZE_PLACEHOLDER):
        riff_end = walk.size  # RF64 keeps the real size in ds64; streaming writers leave 0
    else:
        riff_end = 8 + declared
    if riff_end > walk.size:
        # a label appended by a writer that did not fix the RIFF size is still read; a RIFF
        # size beyond the file end means truncation, reported once the chunks are read
        yield from _chunks(walk, 12, walk.size, "RIFF", depth=1, top=True)
        raise TruncatedError(f"RIFF declares {riff_end} bytes, file has {walk.size}")
    yield from _chunks(walk, 12, riff_end, "RIFF", depth=1, top=True)
    if walk.fmt == "avi":
        yield from _avi_extensions(walk, riff_end + (declared & 1))
    elif riff_end < walk.size:
        # WAV writers that forget to update the RIFF size after appending a chunk exist
        yield from _chunks(walk, riff_end, walk.size, "after RIFF", depth=1, top=True,
                           lenient=True)


def _avi_extensions(walk: _Walk, pos: int) -> Iterator[Site]:
    """OpenDML files continue with 'RIFF AVIX' forms that hold only frames: skip them; walk
    any other RIFF form that follows like the first."""
    while pos + 12 <= walk.size:
        walk.count()
        h = walk.read_at(pos, 12, "RIFF extension header")
        if h[:4] != b"RIFF":
            return
        n = int.from_bytes(h[4:8], "little")
        end = min(pos + 8 + n + (n & 1), walk.size)
        if h[8:12] != b"AVIX":
            yield from _chunks(walk, pos + 12, end, f"RIFF:{h[8:12].decode('latin-1')}",
                               depth=1, top=True)
        pos = end


def _chunks(walk: _Walk, pos: int, end: int, path: str, *, depth: int, top: bool,
            info: bool = False, lenient: bool = False) -> Iterator[Site]:
    if depth > walk.max_depth:
        raise LimitExceeded(f"RIFF lists nested deeper than {depth - 1}")
    while pos + 8 <= end:
        walk.count()
        h = walk.read_at(pos, 8, "RIFF chunk header")
        cid, n = h[:4], int.from_bytes(h[4:8], "little")
        if not _plausible_id(cid):
            if lenient or not any(h):
                return  # trailing junk or zero padding after the last chunk
            raise CarrierError(f"{path}: invalid chunk id {cid!r} at {pos}")
        if cid == b"data" and n == RF64_SIZE_PLACEHOLDER:
            if walk.ds64_data_size is None:
                return  # a streaming writer never filled in the size: samples run to the end
            n = walk.ds64_data_size
        body = pos + 8
        loc = f"{path}/{cid.decode('latin-1')}"
        if body + n > end:
            if lenient:
                return  # bytes after the RIFF form that only look like a chunk (an ID3v1 tag)
            raise TruncatedError(f"{loc}: chunk of {n} bytes passes the end at {end}")
        yield from _chunk(walk, cid, body, n, loc, depth, top, info)
        pos = body + n
        if n & 1 and pos < end:
            # odd chunks are padded; some writers forget the pad byte, so look before skipping
            nxt = walk.read_at(pos, min(5, end - pos), "RIFF pad")
            missing_pad = _plausible_id(nxt[:4]) and not _plausible_id(nxt[1:5])
            pos += 0 if missing_pad else 1


def _chunk(walk: _Walk, cid: bytes, body: int, n: int, loc: str, depth: int, top: bool,
           info: bool) -> Iterator[Site]:
    """Sites of one chunk whose header was already checked against its parent."""
    fmt = walk.fmt
    if info:
        value = _text(walk.payload(body, n, loc))
        yield Site(SiteKind.FIELD, INFO_CARRIER[fmt], loc, body, key=cid.decode("latin-1"),
                   value=value)
        return
    if cid == b"LIST":
        if n < 4:
            raise CarrierError(f"{loc}: list of {n} bytes has no type")
        ltype = walk.read_at(body, 4, "LIST type")
        if ltype in MEDIA_LISTS:
            return
        tname = ltype.decode("latin-1")
        yield from _chunks(walk, body + 4, body + n, f"{loc}:{tname}", depth=depth + 1,
                           top=False, info=ltype == b"INFO")
        return
    if cid == DS64 and top:
        ds = walk.read_at(body, min(n, 28), "ds64")
        if len(ds) >= 16:
            walk.ds64_data_size = int.from_bytes(ds[8:16], "little")
        return
    if "AIGC" in cid.decode("latin-1").upper():
        value = _text(walk.payload(body, n, loc))
        yield Site(SiteKind.FIELD, CHUNK_CARRIER[fmt], loc, body, key=cid.decode("latin-1"),
                   value=value)
    elif cid in ID3_CHUNKS:
        header = id3.read_tag_header(walk.f, body)
        if header is None:
            yield Site(SiteKind.PROBLEM, fmt, loc, body, key="parse-error",
                       value="ID3 chunk does not hold an ID3v2 tag")
        else:
            yield from id3.tag_sites(walk.f, header, walk.limits, walk.spend,
                                     file_end=body + n, prefix=f"{loc}/")
    elif cid == XMP_CHUNK:
        yield Site(SiteKind.XMP, "xmp", loc, body, key="_PMX", value=walk.payload(body, n, loc))
    elif cid == C2PA_CHUNK:
        yield Site(SiteKind.C2PA, "c2pa", loc, body, key="C2PA", value=walk.payload(body, n, loc))
