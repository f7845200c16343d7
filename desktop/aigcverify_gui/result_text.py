"""A result as plain text or JSON, for the clipboard ("Copy as text" / "Copy as JSON")."""

from __future__ import annotations

import json

from aigcverify.i18n import tr

from . import describe

__all__ = ["as_text", "as_json"]


def _lines(nodes: list[describe.Node], depth: int, out: list[str], raw: bool) -> None:
    for node in nodes:
        if node.raw and not raw:
            continue
        if node.label and node.value:
            text = f"{node.label}: {node.value}"
        else:
            text = node.label or node.value
        out.append("  " * depth + text)
        _lines(node.children, depth + 1, out, raw)


def as_text(result: dict, lang: str, raw: bool = False) -> str:
    """What the screen says, in reading order: file, verdict, why, problems, evidence,
    provenance. Raw detail rows only when raw=True (the JSON copy has everything)."""
    info = result.get("file") or {}
    out = [
        tr("gui.text.file", lang, name=info.get("name") or info.get("path", "")),
        tr("gui.text.verdict", lang, verdict=tr(f"verdict.{result.get('verdict', 'none')}", lang)),
        tr("gui.text.why", lang, reason=(result.get("reason") or {}).get("message", "")),
    ]
    if result.get("declared_by_user"):
        out.append(tr("gui.declared.note", lang))
    problems = describe.problems(result)
    if problems:
        out.append("")
        out.append(tr("gui.problems.title", lang, count=len(problems)))
        for p in problems:
            line = f"- {p.get('message', '')}"
            if p.get("rule"):
                line += " " + tr("gui.problem.rule", lang, rule=p["rule"])
            out.append(line)
    out.append("")
    out.append(tr("gui.tab.evidence", lang))
    _lines(describe.evidence(result, lang), 1, out, raw)
    out.append("")
    out.append(tr("gui.tab.provenance", lang))
    _lines(describe.provenance(result, lang), 1, out, raw)
    out.append("")
    out.append(tr("gui.text.footer", lang))
    return "\n".join(out) + "\n"


def as_json(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2) + "\n"
