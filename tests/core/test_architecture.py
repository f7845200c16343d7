"""House rules that code review alone would miss."""

import ast
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "desktop" / "aigcverify"
I18N = ROOT / "resources" / "i18n"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_qt():
    offenders = [str(p.relative_to(ROOT)) for p in CORE.rglob("*.py")
                 if _imports(p) & {"PySide6", "shiboken6", "aigcverify_gui"}]
    assert offenders == []


def test_no_network_modules_in_core():
    banned = {"socket", "urllib", "http", "requests", "ftplib", "smtplib", "httpx", "aiohttp"}
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & banned) for p in CORE.rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_silent_exception_swallowing():
    pattern = re.compile(r"except\s+(Exception|BaseException)?\s*:\s*\n\s*pass\b")
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "desktop").rglob("*.py")
                 if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_catalogs_complete_in_both_languages():
    zh = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (I18N / "zh_CN").glob("*.json")}
    en = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (I18N / "en").glob("*.json")}
    assert set(zh) == set(en)
    for name in zh:
        assert set(zh[name]) == set(en[name]), f"{name}: {set(zh[name]) ^ set(en[name])}"
        assert all(v.strip() for v in zh[name].values()), name
        assert all(v.strip() for v in en[name].values()), name
    all_zh = {k for d in zh.values() for k in d}
    assert sum(len(d) for d in zh.values()) == len(all_zh), "a key is defined in two catalog files"


def test_problem_codes_have_messages_and_rules():
    from aigcverify.findings import PROBLEM_CODES
    from aigcverify.i18n import catalog

    for lang in ("zh_CN", "en"):
        cat = catalog(lang)
        for code, (_, rule) in PROBLEM_CODES.items():
            assert f"problem.{code}" in cat, (lang, code)
            if rule:
                assert f"rule.{rule}" in cat, (lang, rule)
