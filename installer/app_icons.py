"""Platform icons for the bundle, drawn at build time from resources/icons/app.svg.

Windows wants an .ico (in the executables and the installer), macOS an .icns (in the app
bundle), Linux desktops a PNG. All three are rendered here from the one SVG the app itself
uses, so no binary icon is kept in the repository and the icons never drift from the window
icon. Qt's SVG renderer draws each size (small sizes are drawn small, not scaled down from a
big bitmap, so they stay sharp); Pillow writes the containers.

Used by installer/aigcverify.spec; runnable alone: `python installer/app_icons.py OUT_DIR`.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

__all__ = ["ICO_SIZES", "ICNS_SIZE", "PNG_SIZE", "write_icons"]

ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)  # what Windows Explorer and the taskbar ask for
ICNS_SIZE = 1024  # Pillow derives every .icns member (16 … 512@2x) from this one picture
PNG_SIZE = 256  # the freedesktop icon


def _render(svg: Path, size: int):
    """The SVG drawn into a size x size RGBA Pillow image."""
    from PIL import Image
    from PySide6.QtCore import QByteArray, QBuffer, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return Image.open(io.BytesIO(bytes(data))).convert("RGBA")


def write_icons(svg: Path, out_dir: Path) -> dict[str, Path]:
    """Write app.ico, app.icns and app.png into out_dir; returns {"ico"|"icns"|"png": path}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"ico": out_dir / "app.ico", "icns": out_dir / "app.icns", "png": out_dir / "app.png"}
    frames = [_render(svg, s) for s in ICO_SIZES]
    # Pillow writes one ICO entry per requested size from the largest frame it is given;
    # append_images hands it the frames drawn at their own size instead.
    frames[-1].save(paths["ico"], format="ICO", sizes=[(s, s) for s in ICO_SIZES],
                    append_images=frames[:-1])
    _render(svg, ICNS_SIZE).save(paths["icns"], format="ICNS")
    _render(svg, PNG_SIZE).save(paths["png"], format="PNG")
    return paths


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "build" / "icons"
    for kind, path in write_icons(root / "resources" / "icons" / "app.svg", target).items():
        print(f"{kind}: {path}")
