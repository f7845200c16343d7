"""A small PNG preview (image thumbnail or video keyframe) for the complaint PDF.

Made once, when a report is filed, and kept in the evidence store: the export then never parses
the reported file again and two exports give identical bytes. Decoding a hostile file is
untrusted work (architecture rule 4), so it runs in a child process with a wall-clock and a
memory limit; a file that cannot be previewed simply has no thumbnail.
"""

import io
import logging
import multiprocessing as mp
import sys
from multiprocessing.connection import Connection

__all__ = ["make_thumbnail", "render_thumbnail", "MAX_SIDE", "PREVIEW_FORMATS"]

log = logging.getLogger(__name__)

MAX_SIDE = 480  # pixels of the longer side
MAX_SOURCE_PIXELS = 80_000_000  # refuse decompression bombs before decoding
# media type -> how a preview is made
PREVIEW_FORMATS: dict[str, str] = {"image": "image", "video": "keyframe"}


def _png(image) -> tuple[bytes, int, int]:  # noqa: ANN001 - a PIL image
    from PIL import Image  # noqa: PLC0415

    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=9)
    return out.getvalue(), image.width, image.height


def _image(path: str):  # noqa: ANN202
    from PIL import Image, ImageOps  # noqa: PLC0415

    Image.MAX_IMAGE_PIXELS = MAX_SOURCE_PIXELS
    try:
        import pillow_heif  # noqa: PLC0415

        pillow_heif.register_heif_opener()
    except ImportError:
        log.debug("pillow-heif not installed: no HEIF previews")
    image = Image.open(path)
    image.draft("RGB", (MAX_SIDE * 2, MAX_SIDE * 2))  # JPEG: decode at a reduced scale
    image.seek(0)
    return ImageOps.exif_transpose(image.convert("RGBA") if image.mode == "P" else image)


def _keyframe(path: str):  # noqa: ANN202
    import av  # noqa: PLC0415

    with av.open(path, options={"protocol_whitelist": "file"}) as container:
        stream = next((s for s in container.streams if s.type == "video"), None)
        if stream is None:
            raise ValueError("no video stream")
        stream.codec_context.skip_frame = "NONKEY"
        for frame in container.decode(stream):
            return frame.to_image()
    raise ValueError("no decodable keyframe")


def render_thumbnail(path: str, media_type: str) -> dict | None:
    """In this process (the child): {"png", "width", "height", "source"} or None."""
    kind = PREVIEW_FORMATS.get(media_type)
    if kind is None:
        return None
    image = _image(path) if kind == "image" else _keyframe(path)
    png, width, height = _png(image)
    return {"png": png, "width": width, "height": height, "source": kind}


def _child(conn: Connection, path: str, media_type: str, memory_mb: int) -> None:
    try:
        import resource  # noqa: PLC0415

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        log.debug("no memory limit for the preview process")
    try:
        conn.send(("ok", render_thumbnail(path, media_type)))
    except MemoryError:
        conn.send(("error", "out of memory"))
    except Exception as err:  # noqa: BLE001 - any decoder failure means "no preview", reported
        conn.send(("error", f"{type(err).__name__}: {err}"[:300]))


def _context() -> mp.context.BaseContext:
    return mp.get_context("forkserver" if sys.platform.startswith("linux") else "spawn")


def make_thumbnail(path: str, media_type: str, *, timeout_s: float = 20.0,
                   memory_mb: int = 1536) -> dict | None:
    """A preview of the file made in a child process; None when there is none (not an image or
    video, undecodable, too slow)."""
    if media_type not in PREVIEW_FORMATS:
        return None
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, str(path), media_type, memory_mb),
                       daemon=True, name="aigcverify-thumbnail")
    proc.start()
    child.close()
    try:
        if parent.poll(timeout_s):
            status, payload = parent.recv()
            if status == "ok":
                return payload
            log.info("no preview for %s: %s", path, payload)
        else:
            log.info("no preview for %s: took longer than %s s", path, timeout_s)
    except (EOFError, OSError) as err:
        log.info("no preview for %s: preview process ended (%s)", path, err)
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
    return None
