"""Content-addressed evidence store: originals and thumbnails kept by their SHA-256.

    <data folder>/evidence/ab/abcdef...   (the full hex SHA-256 is the file name)

A copy is hashed while it is written and refused if it differs from the hash the check saw (the
file changed in between), so a report never points at the wrong bytes. Writes are atomic; the
same content is stored once. Nothing here is ever deleted by the app: a withdrawn report keeps
its evidence (the log never silently removes anything).
"""

import hashlib
import os
import re
from pathlib import Path

from .atomic import atomic_writer
from .errors import FileChanged, StoreError, from_os_error

__all__ = ["EvidenceStore"]

_CHUNK = 1 << 20
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        if not _HEX64.match(sha256 or ""):
            raise StoreError(f"not a SHA-256: {sha256[:80]!r}")
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def _folder(self, sha256: str) -> Path:
        folder = self.path_for(sha256).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise from_os_error(err) from err
        return folder

    def put_file(self, source: str | os.PathLike, expected_sha256: str) -> int:
        """Copy source into the store; returns its size. Raises FileChanged on a hash mismatch."""
        target = self.path_for(expected_sha256)
        if target.is_file() and self.read_hash(expected_sha256) == expected_sha256:
            return target.stat().st_size
        self._folder(expected_sha256)
        digest = hashlib.sha256()
        size = 0
        try:
            with open(source, "rb") as src, atomic_writer(target) as dst:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    dst.write(chunk)
                if digest.hexdigest() != expected_sha256:
                    raise FileChanged(str(source))
        except FileNotFoundError as err:
            raise FileChanged(str(source)) from err
        except OSError as err:
            raise from_os_error(err) from err
        return size

    def put_bytes(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha256)
        if not target.is_file():
            self._folder(sha256)
            with atomic_writer(target) as fh:
                fh.write(data)
        return sha256

    def read_bytes(self, sha256: str) -> bytes:
        try:
            return self.path_for(sha256).read_bytes()
        except OSError as err:
            raise from_os_error(err) from err

    def read_hash(self, sha256: str) -> str | None:
        """The actual SHA-256 of the stored copy (None when it is missing)."""
        path = self.path_for(sha256)
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
        except FileNotFoundError:
            return None
        except OSError as err:
            raise from_os_error(err) from err
        return digest.hexdigest()
