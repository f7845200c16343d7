"""Visible labels on pictures: decode (bounded), OCR every text line, keep the ones that say
"AI-generated", judge size and position (GB 45438-2025 5.2)."""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING

from .errors import ExplicitError
from .judge import picture_entry
from .terms import match_label

if TYPE_CHECKING:
    import numpy as np

__all__ = ["MAX_PIXELS", "load_picture", "labels_in_picture", "check_image"]

log = logging.getLogger(__name__)

MAX_PIXELS = 120_000_000  # a 12k x 10k picture; more is treated as hostile (decompression bomb)

# Pillow raises many types for broken input; every one of them means "could not decode"
_DECODE_ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError, SyntaxError, EOFError,
                                                    IndexError, KeyError, TypeError,
                                                    MemoryError, ZeroDivisionError)


def load_picture(path: str) -> "np.ndarray":
    """The picture as displayed (EXIF orientation applied, first frame of an animation, alpha
    flattened on white) as a BGR uint8 array."""
    import numpy as np
    from PIL import Image, ImageOps

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:
        log.debug("pillow-heif not available: HEIF pictures cannot be read")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                w, h = img.size
                if w <= 0 or h <= 0 or w * h > MAX_PIXELS:
                    raise ExplicitError(f"picture of {w}x{h} pixels is over the limit")
                img.seek(0)
                img = ImageOps.exif_transpose(img)
                if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                    rgba = img.convert("RGBA")
                    flat = Image.new("RGB", rgba.size, (255, 255, 255))
                    flat.paste(rgba, mask=rgba.getchannel("A"))
                    rgb = flat
                else:
                    rgb = img.convert("RGB")
                array = np.asarray(rgb)
    except ExplicitError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ExplicitError(f"picture too large: {err}") from err
    except _DECODE_ERRORS as err:
        raise ExplicitError(f"picture could not be decoded: {type(err).__name__}: {err}") from err
    return np.ascontiguousarray(array[:, :, ::-1])


def labels_in_picture(bgr: "np.ndarray", modality: str = "image-text") -> list[dict]:
    """explicit_labels entries for every label line in a BGR picture."""
    from . import ocr

    height, width = bgr.shape[:2]
    entries = []
    for line in ocr.read_lines(bgr):
        match = match_label(line.text, "ocr")
        if match is None:
            continue
        entries.append(picture_entry(modality, match, line.text, line.box, line.ink_height,
                                     width, height, line.score))
    return entries


def check_image(path: str) -> list[dict]:
    return labels_in_picture(load_picture(path))
