"""Refuse to run with known-vulnerable versions of the libraries that parse untrusted bytes.

The floors live in resources/min_versions.json; CLI and GUI call check_versions() at start.
"""

import json
import re
from importlib import metadata

from .resources import resource_path

__all__ = ["VulnerableDependency", "installed_versions", "check_versions"]


class VulnerableDependency(RuntimeError):
    """A library older than its security floor is installed."""


def _tuple(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version)[:4])


def _ffmpeg_version() -> str | None:
    try:
        import av  # noqa: PLC0415 - only when checking
    except ImportError:
        return None
    return getattr(av, "ffmpeg_version_info", None)


def installed_versions() -> dict[str, str | None]:
    table = json.loads(resource_path("min_versions.json").read_text(encoding="utf-8"))
    found: dict[str, str | None] = {}
    for name in table["packages"]:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    found["ffmpeg"] = _ffmpeg_version()
    return found


def check_versions() -> list[str]:
    """Raise VulnerableDependency naming every library below its floor; return the report."""
    table = json.loads(resource_path("min_versions.json").read_text(encoding="utf-8"))
    floors = {**{k: v for k, v in table["packages"].items()}, "ffmpeg": table["ffmpeg"]}
    found = installed_versions()
    bad, report = [], []
    for name, floor in floors.items():
        version = found.get(name)
        report.append(f"{name} {version or 'not installed'} (min {floor['min']})")
        if version is not None and _tuple(version) < _tuple(floor["min"]):
            bad.append(f"{name} {version} < {floor['min']}: {floor['why']}")
    if bad:
        raise VulnerableDependency("; ".join(bad))
    return report
