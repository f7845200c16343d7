"""`aigcverify report` and `aigcverify log ...` / `verify-package` on real files, with their
exit codes: 0 done, 1 does not verify, 2 bad input, 3 log unusable, 4 no such report."""

import json
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from aigcverify.cli import main

LABEL = {"Label": "1", "ContentProducer": "001191110108MA01KP2T5U00000", "ProduceID": "cli-1",
         "ReservedCode1": "", "ContentPropagator": "", "PropagateID": "", "ReservedCode2": ""}


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("AIGCVERIFY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AIGCVERIFY_LANG", "zh_CN")
    image = Image.new("RGB", (64, 48), (10, 200, 90))
    info = PngImagePlugin.PngInfo()
    info.add_text("AIGC", json.dumps(LABEL))
    image.save(tmp_path / "图.png", format="PNG", pnginfo=info)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.slow
def test_report_list_show_verify_export(env, capsys):
    code, out, err = run(capsys, "report", str(env / "图.png"), "--platform", "微博",
                         "--url", "https://weibo.com/9/x", "--type", "unlabeled-ai",
                         "--note", "没有标识", "--keep-original", "--no-detector", "--no-explicit")
    assert code == 0, err
    report_id = out.strip()
    assert report_id.startswith("R-") and "确认为AI生成" in err
    code, out, err = run(capsys, "log", "list")
    assert code == 0 and report_id in out and "微博" in out and "共 1 份报告" in err
    code, out, _ = run(capsys, "log", "list", "--verdict", "none", "--json")
    assert code == 0 and out == ""
    code, out, _ = run(capsys, "log", "show", report_id)
    assert code == 0 and "没有标识" in out and "SHA-256" in out
    code, out, _ = run(capsys, "log", "edit", report_id, "--account", "@x", "--reason", "补充")
    assert code == 0 and out.strip() == f"{report_id}/2"
    code, out, _ = run(capsys, "log", "show", report_id, "--history", "--json")
    versions = [json.loads(line) for line in out.splitlines()]
    assert [v["rev"] for v in versions] == [1, 2]
    assert versions[1]["body"]["seen"]["account"] == "@x"
    assert versions[1]["body"]["complaint"]["description"] == "没有标识"  # kept
    code, out, err = run(capsys, "log", "verify", "--json")
    assert code == 0 and json.loads(out)["ok"] and "哈希链完好" in err
    pkg = env / "pkg.zip"
    code, out, err = run(capsys, "log", "export", "--ids", report_id, "--out", str(pkg))
    assert code == 0 and Path(out.strip()) == pkg and "SHA-256" in err
    with zipfile.ZipFile(pkg) as zf:
        assert f"originals/{report_id}.png" in zf.namelist()
    code, _, err = run(capsys, "verify-package", str(pkg))
    assert code == 0 and "核验通过" in err
    data = bytearray(pkg.read_bytes())
    data[100] ^= 0xFF
    (env / "bad.zip").write_bytes(bytes(data))
    code, out, err = run(capsys, "verify-package", str(env / "bad.zip"), "--json")
    assert code == 1 and not json.loads(out)["ok"] and "核验未通过" in err
    code, _, err = run(capsys, "log", "export", "--csv", "--out", str(env / "log.csv"))
    assert code == 0 and (env / "log.csv").read_text(encoding="utf-8-sig").startswith("报告编号")
    code, out, _ = run(capsys, "log", "withdraw", report_id, "--reason", "重复")
    assert code == 0 and out.strip() == f"{report_id}/3"
    code, out, _ = run(capsys, "log", "list", "--all")
    assert "[已撤回]" in out


def test_exit_codes(env, capsys):
    assert run(capsys, "log", "show", "R-20250101-DEADBEEF")[0] == 4
    code, _, err = run(capsys, "report", str(env / "图.png"), "--url", "javascript:alert(1)",
                       "--no-detector", "--no-explicit")
    assert code == 2 and "url" in err
    code, _, _ = run(capsys, "report", str(env / "图.png"), "--no-detector", "--no-explicit",
                     "--no-preview", "--lang", "en")
    assert code == 0
    conn = sqlite3.connect(env / "home" / "reports.db")
    conn.execute("DROP TRIGGER entries_append_only_update")
    conn.execute("UPDATE entries SET body = replace(body, 'png', 'jpg')")
    conn.commit()
    conn.close()
    code, _, err = run(capsys, "log", "verify", "--lang", "en")
    assert code == 1 and "breaks at entry #1" in err
    assert run(capsys, "log", "export", "--out", str(env / "x.zip"))[0] == 2
    (env / "home" / "reports.db").write_bytes(b"not a database at all" * 100)
    for suffix in ("-wal", "-shm"):
        (env / "home" / f"reports.db{suffix}").unlink(missing_ok=True)
    code, _, err = run(capsys, "log", "list")
    assert code == 3 and "损坏" in err and "完好无损" in err


def test_report_with_an_earlier_check_result_and_console_script(env, capsys):
    code, out, _ = run(capsys, "check", "--json", "--no-detector", "--no-explicit",
                       str(env / "图.png"))
    assert code == 0
    (env / "result.json").write_text(out, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "aigcverify", "report", str(env / "图.png"),
                           "--result", str(env / "result.json"), "--json", "--no-preview"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] == "confirmed"
    (env / "图.png").write_bytes(b"changed")
    code, _, err = run(capsys, "report", str(env / "图.png"), "--result", str(env / "result.json"))
    assert code == 2 and "改动" in err


def test_hostile_file_names_do_not_reach_the_terminal(env, capsys):
    hostile = env / "x\x1b[2J\u202eevil.png"
    (env / "图.png").rename(hostile)
    code, out, _ = run(capsys, "report", str(hostile), "--no-detector", "--no-explicit",
                       "--no-preview")
    assert code == 0
    for argv in (("log", "list"), ("log", "show", out.strip())):
        code, text, _ = run(capsys, *argv)
        assert code == 0 and "evil.png" in text
        assert "\x1b" not in text and "\u202e" not in text
