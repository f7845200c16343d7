"""`aigcverify verify-package PKG.zip`: the same checks as the package's own verify.py.

Exit codes: 0 every hash matches, 1 something differs, 2 the file cannot be read.
"""

import argparse
import json
import sys

from ..i18n import tr
from .verify_package import verify_package

__all__ = ["register"]


def _cmd_verify_package(args: argparse.Namespace) -> int:
    lang = args.lang
    try:
        outcome = verify_package(args.package)
    except OSError as err:
        print(tr("export.cli.unreadable", lang, path=args.package, detail=str(err)),
              file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"ok": outcome.ok, "summary": outcome.summary,
                          "problems": [{"code": c, "detail": d} for c, d in outcome.problems]},
                         ensure_ascii=False))
    if outcome.ok:
        print(tr("export.cli.ok", lang, path=args.package, files=outcome.summary["files"],
                 reports=outcome.summary["reports"], entries=outcome.summary["entries"]),
              file=sys.stderr)
        return 0
    print(tr("export.cli.failed", lang, path=args.package), file=sys.stderr)
    for line in outcome.messages(lang):
        print(f"  - {line}", file=sys.stderr)
    return 1


def register(subparsers: argparse._SubParsersAction, lang: str) -> None:
    parser = subparsers.add_parser("verify-package", help=tr("export.cli.help", lang),
                                   description=tr("export.cli.help", lang))
    parser.add_argument("package", metavar="PKG.zip")
    parser.add_argument("--json", action="store_true", help=tr("store.cli.opt.json", lang))
    parser.add_argument("--lang", default=lang, help=tr("cli.lang", lang))
    parser.set_defaults(func=_cmd_verify_package)
