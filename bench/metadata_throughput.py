"""Metadata throughput: our checker (detector and explicit labels off) against exiftool.

    python bench/metadata_throughput.py [DIR]

Without DIR a mixed folder of 600 labelled and plain files is generated (images, audio, video,
documents). Prints files/s, p50/p95 per-file latency and the ratio to `exiftool -json -r`.
Targets (issue 2): >= 2x exiftool's throughput; p95 <= 50 ms per file under 20 MB.
"""

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "desktop"))

from aigcverify.pipeline import CheckOptions  # noqa: E402
from aigcverify.worker import WorkerPool  # noqa: E402


def make_corpus(folder: Path, count: int = 600) -> None:
    from tests.fixtures.corpus import write_mixed_corpus  # noqa: PLC0415

    write_mixed_corpus(folder, count)


def main() -> int:
    tmp = None
    if len(sys.argv) > 1:
        folder = Path(sys.argv[1])
    else:
        tmp = tempfile.mkdtemp(prefix="aigc-bench-")
        folder = Path(tmp)
        make_corpus(folder)
    files = sorted(str(p) for p in folder.rglob("*") if p.is_file())
    print(f"files: {len(files)} in {folder}")
    options = CheckOptions(detector=False, explicit=False, lang="en")
    started: dict[int, float] = {}
    latency: list[float] = []

    def on_event(event):
        if event.stage == "started":
            started[event.index] = time.perf_counter()
        elif event.stage == "done":
            latency.append((time.perf_counter() - started[event.index]) * 1000)

    with WorkerPool() as pool:
        pool.run(files[:4], options)  # warm the workers (imports), as a running app would be
        t0 = time.perf_counter()
        results = pool.run(files, options, on_event=on_event)
        ours = time.perf_counter() - t0
    verdicts: dict[str, int] = {}
    for r in results:
        verdicts[r["verdict"]] = verdicts.get(r["verdict"], 0) + 1
    q = statistics.quantiles(latency, n=100)
    print(f"aigcverify: {len(files) / ours:.1f} files/s  total {ours:.2f} s  "
          f"p50 {q[49]:.1f} ms  p95 {q[94]:.1f} ms  max {max(latency):.1f} ms")
    print(f"verdicts: {json.dumps(verdicts, sort_keys=True)}")
    if shutil.which("exiftool"):
        t0 = time.perf_counter()
        subprocess.run(["exiftool", "-json", "-r", "-q", "-q", str(folder)], capture_output=True)
        theirs = time.perf_counter() - t0
        print(f"exiftool -json -r: {len(files) / theirs:.1f} files/s  total {theirs:.2f} s")
        print(f"ratio (ours / exiftool throughput): {theirs / ours:.2f}x")
    else:
        print("exiftool not installed: apt-get install libimage-exiftool-perl")
    if tmp:
        shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
