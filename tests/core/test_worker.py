"""Crash isolation: a worker that dies, hangs or runs out of memory costs one file, not the run."""

import json
import os
import signal

import pytest
from PIL import Image, PngImagePlugin

from aigcverify.pipeline import CancelToken, CheckOptions
from aigcverify.worker import WORKER_NICENESS, WorkerPool

LABEL = json.dumps({"Label": "1", "ContentProducer": "001191110102MACQD9K64010000",
                    "ProduceID": "p-1", "ReservedCode1": "", "ContentPropagator": "",
                    "PropagateID": "", "ReservedCode2": ""})


def _labelled_png(path, chunks=1):
    info = PngImagePlugin.PngInfo()
    info.add_text("AIGC", LABEL)
    for i in range(chunks - 1):
        info.add_text(f"k{i}", "v" * 20)
    Image.new("RGB", (8, 8)).save(path, pnginfo=info)
    return str(path)


def _big_sparse(path, size=400 * 1024 * 1024):
    with open(path, "wb") as fh:
        fh.truncate(size)  # hashing it takes a moment: long enough to kill the worker meanwhile
    return str(path)


OPTS = CheckOptions(detector=False, explicit=False, lang="en")


@pytest.fixture(scope="module")
def pool():
    with WorkerPool(workers=1) as p:
        yield p


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGSEGV, "parse-error"),
                                           (signal.SIGABRT, "parse-error"),
                                           (signal.SIGKILL, "resource-limit")])
def test_killed_worker_gives_unreadable_and_the_batch_goes_on(pool, tmp_path, sig, code):
    victim = _big_sparse(tmp_path / "victim.bin")
    good = _labelled_png(tmp_path / "good.png")

    def on_event(event):
        if event.stage == "started" and event.path == victim:
            os.kill(event.worker_pid, sig)

    results = pool.run([victim, good], OPTS, on_event=on_event)
    assert results[0]["verdict"] == "unreadable"
    assert results[0]["problems"][-1]["code"] == code
    assert signal.Signals(sig).name in results[0]["problems"][-1]["detail"]
    assert results[0]["file"]["size"] == 400 * 1024 * 1024  # hashes still computed
    assert results[1]["verdict"] == "confirmed"


def test_time_limit(tmp_path):
    slow = _labelled_png(tmp_path / "slow.png", chunks=3000)
    good = _labelled_png(tmp_path / "good.png")
    with WorkerPool(workers=1) as pool:
        results = pool.run([slow, good, slow], CheckOptions(detector=False, explicit=False,
                                                             lang="en", timeout_s=0.002))
    assert results[0]["verdict"] == "unreadable"
    assert results[0]["problems"][-1]["code"] == "resource-limit"
    assert "time limit" in results[0]["problems"][-1]["detail"]
    assert len(results[0]["file"]["sha256"]) == 64


def test_results_in_input_order_with_two_workers(tmp_path):
    paths = [_labelled_png(tmp_path / f"f{i}.png") for i in range(6)]
    (tmp_path / "junk.jpg").write_bytes(os.urandom(300))
    paths.insert(3, str(tmp_path / "junk.jpg"))
    with WorkerPool(workers=2) as pool:
        results = pool.run(paths, OPTS)
    assert [r["file"]["path"] for r in results] == paths
    assert [r["verdict"] for r in results].count("confirmed") == 6
    assert results[3]["verdict"] == "unreadable"


def test_cancel_is_not_an_error(tmp_path):
    paths = [_big_sparse(tmp_path / "a.bin")] + [_labelled_png(tmp_path / f"{i}.png") for i in range(3)]
    token = CancelToken()
    stages = []

    def on_event(event):
        stages.append(event.stage)
        if event.stage == "started":
            token.cancel()

    with WorkerPool(workers=1) as pool:
        results = pool.run(paths, OPTS, on_event=on_event, cancel=token)
        assert results == [None] * 4
        assert stages.count("cancelled") == 4
        # the pool is still usable after a cancel
        assert pool.run(paths[1:2], OPTS)[0]["verdict"] == "confirmed"


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with WorkerPool(workers=1) as pool:
        result = pool.run([str(fifo)], OPTS)[0]
    assert result["verdict"] == "unreadable"


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX scheduling priorities")
def test_workers_run_below_the_window_s_priority(pool, tmp_path):
    good = _labelled_png(tmp_path / "good.png")
    niceness = {}

    def on_event(event):
        if event.stage == "started":
            niceness[event.worker_pid] = os.getpriority(os.PRIO_PROCESS, event.worker_pid)

    assert pool.run([good], OPTS, on_event=on_event)[0]["verdict"] == "confirmed"
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert niceness and all(n >= min(own + WORKER_NICENESS, 19) for n in niceness.values())
