"""Untrusted parsing in child processes with a wall-clock and a memory limit.

A WorkerPool keeps a few long-lived workers (starting a process per file would cost more than
parsing it). Each worker checks one file at a time and streams stage results back. When a
worker crashes (SIGSEGV, SIGABRT, OOM kill), hangs past its deadline or the user cancels, the
parent kills it, records `unreadable` with the reason for that file, and the next file goes to
a fresh worker. The parent never parses file contents itself.
"""

import logging
import multiprocessing as mp
import os
import signal
import stat
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from . import verdict
from .findings import problem
from .hashing import file_hashes
from .pipeline import CancelToken, CheckOptions, new_result

__all__ = ["CheckEvent", "WorkerPool", "check_paths"]

log = logging.getLogger(__name__)

WORKER_NICENESS = 5  # added to the workers' scheduling niceness (POSIX only)


@dataclass(frozen=True, slots=True)
class CheckEvent:
    index: int  # position of the file in the submitted list
    path: str
    stage: str  # "started", "identified", "metadata", "explicit", "detector", "done", "cancelled"
    result: dict | None
    worker_pid: int | None = None  # the process checking the file (on "started")


def _limit_memory(memory_mb: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the wall-clock limit still applies
        return
    limit = memory_mb * 1024 * 1024
    for name in ("RLIMIT_DATA", "RLIMIT_AS"):
        res = getattr(resource, name, None)
        if res is not None:
            try:
                resource.setrlimit(res, (limit, limit))
                return
            except (ValueError, OSError):
                continue


def _lower_priority() -> None:
    # Checking is background work: on a two-core laptop the detector's threads would otherwise
    # compete with the window the user is looking at.
    if hasattr(os, "nice"):
        try:
            os.nice(WORKER_NICENESS)
        except OSError as err:
            log.debug("could not lower the worker's priority: %s", err)


def _worker_main(conn: Connection, memory_mb: int) -> None:
    """Child loop: receive (job, path, options), send ("stage"|"done"|"error", job, ...)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    _limit_memory(memory_mb)
    _lower_priority()
    from .pipeline import check_file  # noqa: PLC0415 - imported after the limit is set

    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        job, path, options = msg

        def on_stage(stage: str, result: dict, job: int = job) -> None:
            conn.send(("stage", job, stage, result))

        try:
            result = check_file(path, options, on_stage=on_stage)
            conn.send(("done", job, "done", result))
        except MemoryError:
            conn.send(("error", job, "resource-limit", "out of memory"))
        except RecursionError:
            conn.send(("error", job, "resource-limit", "nesting too deep"))
        except OSError as err:  # the file vanished or is not readable
            conn.send(("error", job, "parse-error", f"{type(err).__name__}: {err}"))


def _context() -> mp.context.BaseContext:
    # forkserver: children come from a clean server process, never from a (Qt, threaded) parent
    if sys.platform.startswith("linux"):
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["aigcverify.pipeline"])
        return ctx
    return mp.get_context("spawn")


class _Worker:
    def __init__(self, ctx: mp.context.BaseContext, memory_mb: int) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, memory_mb), daemon=True,
                                name="aigcverify-worker")
        self.proc.start()
        child.close()
        self.job: int | None = None
        self.deadline = 0.0
        self.limit_s = 0.0
        self.partial: dict | None = None  # the latest stage result of the current job
        self.identified: dict | None = None  # the job's result once hashed and sniffed

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


def _hashing_allowance(path: str) -> float:
    """Seconds to allow for hashing before parsing starts (at a pessimistic 50 MB/s)."""
    try:
        return os.stat(path).st_size / 50e6
    except OSError:
        return 0.0


def failure_result(path: str, options: CheckOptions, code: str, detail: str,
                   identified: dict | None = None) -> dict:
    """`unreadable` for a file whose worker crashed or ran out of time or memory. The hashes
    come from the worker when it got that far; otherwise they are computed here."""
    options = options.normalized()
    if identified is not None:
        result = identified
    else:
        # Only hashing here: the parent never parses file contents (a sniffing bug must not
        # take down the run), so the format stays "unknown" when the worker died that early.
        result = new_result(path, options)
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                raise OSError("not a regular file")
            size, sha256, sm3 = file_hashes(path)
            result["file"].update(size=size, sha256=sha256, sm3=sm3)
        except OSError as err:
            detail = f"{detail}; {err}"
    result["problems"].append(problem(code, options.lang, detail=detail))
    return verdict.derive(result, options.lang)


class WorkerPool:
    """Long-lived worker processes. Use as a context manager or call close()."""

    def __init__(self, workers: int | None = None, memory_mb: int = 3072) -> None:
        self.size = max(1, workers or min(2, os.cpu_count() or 1))
        self.memory_mb = memory_mb
        self._ctx = _context()
        self._idle: list[_Worker] = []

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for w in self._idle:
            try:
                w.conn.send(None)  # ask it to exit; a worker already gone is killed below
            except OSError as err:
                log.debug("worker %s already gone: %s", w.proc.pid, err)
            w.proc.join(2)
            w.kill()
        self._idle.clear()

    def warm(self) -> None:
        """Start the workers now (and the forkserver that forks them), so that the first file
        a user drops does not pay for process start-up and imports."""
        while len(self._idle) < self.size:
            self._idle.append(_Worker(self._ctx, self.memory_mb))

    def _take(self) -> _Worker:
        while self._idle:
            w = self._idle.pop()
            if w.proc.is_alive():
                return w
            w.kill()
        return _Worker(self._ctx, self.memory_mb)

    @staticmethod
    def _salvage(w: _Worker, path: str, options: CheckOptions, detail: str,
                 code: str = "resource-limit") -> dict:
        """A worker died or timed out: keep the stages it finished (the metadata verdict stands,
        the slower analysis is marked incomplete), else the file is `unreadable`."""
        if w.partial is None:
            return failure_result(path, options, code, detail, identified=w.identified)
        result = w.partial
        result["problems"].append(problem("analysis-incomplete", options.lang, detail=detail))
        return verdict.derive(result, options.lang)

    def run(self, paths: Iterable[str], options: CheckOptions,
            on_event: Callable[[CheckEvent], None] | None = None,
            cancel: CancelToken | None = None) -> list[dict | None]:
        """Check every path; results in input order (None for a cancelled file)."""
        options = options.normalized()
        paths = [str(p) for p in paths]
        results: list[dict | None] = [None] * len(paths)
        pending = deque(range(len(paths)))
        busy: dict[Connection, _Worker] = {}
        emit = on_event or (lambda event: None)

        def finish(w: _Worker, result: dict, reuse: bool) -> None:
            idx = w.job
            assert idx is not None
            results[idx] = result
            w.job = None
            del busy[w.conn]
            if reuse:
                self._idle.append(w)
            else:
                w.kill()
            emit(CheckEvent(idx, paths[idx], "done", result))

        try:
            while pending or busy:
                if cancel is not None and cancel.cancelled:
                    for w in list(busy.values()):
                        emit(CheckEvent(w.job, paths[w.job], "cancelled", None))
                        del busy[w.conn]
                        w.kill()
                    for idx in pending:
                        emit(CheckEvent(idx, paths[idx], "cancelled", None))
                    pending.clear()
                    break
                while pending and len(busy) < self.size:
                    idx = pending.popleft()
                    w = self._take()
                    w.job, w.partial, w.identified = idx, None, None
                    w.limit_s = options.timeout_s + _hashing_allowance(paths[idx])
                    w.deadline = time.monotonic() + w.limit_s
                    try:
                        w.conn.send((idx, paths[idx], options))
                    except OSError:
                        w.kill()
                        pending.appendleft(idx)
                        continue
                    busy[w.conn] = w
                    emit(CheckEvent(idx, paths[idx], "started", None, w.proc.pid))
                if not busy:
                    continue
                now = time.monotonic()
                timeout = max(0.0, min(min(w.deadline for w in busy.values()) - now, 0.1))
                for conn in wait(list(busy), timeout=timeout):
                    w = busy[conn]
                    try:
                        kind, job, stage, payload = conn.recv()
                    except (EOFError, OSError):
                        w.proc.join(1)
                        code = w.proc.exitcode
                        signame = signal.Signals(-code).name if code and code < 0 else str(code)
                        reason = "resource-limit" if code == -signal.SIGKILL else "parse-error"
                        detail = f"parser process ended ({signame})"
                        finish(w, self._salvage(w, paths[w.job], options, detail, reason),
                               reuse=False)
                        continue
                    if kind == "stage" and stage == "identified":
                        # hashing is done: parsing gets its own time limit from now on
                        w.identified, w.limit_s = payload, options.timeout_s
                        w.deadline = time.monotonic() + w.limit_s
                        emit(CheckEvent(job, paths[job], stage, payload))
                    elif kind == "stage":
                        # slow stages (OCR, detector) get their own, longer deadline
                        w.partial, w.limit_s = payload, options.slow_timeout_s
                        w.deadline = time.monotonic() + w.limit_s
                        emit(CheckEvent(job, paths[job], stage, payload))
                    elif kind == "done":
                        finish(w, payload, reuse=True)
                    else:
                        finish(w, failure_result(paths[job], options, stage, payload,
                                                 identified=w.identified), reuse=True)
                now = time.monotonic()
                for w in list(busy.values()):
                    if now > w.deadline:
                        detail = f"time limit exceeded ({w.limit_s:g} s)"
                        finish(w, self._salvage(w, paths[w.job], options, detail), reuse=False)
        except BaseException:
            for w in busy.values():
                w.kill()
            raise
        return results


def check_paths(paths: Iterable[str], options: CheckOptions | None = None, *,
                on_event: Callable[[CheckEvent], None] | None = None,
                cancel: CancelToken | None = None, workers: int | None = None) -> list[dict | None]:
    """Convenience: a one-shot pool for a batch of files."""
    with WorkerPool(workers, memory_mb=(options or CheckOptions()).memory_mb) as pool:
        return pool.run(paths, options or CheckOptions(), on_event=on_event, cancel=cancel)

