"""Regenerate docs/screenshots/*.png with the app's own --screenshot mode.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/gui/make_screenshots.py [OUT_DIR]

The sample files are drawn here with Pillow (no third-party pictures): a landscape with
an implicit label 1 / 2 / 3, one with a visible "AI生成" label in its corner and no implicit
label, one with broken labels (the problems list), a plain picture and a damaged file.
Each state is shot in Chinese and English; the queue always holds every sample.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont, PngImagePlugin

ROOT = Path(__file__).resolve().parents[2]
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
DOUBAO = "001191110102MACQD9K64010000"
TENCENT = "001191440300708461136T1XGW3"

# name -> (file in the queue, row to show, extra args)
STATES = {
    "confirmed": ("1-confirmed.png", 0, []),
    "confirmed-provenance": ("1-confirmed.png", 0, ["--tab", "provenance"]),
    "declared": ("2-declared.png", 1, []),
    "suspected-explicit-label": ("3-visible-label.png", 2, []),
    "problems": ("4-broken-labels.jpg", 3, []),
    "none": ("5-photo.jpg", 4, []),
    "none-publisher-declared": ("5-photo.jpg", 4, ["--declared"]),
    "unreadable": ("6-damaged.png", 5, []),
}


def scene(w: int = 960, h: int = 640, seed: int = 1, label: str | None = None) -> Image.Image:
    rnd = random.Random(seed)
    img = Image.new("RGB", (w, h))
    d = ImageDraw.Draw(img)
    for y in range(h):  # sky
        t = y / h
        d.line([(0, y), (w, y)], fill=(int(90 + 120 * t), int(150 + 70 * t), int(230 - 40 * t)))
    d.ellipse([w * 0.7, h * 0.12, w * 0.7 + 90, h * 0.12 + 90], fill=(255, 214, 120))
    for layer, (base, colour) in enumerate(((0.55, (70, 120, 90)), (0.68, (50, 100, 70)),
                                            (0.8, (35, 80, 55)))):
        pts = [(0, h)]
        for x in range(0, w + 20, 20):
            wave = 40 * math.sin(x / (90 + 40 * layer) + seed + layer)
            pts.append((x, h * base + wave + rnd.uniform(-6, 6)))
        pts.append((w, h))
        d.polygon(pts, fill=colour)
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    if label:
        d = ImageDraw.Draw(img)
        font = ImageFont.truetype(CJK_FONT, int(min(w, h) * 0.07))
        box = d.textbbox((0, 0), label, font=font)
        tw, th = box[2] - box[0], box[3] - box[1]
        x, y = w - tw - 24, h - th - 28
        d.rounded_rectangle([x - 10, y - 8, x + tw + 10, y + th + 14], 8, fill=(0, 0, 0))
        d.text((x - box[0], y - box[1]), label, font=font, fill=(255, 255, 255))
    return img


def label(value: str, producer: str = DOUBAO, **extra: object) -> str:
    content_id = f"{producer[-5:]}-{value}-7f3a"
    fields = {"Label": value, "ContentProducer": producer, "ProduceID": content_id,
              "ReservedCode1": "", "ContentPropagator": producer, "PropagateID": content_id,
              "ReservedCode2": ""}
    fields.update(extra)
    return json.dumps(fields, ensure_ascii=False)


def make_samples(folder: Path) -> list[str]:
    def png(name: str, img: Image.Image, chunks: list[tuple[str, str]]) -> str:
        info = PngImagePlugin.PngInfo()
        for key, value in chunks:
            info.add_itxt(key, value) if not value.isascii() else info.add_text(key, value)
        path = folder / name
        img.save(path, format="PNG", pnginfo=info)
        return str(path)

    files = [
        png("1-confirmed.png", scene(seed=1), [("AIGC", label("1"))]),
        png("2-declared.png", scene(seed=2), [("AIGC", label("2", TENCENT))]),
        png("3-visible-label.png", scene(seed=4, label="AI生成"), []),
    ]
    # two labels that disagree, one with a missing field and an unknown key, in a PNG named .jpg
    other = json.dumps({"Label": "3", "ContentProducer": "某某平台", "produceid": "x"},
                       ensure_ascii=False)
    broken = png("4-broken-labels.png", scene(seed=5),
                 [("AIGC", label("1", ProduceID="")), ("AIGC", other)])
    files.append(str(Path(broken).rename(folder / "4-broken-labels.jpg")))
    photo = folder / "5-photo.jpg"
    scene(seed=3).save(photo, quality=90)
    files.append(str(photo))
    damaged = folder / "6-damaged.png"
    damaged.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\xff\xff")
    files.append(str(damaged))
    return files


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "samples"
        folder.mkdir()
        files = make_samples(folder)
        env["AIGCVERIFY_HOME"] = str(Path(tmp) / "home")
        for lang in ("zh", "en"):
            for state, (_, row, extra) in STATES.items():
                target = out / f"{state}-{lang}.png"
                cmd = [sys.executable, "-m", "aigcverify_gui", "--screenshot", str(target),
                       "--lang", lang, "--select", str(row), *extra, *files]
                proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
                if proc.returncode != 0:
                    print(proc.stderr, file=sys.stderr)
                    return proc.returncode
                print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
