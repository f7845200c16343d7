"""Icons drawn for this app (resources/icons/*.svg), coloured at runtime.

The SVGs use `currentColor`; it is replaced with the palette's text colour (or a given colour)
before rendering, so icons follow the light/dark palette. Pixmaps are rendered at several sizes
so that high-DPI screens get sharp icons.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from aigcverify.resources import resource_path

__all__ = ["icon", "pixmap", "app_icon", "ICON_SIZES"]

ICON_SIZES = (16, 20, 24, 32, 48, 64, 96, 128)


@cache
def _svg(name: str) -> str:
    return resource_path("icons", f"{name}.svg").read_text(encoding="utf-8")


def _text_colour() -> str:
    app = QGuiApplication.instance()
    if app is None:
        return "#202020"
    return QGuiApplication.palette().color(QPalette.ColorRole.WindowText).name()


@cache
def _render(name: str, colour: str, size: int) -> QImage:
    data = QByteArray(_svg(name).replace("currentColor", colour).encode("utf-8"))
    renderer = QSvgRenderer(data)
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def pixmap(name: str, size: int, colour: str | QColor | None = None, ratio: float = 1.0) -> QPixmap:
    """One pixmap of `size` logical pixels at device pixel ratio `ratio`."""
    hex_colour = colour.name() if isinstance(colour, QColor) else (colour or _text_colour())
    px = QPixmap.fromImage(_render(name, hex_colour, max(1, round(size * ratio))))
    px.setDevicePixelRatio(ratio)
    return px


def icon(name: str, colour: str | QColor | None = None) -> QIcon:
    """The icon in the palette's text colour (or `colour`); built once per colour, because item
    views ask for their icons on every repaint."""
    hex_colour = colour.name() if isinstance(colour, QColor) else (colour or _text_colour())
    return _icon(name, hex_colour)


@cache
def _icon(name: str, hex_colour: str) -> QIcon:
    result = QIcon()
    for size in ICON_SIZES:
        result.addPixmap(QPixmap.fromImage(_render(name, hex_colour, size)))
    return result


def app_icon() -> QIcon:
    result = QIcon()
    for size in ICON_SIZES:
        result.addPixmap(QPixmap.fromImage(_render("app", "#000000", size)))
    return result
