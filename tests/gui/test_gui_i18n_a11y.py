"""Both languages render completely; every control has an accessible name; dark palettes work.

The untranslated-string check walks every visible widget's texts, titles and tooltips (and the
actions, item views and tree items) and fails on any string that equals an English catalog
value (unless zh_CN and en say the same) or that looks like a raw catalog key.
"""

from __future__ import annotations

import json
import re

import pytest
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QApplication,
                               QComboBox, QGroupBox, QHeaderView, QLabel, QLineEdit, QListWidget,
                               QPlainTextEdit, QProgressBar, QScrollBar, QTabBar, QTabWidget,
                               QTreeWidget, QWidget)

from aigcverify.i18n import catalog
from aigcverify.resources import resource_path

RAW_KEY = re.compile(r"^(gui|verdict|reason|problem|rule|media|label|cli|c2pa|detect|export|"
                     r"store|explicit|hint)\.[\w.-]+$")
CONTROLS = (QAbstractButton, QComboBox, QAbstractItemView, QTabWidget, QTabBar, QLineEdit,
            QPlainTextEdit, QProgressBar, QAbstractSpinBox)


def _catalog_files(lang: str) -> dict[str, str]:
    merged = {}
    for path in sorted(resource_path("i18n", lang).glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def _english_only() -> tuple[set[str], set[str]]:
    """(English values that differ from their Chinese text, every key)."""
    en, zh = catalog("en"), catalog("zh_CN")
    values = {v for k, v in en.items() if zh.get(k) != v and "{" not in v}
    return values, set(en) | set(zh)


def _tree_texts(tree: QTreeWidget) -> list[str]:
    out = [tree.headerItem().text(c) for c in range(tree.columnCount())]
    stack = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    while stack:
        item = stack.pop()
        out += [item.text(c) for c in range(tree.columnCount())]
        out += [item.toolTip(c) for c in range(tree.columnCount())]
        stack += [item.child(i) for i in range(item.childCount())]
    return out


def _model_texts(view: QAbstractItemView) -> list[str]:
    from PySide6.QtCore import QModelIndex, Qt

    if isinstance(view, QListWidget):
        items = [view.item(i) for i in range(view.count())]
        return [text for item in items for text in (item.text(), item.toolTip())]
    model = view.model()
    out = []
    if model is None:
        return out
    columns = model.columnCount(QModelIndex())
    for c in range(columns):
        out.append(str(model.headerData(c, Qt.Orientation.Horizontal) or ""))
    for r in range(model.rowCount(QModelIndex())):
        for c in range(columns):
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.index(r, c).data(role)
                if isinstance(value, str):
                    out.append(value)
    return out


def visible_texts(root: QWidget) -> list[tuple[str, str]]:
    """(widget class, text) for everything a user can see or hear on root."""
    out: list[tuple[str, str]] = []

    def add(widget, *texts):
        out.extend((type(widget).__name__, t) for t in texts if t)

    for w in [root, *root.findChildren(QWidget)]:
        if w is not root and not w.isVisibleTo(root):
            continue
        add(w, w.toolTip(), w.accessibleName(), w.accessibleDescription())
        if w.isWindow():
            add(w, w.windowTitle())
        if isinstance(w, QLabel):
            add(w, w.text())
        elif isinstance(w, QAbstractButton):
            add(w, w.text())
        elif isinstance(w, QGroupBox):
            add(w, w.title())
        elif isinstance(w, QComboBox):
            add(w, *(w.itemText(i) for i in range(w.count())))
        elif isinstance(w, QLineEdit):
            add(w, w.placeholderText())
        elif isinstance(w, QProgressBar):
            add(w, w.text())
        if isinstance(w, QTabWidget):
            add(w, *(w.tabText(i) for i in range(w.count())),
                *(w.tabToolTip(i) for i in range(w.count())))
        if isinstance(w, QTreeWidget):
            add(w, *_tree_texts(w))
        elif isinstance(w, QAbstractItemView) and not isinstance(w, QHeaderView):
            add(w, *_model_texts(w))
    for action in root.findChildren(QAction):
        add(action, action.text(), action.toolTip())
    return out


def untranslated(root: QWidget, allowed: set[str] = frozenset()) -> list[tuple[str, str]]:
    english, keys = _english_only()
    long_english = {v for v in english if " " in v and len(v) >= 14}
    bad = []
    for where, text in visible_texts(root):
        text = text.replace("&", "")
        if text in allowed:
            continue
        if text in english or text in keys or RAW_KEY.match(text):
            bad.append((where, text))
        elif any(v in text for v in long_english):
            bad.append((where, text))
    return bad


def _load_every_state(qtbot, window, drop, sample_files):
    with qtbot.waitSignal(window.idle, timeout=60_000):
        drop(window.drop_zone, [sample_files[v] for v in
                                ("confirmed", "declared", "suspected", "none", "unreadable")])


def test_catalogs_have_the_same_keys_and_no_empty_text():
    zh = json.loads(resource_path("i18n", "zh_CN", "gui.json").read_text(encoding="utf-8"))
    en = json.loads(resource_path("i18n", "en", "gui.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    assert all(v.strip() for v in [*zh.values(), *en.values()])
    assert all(k.startswith("gui.") for k in zh)
    # every catalog key the GUI code names exists
    from pathlib import Path

    import aigcverify_gui

    code = "\n".join(p.read_text(encoding="utf-8")
                     for p in Path(aigcverify_gui.__file__).parent.rglob("*.py"))
    named = set(re.findall(r'"(gui\.[A-Za-z0-9_.-]+[A-Za-z0-9_])"', code))
    assert named - set(zh) == set()


def test_nothing_visible_is_untranslated_in_chinese(qtbot, window, drop, sample_files):
    from aigcverify_gui.dialogs.settings_dialog import SettingsDialog

    _load_every_state(qtbot, window, drop, sample_files)
    names = {e.name for e in window.model.entries()}
    for row in range(window.model.rowCount()):
        window.select(row)
        for tab in range(window.result_view.tabs.count()):
            window.result_view.tabs.setCurrentIndex(tab)
            assert untranslated(window, names) == [], f"row {row} tab {tab}"
    window.select(0)
    window.result_view.declared.setChecked(True)
    assert untranslated(window, names) == []
    dialog = SettingsDialog(window.settings, window, providers=["CPUExecutionProvider"])
    qtbot.addWidget(dialog)
    dialog.show()
    assert untranslated(dialog, {"CPUExecutionProvider", str(window.settings.folder)}) == []


def test_english_renders_too_and_switches_at_runtime(qtbot, window, drop, sample_files):
    from aigcverify_gui.i18n import set_lang

    _load_every_state(qtbot, window, drop, sample_files)
    set_lang("en")
    zh_values = {v for k, v in catalog("zh_CN").items() if catalog("en").get(k) != v}
    texts = [t for _, t in visible_texts(window)]
    assert not [t for t in texts if t in zh_values]
    assert window.result_view.tabs.tabText(0) == "Evidence"
    set_lang("zh_CN")
    assert window.result_view.tabs.tabText(0) == catalog("zh_CN")["gui.tab.evidence"]
    assert untranslated(window, {e.name for e in window.model.entries()}) == []


def test_every_control_has_an_accessible_name(qtbot, window, drop, sample_files):
    from aigcverify_gui.dialogs.settings_dialog import SettingsDialog

    _load_every_state(qtbot, window, drop, sample_files)
    dialog = SettingsDialog(window.settings, window, providers=[])
    qtbot.addWidget(dialog)
    dialog.show()
    missing = []
    for root in (window, dialog):
        for w in root.findChildren(QWidget):
            if isinstance(w, QScrollBar) or not w.isVisibleTo(root):
                continue
            if w.objectName().startswith("qt_"):  # Qt's own internals (scroll area corners...)
                continue
            if isinstance(w, CONTROLS) and not w.accessibleName().strip():
                missing.append((type(w).__name__, w.objectName(), getattr(w, "text", lambda: "")()))
    assert missing == []


def _contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        def ch(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.fixture
def dark_palette(qapp):
    old = qapp.palette()
    dark = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#1e1e1e"),
                         (QPalette.ColorRole.WindowText, "#f0f0f0"),
                         (QPalette.ColorRole.Base, "#121212"),
                         (QPalette.ColorRole.Text, "#f0f0f0"),
                         (QPalette.ColorRole.Button, "#2d2d2d"),
                         (QPalette.ColorRole.ButtonText, "#f0f0f0")):
        dark.setColor(role, QColor(colour))
    qapp.setPalette(dark)
    yield dark
    qapp.setPalette(old)


def test_dark_palette_keeps_text_readable(qtbot, window, drop, sample_files, dark_palette):
    from aigcverify_gui import icons
    from aigcverify_gui.widgets.verdict_badge import BADGE_TEXT, VERDICT_STYLE

    _load_every_state(qtbot, window, drop, sample_files)
    QApplication.processEvents()
    # text colours come from the palette, never from a style sheet ...
    view = window.result_view
    assert view.reason.palette().color(QPalette.ColorRole.WindowText) == QColor("#f0f0f0")
    sheets = {type(w).__name__: w.styleSheet() for w in window.findChildren(QWidget)
              if w.styleSheet()}
    assert set(sheets) <= {"VerdictBadge", "DropZone"}
    assert "color" not in sheets.get("DropZone", "").replace("border", "")
    # ... except on the badge, whose fixed fills carry white text at WCAG AA contrast or better
    for state, (fill, _, _) in VERDICT_STYLE.items():
        assert _contrast(QColor(fill), QColor(BADGE_TEXT)) >= 4.5, state
    # icons follow the palette: drawn light on dark
    image = icons.icon("ok").pixmap(32, 32).toImage()
    lightest = max(QColor(image.pixel(x, y)).lightness() for x in range(32) for y in range(32)
                   if QColor.fromRgba(image.pixel(x, y)).alpha() > 200)
    assert lightest > 200


def test_the_check_catches_a_missing_translation_and_a_raw_key(qtbot, window, monkeypatch):
    """The walker itself: a string missing from zh_CN falls back to English and is reported;
    a key without any text is reported as a raw key."""
    monkeypatch.delitem(catalog("zh_CN"), "gui.tab.provenance")
    monkeypatch.delitem(catalog("zh_CN"), "gui.action.copy-json")
    monkeypatch.delitem(catalog("en"), "gui.action.copy-json")
    window.retranslate()
    window.result_view.pages.setCurrentIndex(1)
    found = {text for _, text in untranslated(window)}
    assert "Provenance" in found
    assert "gui.action.copy-json" in found
