"""The files the frozen programs check, made at test time by the writers the core tests use:
Pillow (PNG text chunk, JPEG), mutagen (ID3 TXXX in a LAME-encoded MP3), PyAV (MP4 with a
keys/ilst label), c2pa-python (a C2PA-signed JPEG under a throw-away certificate chain) and the
label drawer of the explicit-label tests (a visible "AI生成" for the bundled OCR models)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Sample", "make_samples", "changed"]

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Sample:
    path: Path
    verdict: str
    reason: str  # reason.code of the result
    sha256: str  # the bytes before the check: the app must never change its inputs


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _photo(path: Path) -> None:
    """A real photo (Kodak set from the shared data folder when present), saved as a camera
    JPEG with EXIF Make/Model; a noisy synthetic scene where the Kodak set is absent."""
    from PIL import Image

    from tests.fixtures.explicit_fixtures import kodak_paths, photo

    if kodak_paths():
        img = photo(3, (768, 512))
    else:
        import numpy as np

        rng = np.random.default_rng(7)
        y, x = np.mgrid[0:512, 0:768]
        base = np.stack([x / 768 * 180 + 40, y / 512 * 160 + 50, (x + y) / 1280 * 120 + 60], -1)
        img = Image.fromarray(np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype("uint8"))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS 80D"
    img.save(path, "JPEG", quality=90, exif=exif.tobytes())


def _visible_label(path: Path) -> None:
    """A picture with a visible "AI生成" in the corner, drawn with the app's own CJK font."""
    from tests.fixtures.explicit_fixtures import kodak_paths, label_image

    background = 5 if kodak_paths() else (90, 120, 150)
    label_image(path, "AI生成", 0.08, "bottom-right", size=(1024, 640), background=background,
                font_path=ROOT / "resources" / "fonts" / "wqy-microhei.ttc")


def make_samples(folder: Path) -> dict[str, Sample]:
    """name -> Sample: the files the frozen programs check, with the verdict each must get."""
    from tests.fixtures.av_fixtures import av_label, write_mp3, write_mp4
    from tests.fixtures.c2pa_fixtures import make_c2pa_jpeg
    from tests.fixtures.image_fixtures import label_json, write_png

    made = {
        "labelled.png": (lambda p: write_png(p, text={"AIGC": label_json("1")}),
                         "confirmed", "label-1"),
        "labelled.mp3": (lambda p: write_mp3(p, txxx={"AIGC": av_label("1")}),
                         "confirmed", "label-1"),
        "labelled.mp4": (lambda p: write_mp4(p, aigc=av_label("1")), "confirmed", "label-1"),
        "c2pa.jpg": (make_c2pa_jpeg, "confirmed", "c2pa-ai"),
        "photo.jpg": (_photo, "none", "none"),
        "visible.jpg": (_visible_label, "suspected", "explicit"),
    }
    out = {}
    for name, (write, verdict, reason) in made.items():
        path = folder / name
        write(path)
        out[name] = Sample(path, verdict, reason, _sha256(path))
    return out


def changed(samples: dict[str, Sample]) -> list[str]:
    """Names of samples whose bytes changed (must stay empty: the app never edits inputs)."""
    return [name for name, s in samples.items() if _sha256(s.path) != s.sha256]
