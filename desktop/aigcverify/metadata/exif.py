"""EXIF and TIFF IFDs: the few text tags that carry GB 45438 labels or generator traces.

An EXIF block is a small TIFF file (header, IFD0, an Exif sub-IFD). The same walker reads a
whole TIFF file through `FileSource`, seeking instead of loading it, so tiff.py reuses it.
Only IFD0 and the Exif sub-IFD are read: IFD1 is the thumbnail, never a label carrier.
Every offset is checked against the source size before it is followed, and the IFDs already
visited are remembered, so a pointer loop or a lying count ends the walk instead of the reader.
"""

import struct
from collections.abc import Iterator
from typing import BinaryIO, Protocol

from ..carriers.base import Site, SiteKind
from ..errors import CarrierError, VerifyError
from ..limits import Limits

__all__ = [
    "IFD0_TAGS",
    "EXIF_IFD_TAGS",
    "ByteSource",
    "FileSource",
    "decode_text",
    "decode_user_comment",
    "walk_tiff",
    "fields",
]

# TIFF field type -> bytes per value (TIFF 6.0 + BigTIFF types 16..18)
TYPE_SIZES: dict[int, int] = {
    1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4,
    16: 8, 17: 8, 18: 8,
}

# tag -> (key, schema carrier, how the bytes become text)
IFD0_TAGS: dict[int, tuple[str, str, str]] = {
    0x010E: ("ImageDescription", "exif-imagedescription", "ascii"),
    0x010F: ("Make", "exif", "ascii"),
    0x0110: ("Model", "exif", "ascii"),
    0x0131: ("Software", "exif-software", "ascii"),
    0x0132: ("DateTime", "exif", "ascii"),
    0x013B: ("Artist", "exif", "ascii"),
    0x8298: ("Copyright", "exif", "ascii"),
    0x9C9C: ("XPComment", "exif", "utf-16-le"),
    0x02BC: ("XMP", "xmp", "xmp"),
}
EXIF_IFD_TAGS: dict[int, tuple[str, str, str]] = {
    0x9286: ("UserComment", "exif-usercomment", "usercomment"),
}
EXIF_IFD_POINTER = 0x8769
MAX_IFD_ENTRIES = 4096  # real IFDs hold tens of entries; DNG a few hundred

# UserComment's 8-byte character-code prefix (EXIF 2.3 table 9)
_UC_ASCII = b"ASCII\x00\x00\x00"
_UC_UNICODE = b"UNICODE\x00"
_UC_JIS = b"JIS\x00\x00\x00\x00\x00"
_UC_UNDEFINED = b"\x00" * 8


class Source(Protocol):
    size: int

    def read_at(self, offset: int, n: int) -> bytes: ...


class ByteSource:
    """An in-memory EXIF block."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def read_at(self, offset: int, n: int) -> bytes:
        return self.data[offset:offset + n]


class FileSource:
    """A TIFF file read in place (never loaded whole)."""

    def __init__(self, f: BinaryIO, size: int) -> None:
        self.f = f
        self.size = size

    def read_at(self, offset: int, n: int) -> bytes:
        self.f.seek(offset)
        return self.f.read(n)


def decode_text(raw: bytes) -> str:
    """Metadata bytes -> text. UTF-8 first (what every label writer uses), then GB 18030
    (older Chinese Windows tools), then Latin-1 so that nothing is ever lost."""
    raw = raw.rstrip(b"\x00")
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _utf16_order(body: bytes, default: str) -> str:
    """UTF-16 byte order of a UNICODE UserComment. Writers disagree (EXIF says "the TIFF byte
    order", Windows always writes LE), so trust a BOM, then where the zero bytes of ASCII-range
    text sit, then the TIFF byte order."""
    if body[:2] == b"\xff\xfe":
        return "utf-16-le"
    if body[:2] == b"\xfe\xff":
        return "utf-16-be"
    sample = body[:256]
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    if odd_zeros > even_zeros * 2:
        return "utf-16-le"
    if even_zeros > odd_zeros * 2:
        return "utf-16-be"
    return default


def decode_user_comment(raw: bytes, big_endian: bool) -> str:
    """EXIF UserComment: an 8-byte charset prefix then the text. A missing prefix (some
    writers store plain text) is read as plain text rather than thrown away."""
    prefix, body = raw[:8], raw[8:]
    if prefix == _UC_UNICODE:
        enc = _utf16_order(body, "utf-16-be" if big_endian else "utf-16-le")
        if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
            body = body[2:]
        text = body[: len(body) & ~1].decode(enc, errors="replace")
        return text.rstrip("\x00 ")
    if prefix == _UC_JIS:
        try:
            return body.rstrip(b"\x00 ").decode("shift_jis")
        except UnicodeDecodeError:
            return decode_text(body).rstrip(" ")
    if prefix in (_UC_ASCII, _UC_UNDEFINED):
        return decode_text(body).rstrip("\x00 ")
    return decode_text(raw).rstrip("\x00 ")


def _text_of(how: str, raw: bytes, big_endian: bool) -> str:
    if how == "usercomment":
        return decode_user_comment(raw, big_endian)
    if how == "utf-16-le":
        return raw[: len(raw) & ~1].decode("utf-16-le", errors="replace").rstrip("\x00")
    return decode_text(raw)


def _problem(code: str, detail: str, location: str, offset: int | None,
             carrier: str = "exif") -> Site:
    return Site(SiteKind.PROBLEM, carrier, location, offset, key=code, value=detail)


def walk_tiff(src: Source, limits: Limits, *, location: str = "",
              file_offset: int | None = 0, problem_carrier: str = "exif") -> Iterator[Site]:
    """Yield FIELD/XMP/PROBLEM sites from IFD0 and the Exif IFD of a TIFF structure.

    `file_offset` is where the TIFF header sits in the file (None when unknown), so that every
    site's offset is a file offset. Raises CarrierError when even the header or IFD0 cannot
    be read; damage inside an IFD becomes PROBLEM sites (carrier `problem_carrier`)."""
    head = src.read_at(0, 16)
    if len(head) < 8:
        raise CarrierError("TIFF: header truncated")
    if head[:2] == b"II":
        bo = "<"
    elif head[:2] == b"MM":
        bo = ">"
    else:
        raise CarrierError("TIFF: no II/MM byte-order mark")
    (magic,) = struct.unpack(bo + "H", head[2:4])
    if magic == 42 and len(head) >= 8:
        big = False
        (ifd0,) = struct.unpack(bo + "I", head[4:8])
    elif magic == 43 and len(head) >= 16:
        big = True
        bytesize, _zero, ifd0 = struct.unpack(bo + "HHQ", head[4:16])
        if bytesize != 8:
            raise CarrierError("BigTIFF: offset size is not 8")
    else:
        raise CarrierError(f"TIFF: bad magic {magic}")
    count_fmt, count_len = (bo + "Q", 8) if big else (bo + "H", 2)
    entry_len = 20 if big else 12
    inline = 8 if big else 4
    entry_fmt = bo + ("HHQ" if big else "HHI")
    off_fmt = bo + ("Q" if big else "I")
    pre = f"{location} / " if location else ""

    def problem(code: str, detail: str, where: str, at: int | None) -> Site:
        return _problem(code, detail, where, at, problem_carrier)

    def abs_off(rel: int) -> int | None:
        return None if file_offset is None else file_offset + rel

    if not 8 <= ifd0 < src.size:
        raise CarrierError(f"TIFF: IFD0 offset {ifd0} outside the data ({src.size} bytes)")
    queue: list[tuple[int, str, dict[int, tuple[str, str, str]]]] = [(ifd0, "IFD0", IFD0_TAGS)]
    visited: set[int] = set()
    while queue:
        ifd_off, ifd_name, table = queue.pop(0)
        if ifd_off in visited:
            yield problem("parse-error", f"{ifd_name} points back to an IFD already read",
                          pre + ifd_name, abs_off(ifd_off))
            continue
        visited.add(ifd_off)
        raw_count = src.read_at(ifd_off, count_len)
        if len(raw_count) < count_len:
            if ifd_name == "IFD0":
                raise CarrierError("TIFF: IFD0 entry count beyond the end of the data")
            yield problem("parse-error", f"{ifd_name} starts beyond the end of the data",
                          pre + ifd_name, abs_off(ifd_off))
            continue
        (count,) = struct.unpack(count_fmt, raw_count)
        if count > MAX_IFD_ENTRIES:
            yield problem("resource-limit", f"{ifd_name} declares {count} entries",
                          pre + ifd_name, abs_off(ifd_off))
            count = MAX_IFD_ENTRIES
        first = ifd_off + count_len
        fits = max(0, (src.size - first) // entry_len)
        if count > fits:
            yield problem("parse-error", f"{ifd_name} declares {count} entries, only {fits} fit",
                          pre + ifd_name, abs_off(ifd_off))
            count = fits
        block = src.read_at(first, count * entry_len)
        for i in range(count):
            entry = block[i * entry_len:(i + 1) * entry_len]
            tag, typ, n = struct.unpack(entry_fmt, entry[:entry_len - inline])
            value_field = entry[entry_len - inline:]
            if tag == EXIF_IFD_POINTER and ifd_name == "IFD0":
                (sub,) = struct.unpack(off_fmt, value_field[: 8 if big else 4])
                if 8 <= sub < src.size:
                    queue.append((sub, "ExifIFD", EXIF_IFD_TAGS))
                else:
                    yield problem("parse-error", f"Exif IFD pointer {sub} outside the data",
                                  pre + ifd_name, abs_off(first + i * entry_len))
                continue
            meaning = table.get(tag)
            if meaning is None:
                continue
            key, carrier, how = meaning
            where = f"{pre}{ifd_name} {key}"
            size = n * TYPE_SIZES.get(typ, 1)
            if size <= inline:
                data_off = first + i * entry_len + (entry_len - inline)
                data = value_field[:size]
            else:
                (data_off,) = struct.unpack(off_fmt, value_field)
                if size > limits.max_metadata_bytes:
                    yield problem("resource-limit", f"{key}: {size} bytes declared", where,
                                  abs_off(data_off))
                    continue
                if data_off + size > src.size:
                    yield problem("parse-error",
                                  f"{key}: {size} bytes at {data_off} run past the end", where,
                                  abs_off(data_off))
                    continue
                data = src.read_at(data_off, size)
            if how == "xmp":
                yield Site(SiteKind.XMP, carrier, where, abs_off(data_off), key=key, value=data)
            else:
                yield Site(SiteKind.FIELD, carrier, where, abs_off(data_off), key=key,
                           value=_text_of(how, data, bo == ">"))


def fields(site: Site, limits: Limits) -> Iterator[Site]:
    """Expand an EXIF site (TIFF bytes, optionally still prefixed `Exif\\0\\0`) into FIELD,
    XMP and PROBLEM sites. Never raises: an unreadable block becomes a PROBLEM site."""
    data = site.value if isinstance(site.value, bytes) else site.value.encode("latin-1", "replace")
    base = site.offset
    if data.startswith(b"Exif\x00"):
        data = data[6:]
        base = None if base is None else base + 6
    try:
        yield from walk_tiff(ByteSource(data), limits, location=site.location, file_offset=base)
    except VerifyError as e:
        yield Site(SiteKind.PROBLEM, site.carrier, site.location, site.offset, key=e.code,
                   value=f"EXIF block unreadable: {e}")
