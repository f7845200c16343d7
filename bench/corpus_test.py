"""Malformed-file corpora: every file must end with a result within 10 s and under 1 GiB.

    python bench/corpus_test.py [--cache DIR] [--no-download] [--variants N]

Downloads the source distributions of Pillow and mutagen from the package index (their
Tests/images and tests/data hold ~1,100 real, truncated and malicious files), adds truncated and
bit-flipped variants of the project's own fixtures, checks everything through the worker pool
(detector off, explicit labels on) and prints counts per verdict, the slowest file and the
peak memory of a worker. Exits 1 when any file got no result or broke a limit.
"""

import argparse
import json
import random
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "desktop"))

from aigcverify.pipeline import CheckOptions  # noqa: E402
from aigcverify.worker import WorkerPool  # noqa: E402

SDISTS = {"pillow==13.0.0": "Tests/images/", "mutagen==1.48.1": "tests/data/"}
TIME_LIMIT_S = 10.0
MEMORY_MB = 1024


def fetch_corpora(cache: Path, download: bool) -> list[Path]:
    cache.mkdir(parents=True, exist_ok=True)
    if download:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:",
                        "--no-deps", "-d", str(cache), *SDISTS], check=True)
    files: list[Path] = []
    for spec, prefix in SDISTS.items():
        name = spec.split("==")[0]
        archive = next(iter(sorted(cache.glob(f"{name}-*.tar.gz"))), None)
        if archive is None:
            print(f"missing sdist for {spec} in {cache}")
            continue
        out = cache / archive.name.removesuffix(".tar.gz")
        if not out.exists():
            with tarfile.open(archive) as tar:
                members = [m for m in tar.getmembers() if prefix in m.name and m.isfile()]
                tar.extractall(out, members=members, filter="data")
        files += sorted(p for p in out.rglob("*") if p.is_file() and prefix.rstrip("/") in str(p))
    return files


def mutated_fixtures(folder: Path, count: int) -> list[Path]:
    """Truncated and bit-flipped variants of the project's own fixtures."""
    from tests.fixtures.corpus import write_mixed_corpus  # noqa: PLC0415

    seeds = folder / "seeds"
    write_mixed_corpus(seeds, 60)
    rng = random.Random(45438)
    out = folder / "mutants"
    out.mkdir()
    made = []
    for i in range(count):
        seed = rng.choice(sorted(seeds.iterdir()))
        data = bytearray(seed.read_bytes())
        if rng.random() < 0.5 and len(data) > 8:
            data = data[: rng.randrange(1, len(data))]
        else:
            for _ in range(rng.randint(1, 8)):
                if data:
                    data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        path = out / f"{i:04d}-{seed.name}"
        path.write_bytes(bytes(data))
        made.append(path)
    return made


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=str(ROOT / ".cache" / "corpus"))
    ap.add_argument("--no-download", action="store_true")
    ap.add_argument("--variants", type=int, default=400)
    args = ap.parse_args()
    files = fetch_corpora(Path(args.cache), not args.no_download)
    with tempfile.TemporaryDirectory(prefix="aigc-mutants-") as tmp:
        files += mutated_fixtures(Path(tmp), args.variants)
        paths = [str(p) for p in files]
        started: dict[int, float] = {}
        elapsed: dict[int, float] = {}

        def on_event(event):
            if event.stage == "started":
                started[event.index] = time.perf_counter()
            elif event.stage == "done":
                elapsed[event.index] = time.perf_counter() - started[event.index]

        options = CheckOptions(detector=False, explicit=True, lang="en", timeout_s=TIME_LIMIT_S,
                               slow_timeout_s=TIME_LIMIT_S, memory_mb=MEMORY_MB)
        t0 = time.perf_counter()
        with WorkerPool(memory_mb=MEMORY_MB) as pool:
            results = pool.run(paths, options, on_event=on_event)
        total = time.perf_counter() - t0
    missing = [p for p, r in zip(paths, results) if r is None]
    verdicts: dict[str, int] = {}
    limits = 0
    for r in results:
        if r:
            verdicts[r["verdict"]] = verdicts.get(r["verdict"], 0) + 1
            limits += any(p["code"] == "resource-limit" for p in r["problems"])
    slow_i = max(elapsed, key=elapsed.get)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"files: {len(paths)} ({len(paths) - args.variants} from sdists, {args.variants} mutants)")
    print(f"verdicts: {json.dumps(verdicts, sort_keys=True)}")
    print(f"hit a resource limit (time/memory/size): {limits}")
    print(f"slowest: {elapsed[slow_i]:.2f} s  {paths[slow_i]}")
    print(f"peak worker memory (max RSS): {peak_mb:.0f} MiB   total {total:.1f} s")
    print(f"without a result: {len(missing)}")
    over = [paths[i] for i, t in elapsed.items() if t > TIME_LIMIT_S + 2]
    if missing or over or peak_mb > 1024:
        print("FAILED", missing[:5], over[:5])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
