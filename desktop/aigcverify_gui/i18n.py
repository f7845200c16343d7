"""The GUI's language: one current language, switchable at runtime.

Strings come from the core's catalogs (aigcverify.i18n: resources/i18n/<lang>/*.json; the GUI's
own keys start with "gui." and live in gui.json). Widgets call `t(key)` when they (re)build
their texts and connect `language().changed` to their `retranslate()`, so a language switch in
Settings takes effect immediately, without a restart.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QObject, QTranslator, Signal

from aigcverify.i18n import LANGS, normalize_lang, system_lang, tr

__all__ = ["Language", "language", "t", "current_lang", "set_lang", "LANG_CHOICES",
           "install_qt_translations"]

# Settings value -> catalog key of its name in the language menu. "" follows the system.
LANG_CHOICES: tuple[tuple[str, str], ...] = (
    ("", "gui.settings.lang.system"),
    ("zh_CN", "gui.settings.lang.zh_CN"),
    ("en", "gui.settings.lang.en"),
)


class Language(QObject):
    """Holds the current UI language; `changed` fires after it switched."""

    changed = Signal(str)

    def __init__(self, lang: str | None = None) -> None:
        super().__init__()
        self._lang = normalize_lang(lang) if lang else system_lang()

    @property
    def lang(self) -> str:
        return self._lang

    def set(self, lang: str | None) -> None:
        """Switch to lang ("" or None = the system language); no signal if nothing changes."""
        new = normalize_lang(lang) if lang else system_lang()
        if new not in LANGS:
            new = "zh_CN"
        if new != self._lang:
            self._lang = new
            self.changed.emit(new)


_LANGUAGE: Language | None = None


def language() -> Language:
    global _LANGUAGE
    if _LANGUAGE is None:
        _LANGUAGE = Language()
    return _LANGUAGE


def current_lang() -> str:
    return language().lang


def set_lang(lang: str | None) -> None:
    language().set(lang)


def t(key: str, /, **kwargs: object) -> str:
    """The text of key in the current UI language."""
    return tr(key, language().lang, **kwargs)


_QT_TRANSLATOR: QTranslator | None = None


def _load_qt_translations(lang: str) -> None:
    """Qt's own strings (standard dialog buttons, file dialogs) in the UI language."""
    global _QT_TRANSLATOR
    app = QCoreApplication.instance()
    if app is None:
        return
    if _QT_TRANSLATOR is not None:
        app.removeTranslator(_QT_TRANSLATOR)
        _QT_TRANSLATOR = None
    if lang == "en":
        return
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(f"qtbase_{lang}", folder):
        app.installTranslator(translator)
        _QT_TRANSLATOR = translator


def install_qt_translations() -> None:
    """Load Qt's translations now and again whenever the language changes."""
    _load_qt_translations(current_lang())
    language().changed.connect(_load_qt_translations)
