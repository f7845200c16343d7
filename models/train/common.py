"""Shared settings of the detector training pipeline: paths, seeds, photo sources and splits.

Every split is by *source* (a package or a folder), never by random image, so that the
evaluation measures photo sources and generators the model never saw. Caches live outside the
repository (DETECTOR_CACHE, default ~/.cache/aigcverify-detector); only the model and its manifest are
committed.
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["ROOT", "DATA", "CACHE", "SEED", "PATCH", "CROP", "Source", "TRAIN_SOURCES",
           "CALIB_SOURCES", "HOLDOUT_SOURCES", "DEV_AI_SOURCES", "source_files", "load_rgb",
           "seed_everything", "sha256_file", "threads"]

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("DETECTOR_DATA", ROOT.parent / "shared" / "data" / "detector"))
CACHE = Path(os.environ.get("DETECTOR_CACHE", Path.home() / ".cache" / "aigcverify-detector"))
SEED = 20251128
PATCH = 128  # the detector's input: native-resolution patches, never resized
CROP = 256  # aligned real/fake crops stored by build_data (patches are cut from them)
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp")
MIN_SIDE = 256
Image.MAX_IMAGE_PIXELS = 60_000_000  # lomiri ships a 6028x3391 photo


@dataclass(frozen=True)
class Source:
    name: str
    kind: str  # "folder" (under DATA) or "deb" (a Debian package)
    where: str
    limit: int = 0  # at most this many images (deterministic sample); 0 = all
    skip: int = 0  # leave out the first `skip` images of the sorted list (used by another split)
    largest_per_dir: bool = False  # wallpaper packages ship one picture at many sizes
    under: str = ""  # only files below this folder (Debian packages)


# Training: photos (and wallpapers) whose crops become the real class and, reconstructed,
# the simulated fake class.
TRAIN_SOURCES = (
    Source("imagenet-sample", "folder", "real-train/imagenet-sample", skip=100),
    Source("bsd100", "folder", "real-train/bsd100"),
    Source("set14", "folder", "real-train/set14"),
    Source("plasma-workspace-wallpapers", "deb", "plasma-workspace-wallpapers", largest_per_dir=True),
    Source("lomiri-wallpapers-16.04", "deb", "lomiri-wallpapers-16.04"),
)
# Calibration (Platt scaling, thresholds): never seen by the gradient.
CALIB_SOURCES = (
    Source("imagenet-sample-calib", "folder", "real-train/imagenet-sample", limit=100),
    Source("mate-backgrounds", "deb", "mate-backgrounds"),
)
# Held back for evaluation only.
HOLDOUT_SOURCES = (
    Source("kodak24", "folder", "dev-eval/real-kodak24"),
    Source("ukui-wallpapers", "deb", "ukui-wallpapers", largest_per_dir=False),
    Source("lomiri-wallpapers-20.04", "deb", "lomiri-wallpapers-20.04"),
    Source("opencv-doc", "deb", "opencv-doc", limit=120, under="/usr/share/doc/opencv-doc/examples/data/"),
    Source("python3-skimage", "deb", "python3-skimage"),
)
DEV_AI_SOURCES = (
    Source("ai-kolors-repo", "folder", "dev-eval/ai-kolors-repo"),
    Source("ai-fooocus-thumbs", "folder", "dev-eval/ai-fooocus-thumbs"),
)


def _deb_files(package: str) -> list[Path]:
    out = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"Debian package {package} is not installed: "
                         f"apt-get install -y {package}")
    return [Path(line) for line in out.stdout.split() if line.lower().endswith(IMAGE_EXTS)]


def _size(path: Path) -> tuple[int, int] | None:
    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, Image.DecompressionBombError):
        return None


def source_files(source: Source, min_side: int = MIN_SIDE) -> list[Path]:
    """The images of a source, sorted, deterministic, at least min_side on the short side."""
    if source.kind == "folder":
        files = sorted(p for p in (DATA / source.where).iterdir() if p.suffix.lower() in IMAGE_EXTS)
    else:
        files = sorted(p for p in _deb_files(source.where) if str(p).startswith(source.under))
    # skip/limit split the sorted list before any size filter, so splits never overlap
    if source.skip:
        files = files[source.skip:]
    if source.limit and source.kind == "folder":
        files = files[:source.limit]
    sized = [(p, _size(p)) for p in files]
    sized = [(p, s) for p, s in sized if s and min(s) >= min_side]
    if source.largest_per_dir:  # one picture per wallpaper: its largest rendition
        best: dict[Path, tuple[Path, tuple[int, int]]] = {}
        for p, s in sized:
            key = p.parent.parent if p.parent.name in ("images", "images_dark") else p
            if key not in best or s[0] * s[1] > best[key][1][0] * best[key][1][1]:
                best[key] = (p, s)
        sized = sorted(best.values())
    paths = [p for p, _ in sized]
    if source.limit and source.kind == "deb" and len(paths) > source.limit:
        rng = random.Random(f"{SEED}-{source.name}")
        paths = sorted(rng.sample(paths, source.limit))
    return paths


def load_rgb(path: Path) -> np.ndarray:
    """H x W x 3 uint8; alpha is composited on white (as a viewer would show it)."""
    with Image.open(path) as im:
        im.load()
        if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            rgba = im.convert("RGBA")
            canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            canvas.alpha_composite(rgba)
            return np.asarray(canvas.convert("RGB"))
        return np.asarray(im.convert("RGB"))


def seed_everything(seed: int = SEED) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(seed)


def threads() -> int:
    """Torch threads: 1 by default on a shared machine (DETECTOR_THREADS overrides)."""
    return max(1, int(os.environ.get("DETECTOR_THREADS", "1")))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
