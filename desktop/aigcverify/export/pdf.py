"""complaint.pdf: one section per report, in Chinese by default (English on request).

Per report: the complaint (type, where seen), the verdict and why, a preview, every piece of
evidence, file hashes, provenance (tool, model), the reporter's text, the legal basis and the
log entries with their chain hashes. Deterministic: the creation date comes from the reports,
fonts are subset by fpdf2 in a stable order, and nothing depends on the clock.

Every string that came from the checked file (label fields, metadata, C2PA data) is hostile:
control and bidi characters are removed, lengths and counts are bounded, characters the font
cannot draw become U+FFFD.
"""

import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from .. import __version__
from ..findings import PROBLEM_CODES
from ..i18n import tr
from ..verdict import Verdict
from ..store.model import local_time_text
from .fonts import find_cjk_font
from .legal import legal_basis

__all__ = ["PdfReport", "render_pdf", "local_time_text"]

MAX_ITEMS = 40  # evidence items of one kind shown in the PDF (report.json keeps them all)
MAX_VALUE = 400  # characters of one hostile value
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
# verdict -> RGB of its banner
VERDICT_COLORS: dict[str, tuple[int, int, int]] = {
    Verdict.CONFIRMED.value: (176, 32, 32),
    Verdict.DECLARED.value: (200, 100, 0),
    Verdict.SUSPECTED.value: (170, 120, 0),
    Verdict.NONE.value: (90, 90, 90),
    Verdict.UNREADABLE.value: (90, 90, 90),
}
_LABEL_W = 40.0  # mm, the key column of key/value rows
_TEXT, _MONO = "cjk", "cjkmono"


@dataclass(frozen=True, slots=True)
class PdfReport:
    report_id: str
    entries: list[dict]  # every entry of the report (as_dict), chain order
    body: dict  # the current version's body
    thumbnail_png: bytes | None
    original_member: str | None


class _Pdf(FPDF):
    def __init__(self, lang: str) -> None:
        super().__init__(format="A4", unit="mm")
        self.lang = lang
        font = find_cjk_font()
        self.add_font(_TEXT, fname=str(font.path), collection_font_number=font.face)
        self.add_font(_MONO, fname=str(font.path),
                      collection_font_number=font.mono_face if font.mono_face is not None
                      else font.face)
        self.cmap = set(self.fonts[_TEXT].cmap)
        self.wrap = WrapMode.CHAR if lang == "zh_CN" else WrapMode.WORD
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=18)
        self.set_font(_TEXT, size=10)
        self.footer_text = tr("export.pdf.footer", lang, version=__version__)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_TEXT, size=7.5)
        self.set_text_color(120, 120, 120)
        self.cell(0, 5, f"{self.footer_text}    {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    # -- text helpers ----------------------------------------------------------------------

    def clean(self, value: Any, limit: int = MAX_VALUE) -> str:
        text = _CONTROL.sub("", "" if value is None else str(value))
        if len(text) > limit:
            text = text[:limit] + "…"
        return "".join(c if ord(c) in self.cmap or c in "\n " else "\ufffd" for c in text)

    def h1(self, text: str) -> None:
        self.set_font(_TEXT, size=17)
        self.multi_cell(0, 9, self.clean(text), wrapmode=self.wrap, align="L",
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(_TEXT, size=10)

    def h2(self, text: str) -> None:
        if self.get_y() > self.h - 40:
            self.add_page()
        self.ln(3)
        self.set_font(_TEXT, size=12.5)
        self.set_text_color(20, 60, 120)
        self.cell(0, 7, self.clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(20, 60, 120)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_text_color(0, 0, 0)
        self.set_font(_TEXT, size=10)
        self.ln(1.5)

    def para(self, text: str, size: float = 10, limit: int = 30_000) -> None:
        self.set_font(_TEXT, size=size)
        self.multi_cell(0, size * 0.52, self.clean(text, limit), wrapmode=self.wrap, align="L",
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(_TEXT, size=10)

    def kv(self, key: str, value: Any, mono: bool = False, limit: int = MAX_VALUE) -> None:
        text = self.clean(value, limit) or "—"
        if self.get_y() > self.h - 28:
            self.add_page()
        y = self.get_y()
        self.set_text_color(90, 90, 90)
        self.set_font(_TEXT, size=9)
        key_text = self.clean(key)
        key_lines = len(self.multi_cell(_LABEL_W, 5, key_text, wrapmode=self.wrap, align="L",
                                        dry_run=True, output="LINES"))
        self.multi_cell(_LABEL_W, 5, key_text, wrapmode=self.wrap, align="L",
                        new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.set_xy(self.l_margin + _LABEL_W, y)
        self.set_text_color(0, 0, 0)
        self.set_font(_MONO if mono else _TEXT, size=8.6 if mono else 10)
        self.multi_cell(0, 5, text, wrapmode=WrapMode.CHAR if mono else self.wrap, align="L",
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if self.get_y() >= y:  # no page break inside the value
            self.set_y(max(self.get_y(), y + 5 * key_lines))
        self.set_font(_TEXT, size=10)

    def bullet(self, text: str, limit: int = MAX_VALUE) -> None:
        self.set_x(self.l_margin + 3)
        self.multi_cell(0, 5, "• " + self.clean(text, limit), wrapmode=self.wrap, align="L",
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _t(key: str, lang: str, **kwargs: object) -> str:
    return tr(f"export.pdf.{key}", lang, **kwargs)


def _yes(value: Any, lang: str) -> str:
    return tr("store.yes" if value else "store.no", lang)


def _compact(item: Any) -> str:
    if isinstance(item, dict):
        return "; ".join(f"{k}: {_compact(v)}" for k, v in item.items())
    if isinstance(item, list):
        return ", ".join(_compact(v) for v in item)
    return "" if item is None else str(item)


def _verdict_banner(pdf: _Pdf, result: dict, lang: str) -> None:
    verdict = result.get("verdict", "none")
    pdf.set_fill_color(*VERDICT_COLORS.get(verdict, (90, 90, 90)))
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(_TEXT, size=14)
    pdf.cell(0, 10, "  " + pdf.clean(tr(f"verdict.{verdict}", lang)), fill=True,
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1.5)
    reason = result.get("reason") or {}
    code = reason.get("code")
    pdf.para(tr(f"reason.{code}", lang) if code else reason.get("message", ""))
    for also in reason.get("also", [])[:MAX_ITEMS]:
        pdf.bullet(tr(f"reason.{also}", lang))


def _evidence(pdf: _Pdf, result: dict, lang: str) -> None:
    labels = result.get("implicit_labels") or []
    for i, label in enumerate(labels[:MAX_ITEMS], 1):
        pdf.kv(_t("implicit-label", lang, n=i),
               _t("implicit-label-where", lang, carrier=label.get("carrier", "?"),
                  offset=label.get("offset", "—")))
        value = label.get("label")
        pdf.kv(_t("label-value", lang), tr(f"export.pdf.label-meaning.{value}", lang)
               if value in ("1", "2", "3") else _t("label-meaning.none", lang))
        for key, field_value in list((label.get("fields") or {}).items())[:MAX_ITEMS]:
            pdf.kv("  " + str(key), _compact(field_value))
        pdf.kv(_t("conformant", lang), _yes(label.get("conformant"), lang))
        for text in (label.get("problems") or [])[:MAX_ITEMS]:
            pdf.bullet(_compact(text))
    c2pa = result.get("c2pa")
    if c2pa:
        pdf.kv(_t("c2pa", lang), tr(f"export.pdf.c2pa-state.{c2pa.get('state')}", lang))
        pdf.kv(_t("c2pa-ai", lang), _yes(c2pa.get("ai_generated"), lang))
        pdf.kv(_t("c2pa-types", lang), ", ".join(c2pa.get("digital_source_types") or []))
        pdf.kv(_t("c2pa-generator", lang), c2pa.get("claim_generator"))
        if c2pa.get("codes"):
            pdf.kv(_t("c2pa-codes", lang), ", ".join(map(str, c2pa["codes"][:MAX_ITEMS])))
    for item in (result.get("explicit_labels") or [])[:MAX_ITEMS]:
        pdf.kv(_t("explicit", lang), _t("explicit-text", lang, modality=item.get("modality"),
                                        text=item.get("text", ""),
                                        compliant=_yes(item.get("compliant"), lang)))
    for item in (result.get("watermarks") or [])[:MAX_ITEMS]:
        pdf.kv(_t("watermark", lang), _compact(item))
    for item in (result.get("metadata_hints") or [])[:MAX_ITEMS]:
        pdf.kv(_t("metadata-hint", lang), _compact(item))
    detector = result.get("detector")
    if detector:
        pdf.kv(_t("detector", lang), _t("detector-score", lang,
                                        score=f"{float(detector.get('score', 0)):.3f}",
                                        threshold=f"{float(detector.get('threshold', 0)):.3f}"))
    if not (labels or c2pa or result.get("explicit_labels") or result.get("watermarks")
            or result.get("metadata_hints") or detector):
        pdf.para(_t("no-evidence", lang))
    problems = result.get("problems") or []
    if problems:
        pdf.ln(1)
        pdf.para(_t("problems", lang), size=9.5)
        fmt = str(result.get("file", {}).get("format", ""))
        for entry in problems[:MAX_ITEMS]:
            pdf.bullet(_problem_text(entry, fmt, lang))


def _problem_text(entry: dict, fmt: str, lang: str) -> str:
    """The problem in the PDF's language (the stored message is in the check's language)."""
    code, detail = str(entry.get("code", "")), str(entry.get("detail", ""))
    if code not in PROBLEM_CODES:
        return str(entry.get("message", code))
    text = tr(f"problem.{code}", lang, detail=detail, ext=detail, format=fmt)
    rule = PROBLEM_CODES[code][1]
    return f"{text} ({tr(f'rule.{rule}', lang)})" if rule else text


def _provenance(pdf: _Pdf, result: dict, lang: str) -> None:
    tool = result.get("tool") or {}
    pdf.kv(_t("tool", lang), f"{tool.get('name', 'aigcverify')} {tool.get('version', '')}")
    pdf.kv(_t("stages", lang), ", ".join(tr(f"export.pdf.stage.{s}", lang)
                                         for s in result.get("stages") or []))
    detector = result.get("detector")
    if detector:
        pdf.kv(_t("model", lang), detector.get("model"))
        pdf.kv(_t("model-hash", lang), detector.get("model_sha256"), mono=True)
        pdf.kv(_t("provider", lang), detector.get("provider"))
    else:
        pdf.kv(_t("model", lang), _t("no-model", lang))


def _report(pdf: _Pdf, report: PdfReport, lang: str) -> None:
    body, result = report.body, report.body.get("result", {})
    first = report.entries[0]
    seen, complaint = body.get("seen", {}), body.get("complaint", {})
    file_info = body.get("file", {})
    pdf.add_page()
    pdf.h1(_t("title", lang))
    pdf.kv(_t("report-id", lang), report.report_id, mono=True)
    pdf.kv(_t("filed", lang), local_time_text(first["created_utc"], first["tz_offset"]))
    if len(report.entries) > 1:
        last = report.entries[-1]
        pdf.kv(_t("revised", lang), local_time_text(last["created_utc"], last["tz_offset"]))
    pdf.h2(_t("section.complaint", lang))
    pdf.kv(_t("type", lang), tr(f"store.type.{complaint.get('type', 'other')}", lang))
    pdf.kv(_t("platform", lang), seen.get("platform"))
    pdf.kv(_t("url", lang), seen.get("url"), limit=4096)
    pdf.kv(_t("account", lang), seen.get("account"))
    pdf.kv(_t("seen-at", lang), seen.get("seen_at"))
    pdf.h2(_t("section.verdict", lang))
    _verdict_banner(pdf, result, lang)
    if report.thumbnail_png:
        pdf.h2(_t("section.preview", lang))
        image = io.BytesIO(report.thumbnail_png)
        info = body.get("evidence", {}).get("thumbnail") or {}
        width, height = float(info.get("width", 1)), float(info.get("height", 1))
        w = min(80.0, 80.0 * width / max(height, 1.0))
        if pdf.get_y() + w * height / max(width, 1.0) > pdf.h - 20:
            pdf.add_page()
        pdf.image(image, x=pdf.l_margin, w=w)
        pdf.para(_t("preview-note", lang, source=_t(f"preview.{info.get('source', 'image')}",
                                                    lang)), size=8)
    pdf.h2(_t("section.evidence", lang))
    _evidence(pdf, result, lang)
    pdf.h2(_t("section.file", lang))
    pdf.kv(_t("file-name", lang), file_info.get("name"))
    pdf.kv(_t("file-size", lang), _t("bytes", lang, n=file_info.get("size", 0)))
    pdf.kv(_t("file-format", lang), f"{result.get('file', {}).get('format', '')} / "
           f"{tr('media.' + str(result.get('file', {}).get('media_type', 'unknown')), lang)}")
    pdf.kv("SHA-256", file_info.get("sha256"), mono=True)
    pdf.kv("SM3", file_info.get("sm3"), mono=True)
    pdf.kv(_t("original", lang), report.original_member or _t("original-not-kept", lang),
           mono=bool(report.original_member))
    pdf.h2(_t("section.provenance", lang))
    _provenance(pdf, result, lang)
    pdf.h2(_t("section.statement", lang))
    pdf.para(complaint.get("description") or _t("no-statement", lang))
    if complaint.get("contact"):
        pdf.kv(_t("contact", lang), complaint.get("contact"))
    pdf.h2(_t("section.legal", lang))
    pdf.para(_t("legal-note", lang), size=8.5)
    for title, text in legal_basis(complaint.get("type", "other"), lang):
        pdf.set_font(_TEXT, size=10.5)
        pdf.multi_cell(0, 5.5, pdf.clean(title), wrapmode=pdf.wrap, align="L",
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.para(text, size=9.2)
        pdf.ln(1)
    pdf.h2(_t("section.integrity", lang))
    pdf.para(_t("integrity-note", lang), size=9)
    for entry in report.entries:
        pdf.kv(_t("entry", lang, seq=entry["seq"], kind=tr(f"store.status.{entry['kind']}", lang)),
               f"{entry['hash']}\n{_t('prev', lang)} {entry['prev_hash']}\n"
               f"{local_time_text(entry['created_utc'], entry['tz_offset'])}", mono=True)


def render_pdf(reports: list[PdfReport], lang: str, created: datetime) -> bytes:
    pdf = _Pdf(lang)
    pdf.alias_nb_pages()
    pdf.set_creation_date(created)
    pdf.set_title(_t("title", lang))
    pdf.set_creator(f"aigcverify {__version__}")
    pdf.set_producer(f"aigcverify {__version__}")
    pdf.set_lang("zh-CN" if lang == "zh_CN" else "en")
    for report in reports:
        _report(pdf, report, lang)
    return bytes(pdf.output())
