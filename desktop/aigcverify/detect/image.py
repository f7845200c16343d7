"""Still pictures: decode at native resolution (never resized), score, look for laundering and
known watermarks."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import LimitExceeded
from .heif_quality import CodedQuality
from .manifest import DetectorError

__all__ = ["MAX_PIXELS", "Decoded", "decode_image"]

log = logging.getLogger(__name__)

MAX_PIXELS = 64_000_000  # larger pictures are refused (memory of a worker process)


@dataclass(frozen=True, slots=True)
class Decoded:
    rgb: np.ndarray  # H x W x 3 uint8, as stored (no EXIF rotation: it would move the grid)
    jpeg_quality: int | None  # estimated IJG quality of a JPEG file, else None
    webp_quality: int | None = None  # estimated libwebp quality of a still lossy WebP, else None
    coded: CodedQuality | None = None  # an AVIF's or HEIF's quantiser and quality, else None


def _register_heif() -> None:
    try:
        import pillow_heif  # noqa: PLC0415

        pillow_heif.register_heif_opener()
    except ImportError:
        log.debug("pillow-heif not installed: HEIF/AVIF cannot be scored")


def _to_rgb(im) -> np.ndarray:  # noqa: ANN001 - a PIL image
    from PIL import Image  # noqa: PLC0415

    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))  # as the training data
        canvas.alpha_composite(rgba)
        return np.asarray(canvas.convert("RGB"))
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit greyscale: keep the top 8 bits
        arr = np.asarray(im, dtype=np.uint32) >> 8
        return np.repeat(np.clip(arr, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)
    return np.asarray(im.convert("RGB"))


def decode_image(path: str) -> Decoded:
    """The first frame of a picture file. Raises LimitExceeded or DetectorError."""
    from PIL import Image  # noqa: PLC0415

    _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
                if w * h > MAX_PIXELS:
                    raise LimitExceeded(f"picture of {w}x{h} pixels is too large to score")
                quality = webp = coded = None
                if im.format == "JPEG":
                    from .laundering import jpeg_quality  # noqa: PLC0415

                    quality = jpeg_quality(getattr(im, "quantization", None))
                elif im.format == "WEBP":
                    from .webp_quality import webp_quality  # noqa: PLC0415

                    webp = webp_quality(path)  # reads the file's first chunks itself
                elif im.format in ("AVIF", "HEIF"):
                    from .heif_quality import coded_quality  # noqa: PLC0415

                    coded = coded_quality(path)  # reads the file's boxes itself, bounded
                im.seek(0)
                rgb = _to_rgb(im)
    except LimitExceeded:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise LimitExceeded(str(err)[:200]) from err
    # RuntimeError: Pillow's AVIF plugin reports libavif's decoding failures with it
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError, RuntimeError) as err:
        raise DetectorError(f"picture could not be decoded: {err}"[:300]) from err
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.size == 0:
        raise DetectorError(f"unexpected picture layout {rgb.shape}")
    return Decoded(rgb=np.ascontiguousarray(rgb), jpeg_quality=quality, webp_quality=webp,
                   coded=coded)
