"""The preview: the picture with the detected explicit-label boxes, a video keyframe strip with
the time the label shows, an audio waveform with the rhythm prompt marked, or a text's first
lines. Decoding happens on the background helper (previews.py); this only paints.

Markings use the palette's highlight colour plus an outline, and a caption says in words what
is marked, so colour is never the only signal.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (QLabel, QPlainTextEdit, QSizePolicy, QStackedWidget, QVBoxLayout,
                               QWidget)

from ..i18n import t
from ..previews import PreviewData

__all__ = ["PreviewPanel", "ImageCanvas", "FrameStrip", "Waveform", "label_boxes",
           "label_intervals"]

BOX_COLOUR = QColor("#FFD60A")  # bright yellow with a black outline: visible on any picture
BOX_OUTLINE = QColor("#000000")


def label_boxes(result: dict | None) -> list[tuple[float, float, float, float]]:
    boxes = []
    for label in (result or {}).get("explicit_labels") or []:
        box = label.get("box")
        if (label.get("modality") == "image-text" and isinstance(box, (list, tuple))
                and len(box) == 4):
            try:
                boxes.append(tuple(float(v) for v in box))
            except (TypeError, ValueError):
                continue
    return boxes


def label_intervals(result: dict | None,
                    modalities: tuple[str, ...]) -> list[tuple[float, float, str]]:
    """(start s, end s, text) of explicit labels of these modalities that have a time."""
    out = []
    for label in (result or {}).get("explicit_labels") or []:
        if label.get("modality") not in modalities or label.get("start_s") is None:
            continue
        start = float(label["start_s"])
        end = start + float(label.get("duration_s") or 0.0)
        out.append((start, end, str(label.get("text", ""))))
    return out


class ImageCanvas(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap | None = None
        self._source = (1, 1)
        self._boxes: list[tuple[float, float, float, float]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_image(self, image: QImage | None, source_size: tuple[int, int] | None) -> None:
        self._pixmap = QPixmap.fromImage(image) if image is not None else None
        self._source = source_size or ((image.width(), image.height()) if image else (1, 1))
        self.update()

    def set_boxes(self, boxes: list[tuple[float, float, float, float]]) -> None:
        self._boxes = boxes
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(320, 240)

    def image_rect(self) -> QRectF:
        if self._pixmap is None or self._pixmap.isNull():
            return QRectF()
        pw, ph = self._pixmap.width(), self._pixmap.height()
        scale = min(self.width() / pw, self.height() / ph)
        w, h = pw * scale, ph * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, event) -> None:  # noqa: N802
        if self._pixmap is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        target = self.image_rect()
        painter.drawPixmap(target, self._pixmap, QRectF(self._pixmap.rect()))
        sx = target.width() / max(1, self._source[0])
        sy = target.height() / max(1, self._source[1])
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        for n, (x0, y0, x1, y1) in enumerate(self._boxes, 1):
            rect = QRectF(target.x() + x0 * sx, target.y() + y0 * sy,
                          (x1 - x0) * sx, (y1 - y0) * sy)
            painter.setPen(QPen(BOX_OUTLINE, 5))
            painter.drawRect(rect)
            painter.setPen(QPen(BOX_COLOUR, 3))
            painter.drawRect(rect)
            tag = QRectF(rect.x(), rect.y() - painter.fontMetrics().height() - 2,
                         painter.fontMetrics().horizontalAdvance(str(n)) + 8,
                         painter.fontMetrics().height())
            if tag.y() < target.y():
                tag.moveTop(rect.bottom() + 2)
            painter.fillRect(tag, BOX_COLOUR)
            painter.setPen(BOX_OUTLINE)
            painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, str(n))
        painter.end()


class FrameStrip(QWidget):
    """Keyframes in rows, each with its time; frames inside a label interval are framed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._frames: list[tuple[float, QPixmap]] = []
        self._intervals: list[tuple[float, float, str]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_frames(self, frames: list[tuple[float, QImage]]) -> None:
        self._frames = [(ts, QPixmap.fromImage(img)) for ts, img in frames]
        self.update()

    def set_intervals(self, intervals: list[tuple[float, float, str]]) -> None:
        self._intervals = intervals
        self.update()

    def marked(self, ts: float) -> bool:
        return any(start - 1e-3 <= ts <= end + 1e-3 for start, end, _ in self._intervals)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(480, 300)

    def paintEvent(self, event) -> None:  # noqa: N802
        if not self._frames:
            return
        painter = QPainter(self)
        pal = self.palette()
        fm = painter.fontMetrics()
        gap = 8
        cols = max(1, min(4, len(self._frames)))
        rows = (len(self._frames) + cols - 1) // cols
        cell_w = (self.width() - gap * (cols + 1)) / cols
        cell_h = (self.height() - gap * (rows + 1)) / rows
        for i, (ts, px) in enumerate(self._frames):
            r, c = divmod(i, cols)
            x, y = gap + c * (cell_w + gap), gap + r * (cell_h + gap)
            room = QRectF(x, y, cell_w, max(1.0, cell_h - fm.height() - 4))
            scale = min(room.width() / px.width(), room.height() / px.height())
            w, h = px.width() * scale, px.height() * scale
            target = QRectF(x + (cell_w - w) / 2, y + (room.height() - h) / 2, w, h)
            painter.drawPixmap(target, px, QRectF(px.rect()))
            marked = self.marked(ts)
            if marked:
                painter.setPen(QPen(BOX_OUTLINE, 6))
                painter.drawRect(target)
                painter.setPen(QPen(BOX_COLOUR, 4))
                painter.drawRect(target)
            caption = t("gui.preview.frame.marked" if marked else "gui.preview.frame",
                        s=f"{ts:.1f}")
            painter.setPen(pal.color(QPalette.ColorRole.WindowText))
            painter.drawText(QRectF(x, y + room.height() + 2, cell_w, fm.height() + 2),
                             Qt.AlignmentFlag.AlignCenter, caption)
        painter.end()


class Waveform(QWidget):
    """A downsampled envelope; rhythm-prompt intervals shaded and outlined."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._peaks = None
        self._duration = 0.0
        self._intervals: list[tuple[float, float, str]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_wave(self, peaks, duration: float | None) -> None:
        self._peaks = peaks
        self._duration = float(duration or 0.0)
        self.update()

    def set_intervals(self, intervals: list[tuple[float, float, str]]) -> None:
        self._intervals = intervals
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(480, 160)

    def paintEvent(self, event) -> None:  # noqa: N802
        if self._peaks is None or not len(self._peaks):
            return
        painter = QPainter(self)
        pal = self.palette()
        fm = painter.fontMetrics()
        axis_h = fm.height() + 4
        area = QRectF(0, 0, self.width(), max(10, self.height() - axis_h))
        mid = area.height() / 2
        duration = self._duration or 1.0
        for start, end, _ in self._intervals:
            x0 = area.width() * max(0.0, start) / duration
            x1 = area.width() * min(duration, max(end, start + duration / 200)) / duration
            band = QRectF(x0, 0, max(3.0, x1 - x0), area.height())
            fill = QColor(BOX_COLOUR)
            fill.setAlpha(110)
            painter.fillRect(band, fill)
            painter.setPen(QPen(BOX_OUTLINE, 1, Qt.PenStyle.DashLine))
            painter.drawRect(band)
        painter.setPen(QPen(pal.color(QPalette.ColorRole.WindowText), 1))
        n = len(self._peaks)
        width = int(area.width())
        for x in range(width):
            peak = float(self._peaks[min(n - 1, x * n // max(1, width))])
            h = peak * (mid - 2)
            painter.drawLine(int(x), int(mid - h), int(x), int(mid + h))
        painter.drawText(QRectF(0, area.height(), self.width(), axis_h),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         t("gui.preview.seconds", s="0"))
        painter.drawText(QRectF(0, area.height(), self.width(), axis_h),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         t("gui.preview.seconds", s=f"{duration:.1f}"))
        painter.end()


class PreviewPanel(QWidget):
    """Stack of the four previews plus a caption that says what is marked."""

    PAGES = ("message", "image", "video", "audio", "text")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewPanel")
        self.stack = QStackedWidget(self)
        self.message = QLabel(self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.canvas = ImageCanvas(self)
        self.strip = FrameStrip(self)
        self.wave = Waveform(self)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        for page in (self.message, self.canvas, self.strip, self.wave, self.text):
            self.stack.addWidget(page)
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.caption)
        self._data: PreviewData | None = None
        self._result: dict | None = None
        self._message_key = "gui.preview.empty"
        self.retranslate()

    @property
    def data(self) -> PreviewData | None:
        return self._data

    def page(self) -> str:
        return self.PAGES[self.stack.currentIndex()]

    def clear(self, message_key: str = "gui.preview.empty") -> None:
        self._data = None
        self._result = None
        self._show_message(message_key)
        self.caption.clear()

    def show_loading(self) -> None:
        self._show_message("gui.preview.loading")

    def _show_message(self, key: str) -> None:
        self._message_key = key
        self.message.setText(t(key))
        self.stack.setCurrentWidget(self.message)

    def set_preview(self, data: PreviewData) -> None:
        self._data = data
        if data.error or data.kind == "none":
            self._show_message(data.error or "gui.preview.none")
        elif data.kind == "image" and data.image is not None:
            self.canvas.set_image(data.image, data.source_size)
            self.stack.setCurrentWidget(self.canvas)
        elif data.kind == "video":
            self.strip.set_frames(data.frames)
            self.stack.setCurrentWidget(self.strip)
        elif data.kind == "audio":
            self.wave.set_wave(data.peaks, data.duration_s)
            self.stack.setCurrentWidget(self.wave)
        elif data.kind == "text":
            self.text.setPlainText(data.text)
            self.stack.setCurrentWidget(self.text)
        else:
            self._show_message("gui.preview.none")
        self._update_marks()

    def set_result(self, result: dict | None) -> None:
        """The explicit labels to mark (they may arrive after the preview itself)."""
        self._result = result
        self._update_marks()

    def _update_marks(self) -> None:
        boxes = label_boxes(self._result)
        video = label_intervals(self._result, ("video-text",))
        audio = label_intervals(self._result, ("audio-rhythm", "audio-speech"))
        self.canvas.set_boxes(boxes)
        self.strip.set_intervals(video)
        self.wave.set_intervals(audio)
        page = self.page()
        lines = []
        if page == "image" and boxes:
            lines.append(t("gui.preview.boxes", count=len(boxes)))
        elif page == "video":
            lines += [t("gui.preview.video.label", text=text, start=f"{s:.1f}", end=f"{e:.1f}")
                      for s, e, text in video]
            if not video:
                lines.append(t("gui.preview.video.none"))
        elif page == "audio":
            lines += [t("gui.preview.audio.label", start=f"{s:.1f}", end=f"{e:.1f}")
                      for s, e, _ in audio]
            if not audio:
                lines.append(t("gui.preview.audio.none"))
        elif page == "text":
            lines.append(t("gui.preview.text.head"))
        self.caption.setText("\n".join(lines))
        self.caption.setVisible(bool(lines))

    def retranslate(self) -> None:
        self.setAccessibleName(t("gui.preview.accessible"))
        self.text.setAccessibleName(t("gui.preview.text.accessible"))
        self.canvas.setAccessibleName(t("gui.preview.image.accessible"))
        self.strip.setAccessibleName(t("gui.preview.video.accessible"))
        self.wave.setAccessibleName(t("gui.preview.audio.accessible"))
        self.message.setText(t(self._message_key))
        self._update_marks()
        self.strip.update()
        self.wave.update()
