"""check(path) -> the check-result/1 dict. The one entry point of the GUI and the CLI.

Stages, in order, each adding evidence to the same result dict:
  metadata  sniff, carriers, XMP/EXIF expansion, GB 45438 labels, C2PA, generator hints
  explicit  visible/audible labels (OCR, audio rhythm, text prompts)   [slow]
  detector  ONNX generation-trace detector, known watermarks            [slow]
After every stage the verdict is derived again, so a client can show results progressively.
This module runs untrusted parsing in-process: clients use worker.WorkerPool, which calls
check_file() in a child process with time and memory limits.
"""

import importlib
import logging
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from . import __version__, metadata, verdict
from .c2pa_check import read_c2pa
from .carriers import carrier_for
from .carriers.base import Site, SiteKind
from .errors import LimitExceeded, UnsupportedFormat, VerifyError
from .findings import problem
from .hashing import file_hashes
from .hints import metadata_hints
from .i18n import normalize_lang
from .labels import read_labels
from .limits import DEFAULT_LIMITS, Limits
from .sniff import extension_mismatch, sniff

__all__ = ["SCHEMA", "CheckOptions", "CancelToken", "Cancelled", "new_result", "check_file",
           "SLOW_STAGES"]

log = logging.getLogger(__name__)

SCHEMA = "check-result/1"


@dataclass(frozen=True, slots=True)
class CheckOptions:
    declared: bool = False  # the user says the publisher declared the content AI-generated
    detector: bool = True
    explicit: bool = True
    lang: str = "zh_CN"
    provider: str = "auto"  # onnxruntime execution provider, or "auto"
    timeout_s: float = 10.0  # wall clock for the metadata stage of one file
    slow_timeout_s: float = 180.0  # wall clock for the slow stages of one file
    memory_mb: int = 3072  # data-segment limit of a worker process

    def normalized(self) -> "CheckOptions":
        return replace(self, lang=normalize_lang(self.lang))


class Cancelled(Exception):
    """The user cancelled: not an error, never shown as one."""


class CancelToken:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def raise_if_cancelled(self) -> None:
        if self.cancelled:
            raise Cancelled()


# (stage name, "module:function", option that enables it). A stage function has the signature
# run(path: str, result: dict, sites: list[Site], options: CheckOptions) -> None and adds its
# evidence (explicit_labels, watermarks, detector, metadata_hints, problems) to result.
SLOW_STAGES: tuple[tuple[str, str, str], ...] = (
    ("explicit", "aigcverify.explicit:run", "explicit"),
    ("detector", "aigcverify.detect:run", "detector"),
)

OnStage = Callable[[str, dict], None]

# PROBLEM-site keys of carriers that are not plain damage -> file-level problem code
CARRIER_PROBLEMS: dict[str, str] = {
    "resource-limit": "resource-limit",
    "pdf-encrypted": "file-encrypted",
    "zip-encrypted-member": "file-encrypted",
    "zip-duplicate-member": "container-ambiguous",
    "zip-overlapping-members": "container-ambiguous",
    "zip-unsafe-name": "container-ambiguous",
    "xmp-forbidden-construct": "container-ambiguous",
    "xml-forbidden": "container-ambiguous",
}


def new_result(path: str, options: CheckOptions) -> dict:
    """An empty result: every schema field present, verdict not yet derived."""
    return {
        "schema": SCHEMA,
        "file": {"path": str(path), "name": Path(path).name, "size": 0, "sha256": "0" * 64,
                 "sm3": "0" * 64, "media_type": "unknown", "format": "unknown"},
        "verdict": "none",
        "declared_by_user": bool(options.declared),
        "implicit_labels": [],
        "c2pa": None,
        "explicit_labels": [],
        "detector": None,
        "watermarks": [],
        "metadata_hints": [],
        "problems": [],
        "tool": {"name": "aigcverify", "version": __version__},
        "stages": [],
    }


def _collect_sites(fh, fmt: str, limits: Limits) -> tuple[list[Site], VerifyError | None]:
    """Every site the carrier yields, and the error that stopped it (if any)."""
    module = carrier_for(fmt)
    sites: list[Site] = []
    if module is None:
        return sites, None
    try:
        for site in module.sites(fh, fmt, limits):
            sites.append(site)
            if len(sites) > limits.max_sites:
                raise LimitExceeded(f"more than {limits.max_sites} metadata items")
    except VerifyError as err:
        return sites, err
    except (MemoryError, RecursionError) as err:  # hostile nesting or sizes inside a library
        return sites, LimitExceeded(f"{type(err).__name__} while reading {fmt}")
    return sites, None


def _identify(path: str, result: dict, options: CheckOptions) -> None:
    """Hash the bytes as they are on disk, then sniff the container from its magic bytes."""
    if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or device would block or never end
        raise UnsupportedFormat("not a regular file")
    size, sha256, sm3 = file_hashes(path)
    with open(path, "rb") as fh:
        sniffed = sniff(fh, path)
    result["file"].update(size=size, sha256=sha256, sm3=sm3, format=sniffed.format,
                          media_type=sniffed.media_type)
    ext = extension_mismatch(path, sniffed.format)
    if ext:
        result["problems"].append(problem("extension-mismatch", options.lang, detail=ext,
                                          ext=ext, format=sniffed.format))


def _metadata_stage(path: str, result: dict, options: CheckOptions, limits: Limits) -> list[Site]:
    lang = options.lang
    fmt = result["file"]["format"]
    if carrier_for(fmt) is None:
        result["problems"].append(problem("unsupported-format", lang))
        return []
    with open(path, "rb") as fh:
        sites, err = _collect_sites(fh, fmt, limits)
    sites = metadata.expand(sites, limits)
    # Damage after useful data leaves the file readable ("file-damaged"); damage before any
    # metadata was found, or a carrier that could not start, makes it unreadable.
    read_something = any(site.kind is not SiteKind.PROBLEM for site in sites)
    if err is not None:
        code = "file-damaged" if err.code == "parse-error" and read_something else err.code
        result["problems"].append(problem(code, lang, detail=str(err)[:300]))
    for site in sites:
        if site.kind is SiteKind.PROBLEM:
            code = CARRIER_PROBLEMS.get(site.key, "file-damaged" if read_something else "parse-error")
            result["problems"].append(problem(code, lang, detail=f"{site.location}: {site.text()}"[:300],
                                              message_key=f"carrier.problem.{site.key}"))
    if err is not None:  # tells later readers (C2PA's byte-scan fallback) the walk stopped early
        sites.append(Site(SiteKind.PROBLEM, fmt, "container", None, err.code, str(err)[:300]))
    labels, label_problems = read_labels(sites, lang)
    result["implicit_labels"] = labels
    result["problems"].extend(label_problems)
    c2pa, c2pa_problems = read_c2pa(path, fmt, sites, lang)
    result["c2pa"] = c2pa
    result["problems"].extend(c2pa_problems)
    result["metadata_hints"].extend(metadata_hints(sites, lang))
    return sites


def _stage_function(spec: str) -> Callable:
    """The stage's run function, imported only when the stage runs (OCR and onnxruntime are
    heavy, and a metadata-only check never needs them)."""
    module_name, func = spec.split(":")
    return getattr(importlib.import_module(module_name), func)


def check_file(path: str | os.PathLike, options: CheckOptions | None = None, *,
               on_stage: OnStage | None = None, cancel: CancelToken | None = None,
               limits: Limits = DEFAULT_LIMITS) -> dict:
    """Check one file in this process. Raises Cancelled when cancel is set between stages."""
    options = (options or CheckOptions()).normalized()
    path = str(path)
    result = new_result(path, options)
    started = time.perf_counter()
    try:
        _identify(path, result, options)
    except UnsupportedFormat as err:
        result["problems"].append(problem(err.code, options.lang, detail=str(err)))
        return verdict.derive(result, options.lang)
    if on_stage:
        on_stage("identified", result)  # hashes known: the worker's parse deadline starts now
    sites = _metadata_stage(path, result, options, limits)
    result["stages"].append("metadata")
    verdict.derive(result, options.lang)
    if on_stage:
        on_stage("metadata", result)
    for stage, spec, flag in SLOW_STAGES:
        # nothing to look at in a file that could not be read: the verdict stays unreadable
        if not getattr(options, flag) or result["verdict"] == "unreadable":
            continue
        if cancel:
            cancel.raise_if_cancelled()
        run = _stage_function(spec)
        try:
            run(path, result, sites, options)
        except VerifyError as err:
            result["problems"].append(problem(f"{stage}-failed", options.lang, detail=str(err)[:300]))
        result["stages"].append(stage)
        verdict.derive(result, options.lang)
        if on_stage:
            on_stage(stage, result)
    result["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result
