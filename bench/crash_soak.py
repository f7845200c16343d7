#!/usr/bin/env python3
"""Crash soak of the report log: a process files, edits and withdraws reports as fast as it can
and is killed with SIGKILL at a random moment, again and again. After every kill:

  * every entry the writer acknowledged (its call returned) is in the log with the same hash,
  * PRAGMA integrity_check is "ok",
  * the hash chain and the head anchor verify,
  * every kept original acknowledged is intact in the evidence store.

    python bench/crash_soak.py [--cycles 500] [--home DIR] [--mode exec|fork] [--seed N]

--mode exec (default) starts a fresh interpreter per cycle, like a real app start; --mode fork
forks the already-imported interpreter (what the test-suite uses: 50 cycles in seconds).
SIGKILL tests process death, not power loss: the OS still flushes what was written; power loss
is what synchronous=FULL and the fsyncs are for, and is not simulated here.
"""

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "desktop"))

from aigcverify.store import ReportDraft, ReportLog, ReportNotFound, Seen  # noqa: E402

__all__ = ["run", "writer", "check", "SoakStats"]


def _result(n: int, sha: str) -> dict:
    """A small but complete check-result (no pipeline: the log is what is being tested)."""
    return {"schema": "check-result/1",
            "file": {"path": f"/soak/f{n}.jpg", "name": f"f{n}.jpg", "size": 1000 + n,
                     "sha256": sha, "sm3": sha[::-1], "media_type": "image", "format": "jpeg"},
            "verdict": "confirmed" if n % 2 else "none", "declared_by_user": False,
            "implicit_labels": [], "c2pa": None, "explicit_labels": [], "detector": None,
            "watermarks": [], "metadata_hints": [], "problems": [],
            "reason": {"code": "none", "message": "soak", "also": []}}


def writer(home: Path, out_fd: int, seed: int) -> None:
    """Loop forever: file (70 %), edit (20 %), withdraw (10 %); ack each finished call on
    out_fd as one line "entry_id hash original_sha256|-"."""
    rng = random.Random(seed)
    log = ReportLog(home, timeout_s=30)
    active = [r.report_id for r in log.list_reports()]
    source = home.parent / f"source-{os.getpid()}.bin"
    n = 0
    while True:
        n += 1
        op = rng.random()
        kept = "-"
        if op < 0.7 or not active:
            keep = rng.random() < 0.15
            if keep:
                data = os.urandom(rng.randint(1, 200_000))
                source.write_bytes(data)
                sha = hashlib.sha256(data).hexdigest()
                kept = sha
            else:
                sha = hashlib.sha256(f"{seed}-{n}".encode()).hexdigest()
            draft = ReportDraft(seen=Seen(platform=rng.choice(["微博", "抖音", "快手"]),
                                          url=f"https://example.cn/{seed}/{n}"),
                                description="崩溃测试 " * rng.randint(1, 200), keep_original=keep)
            entry = log.file_report(_result(n, sha), draft, source=source if keep else None)
            active.append(entry.report_id)
        elif op < 0.9:
            try:
                entry = log.edit(rng.choice(active), ReportDraft(description=f"edit {n}"),
                                 note="soak")
            except ReportNotFound:
                continue
        else:
            victim = active.pop(rng.randrange(len(active)))
            entry = log.withdraw(victim, "soak")
        os.write(out_fd, f"{entry.entry_id} {entry.hash} {kept}\n".encode())


@dataclass
class SoakStats:
    cycles: int = 0
    acked: int = 0
    entries: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def check(home: Path, acked: dict[str, tuple[str, str]]) -> list[str]:
    """Problems found after a kill (empty when all is well)."""
    problems = []
    with ReportLog(home, timeout_s=30) as log:
        integrity = log.integrity_check()
        if integrity != "ok":
            problems.append(f"integrity_check: {integrity}")
        report = log.verify()
        if not report.ok:
            problems.append(f"chain: {report.breaks[:3]}")
        stored = {e.entry_id: e.hash for e in log.entries()}
        for entry_id, (digest, kept) in acked.items():
            if stored.get(entry_id) != digest:
                problems.append(f"acknowledged entry {entry_id} lost or changed")
            if kept != "-" and log.evidence.read_hash(kept) != kept:
                problems.append(f"kept original {kept} of {entry_id} lost or changed")
    return problems


def _read_acks(fd: int) -> list[str]:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    text = b"".join(chunks).decode()
    return text.split("\n")[:-1]  # the last piece is incomplete (or empty)


def _one_cycle(home: Path, seed: int, delay: float, mode: str) -> list[str]:
    if mode == "fork":
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never returns into the caller
            os.close(read_fd)
            try:
                writer(home, write_fd, seed)
            finally:
                os._exit(1)
        os.close(write_fd)
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        lines = _read_acks(read_fd)
        os.close(read_fd)
        return lines
    proc = subprocess.Popen([sys.executable, __file__, "--child", str(home), str(seed)],
                            stdout=subprocess.PIPE)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate()
    return out.decode().split("\n")[:-1]


def run(cycles: int, home: Path, *, mode: str = "exec", seed: int = 1,
        max_delay: float | None = None, log=print) -> SoakStats:  # noqa: ANN001
    rng = random.Random(seed)
    stats = SoakStats()
    acked: dict[str, tuple[str, str]] = {}
    started = time.perf_counter()
    low, high = (0.005, max_delay or 0.25) if mode == "fork" else (0.15, max_delay or 1.2)
    for cycle in range(cycles):
        lines = _one_cycle(home, rng.randrange(1 << 30), rng.uniform(low, high), mode)
        for line in lines:
            entry_id, digest, kept = line.split(" ")
            acked[entry_id] = (digest, kept)
        problems = check(home, acked)
        for scratch in home.parent.glob("source-*.bin"):  # the killed writers' input files
            scratch.unlink()
        stats.cycles += 1
        if stats.cycles % 25 == 0:
            log(f"{stats.cycles}/{cycles} cycles, {len(acked)} acknowledged entries, all present")
        if problems:
            stats.failures.append(f"cycle {cycle}: {problems}")
            log(f"cycle {cycle}: FAILED {problems}")
            break
    with ReportLog(home) as final:
        stats.entries = final.count()
    stats.acked = len(acked)
    stats.seconds = time.perf_counter() - started
    return stats


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        writer(Path(sys.argv[2]), sys.stdout.fileno(), int(sys.argv[3]))
        return 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=500)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--mode", choices=("exec", "fork"), default="exec")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="crash-soak-")) / "home"
    stats = run(args.cycles, home, mode=args.mode, seed=args.seed,
                log=lambda text: print(text, file=sys.stderr, flush=True))
    print(json.dumps({"cycles": stats.cycles, "acknowledged_entries": stats.acked,
                      "entries_in_log": stats.entries, "failures": stats.failures,
                      "seconds": round(stats.seconds, 1), "home": str(home)}, ensure_ascii=False))
    return 0 if not stats.failures and stats.cycles == args.cycles else 1


if __name__ == "__main__":
    sys.exit(main())
