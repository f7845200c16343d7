"""Command-line client of the pipeline: `aigcverify check [--json] ... PATH...`.

--json writes one check-result/1 object per file to stdout (JSON Lines, input order); the
human table goes to stdout otherwise; progress and errors go to stderr. Exit codes: 0 every file
got a result (including `unreadable`), 2 usage error, 3 a parsing library is below its
security floor (resources/min_versions.json), 130 interrupted. Other command groups
(report log, package verification) register themselves through COMMAND_MODULES.
"""

import argparse
import importlib
import json
import os
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from . import __version__
from .i18n import normalize_lang, tr
from .pipeline import CancelToken, CheckOptions
from .versions import VulnerableDependency, check_versions
from .worker import CheckEvent, WorkerPool

__all__ = ["main", "expand_paths", "COMMAND_MODULES"]

# modules with `register(subparsers, lang)`; each sets `func` on its sub-parsers
COMMAND_MODULES = ("aigcverify.store.cli", "aigcverify.export.cli")

EXIT_OK, EXIT_USAGE, EXIT_VULNERABLE, EXIT_INTERRUPTED = 0, 2, 3, 130


def expand_paths(paths: list[str]) -> Iterator[str]:
    """Files as given; directories recursed in sorted order (symlinked folders not followed)."""
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for name in sorted(files):
                    yield os.path.join(root, name)
        else:
            yield p


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _human_line(result: dict, lang: str) -> str:
    """Verdict, format and name; then the reason, the detector's band and each problem, so a
    batch run shows why a file is what it is (the JSON output has everything)."""
    verdict = tr(f"verdict.{result['verdict']}", lang)
    name = result["file"].get("name") or Path(result["file"]["path"]).name
    lines = [f"{_pad(verdict, 12)} {_pad(result['file']['format'], 6)} {name}",
             "    " + result.get("reason", {}).get("message", "")]
    detector = result.get("detector")
    if detector and detector.get("band_text"):
        lines.append("    " + tr("cli.detector", lang, band=detector["band_text"]))
    for item in result.get("problems", []):
        lines.append("    ! " + item.get("message", item.get("code", "")))
        if item.get("detail"):
            lines.append("      " + str(item["detail"]))
    return "\n".join(lines)


def _cmd_check(args: argparse.Namespace) -> int:
    lang = args.lang
    files = list(expand_paths(args.paths))
    missing = [p for p in files if not os.path.isfile(p)]
    if missing:
        for p in missing:
            print(tr("cli.not-a-file", lang, path=p), file=sys.stderr)
        return EXIT_USAGE
    options = CheckOptions(declared=args.declared, detector=not args.no_detector,
                           explicit=not args.no_explicit, lang=lang, timeout_s=args.timeout)
    cancel = CancelToken()
    results: dict[int, dict] = {}
    next_out = 0

    def on_event(event: CheckEvent) -> None:
        # print in input order as soon as every earlier file is done
        nonlocal next_out
        if event.stage != "done" or event.result is None:
            return
        results[event.index] = event.result
        while next_out in results:
            result = results.pop(next_out)
            if args.json:
                print(json.dumps(result, ensure_ascii=False, sort_keys=False), flush=True)
            else:
                print(_human_line(result, lang), flush=True)
            next_out += 1

    try:
        with WorkerPool(args.workers, memory_mb=options.memory_mb) as pool:
            pool.run(files, options, on_event=on_event, cancel=cancel)
    except KeyboardInterrupt:
        cancel.cancel()
        print(tr("cli.interrupted", lang), file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


def build_parser(lang: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aigcverify", description=tr("cli.description", lang))
    parser.add_argument("--version", action="version", version=f"aigcverify {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help=tr("cli.check.help", lang))
    check.add_argument("--json", action="store_true", help=tr("cli.check.json", lang))
    check.add_argument("--declared", action="store_true", help=tr("cli.check.declared", lang))
    check.add_argument("--no-detector", action="store_true", help=tr("cli.check.no-detector", lang))
    check.add_argument("--no-explicit", action="store_true", help=tr("cli.check.no-explicit", lang))
    check.add_argument("--lang", default=lang, help=tr("cli.lang", lang))
    check.add_argument("--timeout", type=float, default=10.0, help=tr("cli.check.timeout", lang))
    check.add_argument("--workers", type=int, default=None, help=tr("cli.check.workers", lang))
    check.add_argument("paths", nargs="+", metavar="PATH")
    check.set_defaults(func=_cmd_check)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, lang)
    return parser


def _lang_from_argv(argv: list[str]) -> str:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return normalize_lang(argv[i + 1])
        if arg.startswith("--lang="):
            return normalize_lang(arg.split("=", 1)[1])
    return normalize_lang(None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    lang = _lang_from_argv(argv)
    parser = build_parser(lang)
    args = parser.parse_args(argv)
    try:
        check_versions()
    except VulnerableDependency as err:
        print(tr("cli.vulnerable", lang, detail=str(err)), file=sys.stderr)
        return EXIT_VULNERABLE
    if hasattr(args, "lang"):
        args.lang = normalize_lang(args.lang)
    else:
        args.lang = lang
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
