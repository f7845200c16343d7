"""A clean place to run a frozen program as a user would, and the checks of what it did.

Each run gets a fresh home, temp and working folder and a minimal environment (no
AIGCVERIFY_HOME: the data folder is the platform default under the fresh home). Afterwards the
folders are compared and, when the run was traced (see syscalls.py), every write and socket
call of every process is checked.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.dist.samples import Sample, changed
from tests.dist.syscalls import STRACE, Trace, run_traced

__all__ = ["Bundle", "Sandbox", "Run", "run_program", "check_folders", "write_violations",
           "network_violations"]


@dataclass(frozen=True)
class Bundle:
    """The built one-folder bundle and its two programs."""

    folder: Path
    cli: Path
    gui: Path


NETWORK_FAMILIES = ("AF_INET", "AF_INET6", "AF_PACKET", "AF_BLUETOOTH", "AF_CAN")
# Device files any program may open for writing (they store nothing)
DEVICE_WRITES = re.compile(r"^/dev/(null|tty|pts/\d+|shm/.*)$")


@dataclass
class Sandbox:
    """A fresh home, temp folder and working folder for one run of a frozen program."""

    root: Path

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def cwd(self) -> Path:
        return self.root / "cwd"

    @property
    def data(self) -> Path:
        """The data folder aigcverify.resources.data_home() picks with this environment."""
        if sys.platform == "win32":
            return self.home / "AppData" / "Local" / "AIGCVerify"
        if sys.platform == "darwin":
            return self.home / "Library" / "Application Support" / "AIGCVerify"
        return self.home / ".local" / "share" / "aigcverify"

    def make(self) -> Sandbox:
        for folder in (self.home, self.tmp, self.cwd):
            folder.mkdir(parents=True)
        return self

    def env(self) -> dict[str, str]:
        env = {"PATH": os.defpath, "HOME": str(self.home), "TMPDIR": str(self.tmp),
               "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen"}
        if sys.platform == "win32":
            local = self.home / "AppData" / "Local"
            env.update(SYSTEMROOT=os.environ.get("SYSTEMROOT", r"C:\Windows"),
                       USERPROFILE=str(self.home), LOCALAPPDATA=str(local),
                       APPDATA=str(self.home / "AppData" / "Roaming"),
                       TEMP=str(self.tmp), TMP=str(self.tmp))
        return env


@dataclass
class Run:
    proc: object  # subprocess.CompletedProcess
    trace: Trace | None
    box: Sandbox
    seconds: float
    bundle_before: dict[str, tuple[int, int]]
    extra_allowed: tuple[Path, ...] = ()


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    """relative path -> (size, mtime) of everything under folder: a cheap change detector."""
    return {str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in folder.rglob("*")}


def run_program(bundle: Bundle, argv: list[str], box: Sandbox, timeout: float,
                extra_allowed: tuple[Path, ...] = ()) -> Run:
    """Run a frozen program in box (traced when strace is available on Linux)."""
    before = _tree(bundle.folder)
    start = time.monotonic()
    if STRACE and sys.platform.startswith("linux"):
        proc, trace = run_traced(argv, cwd=box.cwd, env=box.env(), log_dir=box.root / "strace",
                                 timeout=timeout)
    else:
        proc = subprocess.run(argv, cwd=box.cwd, env=box.env(), capture_output=True, text=True,
                              timeout=timeout)
        trace = None
    return Run(proc, trace, box, time.monotonic() - start, before, extra_allowed)


def _inside(path: str, folder: Path) -> bool:
    p = Path(path)
    return p == folder or folder in p.parents


def write_violations(run: Run) -> list[str]:
    """Writes (attempted or done) outside the data folder, the temp folder, the allowed
    outputs and harmless device files. mkdir of the data folder's own parents is allowed."""
    assert run.trace is not None
    box = run.box
    data_parents = {str(p) for p in box.data.parents}
    bad = []
    for call in run.trace.writes():
        for path in call.paths:
            if (_inside(path, box.data) or _inside(path, box.tmp) or DEVICE_WRITES.match(path)
                    or any(_inside(path, allowed) for allowed in run.extra_allowed)
                    or (call.name in ("mkdir", "mkdirat") and path in data_parents)):
                continue
            bad.append(f"pid {call.pid}: {call.name}({', '.join(call.args)[:200]}) = {call.ret}")
    return bad


def network_violations(trace: Trace) -> list[str]:
    return [f"pid {c.pid}: {c.name}({', '.join(c.args)[:200]}) = {c.ret}"
            for c in trace.sockets() if any(f in " ".join(c.args) for f in NETWORK_FAMILIES)]


def check_folders(run: Run, bundle: Bundle, samples: dict[str, Sample]) -> None:
    """The promises that do not need strace: checked after every run."""
    box = run.box
    leftovers = sorted(str(p.relative_to(box.tmp)) for p in box.tmp.rglob("*"))
    assert not leftovers, f"files left in the temp folder: {leftovers}"
    outside = sorted(str(p) for p in box.home.rglob("*")
                     if not (_inside(str(p), box.data) or p in box.data.parents))
    assert not outside, f"written in the home folder outside the data folder: {outside}"
    stray = sorted(str(p) for p in box.cwd.rglob("*") if not any(
        _inside(str(p), a) for a in run.extra_allowed))
    assert not stray, f"written in the working folder: {stray}"
    assert _tree(bundle.folder) == run.bundle_before, "the bundle folder was modified"
    assert not changed(samples), f"input files modified: {changed(samples)}"


