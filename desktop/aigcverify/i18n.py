"""Translations for every user-facing string of the core, CLI and GUI.

Catalogs are JSON files in resources/i18n/<lang>/*.json (one file per area, so features can be
added without editing a shared file); all files of a language are merged. zh_CN and en ship
complete: a test fails when their key sets differ or a value is empty.
"""

import json
import locale
import os
from functools import cache
from string import Formatter

from .resources import resource_path

__all__ = ["LANGS", "normalize_lang", "system_lang", "catalog", "tr"]

LANGS = ("zh_CN", "en")


def normalize_lang(lang: str | None) -> str:
    """'zh', 'zh-CN', 'zh_CN.UTF-8' -> 'zh_CN'; 'en*' -> 'en'; anything else -> system language."""
    if not lang:
        return system_lang()
    low = lang.lower().replace("-", "_")
    if low.startswith("zh"):
        return "zh_CN"
    if low.startswith("en"):
        return "en"
    return system_lang()


def system_lang() -> str:
    """English only when the system asks for it; Chinese first otherwise (also for the "C"
    locale, which Python would report as en_US)."""
    for var in ("AIGCVERIFY_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh_CN"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "en" if loc.lower().startswith("en") else "zh_CN"


@cache
def catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    folder = resource_path("i18n", lang)
    for path in sorted(folder.glob("*.json")):
        with open(path, encoding="utf-8") as fh:
            merged.update(json.load(fh))
    return merged


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def tr(key: str, lang: str = "zh_CN", /, **kwargs: object) -> str:
    """The message for key in lang, formatted with kwargs. Unknown keys return the key itself
    (visible in tests) rather than crashing a report."""
    text = catalog(normalize_lang(lang)).get(key) or catalog("en").get(key) or key
    if kwargs:
        text = Formatter().vformat(text, (), _Default(kwargs))
    return text
