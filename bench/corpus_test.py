"""Malformed-file corpora: every file must end with a result within 10 s and under 1 GiB.

    python bench/corpus_test.py [--cache DIR] [--no-download] [--variants N] [--limit N]
                                [--no-detector] [--no-explicit] [--workers N] [--json OUT]

Downloads the source distributions of Pillow and mutagen (the pinned versions) from the package
index with pip (their Tests/images and tests/data hold ~1,160 real, truncated and malicious
files), adds truncated and bit-flipped variants of the project's own fixtures
(bench/fuzz_seeds.py), and checks everything through the worker pool with every stage on
(metadata, explicit-label OCR, detector) unless told otherwise. Each worker runs under a 1 GiB
memory limit and each stage under a 10 s time limit.

Prints counts per verdict and per source, files that hit a limit, worker crashes, the slowest
file and the peak memory of a worker (VmHWM; RUSAGE_CHILDREN cannot see forkserver workers).
Exits 1 when a file got no result, took more than 10 s past its limits, or crashed the main
process (files are checked in batches: a main-process crash loses one batch, whose files are
then retried one by one to name the culprit).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _p in (ROOT, ROOT / "desktop"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from aigcverify.pipeline import CheckOptions  # noqa: E402
from aigcverify.worker import WorkerPool  # noqa: E402

SDISTS = {"pillow==13.0.0": "Tests/images/", "mutagen==1.48.1": "tests/data/"}
TIME_LIMIT_S = 10.0
MEMORY_MB = 1024
BATCH = 50
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "aigcverify-bench"


def fetch_corpora(cache: Path, download: bool) -> dict[str, list[Path]]:
    """{source name: files} from the sdists (downloaded once into cache)."""
    cache.mkdir(parents=True, exist_ok=True)
    missing = [s for s in SDISTS if not list(cache.glob(f"{s.split('==')[0]}-*.tar.gz"))]
    if download and missing:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:",
                        "--no-deps", "-d", str(cache), *missing], check=True)
    out: dict[str, list[Path]] = {}
    for spec, prefix in SDISTS.items():
        name, version = spec.split("==")
        archive = cache / f"{name}-{version}.tar.gz"
        if not archive.exists():
            print(f"missing sdist {archive.name} in {cache} (run without --no-download)")
            continue
        folder = cache / archive.name.removesuffix(".tar.gz")
        if not folder.exists():
            with tarfile.open(archive) as tar:
                members = [m for m in tar.getmembers() if prefix in m.name and m.isfile()]
                tar.extractall(folder, members=members, filter="data")
        out[name] = sorted(p for p in folder.rglob("*")
                           if p.is_file() and prefix.rstrip("/") in p.as_posix())
    return out


def mutated_fixtures(folder: Path, count: int, seed: int = 45438) -> list[Path]:
    """Half truncated, half bit-flipped variants of the project's own fixtures."""
    from bench.fuzz_seeds import all_seed_files  # noqa: PLC0415

    seeds = all_seed_files(folder / "seeds")
    rng = random.Random(seed)
    out = folder / "mutants"
    out.mkdir(exist_ok=True)
    made = []
    for i in range(count):
        src = seeds[i % len(seeds)]
        data = bytearray(src.read_bytes())
        if i % 2 == 0 and len(data) > 8:
            data = data[: rng.randrange(1, len(data))]
            kind = "trunc"
        else:
            for _ in range(rng.randint(1, 16)):
                if data:
                    data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            kind = "flip"
        path = out / f"{i:04d}-{kind}-{src.parent.name}-{src.name}"
        path.write_bytes(bytes(data))
        made.append(path)
    return made


def vm_hwm_kb(pid: int) -> int:
    """Peak resident memory (VmHWM) of a live process in KiB; 0 once it has exited."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return 0  # the process already exited
    return 0


class Run:
    """Checks files batch by batch and keeps per-file timings and worker memory."""

    def __init__(self, options: CheckOptions, workers: int | None) -> None:
        self.options, self.workers = options, workers
        self.elapsed: dict[str, float] = {}
        self.peak_kb = 0
        self.main_crashes: dict[str, str] = {}
        self._started: dict[int, tuple[float, int]] = {}
        self._paths: list[str] = []

    def _on_event(self, event) -> None:  # noqa: ANN001 - worker.CheckEvent
        if event.stage == "started":
            self._started[event.index] = (time.perf_counter(), event.worker_pid)
        if event.index in self._started:
            self.peak_kb = max(self.peak_kb, vm_hwm_kb(self._started[event.index][1]))
        if event.stage == "done" and event.index in self._started:
            self.elapsed[self._paths[event.index]] = \
                time.perf_counter() - self._started[event.index][0]

    def _batch(self, pool: WorkerPool, paths: list[str]) -> list[dict | None]:
        self._paths, self._started = paths, {}
        return pool.run(paths, self.options, on_event=self._on_event)

    def check(self, paths: list[str]) -> dict[str, dict | None]:
        results: dict[str, dict | None] = {}
        for start in range(0, len(paths), BATCH):
            batch = paths[start:start + BATCH]
            try:
                with WorkerPool(self.workers, memory_mb=MEMORY_MB) as pool:
                    results.update(zip(batch, self._batch(pool, batch)))
            except Exception:  # noqa: BLE001 - a main-process crash is what we are hunting
                for path in batch:  # find the culprit(s) one by one
                    try:
                        with WorkerPool(1, memory_mb=MEMORY_MB) as pool:
                            results[path] = self._batch(pool, [path])[0]
                    except Exception:  # noqa: BLE001
                        self.main_crashes[path] = traceback.format_exc(limit=-3)
                        results[path] = None
            done = min(start + BATCH, len(paths))
            print(f"  {done}/{len(paths)} checked", file=sys.stderr, flush=True)
        return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", default=str(CACHE / "corpus"))
    ap.add_argument("--no-download", action="store_true")
    ap.add_argument("--variants", type=int, default=400, help="mutants of the own fixtures")
    ap.add_argument("--limit", type=int, default=0, help="check only the first N files")
    ap.add_argument("--no-detector", action="store_true")
    ap.add_argument("--no-explicit", action="store_true")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--json", help="write the per-file summary here")
    args = ap.parse_args()
    sources = fetch_corpora(Path(args.cache), not args.no_download)
    options = CheckOptions(detector=not args.no_detector, explicit=not args.no_explicit,
                           lang="en", timeout_s=TIME_LIMIT_S, slow_timeout_s=TIME_LIMIT_S,
                           memory_mb=MEMORY_MB)
    with tempfile.TemporaryDirectory(prefix="aigc-corpus-") as tmp:
        mutants = mutated_fixtures(Path(tmp), args.variants)
        by_source = {**{k: [str(p) for p in v] for k, v in sources.items()},
                     "own-fixtures": [str(p) for p in mutants]}
        paths = [p for files in by_source.values() for p in files]
        if args.limit:
            paths = paths[: args.limit]
        run = Run(options, args.workers)
        t0 = time.perf_counter()
        results = run.check(paths)
        total = time.perf_counter() - t0
    source_of = {p: s for s, files in by_source.items() for p in files}
    verdicts: Counter[str] = Counter()
    per_source: dict[str, Counter[str]] = {}
    limited, crashed_workers, timed_out = [], [], []
    for path in paths:
        r = results.get(path)
        verdict = r["verdict"] if r else "NO RESULT"
        verdicts[verdict] += 1
        per_source.setdefault(source_of[path], Counter())[verdict] += 1
        codes = [p["code"] for p in r["problems"]] if r else []
        if "resource-limit" in codes:
            limited.append(path)
        details = [p.get("detail", "") for p in r["problems"]] if r else []
        if any("parser process ended" in d for d in details):
            crashed_workers.append(path)
        if any("time limit exceeded" in d for d in details):
            timed_out.append(path)
    slowest = sorted(run.elapsed.items(), key=lambda kv: -kv[1])[:5]
    over = [p for p, t in run.elapsed.items() if t > 2 * TIME_LIMIT_S + 2]
    print(f"files: {len(paths)} (" + ", ".join(f"{k} {len(v)}" for k, v in by_source.items())
          + f"); stages: metadata{' explicit' if options.explicit else ''}"
          f"{' detector' if options.detector else ''}")
    print(f"verdicts: {json.dumps(dict(sorted(verdicts.items())))}")
    for source, counts in per_source.items():
        print(f"  {source}: {json.dumps(dict(sorted(counts.items())))}")
    print(f"unreadable for a resource limit (time/memory/size): {len(limited)}")
    print(f"a stage ran out of time (metadata result kept, analysis-incomplete): {len(timed_out)}")
    print(f"worker processes that crashed (file still got a result): {len(crashed_workers)}")
    for path, seconds in slowest:
        print(f"slow: {seconds:.2f} s  {path}")
    print(f"peak worker memory (VmHWM): {run.peak_kb / 1024:.0f} MiB (limit {MEMORY_MB} MiB)"
          f"   total {total:.1f} s")
    missing = [p for p in paths if results.get(p) is None]
    print(f"without a result: {len(missing)}; main-process crashes: {len(run.main_crashes)}")
    for path, tb in run.main_crashes.items():
        print(f"MAIN PROCESS CRASH on {path}:\n{tb}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "files": len(paths), "verdicts": verdicts, "per_source": per_source,
            "limited": limited, "timed_out": timed_out, "crashed_workers": crashed_workers,
            "slowest": slowest,
            "peak_worker_mib": round(run.peak_kb / 1024), "total_s": round(total, 1),
            "missing": missing, "main_crashes": run.main_crashes}, indent=1), encoding="utf-8")
    if missing or over or run.main_crashes:
        print("FAILED", missing[:5], over[:5])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
