"""Zero network: a whole user workflow runs with no network at all, opens no Internet socket and
writes nothing outside the data folder and the temp folder.

The workflow (the real CLI, one process per command, as a person would type them): check 51
mixed files with every stage on (OCR, C2PA incl. a remote-manifest file, the detector), file a
report keeping the original, export the complaint package, verify it with the app and with the
package's own verify.py, verify the log. It runs inside a network namespace without interfaces
(`unshare -rn`, or `unshare -n` as root) under `strace -f`, which records every socket and
every call that can create, change or remove a file. Each "off by construction" switch has its
own unit test below: onnxruntime telemetry, C2PA remote fetch and OCSP through the pipeline,
FFmpeg's protocols (every av.open in the core is whitelisted to `file`).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "desktop" / "aigcverify"
WRITE_CALLS = ("creat", "rename", "renameat", "renameat2", "mkdir", "mkdirat", "unlink",
               "unlinkat", "link", "linkat", "symlink", "symlinkat", "truncate", "rmdir")
TRACED = ("socket", "connect", "open", "openat") + WRITE_CALLS
WRITE_FLAGS = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND")
INET = re.compile(r"\b(AF_INET6?|PF_INET6?)\b")
# kernel/pseudo files a process may open for writing without writing anywhere on disk
PSEUDO_WRITES = ("/dev/null", "/dev/shm/", "/dev/tty", "/proc/self/", "/proc/thread-self/")

# -- the workflow ---------------------------------------------------------------------------------
DRIVER = r'''
import json, os, subprocess, sys, zipfile
files, out = sys.argv[1], sys.argv[2]
cli = [sys.executable, "-m", "aigcverify"]
steps = {}
def run(name, args, stdin=None):
    p = subprocess.run(args, capture_output=True, text=True, input=stdin, timeout=300)
    steps[name] = {"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr[-4000:]}
    return p
run("versions", [sys.executable, "-c",
                 "from aigcverify.versions import check_versions; check_versions(); print('ok')"])
run("check", cli + ["check", "--json", "--lang", "en", files])
report = run("report", cli + ["report", os.path.join(files, "ocr-label.jpg"), "--keep-original",
                              "--lang", "en", "--json"])
try:
    report_id = json.loads(report.stdout)["report_id"]
except (ValueError, KeyError):
    report_id = report.stdout.strip()
package = os.path.join(out, "package.zip")
run("export", cli + ["log", "export", "--ids", report_id, "--out", package, "--lang", "en",
                     "--pdf-lang", "en"])
run("verify-package", cli + ["verify-package", package, "--json", "--lang", "en"])
run("log-verify", cli + ["log", "verify", "--json", "--lang", "en"])
if os.path.exists(package):
    with zipfile.ZipFile(package) as z:
        source = z.read("verify.py").decode("utf-8")
    run("standalone-verify", [sys.executable, "-", package], stdin=source)
print(json.dumps(steps))
'''


@dataclass
class Workflow:
    steps: dict
    results: list[dict]
    sockets: list[str]
    inet: list[str]
    writes: list[tuple[str, str]]  # (syscall, path) outside the allowed folders
    every_write: list[str]
    allowed: tuple[str, ...]
    isolation: str
    notes: list[str] = field(default_factory=list)


def _isolation() -> list[str] | None:
    """The command prefix that gives a network namespace without interfaces, or None."""
    if not shutil.which("unshare"):
        return None
    for prefix in (["unshare", "-rn"], ["unshare", "-n"]):
        probe = subprocess.run(prefix + ["true"], capture_output=True)
        if probe.returncode == 0:
            return prefix
    return None


def _mixed_files(folder: Path, seeds: Path) -> list[Path]:
    """51 files: every carrier family, C2PA (signed, tampered, edited, remote), pictures for the
    detector, two pictures and a video with a visible 'AI生成' label for OCR, two truncated and
    two bit-flipped files."""
    from bench.fuzz_seeds import PIPELINE_FAMILIES, build_family  # noqa: PLC0415
    from tests.fixtures.c2pa_fixtures import make_c2pa_jpeg  # noqa: PLC0415
    from tests.fixtures.explicit_fixtures import (CJK_FONT, label_image,  # noqa: PLC0415
                                                  make_label_video)

    for family in (*PIPELINE_FAMILIES, "c2pa", "pixels"):
        for p in build_family(seeds, family):
            shutil.copyfile(p, folder / f"{family}-{p.name}")
    make_c2pa_jpeg(folder / "c2pa-remote.jpg",
                   remote_url="https://c2pa.example.com/manifests/remote.c2pa")
    font = CJK_FONT if CJK_FONT.exists() else ROOT / "resources" / "fonts" / "wqy-microhei.ttc"
    label_image(folder / "ocr-label.jpg", "AI生成", 0.06, "bottom-right", size=(640, 360),
                background=(200, 200, 200), font_path=font)
    label_image(folder / "ocr-label-2.png", "人工智能生成", 0.06, "top-left", size=(480, 480),
                background=(40, 60, 90), quality=None, font_path=font)
    make_label_video(folder / "ocr-label-video.mp4", [(0.0, 2.5)], size=(320, 180), duration=2.5,
                     fps=10, font_path=font)
    for name in ("carrier-isobmff-a.mp4", "carrier-png-a.png"):
        data = (folder / name).read_bytes()
        (folder / f"truncated-{name}").write_bytes(data[: len(data) // 2])
    for name in ("carrier-jpeg-a.jpg", "carrier-ooxml-a.docx"):
        data = bytearray((folder / name).read_bytes())
        for i in range(7, len(data), max(1, len(data) // 12)):
            data[i] ^= 0x5A
        (folder / f"bitflip-{name}").write_bytes(bytes(data))
    return sorted(folder.iterdir())


def _parse_trace(text: str, allowed: tuple[str, ...]) -> tuple[list, list, list, list]:
    """(socket/connect lines, Internet ones, writes outside `allowed`, every write path)."""
    sockets, inet, writes, every = [], [], [], []
    for line in text.splitlines():
        m = re.match(r"\d+\s+(\w+)\((.*)\)\s+=\s+(-?\d+)", line)
        if not m:
            continue
        call, args, rc = m.group(1), m.group(2), int(m.group(3))
        if call in ("socket", "connect"):
            sockets.append(line)
            if INET.search(args) and (call == "socket" or rc >= 0 or "EINPROGRESS" in line):
                inet.append(line)
            continue
        if rc < 0:
            continue
        if call in ("open", "openat") and not WRITE_FLAGS.search(args):
            continue
        base = re.match(r"(?:AT_FDCWD|\d+)<([^>]*)>", args)  # -y: the dirfd's path
        for path in re.findall(r'"((?:[^"\\]|\\.)*)"', args):
            full = path if path.startswith("/") or base is None else \
                os.path.join(base.group(1), path)
            every.append(full)
            if not full.startswith(allowed) and not full.startswith(PSEUDO_WRITES):
                writes.append((call, full))
    return sockets, inet, writes, every


@pytest.fixture(scope="module")
def workflow(tmp_path_factory) -> Workflow:
    prefix = _isolation()
    strace = shutil.which("strace")
    if prefix is None and strace is None:
        pytest.skip("neither a network namespace (unshare) nor strace is available here")
    base = tmp_path_factory.mktemp("zero-network")
    files, data, temp, home, out = (base / n for n in ("files", "data", "tmp", "home", "out"))
    for d in (files, data, temp, home, out):
        d.mkdir()
    mixed = _mixed_files(files, tmp_path_factory.mktemp("seeds"))
    assert len(mixed) == 51
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "AIGCVERIFY_HOME": str(data), "TMPDIR": str(temp), "LANG": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1", "QT_QPA_PLATFORM": "offscreen"}
    trace = base / "trace.txt"
    cmd = [sys.executable, "-c", DRIVER, str(files), str(out)]
    if strace:
        # --seccomp-bpf stops only at the traced calls (several times faster); strace < 5.3
        # lacks it
        fast = subprocess.run([strace, "-f", "--seccomp-bpf", "-e", "trace=socket", "-o",
                               os.devnull, "true"], capture_output=True).returncode == 0
        cmd = [strace, "-f", "-qq", "-y", *(["--seccomp-bpf"] if fast else []), "-o",
               str(trace), "-e", "trace=" + ",".join(TRACED)] + cmd
    cmd = (prefix or []) + cmd
    proc = subprocess.run(cmd, cwd=temp, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    steps = json.loads(proc.stdout.strip().splitlines()[-1])
    results = [json.loads(line) for line in steps["check"]["stdout"].splitlines() if line]
    # the user picked `out` for the package; the package is the only thing allowed there
    allowed = (str(data), str(temp), str(out / "package.zip"), str(out / ".package.zip"))
    sockets, inet, writes, every = _parse_trace(trace.read_text(), allowed) if strace else \
        ([], [], [], [])
    wf = Workflow(steps, results, sockets, inet, writes, every, allowed,
                  " ".join(prefix) if prefix else "none")
    if not strace:
        wf.notes.append("strace not installed: sockets and writes not traced")
    if prefix is None:
        wf.notes.append("no network namespace: isolation not enforced")
    return wf



@pytest.mark.slow
def test_whole_workflow_succeeds_offline(workflow):
    steps = workflow.steps
    for name in ("versions", "check", "report", "export", "verify-package", "log-verify",
                 "standalone-verify"):
        assert name in steps, f"step {name} did not run"
        assert steps[name]["rc"] == 0, (name, steps[name]["stderr"])
    assert len(workflow.results) == 51
    assert json.loads(steps["verify-package"]["stdout"])["ok"] is True


@pytest.mark.slow
def test_every_stage_ran_offline(workflow):
    by_name = {r["file"]["name"]: r for r in workflow.results}
    stages = {s for r in workflow.results for s in r["stages"]}
    assert {"metadata", "explicit", "detector"} <= stages, stages
    ocr = by_name["ocr-label.jpg"]
    assert ocr["explicit_labels"], "OCR did not find the visible label"
    remote = by_name["c2pa-remote.jpg"]["c2pa"]
    assert remote and remote["remote_manifest"] and remote["state"] == "not_checked"
    assert by_name["c2pa-a.jpg"]["c2pa"]["state"] in ("valid", "trusted")
    assert any(r["detector"] and "score" in r["detector"] for r in workflow.results)
    intact = {n: r for n, r in by_name.items() if not n.startswith(("truncated-", "bitflip-"))}
    unreadable = [n for n, r in intact.items() if r["verdict"] == "unreadable"]
    assert not unreadable, {n: [p["code"] for p in by_name[n]["problems"]] for n in unreadable}
    # a worker that died or timed out on an intact file is a bug, even if the verdict stood
    crashed = {n: p.get("detail") for n, r in intact.items() for p in r["problems"]
               if p["code"] == "analysis-incomplete"}
    assert not crashed, crashed


@pytest.mark.slow
def test_no_internet_socket_was_opened(workflow):
    if not shutil.which("strace"):
        pytest.skip("strace not installed (apt-get install strace)")
    assert workflow.isolation != "none"
    assert workflow.sockets, "the trace saw no socket at all: is strace tracing children?"
    assert workflow.inet == [], workflow.inet[:5]


@pytest.mark.slow
def test_nothing_written_outside_data_and_temp(workflow):
    if not shutil.which("strace"):
        pytest.skip("strace not installed (apt-get install strace)")
    data = workflow.allowed[0]
    assert any(p.startswith(data) for p in workflow.every_write), \
        "the trace saw no write into the data folder: is the write tracing working?"
    assert workflow.writes == [], sorted(set(workflow.writes))[:20]


# -- off by construction ------------------------------------------------------------------------
class _Listener:
    """A TCP listener on 127.0.0.1 that records every connection (a fetch attempt)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits: list[bytes] = []
        self.hit = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.hits.append(conn.recv(200))
                except OSError:
                    self.hits.append(b"")
            self.hit.set()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    lst = _Listener()
    yield lst
    lst.close()


def test_onnxruntime_telemetry_is_off_in_every_process():
    """ORT_DISABLE_TELEMETRY=1 is in the environment before onnxruntime can be imported: in the
    main process and in a worker (forkserver children inherit it)."""
    code = ("import os, sys; import aigcverify; "
            "assert 'onnxruntime' not in sys.modules; import onnxruntime; "
            "from aigcverify.worker import _context; ctx = _context(); "
            "r, w = ctx.Pipe(); "
            "p = ctx.Process(target=__import__('tests.core.test_zero_network', fromlist=['x'])"
            "._send_env, args=(w,)); p.start(); "
            "print(os.environ.get('ORT_DISABLE_TELEMETRY'), r.recv()); p.join()")
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "desktop")])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["1", "1"]


def _send_env(conn) -> None:
    conn.send(os.environ.get("ORT_DISABLE_TELEMETRY"))


def test_c2pa_remote_manifest_and_ocsp_never_fetched_through_the_pipeline(tmp_path, listener):
    """Through check_file and a worker, a file pointing at a remote manifest and signed by a
    certificate naming an OCSP responder contacts neither (both are a local listener here)."""
    from aigcverify.pipeline import CheckOptions  # noqa: PLC0415
    from aigcverify.worker import WorkerPool  # noqa: PLC0415
    from tests.fixtures.c2pa_fixtures import make_c2pa_jpeg, signing_chain  # noqa: PLC0415

    remote = make_c2pa_jpeg(tmp_path / "remote.jpg", remote_url=listener.url("/m.c2pa"))
    ocsp = make_c2pa_jpeg(tmp_path / "ocsp.jpg", chain=signing_chain(ocsp_url=listener.url("/o")))
    with WorkerPool(workers=1) as pool:
        results = pool.run([str(remote), str(ocsp)], CheckOptions(detector=False, explicit=False,
                                                                  lang="en"))
    assert not listener.hit.wait(1.0), listener.hits
    assert results[0]["c2pa"]["remote_manifest"] is True
    assert "c2pa-remote-not-fetched" in [p["code"] for p in results[0]["problems"]]
    assert results[1]["c2pa"]["state"] in ("valid", "trusted")


def _playlist(tmp_path: Path, listener: _Listener) -> Path:
    """An HLS playlist whose only segment is on the listener: FFmpeg fetches it unless the
    protocol whitelist forbids everything but local files."""
    path = tmp_path / "stream.m3u8"
    path.write_text("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
                    "#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.0,\n"
                    f"{listener.url('/segment0.ts')}\n#EXT-X-ENDLIST\n", encoding="ascii")
    return path


def _openers():
    """Every function of the core that hands a path to FFmpeg, called the way the core does."""
    from aigcverify.detect import video as detect_video  # noqa: PLC0415
    from aigcverify.export import thumbnail  # noqa: PLC0415

    openers = {"detect.video.sample_frames": lambda p: list(detect_video.sample_frames(p)),
               "export.thumbnail._keyframe": thumbnail._keyframe}
    try:
        from aigcverify.explicit import audio_rhythm, video  # noqa: PLC0415
    except ImportError:
        return openers
    openers["explicit.video.sample_frames"] = lambda p: video.sample_frames(p, "mp4")
    openers["explicit.audio_rhythm.decode_mono"] = lambda p: audio_rhythm.decode_mono(p, "mp4")
    return openers


def test_ffmpeg_cannot_reach_the_network(tmp_path, listener):
    """A playlist naming an http:// segment is opened by every FFmpeg entry of the core; none
    may connect. (FFmpeg's HLS demuxer already narrows a local playlist's protocols to
    file,crypto,data; the core's explicit whitelist keeps it so, whatever the demuxer.)"""
    path = _playlist(tmp_path, listener)
    import av  # noqa: PLC0415

    # positive control: with http allowed, PyAV does follow the playlist to the listener
    try:
        with av.open(str(path), timeout=3,
                     options={"protocol_whitelist": "file,http,tcp,crypto,data"}) as container:
            container.streams  # noqa: B018
    except av.FFmpegError:
        pass  # the listener sends no valid segment: the fetch attempt is what counts
    assert listener.hit.wait(5), "control failed: FFmpeg did not fetch the playlist segment"
    listener.hits.clear()
    listener.hit.clear()
    for name, opener in _openers().items():
        try:
            opener(str(path))
        except Exception as err:  # noqa: BLE001 - refusing to open is the expected outcome
            assert not isinstance(err, AssertionError), name
        assert not listener.hit.wait(0.5), f"{name} fetched {listener.hits}"


def _whitelisted(call: ast.Call, module: ast.Module) -> bool:
    """Whether av.open(...) passes options or container_options with protocol_whitelist "file"
    (a dict literal, a module-level constant holding one, or dict(CONSTANT))."""
    def is_file_dict(node: ast.AST) -> bool:
        return isinstance(node, ast.Dict) and any(
            isinstance(k, ast.Constant) and k.value == "protocol_whitelist"
            and isinstance(v, ast.Constant) and v.value == "file"
            for k, v in zip(node.keys, node.values))

    for kw in call.keywords:
        if kw.arg not in ("options", "container_options"):
            continue
        value = kw.value
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                and value.func.id == "dict" and len(value.args) == 1):
            value = value.args[0]  # dict(CONSTANT): a copy of the constant
        if is_file_dict(value):
            return True
        if isinstance(value, ast.Name):
            for stmt in module.body:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else \
                    [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
                if any(isinstance(t, ast.Name) and t.id == value.id for t in targets) \
                        and is_file_dict(stmt.value):
                    return True
    return False


def test_every_av_open_in_the_core_is_whitelisted_to_local_files():
    calls = []
    for path in sorted(CORE.rglob("*.py")):
        module = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(module):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "open" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "av"):
                calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", _whitelisted(node, module)))
    assert calls, "no av.open found: has the video code moved?"
    assert [c for c, ok in calls if not ok] == []
