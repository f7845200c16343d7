"""In-app verification of a complaint package: standalone_verify (the code shipped as verify.py)
run in this process, its problem codes translated for people."""

from dataclasses import dataclass

from ..i18n import tr
from . import standalone_verify

__all__ = ["PackageCheck", "verify_package"]


@dataclass(frozen=True, slots=True)
class PackageCheck:
    ok: bool
    problems: list[tuple[str, str]]  # (code, detail)
    summary: dict

    def messages(self, lang: str) -> list[str]:
        return [tr(f"export.problem.{code}", lang, detail=detail) for code, detail in self.problems]


def verify_package(path: str) -> PackageCheck:
    """Raises OSError when the file cannot be read at all."""
    ok, problems, summary = standalone_verify.verify(str(path))
    return PackageCheck(ok, list(problems), summary)
