"""Fuzz every reader of untrusted bytes: one harness per carrier module, per label decoder, for
the C2PA adapter, the complaint-package verifier and the whole metadata pipeline.

    python bench/fuzz.py                      every harness, 60 s each (make fuzz-smoke)
    python bench/fuzz.py --seconds 3600 --harness carrier-png labels-json   (make fuzz)
    python bench/fuzz.py --list
    python bench/fuzz.py --engine mutate      force the fallback engine

Engines. `atheris` (coverage-guided libFuzzer; `pip install atheris==3.0.0`, a binary wheel for
CPython 3.11 on x86-64 Linux: no clang needed) is used when it imports; otherwise `mutate`, a
seed-based mutation loop (truncation, bit flips, interesting values, splices) without coverage
feedback. Each harness runs in its own child process, so a crash, a hang or a Rust panic costs
that harness only, and the parent prints one line per harness: engine, executions, executions
per second, new corpus inputs, and any crash with the file that reproduces it.

The contract (bench/fuzz_targets.py): only aigcverify.errors.VerifyError subclasses escape a
reader, label decoding / C2PA / the pipeline never raise, the package verifier raises OSError
at most. A crash input is kept in --work/<harness>/crashes/; copy it to tests/data/crash/ and add
a regression test (tests/core/test_crash_regressions.py) before fixing the reader.

Exit status: 0 no harness found a crash, 1 at least one did, 2 usage error.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _p in (ROOT, ROOT / "desktop"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from bench import fuzz_targets  # noqa: E402

DEFAULT_WORK = ROOT / ".cache" / "fuzz"
PER_INPUT_TIMEOUT_S = 10  # the pipeline's own per-file limit
MEMORY_MB = 2048  # per harness process; bombs must stay far below this
ATHERIS_VERSION = "3.0.0"


# -- child side ---------------------------------------------------------------------------------
def _limit_memory(mb: int) -> None:
    limit = mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _tolerant(run, strict: bool):  # noqa: ANN001, ANN202
    """run, except that crashes already kept in tests/data/crash/ are counted, not fatal."""
    if strict:
        return run, {}
    seen: dict[str, int] = {}

    def guarded(data: bytes) -> None:
        try:
            run(data)
        except fuzz_targets.ContractBroken as err:
            sample = fuzz_targets.known_crash(err)
            if sample is None:
                raise
            if sample not in seen:
                print(f"known crash (kept as {sample}), going on", file=sys.stderr, flush=True)
            seen[sample] = seen.get(sample, 0) + 1

    return guarded, seen


def _child_atheris(name: str, seconds: int, corpus: Path, seeds: Path, crashes: Path,
                   strict: bool) -> int:
    import atheris  # noqa: PLC0415

    with atheris.instrument_imports(include=["aigcverify"]):
        fuzz_targets.load(name)
    run, _known = _tolerant(fuzz_targets.target(name).run, strict)

    def one_input(data: bytes) -> None:
        run(data)  # ContractBroken (or anything worse) propagates: libFuzzer records a crash

    argv = [sys.argv[0], str(corpus), str(seeds), f"-max_total_time={seconds}",
            f"-timeout={PER_INPUT_TIMEOUT_S}", f"-rss_limit_mb={MEMORY_MB}",
            f"-artifact_prefix={crashes}/", "-print_final_stats=1", "-max_len=65536"]
    atheris.Setup(argv, one_input)
    atheris.Fuzz()
    return 0


class _Timeout(Exception):
    pass


def _on_alarm(signum: int, frame: object) -> None:
    raise _Timeout()


def _child_mutate(name: str, seconds: int, corpus: Path, seeds: Path, crashes: Path,
                  strict: bool) -> int:
    from bench.fuzz_seeds import mutate  # noqa: PLC0415

    fuzz_targets.load(name)
    run, known = _tolerant(fuzz_targets.target(name).run, strict)
    pool = [p.read_bytes() for p in sorted(seeds.iterdir()) if p.is_file()]
    pool += [p.read_bytes() for p in sorted(corpus.iterdir()) if p.is_file()]
    if not pool:
        pool = [b""]
    rng = random.Random(int.from_bytes(os.urandom(8), "big"))
    current = crashes.parent / "current-input"  # what a deadly signal leaves behind
    signal.signal(signal.SIGALRM, _on_alarm)
    deadline = time.monotonic() + seconds
    execs, found, slowest = 0, {}, 0.0
    while time.monotonic() < deadline:
        data = mutate(rng.choice(pool), rng, pool) if execs >= len(pool) else pool[execs]
        current.write_bytes(data)
        t = time.perf_counter()
        signal.alarm(PER_INPUT_TIMEOUT_S)
        try:
            run(data)
        except _Timeout:
            _save_crash(crashes, data, "timeout", f"over {PER_INPUT_TIMEOUT_S} s", found)
        except Exception as err:  # noqa: BLE001 - recording broken contracts is the point
            where = "".join(traceback.format_exception(err)[-3:])
            _save_crash(crashes, data, "crash", where, found)
        finally:
            signal.alarm(0)
        slowest = max(slowest, time.perf_counter() - t)
        execs += 1
    current.unlink(missing_ok=True)
    # the same closing line libFuzzer prints, so the parent reads both engines alike
    print(f"stat::number_of_executed_units: {execs}", file=sys.stderr)
    print(f"stat::slowest_unit_time_sec: {slowest:.3f}", file=sys.stderr)
    print(f"stat::distinct_crashes: {len(found)}", file=sys.stderr)
    print(f"stat::known_crashes_hit: {sum(known.values())}", file=sys.stderr)
    return 1 if found else 0


def _save_crash(crashes: Path, data: bytes, kind: str, where: str, found: dict) -> None:
    # one sample per distinct failure place (the last traceback line names type + message head)
    key = re.sub(r"\d+", "N", where.strip().splitlines()[-1])[:200] if where.strip() else kind
    if key in found:
        return
    digest = hashlib.sha1(data).hexdigest()[:16]
    path = crashes / f"{kind}-{digest}"
    path.write_bytes(data)
    (crashes / f"{kind}-{digest}.txt").write_text(where, encoding="utf-8")
    found[key] = path
    print(f"CRASH {path}\n{where}", file=sys.stderr, flush=True)


# -- parent side --------------------------------------------------------------------------------
def engine_available(engine: str) -> str:
    if engine != "auto":
        return engine
    try:
        import atheris  # noqa: F401, PLC0415
    except ImportError:
        return "mutate"
    return "atheris"


def _harness_dirs(work: Path, name: str) -> tuple[Path, Path]:
    corpus, crashes = work / name / "corpus", work / name / "crashes"
    corpus.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    return corpus, crashes


def _seed_dir(work: Path, name: str) -> Path:
    """A flat folder with the harness' seeds (libFuzzer reads corpus folders, not lists)."""
    from bench.fuzz_seeds import build_family  # noqa: PLC0415

    family = fuzz_targets.target(name).seeds
    files = build_family(work / "seeds", family)
    flat = work / "seeds-flat" / family
    flat.mkdir(parents=True, exist_ok=True)
    for p in files:
        link = flat / f"{p.parent.name}-{p.name}"
        if not link.exists():
            link.write_bytes(p.read_bytes())
    return flat


def _stat(text: str, key: str) -> str | None:
    m = re.search(rf"stat::{key}:\s*([\d.]+)", text)
    return m.group(1) if m else None


def run_harness(name: str, seconds: int, engine: str, work: Path, strict: bool = False) -> dict:
    corpus, crashes = _harness_dirs(work, name)
    seeds = _seed_dir(work, name)
    before = {p.name for p in crashes.iterdir()}
    corpus_before = sum(1 for _ in corpus.iterdir())
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--engine", engine,
           "--seconds", str(seconds), "--work", str(work)] + (["--strict"] if strict else [])
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    scratch = tempfile.mkdtemp(prefix="aigc-fuzz-", dir=shm)  # libFuzzer exits past atexit
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "AIGCVERIFY_HOME": str(work / "home"),
           fuzz_targets.SCRATCH_ENV: scratch}
    log_path = work / name / "last-run.log"
    started = time.monotonic()
    try:
        with open(log_path, "wb") as log_fh:
            proc = subprocess.run(cmd, stdout=log_fh, stderr=subprocess.STDOUT, env=env,
                                  timeout=seconds + 600, check=False)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    elapsed = time.monotonic() - started
    text = log_path.read_text(encoding="utf-8", errors="replace")
    execs = _stat(text, "number_of_executed_units")
    known = sorted(set(re.findall(r"known crash \(kept as (\S+)\)", text)))
    new = sorted(p for p in crashes.iterdir() if p.name not in before and not p.suffix)
    current = work / name / "current-input"
    if proc.returncode not in (0, 1) and current.exists():  # the mutate child died on a signal
        data = current.read_bytes()
        kept = crashes / f"deadly-{hashlib.sha1(data).hexdigest()[:16]}"
        kept.write_bytes(data)
        (kept.parent / f"{kept.name}.txt").write_text(f"exit status {proc.returncode}\n")
        new.append(kept)
    return {
        "harness": name, "engine": engine, "seconds": round(elapsed, 1),
        "execs": int(execs) if execs else None,
        "execs_per_s": round(int(execs) / max(elapsed, 1e-9)) if execs else None,
        "corpus_new": sum(1 for _ in corpus.iterdir()) - corpus_before,
        "seeds": sum(1 for _ in seeds.iterdir()),
        "exit": proc.returncode, "crashes": [str(p) for p in new], "known_crashes": known,
        "log": str(log_path),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--harness", nargs="+", metavar="NAME", help="default: all")
    ap.add_argument("--seconds", type=int, default=60, help="per harness (default 60)")
    ap.add_argument("--engine", choices=("auto", "atheris", "mutate"), default="auto")
    ap.add_argument("--work", default=str(DEFAULT_WORK), help="corpora, crashes, logs")
    ap.add_argument("--strict", action="store_true",
                    help="stop at crashes already kept in tests/data/crash/ too")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    work = Path(args.work).resolve()
    if args.list:
        for t in fuzz_targets.TARGETS.values():
            print(f"{t.name:18} {t.description}")
        return 0
    if args.child:
        _limit_memory(MEMORY_MB)
        corpus, crashes = _harness_dirs(work, args.child)
        seeds = work / "seeds-flat" / fuzz_targets.target(args.child).seeds
        child = _child_atheris if args.engine == "atheris" else _child_mutate
        return child(args.child, args.seconds, corpus, seeds, crashes, args.strict)
    names = args.harness or list(fuzz_targets.TARGETS)
    unknown = [n for n in names if n not in fuzz_targets.TARGETS]
    if unknown:
        print(f"unknown harness: {', '.join(unknown)} (see --list)", file=sys.stderr)
        return 2
    engine = engine_available(args.engine)
    if engine == "mutate" and args.engine == "auto":
        print(f"atheris not installed (pip install atheris=={ATHERIS_VERSION}): using the "
              "mutation loop without coverage feedback", file=sys.stderr)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in names:
        row = run_harness(name, args.seconds, engine, work, args.strict)
        rows.append(row)
        status = f"{len(row['crashes'])} CRASH(ES)" if row["crashes"] else "ok"
        print(f"{name:18} {engine:8} {row['seconds']:7.1f} s  execs {row['execs'] or '?':>9}"
              f"  ({row['execs_per_s'] or '?'}/s)  corpus +{row['corpus_new']}  {status}",
              flush=True)
        for c in row["crashes"]:
            print(f"    {c}", flush=True)
        for k in row["known_crashes"]:
            print(f"    (hit the known crash {k})", flush=True)
    (work / "summary.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    crashed = [r["harness"] for r in rows if r["crashes"]]
    print(f"{len(rows)} harnesses, {sum(r['execs'] or 0 for r in rows)} executions, "
          f"{len(crashed)} with crashes{': ' + ', '.join(crashed) if crashed else ''}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
