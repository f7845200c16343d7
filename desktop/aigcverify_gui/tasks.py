"""The one background helper: every long task of the GUI runs here, never on the GUI thread.

It has two lanes, one thread each, so that a preview never waits behind a 50-file batch:

  check lane  owns the WorkerPool for the app's lifetime and runs batches one after another
              (WorkerPool.run is blocking; the pool's own child processes do the parsing)
  io lane     expands dropped folders and decodes previews (previews.py); a newer preview
              request replaces an older one that has not finished

Results reach the GUI thread only through Qt signals: they are emitted here from a plain Python
thread, so Qt queues them to the receivers' (GUI) thread. Widgets are never touched here.
Cancel is not an error: a cancelled batch ends with status "cancelled".
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from aigcverify.pipeline import CancelToken, CheckOptions

from .previews import decode_preview

__all__ = ["Tasks", "BatchStatus", "expand_paths", "MAX_FILES_PER_DROP"]

log = logging.getLogger(__name__)

# A dropped folder may hold a whole disk: stop expanding after this many files.
MAX_FILES_PER_DROP = 5000
MAX_WALK_DEPTH = 16


class BatchStatus:
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"  # the core itself failed (a bug): shown, never hidden


def expand_paths(paths: Iterable[str], limit: int = MAX_FILES_PER_DROP) -> list[str]:
    """Files as given; folders walked in sorted order (hidden entries and symlinked folders
    skipped, depth and count bounded)."""
    out: list[str] = []

    def walk(folder: str, depth: int) -> None:
        if depth > MAX_WALK_DEPTH or len(out) >= limit:
            return
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as err:
            log.info("cannot list %s: %s", folder, err)
            return
        for entry in entries:
            if len(out) >= limit:
                return
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, depth + 1)
                elif entry.is_file():
                    out.append(entry.path)
            except OSError as err:
                log.info("skipping %s: %s", entry.path, err)

    for path in paths:
        if len(out) >= limit:
            break
        if os.path.isdir(path):
            walk(path, 0)
        elif os.path.isfile(path):
            out.append(path)
    return out


@dataclass
class _Batch:
    id: int
    paths: list[str]
    options: CheckOptions
    cancel: CancelToken = field(default_factory=CancelToken)
    skipped: set[int] = field(default_factory=set)


PoolFactory = Callable[[], object]


def _default_pool_factory(memory_mb: int) -> PoolFactory:
    def make() -> object:
        from aigcverify.worker import WorkerPool

        return WorkerPool(None, memory_mb=memory_mb)

    return make


class Tasks(QObject):
    """The GUI's background helper. Create once, call close() on exit."""

    # batch id, index in the batch, stage, result dict ({} when the event carries none)
    check_event = Signal(int, int, str, object)
    batch_started = Signal(int)
    # batch id, BatchStatus, message (the error text for FAILED)
    batch_finished = Signal(int, str, str)
    # request id, files
    expanded = Signal(int, list)
    # PreviewData
    preview_ready = Signal(object)

    def __init__(self, memory_mb: int = 3072, pool_factory: PoolFactory | None = None) -> None:
        super().__init__()
        self._pool_factory = pool_factory or _default_pool_factory(memory_mb)
        self._lock = threading.Condition()
        self._batches: deque[_Batch] = deque()
        self._current: _Batch | None = None
        self._next_id = 1
        self._closed = False
        self._io_jobs: deque[tuple[int, list[str]]] = deque()
        self._preview: tuple[int, str, str] | None = None  # (token, path, media_type)
        self._preview_token = 0
        self._warm_requested = False
        self._check_thread = threading.Thread(target=self._check_loop, daemon=True,
                                              name="aigcverify-gui-check")
        self._io_thread = threading.Thread(target=self._io_loop, daemon=True,
                                           name="aigcverify-gui-io")
        self._check_thread.start()
        self._io_thread.start()

    # -- GUI-thread API -----------------------------------------------------------------------
    def submit(self, paths: list[str], options: CheckOptions) -> tuple[int, int]:
        """Queue files; returns (batch id, index of the first file in that batch).

        Files dropped while a batch runs join the next queued batch when it has not started
        (same options), so many small drops still use every worker."""
        with self._lock:
            last = self._batches[-1] if self._batches else None
            if last is not None and last.options == options:
                offset = len(last.paths)
                last.paths.extend(paths)
                return last.id, offset
            batch = _Batch(self._next_id, list(paths), options)
            self._next_id += 1
            self._batches.append(batch)
            self._lock.notify_all()
            return batch.id, 0

    def skip(self, batch_id: int, index: int) -> None:
        """Do not check this file of a batch that has not started yet (removed by the user)."""
        with self._lock:
            for batch in self._batches:
                if batch.id == batch_id:
                    batch.skipped.add(index)

    def cancel_all(self) -> list[int]:
        """Cancel the running batch and drop the queued ones; returns the dropped batch ids
        (their batch_finished(..., CANCELLED) is emitted too)."""
        with self._lock:
            dropped = [b.id for b in self._batches]
            self._batches.clear()
            if self._current is not None:
                self._current.cancel.cancel()
        for batch_id in dropped:
            self.batch_finished.emit(batch_id, BatchStatus.CANCELLED, "")
        return dropped

    def warm_up(self) -> None:
        """Start the worker machinery now (call once the window is up): the first drop then
        does not wait for the parsers to be imported."""
        with self._lock:
            self._warm_requested = True
            self._lock.notify_all()

    def busy(self) -> bool:
        with self._lock:
            return self._current is not None or bool(self._batches)

    def expand(self, paths: list[str]) -> int:
        """Expand files and folders in the background; the result comes on `expanded`."""
        with self._lock:
            request = self._next_id
            self._next_id += 1
            self._io_jobs.append((request, list(paths)))
            self._lock.notify_all()
            return request

    def request_preview(self, path: str, media_type: str) -> int:
        """Decode a preview; replaces any older request that is still waiting or running."""
        with self._lock:
            self._preview_token += 1
            self._preview = (self._preview_token, path, media_type)
            self._lock.notify_all()
            return self._preview_token

    def close(self, timeout: float = 10.0) -> None:
        """Cancel everything, stop both lanes and the worker processes."""
        self.cancel_all()
        with self._lock:
            self._closed = True
            self._preview = None
            self._lock.notify_all()
        self._check_thread.join(timeout)
        self._io_thread.join(timeout)

    # -- check lane ---------------------------------------------------------------------------
    @staticmethod
    def _warm(pool) -> None:
        """Start the worker machinery before the first drop, so the first verdict does not
        wait for the parsers to be imported. WorkerPool.warm() when the core offers it; on
        Linux the pool forks its workers from a forkserver that imports the pipeline once."""
        warm = getattr(pool, "warm", None)
        if callable(warm):
            warm()
        elif sys.platform.startswith("linux"):
            from multiprocessing import forkserver

            forkserver.ensure_running()

    def _check_loop(self) -> None:
        pool = self._pool_factory()
        warmed = False
        try:
            while True:
                with self._lock:
                    while (not self._batches and not self._closed
                           and not (self._warm_requested and not warmed)):
                        self._lock.wait()
                    if self._closed:
                        return
                    if not self._batches:  # only the warm-up is asked for
                        batch = None
                    else:
                        batch = self._batches.popleft()
                        self._current = batch
                if batch is None:
                    self._warm(pool)
                    warmed = True
                    continue
                try:
                    status, message = self._run_batch(pool, batch)
                finally:
                    with self._lock:
                        self._current = None
                # Announced only once the batch is no longer current: the window asks busy()
                # when it hears of it, and would otherwise wait for an idle that never comes.
                self.batch_finished.emit(batch.id, status, message)
        finally:
            pool.close()

    def _run_batch(self, pool, batch: _Batch) -> tuple[str, str]:
        """Check a batch; returns its (BatchStatus, message)."""
        with self._lock:
            wanted = [i for i in range(len(batch.paths)) if i not in batch.skipped]
            paths = [batch.paths[i] for i in wanted]
        self.batch_started.emit(batch.id)

        def on_event(event) -> None:
            # never None through an `object` signal: PySide6 mis-counts references to None
            # queued across threads, which crashes Python < 3.12 (None is not immortal there)
            result = event.result if event.result is not None else {}
            self.check_event.emit(batch.id, wanted[event.index], event.stage, result)

        status, message = BatchStatus.DONE, ""
        try:
            pool.run(paths, batch.options, on_event=on_event, cancel=batch.cancel)
        except Exception as err:  # noqa: BLE001 - a core bug must not kill the helper thread;
            # it is logged with its traceback and shown to the user as a failed batch
            log.exception("checking a batch failed")
            status, message = BatchStatus.FAILED, f"{type(err).__name__}: {err}"
        if batch.cancel.cancelled:
            status = BatchStatus.CANCELLED
        return status, message

    # -- io lane ------------------------------------------------------------------------------
    def _preview_stale(self, token: int) -> bool:
        with self._lock:
            return self._closed or self._preview_token != token

    def _io_loop(self) -> None:
        while True:
            with self._lock:
                while not self._io_jobs and self._preview is None and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                if self._io_jobs:
                    job, preview = self._io_jobs.popleft(), None
                else:
                    job, preview, self._preview = None, self._preview, None
            if job is not None:
                request, paths = job
                self.expanded.emit(request, expand_paths(paths))
                continue
            token, path, media_type = preview
            data = decode_preview(path, media_type, token,
                                  stop=lambda token=token: self._preview_stale(token))
            if data is not None and not self._preview_stale(token):
                self.preview_ready.emit(data)
