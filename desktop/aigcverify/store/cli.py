"""CLI of the report log: `aigcverify report FILE ...` and `aigcverify log list|show|verify|
export|edit|withdraw`.

Machine output (report id, --json) goes to stdout; messages for people go to stderr. Exit
codes: 0 done, 1 the log does not verify, 2 bad input, 3 the log cannot be used right now
(locked, read-only, disk full, damaged), 4 no such report. A file that changed since it was
checked counts as bad input (2).
"""

import argparse
import json
import sys
from pathlib import Path

from ..i18n import normalize_lang, tr
from .errors import FileChanged, InvalidReport, ReportNotFound, StoreError
from .log import ListFilter, ReportLog
from .model import COMPLAINT_TYPES, ReportDraft, Seen, draft_from_body, printable

__all__ = ["register", "EXIT_CODES"]

EXIT_OK, EXIT_BROKEN, EXIT_INVALID, EXIT_STORE, EXIT_NOT_FOUND = 0, 1, 2, 3, 4
EXIT_CODES = {"ok": EXIT_OK, "broken": EXIT_BROKEN, "invalid": EXIT_INVALID,
              "store": EXIT_STORE, "not-found": EXIT_NOT_FOUND}
_VERDICTS = ("confirmed", "declared", "suspected", "none", "unreadable")


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _fail(err: StoreError, lang: str) -> int:
    """Say what went wrong and that nothing stored before was lost."""
    _err(err.message(lang))
    if isinstance(err, ReportNotFound):
        return EXIT_NOT_FOUND
    if isinstance(err, (InvalidReport, FileChanged)):
        return EXIT_INVALID
    _err(tr("store.cli.nothing-lost", lang))
    return EXIT_STORE


def _run(args: argparse.Namespace, body) -> int:  # noqa: ANN001 - callable(log) -> int
    try:
        with ReportLog() as report_log:
            return body(report_log)
    except StoreError as err:
        return _fail(err, args.lang)


def _draft(args: argparse.Namespace, base: ReportDraft | None = None) -> ReportDraft:
    base = base or ReportDraft()

    def pick(name: str, old: str) -> str:
        value = getattr(args, name, None)
        return old if value is None else value

    return ReportDraft(
        complaint_type=pick("type", base.complaint_type),
        seen=Seen(platform=pick("platform", base.seen.platform), url=pick("url", base.seen.url),
                  account=pick("account", base.seen.account),
                  seen_at=pick("seen_at", base.seen.seen_at)),
        description=pick("note", base.description), contact=pick("contact", base.contact),
        keep_original=bool(getattr(args, "keep_original", False)))


# -- report ----------------------------------------------------------------------------------

def _cmd_report(args: argparse.Namespace) -> int:
    from .filing import check_in_worker, file_report_for_path  # noqa: PLC0415

    lang = args.lang
    result = None
    if args.result:
        try:
            line = Path(args.result).read_text(encoding="utf-8").strip().splitlines()[0]
            result = json.loads(line)
        except (OSError, IndexError, ValueError) as err:
            _err(tr("store.cli.bad-result", lang, detail=str(err)[:200]))
            return EXIT_INVALID

    def check(path: str, lg: str) -> dict:
        _err(tr("store.cli.checking", lang, path=path))
        return check_in_worker(path, lg, declared=args.declared, detector=not args.no_detector,
                               explicit=not args.no_explicit)

    def body(report_log: ReportLog) -> int:
        entry = file_report_for_path(report_log, args.file, _draft(args), result=result,
                                     lang=lang, preview=not args.no_preview, check=check)
        verdict = entry.body["result"].get("verdict", "none")
        if args.json:
            print(json.dumps({"report_id": entry.report_id, "seq": entry.seq,
                              "hash": entry.hash, "verdict": verdict}, ensure_ascii=False))
        else:
            print(entry.report_id)
        _err(tr("store.cli.filed", lang, id=entry.report_id, verdict=tr(f"verdict.{verdict}", lang),
                path=str(report_log.path)))
        return EXIT_OK

    return _run(args, body)


# -- log -------------------------------------------------------------------------------------

def _cmd_list(args: argparse.Namespace) -> int:
    lang = args.lang
    flt = ListFilter(verdicts=tuple(args.verdict or ()), platform=args.platform or "",
                     complaint_types=tuple(args.type or ()), since=args.since or "",
                     until=args.until or "", search=args.search or "",
                     include_withdrawn=args.all, limit=args.limit)

    def body(report_log: ReportLog) -> int:
        rows = report_log.list_reports(flt)
        for row in rows:
            if args.json:
                print(json.dumps({k: getattr(row, k) for k in row.__dataclass_fields__},
                                 ensure_ascii=False))
                continue
            verdict = tr(f"verdict.{row.verdict}.short", lang) if row.verdict else ""
            mark = tr("store.cli.withdrawn-mark", lang) if row.withdrawn else ""
            print(f"{row.report_id}  {row.created_utc[:16].replace('T', ' ')}  {verdict}  "
                  f"{tr('store.type.' + str(row.complaint_type), lang)}  "
                  f"{printable(row.platform or '-')}  {printable(row.file_name or '')}{mark}")
        if not args.json:
            _err(tr("store.cli.count", lang, n=len(rows)))
        return EXIT_OK

    return _run(args, body)


def _cmd_show(args: argparse.Namespace) -> int:
    lang = args.lang

    def body(report_log: ReportLog) -> int:
        history = report_log.history(args.id)
        shown = history if args.history else history[-1:]
        if args.json:
            for entry in shown:
                print(json.dumps(entry.as_dict(), ensure_ascii=False))
            return EXIT_OK
        for entry in shown:
            _print_entry(entry, lang)
        return EXIT_OK

    return _run(args, body)


def _print_entry(entry, lang: str) -> None:  # noqa: ANN001 - an Entry
    print(f"{printable(entry.report_id)}  #{entry.seq}  {tr('store.status.' + entry.kind, lang)}  "
          f"{entry.created_utc} (UTC{entry.tz_offset})")
    body = entry.body
    if entry.kind == "tombstone":
        print(f"  {tr('store.cli.reason', lang)}: {printable(body.get('reason', ''))}")
    else:
        result, seen, complaint = body["result"], body["seen"], body["complaint"]
        lines = [
            ("store.cli.file", f"{body['file']['name']} ({body['file']['size']} B)"),
            ("store.cli.verdict", tr(f"verdict.{result.get('verdict')}", lang)),
            ("store.cli.why", (result.get("reason") or {}).get("message", "")),
            ("store.cli.type", tr(f"store.type.{complaint['type']}", lang)),
            ("store.cli.platform", seen.get("platform", "")),
            ("store.cli.url", seen.get("url", "")),
            ("store.cli.account", seen.get("account", "")),
            ("store.cli.seen-at", seen.get("seen_at", "")),
            ("store.cli.description", complaint.get("description", "")),
            ("store.cli.original", tr("store.yes" if (body.get("evidence") or {}).get("original")
                                      else "store.no", lang)),
        ]
        for key, value in lines:
            if value:
                print(f"  {tr(key, lang)}: {printable(value)}")
        print(f"  SHA-256: {body['file']['sha256']}\n  SM3:     {body['file']['sm3']}")
    print(f"  {tr('store.cli.entry-hash', lang)}: {entry.hash}")


def _cmd_verify(args: argparse.Namespace) -> int:
    lang = args.lang

    def body(report_log: ReportLog) -> int:
        report = report_log.verify()
        integrity = report_log.integrity_check()
        ok = report.ok and integrity == "ok"
        if args.json:
            print(json.dumps({"ok": ok, "entries": report.entries, "head_seq": report.head_seq,
                              "head_hash": report.head_hash, "integrity_check": integrity,
                              "breaks": [{"seq": b.seq, "code": b.code, "detail": b.detail}
                                         for b in report.breaks],
                              "warnings": [{"seq": w.seq, "code": w.code}
                                           for w in report.warnings]}, ensure_ascii=False))
        if ok:
            _err(tr("store.cli.verify-ok", lang, n=report.entries, seq=report.head_seq,
                    hash=report.head_hash))
        else:
            first = report.first_break
            if first is not None:
                _err(tr("store.cli.verify-broken", lang, seq=first.seq,
                        what=tr(f"store.break.{first.code}", lang), detail=first.detail,
                        n=len(report.breaks)))
            if integrity != "ok":
                _err(tr("store.cli.integrity-bad", lang, detail=integrity[:300]))
        for warning in report.warnings:
            _err(tr(f"store.break.{warning.code}", lang, seq=warning.seq))
        return EXIT_OK if ok else EXIT_BROKEN

    return _run(args, body)


def _cmd_export(args: argparse.Namespace) -> int:
    lang = args.lang
    out = Path(args.out)

    def body(report_log: ReportLog) -> int:
        if args.csv:
            from .csvexport import write_csv  # noqa: PLC0415

            n = write_csv(report_log, out, lang, history=args.history, report_ids=args.ids)
            _err(tr("store.cli.csv-written", lang, n=n, path=str(out)))
            return EXIT_OK
        if not args.ids:
            _err(tr("store.cli.ids-needed", lang))
            return EXIT_INVALID
        from ..export.package import build_package  # noqa: PLC0415

        # the PDF is Chinese unless English is asked for, whatever the CLI's language
        info = build_package(report_log, args.ids, out, lang=normalize_lang(args.pdf_lang or "zh"),
                             include_originals=not args.no_originals)
        print(str(info.path))
        _err(tr("store.cli.package-written", lang, path=str(info.path), size=info.size,
                n=info.reports, sha256=info.sha256))
        return EXIT_OK

    return _run(args, body)


def _cmd_edit(args: argparse.Namespace) -> int:
    lang = args.lang

    def body(report_log: ReportLog) -> int:
        current = report_log.current(args.id)
        entry = report_log.edit(args.id, _draft(args, draft_from_body(current.body)),
                                note=args.reason or "")
        _err(tr("store.cli.edited", lang, id=entry.report_id, rev=entry.rev))
        print(entry.entry_id)
        return EXIT_OK

    return _run(args, body)


def _cmd_withdraw(args: argparse.Namespace) -> int:
    lang = args.lang

    def body(report_log: ReportLog) -> int:
        entry = report_log.withdraw(args.id, args.reason or "")
        _err(tr("store.cli.withdrawn", lang, id=entry.report_id))
        print(entry.entry_id)
        return EXIT_OK

    return _run(args, body)


# -- registration ----------------------------------------------------------------------------

def _seen_options(parser: argparse.ArgumentParser, lang: str) -> None:
    parser.add_argument("--type", choices=tuple(COMPLAINT_TYPES),
                        help=tr("store.cli.opt.type", lang))
    parser.add_argument("--platform", help=tr("store.cli.opt.platform", lang))
    parser.add_argument("--url", help=tr("store.cli.opt.url", lang))
    parser.add_argument("--account", help=tr("store.cli.opt.account", lang))
    parser.add_argument("--seen-at", dest="seen_at", help=tr("store.cli.opt.seen-at", lang))
    parser.add_argument("--note", help=tr("store.cli.opt.note", lang))
    parser.add_argument("--contact", help=tr("store.cli.opt.contact", lang))


def register(subparsers: argparse._SubParsersAction, lang: str) -> None:
    def add(parent, name: str, help_key: str, func) -> argparse.ArgumentParser:  # noqa: ANN001
        parser = parent.add_parser(name, help=tr(help_key, lang), description=tr(help_key, lang))
        parser.add_argument("--lang", default=lang, help=tr("cli.lang", lang))
        parser.set_defaults(func=func)
        return parser

    report = add(subparsers, "report", "store.cli.report.help", _cmd_report)
    report.add_argument("file", metavar="FILE")
    _seen_options(report, lang)
    report.set_defaults(type="unlabeled-ai")
    report.add_argument("--keep-original", action="store_true",
                        help=tr("store.cli.opt.keep-original", lang))
    report.add_argument("--result", metavar="RESULT.json", help=tr("store.cli.opt.result", lang))
    report.add_argument("--declared", action="store_true", help=tr("cli.check.declared", lang))
    report.add_argument("--no-detector", action="store_true",
                        help=tr("cli.check.no-detector", lang))
    report.add_argument("--no-explicit", action="store_true",
                        help=tr("cli.check.no-explicit", lang))
    report.add_argument("--no-preview", action="store_true",
                        help=tr("store.cli.opt.no-preview", lang))
    report.add_argument("--json", action="store_true", help=tr("store.cli.opt.json", lang))

    log_parser = subparsers.add_parser("log", help=tr("store.cli.log.help", lang),
                                       description=tr("store.cli.log.help", lang))
    log_sub = log_parser.add_subparsers(dest="log_command", required=True)

    lst = add(log_sub, "list", "store.cli.list.help", _cmd_list)
    lst.add_argument("--verdict", action="append", choices=_VERDICTS)
    lst.add_argument("--platform")
    lst.add_argument("--type", action="append", choices=tuple(COMPLAINT_TYPES))
    lst.add_argument("--since", help=tr("store.cli.opt.since", lang))
    lst.add_argument("--until", help=tr("store.cli.opt.until", lang))
    lst.add_argument("--search", help=tr("store.cli.opt.search", lang))
    lst.add_argument("--all", action="store_true", help=tr("store.cli.opt.all", lang))
    lst.add_argument("--limit", type=int, default=10_000)
    lst.add_argument("--json", action="store_true", help=tr("store.cli.opt.json", lang))

    show = add(log_sub, "show", "store.cli.show.help", _cmd_show)
    show.add_argument("id", metavar="ID")
    show.add_argument("--history", action="store_true", help=tr("store.cli.opt.history", lang))
    show.add_argument("--json", action="store_true", help=tr("store.cli.opt.json", lang))

    verify = add(log_sub, "verify", "store.cli.verify.help", _cmd_verify)
    verify.add_argument("--json", action="store_true", help=tr("store.cli.opt.json", lang))

    export = add(log_sub, "export", "store.cli.export.help", _cmd_export)
    export.add_argument("--ids", nargs="+", metavar="ID", help=tr("store.cli.opt.ids", lang))
    export.add_argument("--out", required=True, metavar="PKG.zip|FILE.csv",
                        help=tr("store.cli.opt.out", lang))
    export.add_argument("--csv", action="store_true", help=tr("store.cli.opt.csv", lang))
    export.add_argument("--history", action="store_true",
                        help=tr("store.cli.opt.csv-history", lang))
    export.add_argument("--pdf-lang", dest="pdf_lang", choices=("zh", "en"),
                        help=tr("store.cli.opt.pdf-lang", lang))
    export.add_argument("--no-originals", action="store_true",
                        help=tr("store.cli.opt.no-originals", lang))

    edit = add(log_sub, "edit", "store.cli.edit.help", _cmd_edit)
    edit.add_argument("id", metavar="ID")
    _seen_options(edit, lang)
    edit.add_argument("--reason", help=tr("store.cli.opt.reason", lang))

    withdraw = add(log_sub, "withdraw", "store.cli.withdraw.help", _cmd_withdraw)
    withdraw.add_argument("id", metavar="ID")
    withdraw.add_argument("--reason", help=tr("store.cli.opt.reason", lang))
