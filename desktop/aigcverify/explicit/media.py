"""Opening audio/video with PyAV (FFmpeg) so that only the local file itself can be read.

Two locks, both needed (architecture rule 4): the demuxer is forced from the sniffed format, so
FFmpeg never probes a playlist-like format (HLS, concat, DASH) that opens other URLs; and the
container may use the "file" protocol only, so even a nested open cannot reach the network.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .errors import ExplicitError

if TYPE_CHECKING:
    import av.container

__all__ = ["DEMUXERS", "CONTAINER_OPTIONS", "open_media", "decode_errors"]

# sniffed format -> the FFmpeg demuxer that must read it
DEMUXERS: dict[str, str] = {
    "mp4": "mov,mp4,m4a,3gp,3g2,mj2", "mov": "mov,mp4,m4a,3gp,3g2,mj2",
    "m4a": "mov,mp4,m4a,3gp,3g2,mj2",
    "mkv": "matroska,webm", "webm": "matroska,webm",
    "avi": "avi", "flv": "flv",
    "mp3": "mp3", "wav": "wav", "flac": "flac", "ogg": "ogg",
}
CONTAINER_OPTIONS: dict[str, str] = {
    "protocol_whitelist": "file",
    "enable_drefs": "0",  # QuickTime reference movies must not pull in other files
}


def decode_errors() -> tuple[type[BaseException], ...]:
    """What PyAV raises on broken input."""
    import av

    return (av.FFmpegError, OSError, ValueError, EOFError, IndexError, MemoryError)


@contextlib.contextmanager
def open_media(path: str, fmt: str) -> Iterator["av.container.InputContainer"]:
    """The container, read only through the demuxer of its sniffed format."""
    import av

    demuxer = DEMUXERS.get(fmt)
    if demuxer is None:
        raise ExplicitError(f"no audio/video demuxer for format {fmt}")
    try:
        container = av.open(path, mode="r", format=demuxer.split(",")[0],
                            container_options=dict(CONTAINER_OPTIONS), timeout=30.0)
    except decode_errors() as err:
        raise ExplicitError(f"{fmt} could not be opened: {type(err).__name__}: {err}") from err
    try:
        yield container
    finally:
        container.close()
