#!/usr/bin/env python3
"""verify.py - check an AIGC complaint package (aigcverify-complaint/1). Python 3.8+, stdlib only.

Usage:  python3 verify.py PACKAGE.zip        check the ZIP file, byte for byte
        python3 verify.py [FOLDER]           check an unpacked package (default: this folder)

It recomputes, without the app and without a network:
  * the ZIP layout: every byte of the file belongs to a fixed, expected structure (stored
    members, fixed names and order, one timestamp, no extra fields or comments), and every
    member's CRC-32;
  * manifest-sha256.txt and manifest-sm3.txt: the SHA-256 and SM3 (GB/T 32905) of every other
    member;
  * report.json: it is canonical JSON (RFC 8785), each log entry's hash equals
    SHA-256(prev_hash bytes || RFC 8785 JSON of the entry without prev_hash and hash), entries
    of one report link to each other, and every kept original matches the file hashes recorded
    in the report.
Exit status 0 when everything matches, 1 when anything differs, 2 when the file cannot be read.

This file is copied unchanged into every package by aigcverify (desktop/aigcverify/export/
standalone_verify.py); the app's `aigcverify verify-package` runs the same code.
"""

import hashlib
import json
import os
import re
import struct
import sys
import zlib
from decimal import Decimal

FORMAT = "aigcverify-complaint/1"
GENESIS = "0" * 64
HASHED_FIELDS = ("seq", "entry_id", "report_id", "rev", "kind", "supersedes", "created_utc",
                 "tz_offset", "body")
# member names, in the only order a package may have them; originals/ sit after report.json
HEAD_MEMBERS = ("README.txt", "complaint.pdf", "report.json")
TAIL_MEMBERS = ("verify.py", "manifest-sha256.txt", "manifest-sm3.txt")
MANIFESTS = {"manifest-sha256.txt": "sha256", "manifest-sm3.txt": "sm3"}
ORIGINAL_NAME = re.compile(r"^originals/[A-Za-z0-9][A-Za-z0-9-]{0,63}\.[a-z0-9]{1,5}$")
# fixed ZIP fields: version needed 2.0, no flags, stored, made by UNIX 2.0, -rw-r--r--
ZIP_VERSION, ZIP_MADE_BY, ZIP_EXTERNAL_ATTR = 20, 0x0314, 0o100644 << 16
LOCAL_SIG, CENTRAL_SIG, END_SIG = 0x04034B50, 0x02014B50, 0x06054B50
LOCAL_FMT, CENTRAL_FMT, END_FMT = "<IHHHHHIIIHH", "<IHHHHHHIIIHHHHHII", "<IHHHHIIH"
MAX_MEMBERS = 10000
CHUNK = 1 << 20

# --- SM3 (GB/T 32905-2016), compact pure Python, used when hashlib lacks it -------------------

_SM3_IV = (0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600,
           0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E)
_M32 = 0xFFFFFFFF


def _rl(x, n):
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _M32


_SM3_T = [_rl(0x79CC4519 if j < 16 else 0x7A879D8A, j) for j in range(64)]


def _sm3_block(v, block):
    w = list(struct.unpack(">16I", block))
    for j in range(16, 68):
        x = w[j - 16] ^ w[j - 9] ^ _rl(w[j - 3], 15)
        w.append(x ^ _rl(x, 15) ^ _rl(x, 23) ^ _rl(w[j - 13], 7) ^ w[j - 6])
    a, b, c, d, e, f, g, h = v
    for j in range(64):
        a12 = _rl(a, 12)
        ss1 = _rl((a12 + e + _SM3_T[j]) & _M32, 7)
        if j < 16:
            ff, gg = a ^ b ^ c, e ^ f ^ g
        else:
            ff, gg = (a & b) | (a & c) | (b & c), (e & f) | (~e & g)
        tt1 = (ff + d + (ss1 ^ a12) + (w[j] ^ w[j + 4])) & _M32
        tt2 = (gg + h + ss1 + w[j]) & _M32
        d, c, b, a = c, _rl(b, 9), a, tt1
        h, g, f, e = g, _rl(f, 19), e, tt2 ^ _rl(tt2, 9) ^ _rl(tt2, 17)
    return [x ^ y for x, y in zip(v, (a, b, c, d, e, f, g, h))]


class SM3:
    """hashlib-style SM3: update(), digest(), hexdigest()."""

    def __init__(self, data=b""):
        self._v, self._buf, self._len = list(_SM3_IV), b"", 0
        self.update(data)

    def update(self, data):
        self._len += len(data)
        buf = self._buf + bytes(data)
        end = len(buf) - len(buf) % 64
        for i in range(0, end, 64):
            self._v = _sm3_block(self._v, buf[i:i + 64])
        self._buf = buf[end:]

    def digest(self):
        tail = self._buf + b"\x80" + b"\x00" * ((55 - len(self._buf)) % 64)
        tail += struct.pack(">Q", self._len * 8)
        v = self._v
        for i in range(0, len(tail), 64):
            v = _sm3_block(v, tail[i:i + 64])
        return struct.pack(">8I", *v)

    def hexdigest(self):
        return self.digest().hex()


def sm3_new():
    try:
        return hashlib.new("sm3")
    except ValueError:
        return SM3()


# --- RFC 8785 JSON canonicalization -------------------------------------------------------------

def _jcs_number(x):
    if isinstance(x, int):
        if abs(x) > 2 ** 53 - 1:
            raise ValueError("integer outside the I-JSON range")
        return str(x)
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError("NaN or infinity")
    if x == 0:
        return "0"
    sign, digits, exp = Decimal(repr(abs(x))).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    n = len(digits) + exp  # value = 0.<text> * 10**n
    k = len(text)
    if k <= n <= 21:
        out = text + "0" * (n - k)
    elif 0 < n <= 21:
        out = text[:n] + "." + text[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + text
    else:
        e = n - 1
        out = (text[0] + ("." + text[1:] if k > 1 else "") + "e" + ("+" if e > 0 else "-")
               + str(abs(e)))
    return ("-" if x < 0 else "") + out


def _jcs(value, out):
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, (int, float)):
        out.append(_jcs_number(value))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _jcs(item, out)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=lambda k: k.encode("utf-16-be"))):
            if not isinstance(key, str):
                raise ValueError("object key is not a string")
            if i:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _jcs(value[key], out)
        out.append("}")
    else:
        raise ValueError("not a JSON value: %r" % type(value).__name__)


def jcs(value):
    """RFC 8785 canonical JSON bytes of value."""
    out = []
    _jcs(value, out)
    return "".join(out).encode("utf-8")


def entry_hash(prev_hash, record):
    return hashlib.sha256(bytes.fromhex(prev_hash) + jcs(record)).hexdigest()


# --- the ZIP container, read strictly ----------------------------------------------------------

class Problems:
    def __init__(self):
        self.items = []

    def add(self, code, detail=""):
        self.items.append((code, detail))

    def __bool__(self):
        return bool(self.items)


def _member_order_ok(names):
    if len(names) < len(HEAD_MEMBERS) + len(TAIL_MEMBERS):
        return False
    head, tail = names[:len(HEAD_MEMBERS)], names[len(names) - len(TAIL_MEMBERS):]
    middle = names[len(HEAD_MEMBERS):len(names) - len(TAIL_MEMBERS)]
    return (tuple(head) == HEAD_MEMBERS and tuple(tail) == TAIL_MEMBERS
            and all(ORIGINAL_NAME.match(n) for n in middle) and middle == sorted(set(middle)))


def read_zip(path, problems):
    """{name: bytes} of a package ZIP, or None. Every byte of the file is accounted for."""
    with open(path, "rb") as fh:
        data = fh.read()
    members, order, pos, stamp = {}, [], 0, None
    local = struct.calcsize(LOCAL_FMT)
    while data[pos:pos + 4] == struct.pack("<I", LOCAL_SIG):
        if len(order) >= MAX_MEMBERS:
            problems.add("zip-structure", "too many members")
            return None
        if pos + local > len(data):
            problems.add("zip-structure", "truncated local header at %d" % pos)
            return None
        (_sig, ver, flags, method, mtime, mdate, crc, csize, usize, nlen,
         xlen) = struct.unpack_from(LOCAL_FMT, data, pos)
        name_bytes = data[pos + local:pos + local + nlen]
        start = pos + local + nlen + xlen
        if (ver, flags, method, xlen) != (ZIP_VERSION, 0, 0, 0) or csize != usize:
            problems.add("zip-structure", "unexpected local header fields at %d" % pos)
            return None
        if stamp is None:
            stamp = (mtime, mdate)
        if (mtime, mdate) != stamp:
            problems.add("zip-structure", "member timestamps differ at %d" % pos)
            return None
        try:
            name = name_bytes.decode("ascii")
        except UnicodeDecodeError:
            problems.add("zip-structure", "non-ASCII member name at %d" % pos)
            return None
        if name in members or start + csize > len(data):
            problems.add("zip-structure", "duplicate or truncated member %r" % name)
            return None
        body = data[start:start + csize]
        if zlib.crc32(body) & 0xFFFFFFFF != crc:
            problems.add("crc-mismatch", name)
        members[name] = body
        order.append((name, pos, crc, csize, mtime, mdate))
        pos = start + csize
    if not order:
        problems.add("zip-structure", "no members")
        return None
    cd_start = pos
    central = struct.calcsize(CENTRAL_FMT)
    for name, offset, crc, size, mtime, mdate in order:
        if pos + central > len(data):
            problems.add("zip-structure", "truncated central directory")
            return None
        fields = struct.unpack_from(CENTRAL_FMT, data, pos)
        expected = (CENTRAL_SIG, ZIP_MADE_BY, ZIP_VERSION, 0, 0, mtime, mdate, crc, size, size,
                    len(name), 0, 0, 0, 0, ZIP_EXTERNAL_ATTR, offset)
        cd_name = data[pos + central:pos + central + len(name)]
        if fields != expected or cd_name != name.encode("ascii"):
            problems.add("zip-structure", "central directory entry of %r differs" % name)
            return None
        pos += central + len(name)
    end = struct.calcsize(END_FMT)
    tail = data[pos:]
    expected_end = struct.pack(END_FMT, END_SIG, 0, 0, len(order), len(order), pos - cd_start,
                               cd_start, 0)
    if len(tail) != end or tail != expected_end:
        problems.add("zip-structure", "end record differs or bytes follow it")
        return None
    names = [o[0] for o in order]
    if not _member_order_ok(names):
        problems.add("member-names", ", ".join(names)[:300])
        return None
    return members


def read_folder(folder, problems):
    """{name: bytes} of an unpacked package (ZIP layout cannot be checked here)."""
    members = {}
    names = list(HEAD_MEMBERS) + list(TAIL_MEMBERS)
    originals = os.path.join(folder, "originals")
    if os.path.isdir(originals):
        names[len(HEAD_MEMBERS):len(HEAD_MEMBERS)] = sorted(
            "originals/" + n for n in os.listdir(originals))
    for name in names:
        if name.startswith("originals/") and not ORIGINAL_NAME.match(name):
            problems.add("member-names", name)
            continue
        try:
            with open(os.path.join(folder, *name.split("/")), "rb") as fh:
                members[name] = fh.read()
        except OSError as err:
            problems.add("missing-member", "%s: %s" % (name, err))
    return members


# --- manifests and the report --------------------------------------------------------------------

def check_manifests(members, problems):
    payload = [n for n in members if n not in MANIFESTS]
    for manifest, algorithm in MANIFESTS.items():
        text = members.get(manifest, b"")
        expected = []
        for name in payload:
            digest = hashlib.sha256() if algorithm == "sha256" else sm3_new()
            digest.update(members[name])
            expected.append("%s  %s\n" % (digest.hexdigest(), name))
        if text.decode("utf-8", "replace") == "".join(expected):
            continue
        listed = {}
        for line in text.decode("utf-8", "replace").splitlines():
            parts = line.split("  ", 1)
            if len(parts) == 2:
                listed[parts[1]] = parts[0]
        bad = [n for n, line in zip(payload, expected) if listed.get(n) != line.split("  ", 1)[0]]
        extra = sorted(set(listed) - set(payload))
        problems.add("manifest-mismatch", "%s: %s" % (manifest, ", ".join(bad + extra) or "format"))


def _check_entries(report, problems):
    entries = report.get("entries")
    if not isinstance(entries, list) or not entries:
        problems.add("report-structure", "report without entries")
        return None
    previous = None
    for entry in entries:
        if not isinstance(entry, dict) or any(f not in entry for f in HASHED_FIELDS):
            problems.add("report-structure", "incomplete entry")
            return None
        record = {f: entry[f] for f in HASHED_FIELDS}
        try:
            if entry_hash(entry["prev_hash"], record) != entry["hash"]:
                problems.add("entry-hash-mismatch", "entry %s" % entry.get("entry_id"))
        except (ValueError, TypeError) as err:
            problems.add("entry-hash-mismatch", "entry %s: %s" % (entry.get("entry_id"), err))
        if entry["report_id"] != report.get("report_id"):
            problems.add("report-structure", "entry %s of another report" % entry.get("entry_id"))
        if previous is None:
            if entry["kind"] != "report" or entry["rev"] != 1 or entry["supersedes"] is not None:
                problems.add("report-structure", "first entry is not the filing")
        else:
            if entry["supersedes"] != previous["entry_id"] or entry["rev"] != previous["rev"] + 1:
                problems.add("chain-link", "entry %s does not supersede %s"
                             % (entry.get("entry_id"), previous.get("entry_id")))
            if entry["seq"] <= previous["seq"] or (
                    entry["seq"] == previous["seq"] + 1 and entry["prev_hash"] != previous["hash"]):
                problems.add("chain-link", "entry %s does not follow %s"
                             % (entry.get("entry_id"), previous.get("entry_id")))
        previous = entry
    return previous


def check_report(members, problems):
    raw = members.get("report.json", b"")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:  # nesting bomb too
        problems.add("report-unreadable", str(err)[:200])
        return {"reports": 0, "entries": 0}
    try:
        canonical = jcs(doc) == raw
    except ValueError:
        canonical = False
    if not canonical:
        problems.add("report-not-canonical")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(
            doc.get("reports"), list):
        problems.add("report-structure", "not an %s document" % FORMAT)
        return {"reports": 0, "entries": 0}
    referenced, count = set(), 0
    for report in doc["reports"]:
        if not isinstance(report, dict):
            problems.add("report-structure", "report is not an object")
            continue
        current = _check_entries(report, problems)
        count += len(report.get("entries") or [])
        if current is None:
            continue
        member = report.get("original")
        if member is None:
            continue
        referenced.add(member)
        body = current.get("body") if isinstance(current.get("body"), dict) else {}
        info = body.get("file", {}) if isinstance(body.get("file"), dict) else {}
        data = members.get(member)
        if data is None:
            problems.add("original-missing", str(member))
        elif (hashlib.sha256(data).hexdigest() != info.get("sha256")
              or (info.get("sm3") and _sm3_hex(data) != info.get("sm3"))):
            problems.add("original-mismatch", str(member))
    for name in members:
        if name.startswith("originals/") and name not in referenced:
            problems.add("original-unreferenced", name)
    return {"reports": len(doc["reports"]), "entries": count}


def _sm3_hex(data):
    digest = sm3_new()
    digest.update(data)
    return digest.hexdigest()


def verify(path):
    """(ok, problems [(code, detail)], summary {files, reports, entries, mode})."""
    problems = Problems()
    mode = "folder" if os.path.isdir(path) else "zip"
    members = read_folder(path, problems) if mode == "folder" else read_zip(path, problems)
    summary = {"mode": mode, "files": len(members or {}), "reports": 0, "entries": 0}
    if members:
        check_manifests(members, problems)
        try:
            summary.update(check_report(members, problems))
        except (TypeError, KeyError, AttributeError, ValueError) as err:
            problems.add("report-structure", "%s: %s" % (type(err).__name__, err))
    return not problems, problems.items, summary


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    target = argv[0] if argv else os.path.dirname(os.path.abspath(__file__))
    try:
        ok, problems, summary = verify(target)
    except OSError as err:
        print("无法读取 / cannot read: %s" % err, file=sys.stderr)
        return 2
    if ok:
        print("通过 / PASSED: %s (%d files, %d reports, %d log entries): every hash matches."
              % (target, summary["files"], summary["reports"], summary["entries"]))
        if summary["mode"] == "folder":
            print("注意 / Note: an unpacked folder was checked; check the ZIP file itself to "
                  "cover its every byte.")
        return 0
    print("未通过 / FAILED: %s" % target)
    for code, detail in problems:
        print("  - %s%s" % (code, ": " + detail if detail else ""))
    return 1


if __name__ == "__main__":
    sys.exit(main())
