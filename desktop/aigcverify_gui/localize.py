"""Re-translate a result that was checked in another language (runtime language switch).

The core writes its messages in the language of the check. When the user switches language,
the GUI re-derives the verdict (reason text) and re-translates every message whose catalog key
can be recovered from its code. A message whose template needs a parameter the result does not
keep is left as it was checked: never a half-filled "{placeholder}".
"""

from __future__ import annotations

import logging
import re

from aigcverify import verdict
from aigcverify.i18n import catalog, tr

__all__ = ["relocalize"]

log = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def _retranslate(key: str, lang: str, old: str, **params: object) -> str:
    template = catalog(lang).get(key)
    if template is None:
        return old
    text = tr(key, lang, **params)
    return old if _PLACEHOLDER.search(text) else text


def _problem_params(problem: dict, result: dict) -> dict[str, object]:
    # parameters some core messages use; recovered from the result where it keeps them
    params: dict[str, object] = {"detail": problem.get("detail", "")}
    if problem.get("code") == "extension-mismatch":
        params.update(ext=problem.get("detail", ""),
                      format=result.get("file", {}).get("format", ""))
    params.update(problem.get("params") or {})
    return params


def _rule_key(code: str) -> str | None:
    try:
        from aigcverify.findings import PROBLEM_CODES
    except ImportError:
        return None
    entry = PROBLEM_CODES.get(code)
    return f"rule.{entry[1]}" if entry and entry[1] else None


def _label_entry(entry: dict, lang: str) -> None:
    try:
        from aigcverify.labels.validate import label_meaning
    except ImportError:
        label_meaning = None
    if label_meaning is not None:
        entry["label_meaning"] = label_meaning(entry.get("label"), lang)
    for detail in entry.get("problem_details") or []:
        base, _, fld = str(detail.get("code", "")).partition(":")
        detail["message"] = _retranslate(f"label.problem.{base}", lang, detail.get("message", ""),
                                         field=fld)
    for sec in entry.get("security") or []:
        if sec.get("detail_code"):
            params = {"signer": sec["signer"]} if sec.get("signer") else {}
            sec["detail"] = _retranslate(f"label.security.detail.{sec['detail_code']}", lang,
                                         sec.get("detail", ""), **params)


def relocalize(result: dict, lang: str) -> dict:
    """Translate result's messages into lang, in place; returns result."""
    for problem in result.get("problems") or []:
        code = str(problem.get("code", ""))
        params = _problem_params(problem, result)
        # label-file problems use their own keys (with {count}); core problems use problem.<code>
        for key in (f"label.file.{code}", f"problem.{code}"):
            if key in catalog(lang):
                problem["message"] = _retranslate(key, lang, problem.get("message", ""), **params)
                break
        rule = _rule_key(code)
        if rule and problem.get("rule"):
            problem["rule"] = tr(rule, lang)
    for entry in result.get("implicit_labels") or []:
        _label_entry(entry, lang)
    return verdict.derive(result, lang)
