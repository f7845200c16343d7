"""Run a program under strace and read back what it did to files, sockets and processes.

The frozen-bundle smoke test uses this to prove three promises about the real executables
(not about Python code run in the test process): nothing is written outside the data folder,
no network socket is opened, and files are parsed in worker processes. strace follows every
child (the multiprocessing fork server and the workers it forks) and writes one log per
process (`-ff`), so calls are never split across interleaved lines. `-y` prints the path
behind every file descriptor, including the directory of *at() calls.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["STRACE", "Call", "Trace", "run_traced", "parse_log", "WRITE_OPEN_FLAGS"]

STRACE = shutil.which("strace")

# syscall groups: file (all path calls), network (socket calls), process (fork/exec/exit),
# plus the fd-based calls that can write through an fd opened earlier
_TRACE_SET = "%file,%network,%process,chdir,fchdir"
WRITE_OPEN_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND")
# syscalls that change the file system; value: indexes of the path arguments they change
_CHANGING = {
    "creat": (0,), "mkdir": (0,), "mkdirat": (1,), "rmdir": (0,), "unlink": (0,),
    "unlinkat": (1,), "rename": (0, 1), "renameat": (1, 3), "renameat2": (1, 3),
    "link": (1,), "linkat": (3,), "symlink": (1,), "symlinkat": (2,), "truncate": (0,),
    "chmod": (0,), "fchmodat": (1,), "chown": (0,), "lchown": (0,), "fchownat": (1,),
    "utimensat": (1,), "mknod": (0,), "mknodat": (1,), "setxattr": (0,), "lsetxattr": (0,),
    "removexattr": (0,), "lremovexattr": (0,),
}
_OPENS = {"open": (0, 1), "openat": (1, 2), "openat2": (1, 2)}  # path index, flags index
_LINE = re.compile(r"^(?P<name>\w+)\((?P<args>.*)\)\s+=\s+(?P<ret>.*)$")
_FD_PATH = re.compile(r"^(?:AT_FDCWD|-?\d+)<(?P<path>.*)>$")


@dataclass(frozen=True)
class Call:
    pid: int
    name: str
    args: tuple[str, ...]  # raw argument texts
    ret: str
    paths: tuple[str, ...] = ()  # absolute paths the call names (changed ones for writes)

    @property
    def failed(self) -> bool:
        return self.ret.startswith("-1")

    @property
    def errno(self) -> str | None:
        m = re.match(r"-1 (\w+)", self.ret)
        return m.group(1) if m else None


@dataclass
class Trace:
    """Everything the traced process tree did, by process."""

    calls: dict[int, list[Call]] = field(default_factory=dict)  # by thread id (strace's pid)
    execs: dict[int, list[list[str]]] = field(default_factory=dict)  # tid -> argv of each exec
    thread_of: dict[int, int] = field(default_factory=dict)  # new thread's tid -> creator's tid

    def process_of(self, tid: int) -> int:
        """The process (thread-group leader) a thread id belongs to."""
        seen = set()
        while tid in self.thread_of and tid not in seen:
            seen.add(tid)
            tid = self.thread_of[tid]
        return tid

    def all_calls(self) -> list[Call]:
        return [c for calls in self.calls.values() for c in calls]

    def writes(self) -> list[Call]:
        """Calls that create, change or remove a file system entry (attempted or done)."""
        out = []
        for call in self.all_calls():
            if call.name in _CHANGING and call.paths:
                if call.name in ("mkdir", "mkdirat") and call.errno == "EEXIST":
                    continue  # nothing changed
                out.append(call)
            elif call.name in _OPENS and call.paths:
                flags = call.args[_OPENS[call.name][1]] if len(call.args) > 1 else ""
                if any(f in flags for f in WRITE_OPEN_FLAGS):
                    out.append(call)
        return out

    def sockets(self) -> list[Call]:
        return [c for c in self.all_calls()
                if c.name in ("socket", "connect", "bind", "sendto", "sendmsg", "socketpair")]

    def readers_of(self, path: str) -> set[int]:
        """Processes that opened path (successfully)."""
        return {self.process_of(c.pid) for c in self.all_calls()
                if c.name in _OPENS and not c.failed and path in c.paths}

    def processes_execing(self, needle: str) -> set[int]:
        """Processes that exec'd a command line containing needle."""
        return {self.process_of(tid) for tid, argvs in self.execs.items()
                if any(needle in " ".join(argv) for argv in argvs)}


def _split_args(text: str) -> list[str]:
    """Top-level comma split of a strace argument list (quotes, {}, [] and <> nest)."""
    out, depth, quoted, escaped, start = [], 0, False, False, 0
    for i, ch in enumerate(text):
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch in "{[<(":
            depth += 1
        elif ch in "}]>)":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def _unquote(arg: str) -> str | None:
    if len(arg) < 2 or arg[0] != '"':
        return None
    body = arg[1:arg.rindex('"')]
    return body.encode("latin-1", "backslashreplace").decode("unicode_escape").encode(
        "latin-1").decode("utf-8", "replace")


def _resolve(args: list[str], index: int, cwd: str) -> str | None:
    """The absolute path named by args[index], using the directory fd before it if any."""
    if index >= len(args):
        return None
    path = _unquote(args[index])
    if path is None:
        return None
    if os.path.isabs(path):
        return os.path.normpath(path)
    base = cwd
    if index > 0:
        m = _FD_PATH.match(args[index - 1])
        if m:
            base = m.group("path")
    return os.path.normpath(os.path.join(base, path))


def parse_log(pid: int, text: str, cwd: str
              ) -> tuple[list[Call], list[list[str]], list[int]]:
    """Calls, exec'd argvs and the threads this thread started, from one per-thread strace log;
    cwd is the launch directory."""
    calls, execs, threads = [], [], []
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if not m:
            continue
        name, args, ret = m.group("name"), _split_args(m.group("args")), m.group("ret").strip()
        if name == "execve" and not ret.startswith("-1") and len(args) > 1:
            execs.append([_unquote(a) or a for a in _split_args(args[1].strip("[]"))])
        if name in ("clone", "clone3") and "CLONE_THREAD" in m.group("args") and ret.isdigit():
            threads.append(int(ret))
        if name in ("chdir", "fchdir") and not ret.startswith("-1"):
            target = _resolve(args, 0, cwd) if name == "chdir" else _FD_PATH.match(args[0])
            if isinstance(target, re.Match):
                target = target.group("path")
            cwd = target or cwd
        paths: tuple[str, ...] = ()
        if name in _CHANGING:
            paths = tuple(p for p in (_resolve(args, i, cwd) for i in _CHANGING[name]) if p)
        elif name in _OPENS:
            ret_path = _FD_PATH.match(ret.split(" ", 1)[0]) if not ret.startswith("-1") else None
            named = ret_path.group("path") if ret_path else _resolve(args, _OPENS[name][0], cwd)
            paths = (named,) if named else ()
        calls.append(Call(pid, name, tuple(args), ret, paths))
    return calls, execs, threads


def run_traced(argv: list[str], *, cwd: Path, env: dict[str, str], log_dir: Path,
               timeout: float) -> tuple[subprocess.CompletedProcess, Trace]:
    """Run argv under `strace -f -ff -y`; returns the completed process and its Trace."""
    assert STRACE, "strace is not installed"
    log_dir.mkdir(parents=True, exist_ok=True)
    prefix = log_dir / "trace"
    cmd = [STRACE, "-f", "-ff", "-y", "-qq", "-s", "4096", "-e", f"trace={_TRACE_SET}",
           "-o", str(prefix), *argv]
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    trace = Trace()
    for log in sorted(log_dir.glob("trace.*")):
        pid = int(log.suffix[1:])
        calls, execs, threads = parse_log(
            pid, log.read_text(encoding="utf-8", errors="replace"), str(cwd))
        trace.calls[pid] = calls
        trace.execs[pid] = execs
        trace.thread_of.update({tid: pid for tid in threads})
    return proc, trace
