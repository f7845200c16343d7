"""Smoke test of the frozen one-folder bundle: the programs users actually get.

* The frozen CLI checks a labelled PNG, MP3 and MP4, a C2PA-signed JPEG, a plain photo and a
  picture with a visible label: schema-valid JSON, the right verdicts, and the same results as
  the source tree field for field (proves the bundle carries FFmpeg, the C2PA library, the OCR
  and detector models and the resource tables, and that nothing degrades silently).
* It files a report, exports a complaint package and verifies it (report log, PDF with the
  bundled CJK font, the verifier's source inside the package).
* The frozen GUI renders its --screenshot offscreen and exits 0.
* The bundle holds what the app reads at run time and none of what it leaves out.
* No native library is loaded from the user's working folder.

Every program runs as a user would start it: a clean environment with a fresh home, temp and
working folder. Under strace (Linux) the test also proves that files are parsed in worker
processes of the frozen multiprocessing fork server, that nothing is written (or even tried)
outside the data folder and the temp folder, which is empty at exit, and that no network
socket is opened (only AF_UNIX, e.g. the fork server's). Without strace the file-system
promises are still checked by comparing the folders before and after each run.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.dist.sandbox import (Run, Sandbox, check_folders, network_violations, run_program,
                                write_violations)

CLI_TIMEOUT_S = 600  # six files with OCR and the detector, under strace, on a busy machine
GUI_TIMEOUT_S = 600
ROOT = Path(__file__).resolve().parents[2]
# stderr lines that mean a library missed a file or failed inside the bundle
STDERR_TROUBLE = re.compile(r"Traceback|\[ERROR|Can't open|No such file|not found|PYI-\d+",
                            re.IGNORECASE)
LINUX = sys.platform.startswith("linux")
VOLATILE_FIELDS = {"elapsed_ms"}


def _trouble(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if STDERR_TROUBLE.search(line)]


# -- the bundle's contents --------------------------------------------------------------------
def _internal(bundle) -> Path:
    return bundle.folder / "_internal"


def test_bundle_carries_what_the_app_reads_at_run_time(bundle):
    internal = _internal(bundle)
    wanted = [
        "resources/producers.json", "resources/min_versions.json", "resources/generators.json",
        "resources/explicit_terms.json", "resources/fonts/wqy-microhei.ttc",
        "resources/icons/app.svg", "resources/i18n/zh_CN/core.json", "resources/i18n/en/core.json",
        "aigcverify/export/standalone_verify.py",  # copied into every complaint package
        "rapidocr_onnxruntime/config.yaml",
        "cv2/data/haarcascade_frontalface_default.xml",  # the video detector's face finder
    ]
    missing = [w for w in wanted if not (internal / w).is_file()]
    assert not missing, missing
    assert len(list(internal.glob("rapidocr_onnxruntime/models/*.onnx"))) == 3
    for manifest in (ROOT / "models").glob("*/manifest.json"):  # every shipped detector model
        data = json.loads(manifest.read_text(encoding="utf-8"))
        shipped = internal / "models" / manifest.parent.name / data["file"]
        assert shipped.is_file(), shipped
        assert hashlib.sha256(shipped.read_bytes()).hexdigest() == data["sha256"]
    if LINUX:
        assert (internal / "c2pa" / "libs" / "libc2pa_c.so").is_file()
        plugins = internal / "PySide6" / "Qt" / "plugins"
        for name in ("platforms/libqxcb.so", "platforms/libqwayland.so",
                     "platforms/libqoffscreen.so", "imageformats/libqjpeg.so",
                     "iconengines/libqsvgicon.so"):
            assert (plugins / name).is_file(), name
        assert (internal / "PySide6" / "Qt" / "translations" / "qtbase_zh_CN.qm").is_file()


def test_bundle_leaves_out_what_the_app_does_not_use(bundle):
    internal = _internal(bundle)
    names = {p.name for p in internal.rglob("*")}
    for unwanted in ("torch", "onnx", "pytest", "hypothesis", "tkinter", "requests",
                     "matplotlib", "scipy", "imwatermark"):
        assert not (internal / unwanted).exists(), unwanted
    assert not {n for n in names if re.match(r"(lib)?Qt6(Network|Qml|Quick|OpenGL|Pdf)", n)}
    assert not {n for n in names if n.startswith(("libqgtk3", "libqvnc", "libqeglfs"))}
    assert not {n for n in names if n.endswith(".qm") and "zh_CN" not in n and "_en" not in n}


# -- the CLI ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli_run(bundle, samples, tmp_path_factory) -> Run:
    box = Sandbox(tmp_path_factory.mktemp("cli-run")).make()
    argv = [str(bundle.cli), "check", "--json", "--lang", "en",
            *(str(s.path) for s in samples.values())]
    return run_program(bundle, argv, box, CLI_TIMEOUT_S)


def test_cli_version(bundle):
    from aigcverify import __version__

    proc = subprocess.run([str(bundle.cli), "--version"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"aigcverify {__version__}"


def test_cli_prints_schema_valid_results_with_the_right_verdicts(cli_run, samples,
                                                                  validate_result):
    proc = cli_run.proc
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not _trouble(proc.stderr), proc.stderr[-3000:]
    results = [validate_result(json.loads(line)) for line in proc.stdout.splitlines()]
    assert [r["file"]["name"] for r in results] == list(samples)
    got = {r["file"]["name"]: (r["verdict"], r["reason"]["code"]) for r in results}
    want = {name: (s.verdict, s.reason) for name, s in samples.items()}
    assert got == want
    by_name = {r["file"]["name"]: r for r in results}
    # the bundle carries what each verdict needed
    assert by_name["c2pa.jpg"]["c2pa"]["state"] in ("valid", "trusted")  # the Rust library
    assert any("AI" in e.get("text", "") for e in by_name["visible.jpg"]["explicit_labels"])
    assert by_name["labelled.mp4"]["file"]["format"] == "mp4"
    failures = {"detector-failed", "explicit-failed", "parse-error", "resource-limit",
                "c2pa-unreadable", "analysis-incomplete"}
    for r in results:  # every stage ran; none failed for lack of a bundled file
        codes = {p["code"] for p in r["problems"]}
        assert not codes & failures, (r["file"]["name"], codes)
    assert by_name["photo.jpg"]["detector"], "the detector model did not run in the bundle"


def test_frozen_results_equal_source_tree_results(cli_run, samples):
    """The bundle must not change a single field of any result: a resource, model or library
    missing from the bundle often degrades a check silently instead of failing it."""
    proc = subprocess.run([sys.executable, "-m", "aigcverify", "check", "--json", "--lang", "en",
                           *(str(s.path) for s in samples.values())],
                          capture_output=True, text=True, timeout=CLI_TIMEOUT_S, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]

    def stable(stdout: str) -> list[dict]:  # the wall-clock time is the one field that varies
        return [{k: v for k, v in json.loads(line).items() if k not in VOLATILE_FIELDS}
                for line in stdout.splitlines()]

    assert stable(cli_run.proc.stdout) == stable(proc.stdout)


def test_cli_parses_files_in_frozen_worker_processes(cli_run, samples):
    trace = cli_run.trace
    if trace is None:
        pytest.skip("needs strace on Linux")
    main = trace.processes_execing(" check --json")
    servers = trace.processes_execing("from multiprocessing.forkserver import main")
    assert len(main) == 1, trace.execs
    assert len(servers) == 1, "the frozen fork server did not start"
    for name, sample in samples.items():
        readers = trace.readers_of(str(sample.path))
        assert readers, f"nobody opened {name}"
        assert not readers & (main | servers), f"{name} parsed outside a worker: {readers}"


def test_cli_writes_nothing_outside_the_data_folder(cli_run, bundle, samples):
    check_folders(cli_run, bundle, samples)
    if cli_run.trace is not None:
        assert write_violations(cli_run) == []


def test_cli_touches_no_network(cli_run):
    if cli_run.trace is None:
        pytest.skip("needs strace on Linux")
    assert network_violations(cli_run.trace) == []


HOSTILE_LIBRARY_C = r"""
#include <stdio.h>
__attribute__((constructor)) static void loaded(void) {
    FILE *f = fopen("MARKER", "w");
    if (f) { fputs("a library from the working folder was loaded\\n", f); fclose(f); }
}
"""


def test_cli_loads_no_library_from_the_working_folder(bundle, samples, tmp_path_factory):
    """A user checks files where they are, e.g. in a Downloads folder, which may hold a file
    named like one of the app's native libraries. The app must load only its own copy."""
    import shutil

    compiler = shutil.which("cc") or shutil.which("gcc")
    if not LINUX or compiler is None:
        pytest.skip("needs a C compiler on Linux to build the planted library")
    box = Sandbox(tmp_path_factory.mktemp("hostile-cwd")).make()
    marker = box.root / "loaded.txt"
    source = box.root / "planted.c"
    source.write_text(HOSTILE_LIBRARY_C.replace("MARKER", str(marker)), encoding="utf-8")
    planted = box.cwd / "libc2pa_c.so"  # the name c2pa-python looks for
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(planted), str(source)], check=True)
    run = run_program(bundle, [str(bundle.cli), "check", "--json", "--no-detector",
                               "--no-explicit", str(samples["c2pa.jpg"].path)], box,
                      CLI_TIMEOUT_S, extra_allowed=(planted,))
    assert not marker.exists(), "the app loaded libc2pa_c.so from the working folder"
    result = json.loads(run.proc.stdout)
    assert (result["verdict"], result["reason"]["code"]) == ("confirmed", "c2pa-ai")


# -- the report log and the complaint package ---------------------------------------------------
@pytest.fixture(scope="module")
def report_runs(bundle, samples, tmp_path_factory) -> dict:
    """File a report (writes the log in the data folder), export it as a complaint package
    (ZIP with a Chinese PDF and the verifier's source) and verify the package, in one home."""
    box = Sandbox(tmp_path_factory.mktemp("report-run")).make()
    out = box.root / "out"
    out.mkdir()
    cli = str(bundle.cli)
    filed = run_program(bundle, [cli, "report", str(samples["labelled.png"].path), "--json",
                                 "--lang", "en"], box, CLI_TIMEOUT_S)
    assert filed.proc.returncode == 0, filed.proc.stderr[-3000:]
    report_id = json.loads(filed.proc.stdout)["report_id"]
    package = out / "pkg.zip"
    exported = run_program(bundle, [cli, "log", "export", "--ids", report_id, "--out",
                                    str(package)], box, CLI_TIMEOUT_S, extra_allowed=(out,))
    checked = run_program(bundle, [cli, "verify-package", str(package), "--json"], box,
                          CLI_TIMEOUT_S, extra_allowed=(out,))
    return {"report": filed, "export": exported, "verify": checked, "package": package}


def test_cli_files_a_report_and_exports_a_verifiable_package(report_runs):
    for step in ("report", "export", "verify"):
        proc = report_runs[step].proc
        assert proc.returncode == 0, (step, proc.stderr[-3000:])
        assert not _trouble(proc.stderr), (step, proc.stderr[-3000:])
    assert json.loads(report_runs["verify"].proc.stdout)["ok"] is True
    with zipfile.ZipFile(report_runs["package"]) as zf:
        verify_py = zf.read("verify.py")
        pdf = zf.read("complaint.pdf")
    # the verifier's source travels unchanged (a data file in the bundle, not byte code)
    source = ROOT / "desktop" / "aigcverify" / "export" / "standalone_verify.py"
    assert verify_py == source.read_bytes()
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert re.search(r"[\u4e00-\u9fff]{4}", text), "no Chinese text: the CJK font is missing"


def test_report_log_writes_only_in_the_data_folder(report_runs, bundle, samples):
    box = report_runs["report"].box
    assert any(box.data.rglob("*.db")), "the report log was not written in the data folder"
    for step in ("report", "export", "verify"):
        run = report_runs[step]
        check_folders(run, bundle, samples)
        if run.trace is not None:
            assert write_violations(run) == [], step
            assert network_violations(run.trace) == [], step


# -- the GUI ----------------------------------------------------------------------------------
GUI_SAMPLES = ("labelled.png", "c2pa.jpg", "photo.jpg")


@pytest.fixture(scope="module")
def gui_run(bundle, samples, tmp_path_factory) -> Run:
    box = Sandbox(tmp_path_factory.mktemp("gui-run")).make()
    shot = box.root / "out" / "screenshot.png"
    shot.parent.mkdir()
    argv = [str(bundle.gui), "--screenshot", str(shot), "--lang", "zh",
            *(str(samples[n].path) for n in GUI_SAMPLES)]
    return run_program(bundle, argv, box, GUI_TIMEOUT_S, extra_allowed=(shot.parent,))


def test_gui_screenshot_offscreen(gui_run):
    from PIL import Image

    proc = gui_run.proc
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not _trouble(proc.stderr), proc.stderr[-3000:]
    shot = gui_run.extra_allowed[0] / "screenshot.png"
    with Image.open(shot) as img:
        assert img.width >= 400 and img.height >= 300
        colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is None or len(colours) > 50, "the screenshot is blank"


def test_gui_checks_files_in_frozen_worker_processes(gui_run, samples):
    """The window's own process may read a file for its preview; the check itself must run
    in workers forked by the frozen fork server."""
    trace = gui_run.trace
    if trace is None:
        pytest.skip("needs strace on Linux")
    main = trace.processes_execing("--screenshot")
    servers = trace.processes_execing("from multiprocessing.forkserver import main")
    assert len(main) == 1 and len(servers) == 1, trace.execs
    for name in GUI_SAMPLES:
        workers = trace.readers_of(str(samples[name].path)) - main - servers
        assert workers, f"{name} was not checked in a worker process"


def test_gui_writes_nothing_outside_the_data_folder(gui_run, bundle, samples):
    check_folders(gui_run, bundle, samples)
    if gui_run.trace is not None:
        assert write_violations(gui_run) == []


def test_gui_touches_no_network(gui_run):
    if gui_run.trace is None:
        pytest.skip("needs strace on Linux")
    assert network_violations(gui_run.trace) == []
