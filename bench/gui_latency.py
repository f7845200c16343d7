"""GUI latency: launch -> interactive window, and drop -> first verdict.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_latency.py [--runs 3]

Targets (2 cores): window <= 2 s; first (metadata) verdict of a 5 MB JPEG <= 1 s after the drop.
Each run is a fresh process (`python -m aigcverify_gui` is what users start): the parent notes
the wall clock, the child reports when its window is interactive (shown, first-use costs paid,
event loop turning) and then drops the JPEG with a real QDropEvent. The second drop shows the
warm case (workers already running). Nothing is written outside a temporary data folder.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_WINDOW_S = 2.0
TARGET_VERDICT_S = 1.0


def make_jpeg(path: Path, megabytes: float = 5.0) -> Path:
    """A noisy photo-sized JPEG of about `megabytes` (noise does not compress)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(7)
    side = 1400
    while True:
        pixels = rng.integers(0, 256, (side * 3 // 4, side, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(path, quality=92)
        if path.stat().st_size >= megabytes * 1_000_000:
            return path
        side = int(side * 1.15)


def child(files: list[str], started: float) -> None:
    """Runs inside the measured process."""
    from aigcverify_gui.app import wait_until
    from PySide6.QtWidgets import QApplication

    from aigcverify_gui.binding_check import binding_problem

    problem = binding_problem()
    if problem:
        print(json.dumps({"error": problem}), flush=True)
        return
    app = QApplication([sys.argv[0]])
    from aigcverify_gui.i18n import set_lang
    from aigcverify_gui.main_window import MainWindow
    from aigcverify_gui.settings import Settings
    from aigcverify_gui.tasks import Tasks

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "gui"))
    from conftest import drop_files

    set_lang("zh_CN")
    tasks = Tasks()
    window = MainWindow(tasks, Settings(), save_state=False)
    window.show()

    def spin(until, timeout=120.0) -> bool:
        return wait_until(app, until, timeout, slice_ms=20)

    spin(lambda: window.warmed)
    report = {"window_s": time.time() - started}
    for n, path in enumerate(files):
        seen: dict[str, float] = {}

        def on_update(entry, path=path, seen=seen) -> None:
            if entry.path == path and entry.result and "first" not in seen:
                seen["first"] = time.perf_counter()
            if entry.path == path and entry.verdict and "done" not in seen:
                seen["done"] = time.perf_counter()

        window.entry_updated.connect(on_update)
        t0 = time.perf_counter()
        drop_files(window.drop_zone, [path])
        spin(lambda: "done" in seen)
        window.entry_updated.disconnect(on_update)
        report[f"drop{n}_first_verdict_s"] = seen.get("first", float("nan")) - t0
        report[f"drop{n}_complete_s"] = seen.get("done", float("nan")) - t0
        stages = (window.model.entries()[-1].result or {}).get("stages", [])
        report[f"drop{n}_stages"] = stages
    print(json.dumps(report), flush=True)
    window.close()
    tasks.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs="*")
    parser.add_argument("--started", type=float)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.started)
        return 0
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        jpeg = make_jpeg(Path(tmp) / "photo-5mb.jpg")
        second = Path(tmp) / "photo-5mb-b.jpg"
        second.write_bytes(jpeg.read_bytes() + b"\x00")  # another file, same size
        env["AIGCVERIFY_HOME"] = str(Path(tmp) / "home")
        print(f"JPEG: {jpeg.stat().st_size / 1e6:.1f} MB; cores: {os.cpu_count()}; "
              f"runs: {args.runs}", file=sys.stderr)
        for _ in range(args.runs):
            started = time.time()
            proc = subprocess.run([sys.executable, __file__, "--started", str(started), "--child",
                                   str(jpeg), str(second)], env=env, capture_output=True,
                                  text=True, timeout=600)
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
            if proc.returncode or not lines:
                print(proc.stderr, file=sys.stderr)
                return 1
            report = json.loads(lines[-1])
            if "error" in report:
                print(report["error"], file=sys.stderr)
                return 1
            reports.append(report)
    def med(key: str) -> float:
        return statistics.median(r[key] for r in reports)

    rows = [
        ("launch -> interactive window", med("window_s"), TARGET_WINDOW_S),
        ("drop -> first verdict (cold workers)", med("drop0_first_verdict_s"), TARGET_VERDICT_S),
        ("drop -> first verdict (warm workers)", med("drop1_first_verdict_s"), TARGET_VERDICT_S),
        ("drop -> complete result (cold)", med("drop0_complete_s"), None),
        ("drop -> complete result (warm)", med("drop1_complete_s"), None),
    ]
    for name, value, target in rows:
        verdict = "" if target is None else ("  OK" if value <= target else f"  OVER {target:g} s")
        print(f"{name:40s} {value:6.2f} s (median of {len(reports)}){verdict}")
    print(f"stages of the complete result: {', '.join(reports[-1]['drop1_stages'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
