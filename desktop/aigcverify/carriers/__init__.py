"""The carrier registry: sniffed format -> the module that reads its metadata.

Adding a format touches one module and one line here (architecture rule 2).
"""

import importlib
from types import ModuleType

__all__ = ["CARRIER_MODULES", "carrier_for"]

# module name (in this package) -> it reads these formats (each module also lists FORMATS)
CARRIER_MODULES: dict[str, tuple[str, ...]] = {
    "jpeg": ("jpeg",),
    "png": ("png",),
    "webp": ("webp",),
    "gif": ("gif",),
    "tiff": ("tiff",),
    "isobmff": ("heif", "avif", "mp4", "mov", "m4a"),
    "id3": ("mp3",),
    "riff": ("wav", "avi"),
    "vorbis": ("flac", "ogg"),
    "ebml": ("mkv", "webm"),
    "flv": ("flv",),
    "pdf": ("pdf",),
    "ooxml": ("docx", "xlsx", "pptx"),
    "text": ("txt", "md", "html"),
}

_BY_FORMAT = {fmt: name for name, fmts in CARRIER_MODULES.items() for fmt in fmts}


def carrier_for(fmt: str) -> ModuleType | None:
    name = _BY_FORMAT.get(fmt)
    if name is None:
        return None
    return importlib.import_module(f"{__name__}.{name}")
