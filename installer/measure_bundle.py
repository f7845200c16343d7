"""Measure the built bundle: its size and the cold-start time of the frozen CLI and GUI.

    python installer/measure_bundle.py [dist/aigcverify] [--runs 5]

Size: the folder on disk, the archive next to it, and the biggest parts. Start-up: each
command runs once "cold" (the bundle's files evicted from the page cache first, as after a
reboot or on first launch; only the bundle's own files are evicted, nothing system-wide) and
then `--runs` times warm (median). Commands:

    cli --version         bootloader, Python start, CLI imports
    cli check (metadata)  + the fork server and one worker, one small PNG, metadata only
    cli check (full)      + OCR and the detector model on one 1280x720 JPEG
    gui --screenshot      Qt start, window, one file checked in a worker, picture saved, exit

The GUI runs offscreen (QT_QPA_PLATFORM=offscreen). Everything runs in a scratch home and temp
folder, so the user's own data folder is never touched.
"""

from __future__ import annotations

import argparse
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

__all__ = ["evict", "folder_size", "main"]


def evict(folder: Path) -> int:
    """Drop the page-cache pages of every file under folder; returns how many files."""
    count = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                count += 1
            finally:
                os.close(fd)
    return count


def folder_size(folder: Path) -> tuple[int, int]:
    """(bytes of file contents, number of files) under folder; symlinks are not followed."""
    total = files = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
            files += 1
    return total, files


def _png(path: Path, size: int = 64) -> None:
    """A plain RGB PNG written with zlib alone."""
    rows = (b"\x00" + bytes((40, 120, 200)) * size) * size

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _photo(path: Path) -> None:
    from PIL import Image

    shared = Path(__file__).resolve().parents[2] / "shared"  # the team's data folder, if any
    pictures = sorted((shared / "data" / "detector" / "dev-eval" / "real-kodak24").glob("*.png"))
    img = (Image.open(pictures[0]).convert("RGB").resize((1280, 720)) if pictures
           else Image.effect_noise((1280, 720), 40).convert("RGB"))
    img.save(path, "JPEG", quality=90)


def _time(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        detail = proc.stderr[-2000:]
        raise SystemExit(f"{' '.join(argv[:3])} failed ({proc.returncode}):\n{detail}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", nargs="?", default="dist/aigcverify")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    bundle = Path(args.bundle).resolve()
    exe = ".exe" if sys.platform == "win32" else ""
    cli, gui = str(bundle / f"aigcverify{exe}"), str(bundle / f"aigcverify-gui{exe}")

    size, files = folder_size(bundle)
    print(f"bundle {bundle}: {size / 2**20:.0f} MiB in {files} files")
    for archive in sorted(bundle.parent.glob(f"{bundle.name}-*.tar.gz")):
        print(f"archive {archive.name}: {archive.stat().st_size / 2**20:.0f} MiB")
    parts = {}
    for child in (bundle / "_internal").iterdir():
        if child.is_symlink():  # PyInstaller links some libraries to the top; count them once
            continue
        parts[child.name] = folder_size(child)[0] if child.is_dir() else child.stat().st_size
    biggest = sorted(parts.items(), key=lambda kv: -kv[1])[:12]
    print("biggest parts: " + ", ".join(f"{k} {v / 2**20:.0f}" for k, v in biggest) + " (MiB)")

    with tempfile.TemporaryDirectory(prefix="aigcverify-measure-") as scratch:
        root = Path(scratch)
        for sub in ("home", "tmp", "cwd"):
            (root / sub).mkdir()
        env = {"PATH": os.defpath, "HOME": str(root / "home"), "TMPDIR": str(root / "tmp"),
               "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen"}
        png, jpg, shot = root / "plain.png", root / "photo.jpg", root / "shot.png"
        _png(png)
        _photo(jpg)
        commands = {
            "cli --version": [cli, "--version"],
            "cli check (metadata)": [cli, "check", "--json", "--no-detector", "--no-explicit",
                                     str(png)],
            "cli check (full)": [cli, "check", "--json", str(jpg)],
            "gui --screenshot": [gui, "--screenshot", str(shot), str(png)],
        }
        print(f"\n| command | cold (s) | warm median of {args.runs} (s) |\n|---|---|---|")
        for name, cmd in commands.items():
            evict(bundle)
            cold = _time(cmd, env, root / "cwd")
            warm = statistics.median(_time(cmd, env, root / "cwd") for _ in range(args.runs))
            print(f"| {name} | {cold:.2f} | {warm:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
