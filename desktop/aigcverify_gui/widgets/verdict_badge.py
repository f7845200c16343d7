"""The large verdict badge: colour, icon and words together (colour is never the only signal).

Text on the badge is white on a saturated fill chosen for a contrast ratio of at least 4.5:1
(WCAG AA) against white; the fill does not depend on the light/dark palette, so the contrast
holds in both. A border in the palette's text colour keeps the badge's edge visible on a dark
window background.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from .. import icons
from ..i18n import t

__all__ = ["VerdictBadge", "VERDICT_STYLE", "BADGE_TEXT"]

BADGE_TEXT = "#FFFFFF"

# state -> (fill colour, icon name, catalog key of the words)
VERDICT_STYLE: dict[str, tuple[str, str, str]] = {
    "confirmed": ("#B42318", "verdict-confirmed", "verdict.confirmed"),
    "declared": ("#B54708", "verdict-declared", "verdict.declared"),
    "suspected": ("#7A5800", "verdict-suspected", "verdict.suspected"),
    "none": ("#1F5F8B", "verdict-none", "verdict.none"),
    "unreadable": ("#5B5F66", "verdict-unreadable", "verdict.unreadable"),
    "pending": ("#475467", "verdict-pending", "gui.badge.pending"),
    "cancelled": ("#475467", "cancelled", "gui.badge.cancelled"),
}


class VerdictBadge(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verdictBadge")
        self._state = "pending"
        self._subtitle = ""
        self._icon = QLabel(self)
        self._title = QLabel(self)
        self._title.setObjectName("verdictTitle")
        self._sub = QLabel(self)
        self._sub.setObjectName("verdictSubtitle")
        self._sub.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont(self._title.font())
        font.setPointSizeF(font.pointSizeF() * 1.7)
        font.setBold(True)
        self._title.setFont(font)
        self._title.setWordWrap(True)
        self._sub.setWordWrap(True)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self._title)
        text.addWidget(self._sub)
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 10, 14, 10)
        row.setSpacing(12)
        row.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addLayout(text, 1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.set_state("pending")

    @property
    def state(self) -> str:
        return self._state

    def words(self) -> str:
        return self._title.text()

    def set_state(self, state: str, subtitle: str | None = None) -> None:
        self._state = state if state in VERDICT_STYLE else "unreadable"
        if subtitle is not None:
            self._subtitle = subtitle
        self._apply()

    def retranslate(self) -> None:
        self._apply()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange:
            self._apply_style()

    def _apply(self) -> None:
        fill, icon_name, key = VERDICT_STYLE[self._state]
        self._title.setText(t(key))
        self._sub.setText(self._subtitle)
        self._sub.setVisible(bool(self._subtitle))
        side = round(self._title.fontMetrics().height() * 1.6)
        self._icon.setPixmap(icons.pixmap(icon_name, side, BADGE_TEXT, self.devicePixelRatioF()))
        self._icon.setFixedSize(side, side)
        self.setAccessibleName(t("gui.badge.accessible", verdict=t(key)))
        self._apply_style()

    def _apply_style(self) -> None:
        fill = VERDICT_STYLE[self._state][0]
        edge = self.palette().color(QPalette.ColorRole.WindowText).name()
        # the fill is fixed, so the text colour on it is fixed too (see module docstring)
        sheet = (
            f"QFrame#verdictBadge {{ background-color: {fill}; border: 1px solid {edge};"
            f" border-radius: 10px; }}"
            f" QFrame#verdictBadge QLabel {{ color: {BADGE_TEXT}; background: transparent; }}")
        if sheet != self.styleSheet():  # a style sheet change may itself change the palette
            self.setStyleSheet(sheet)
