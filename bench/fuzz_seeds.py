"""Seed inputs for the fuzz targets and the corpus test, written by the project's own fixture
writers (Pillow, PyAV, mutagen, c2pa-python, zipfile, the real report/export CLI).

    families = build_seeds(folder)          # {family: [Path, ...]}, see SEED_FAMILIES
    mutate(data, rng)                        # one truncation / bit flip / splice / insertion

Seeds are cached in `folder` (rebuilt when a family's folder is missing). Nothing here is
committed media; every file is generated.
"""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

__all__ = ["SEED_FAMILIES", "build_seeds", "build_family", "mutate", "all_seed_files",
           "apply_ops", "mutation_strategy", "MUTATION_OPS"]

log = logging.getLogger(__name__)

Writer = Callable[[Path], list[Path]]


def _label(**overrides: str) -> str:
    from tests.fixtures.image_fixtures import label_json  # noqa: PLC0415

    return label_json(**overrides)


def _xmp(text: str | None = None, form: str = "element") -> bytes:
    from tests.fixtures.image_fixtures import xmp_packet  # noqa: PLC0415

    return xmp_packet(text or _label(), form)


def _images(kind: str) -> Writer:
    def write(d: Path) -> list[Path]:
        from tests.fixtures import image_fixtures as im  # noqa: PLC0415

        wrapped = im.label_json(wrapped=True)
        if kind == "jpeg":
            return [im.write_jpeg(d / "a.jpg", xmp=_xmp(), comment=im.SAMPLE_JSON),
                    im.write_jpeg(d / "b.jpg", exif=im.exif_object(user_comment=wrapped),
                                  app11_aigc=im.SAMPLE_JSON, c2pa=True),
                    im.write_jpeg(d / "c.jpg", xmp=_xmp(form="fields"),
                                  extended_xmp=_xmp(form="attribute"), extended_chunk=300)]
        if kind == "png":
            return [im.write_png(d / "a.png", text={"AIGC": im.SAMPLE_JSON}, ztxt={"z": wrapped}),
                    im.write_png(d / "b.png", xmp=_xmp(), xmp_compressed=True,
                                 exif=im.exif_bytes(user_comment=wrapped), after_idat=True)]
        if kind == "webp":
            return [im.write_webp(d / "a.webp", xmp=_xmp(), exif=im.exif_bytes(software="s"),
                                  c2pa=True)]
        if kind == "gif":
            return [im.write_gif(d / "a.gif", xmp=_xmp(), comment=im.SAMPLE_JSON, frames=2),
                    im.write_gif(d / "b.gif", c2pa=True)]
        return [im.write_tiff(d / "a.tif", xmp=_xmp(), description=wrapped),
                im.write_tiff(d / "b.tif", software="s", big_endian=True)]

    return write


def _isobmff(d: Path) -> list[Path]:
    from tests.fixtures import av_fixtures as av  # noqa: PLC0415

    label = av.av_label()
    return [av.write_mp4(d / "a.mp4", aigc=label, form="keys"),
            av.write_mp4(d / "b.mov", aigc=label, form="udta", container="mov"),
            av.write_mp4(d / "c.mp4", aigc=label, form="uuid-xmp"),
            av.write_heif_bytes(d / "d.heic", xmp=_xmp(), c2pa=b"jumb")]


def _id3(d: Path) -> list[Path]:
    from tests.fixtures import av_fixtures as av  # noqa: PLC0415

    return [av.write_mp3(d / "a.mp3", txxx={"AIGC": av.av_label()}, comment="c"),
            av.write_mp3(d / "b.mp3", txxx={"AIGC": av.av_label()}, v2_version=3, encoding=1,
                         id3v1={"title": "t"})]


def _riff(d: Path) -> list[Path]:
    from tests.fixtures import av_fixtures as av  # noqa: PLC0415

    return [av.write_wav(d / "a.wav", aigc_chunk=av.av_label(), info={"ICMT": "c"},
                         xmp=_xmp()),
            av.write_avi(d / "b.avi", info={"ICMT": av.av_label()})]


def _vorbis(d: Path) -> list[Path]:
    from tests.fixtures import av_fixtures as av  # noqa: PLC0415

    return [av.write_flac(d / "a.flac", comments={"AIGC": av.av_label()}),
            av.write_ogg(d / "b.ogg", comments={"AIGC": av.av_label()})]


def _ebml(d: Path) -> list[Path]:
    from tests.fixtures import av_fixtures as av  # noqa: PLC0415

    return [av.write_mkv_bytes(d / "a.webm", tags={"AIGC": av.av_label()}, cluster_bytes=256),
            av.write_mkv(d / "b.mkv", tags={"AIGC": av.av_label()})]


def _flv(d: Path) -> list[Path]:
    from tests.fixtures import av_fixtures as av  # noqa: PLC0415

    return [av.write_flv_bytes(d / "a.flv", props={"AIGC": av.av_label(), "n": 1.0})]


def _pdf(d: Path) -> list[Path]:
    from tests.fixtures import doc_fixtures as doc  # noqa: PLC0415

    return [doc.write_pdf(d / "a.pdf", info={"/AIGC": doc.label_json()}, xmp=_xmp()),
            doc.write_objstm_pdf(d / "b.pdf", {"AIGC": doc.label_json()})]


def _ooxml(d: Path) -> list[Path]:
    from tests.fixtures import doc_fixtures as doc  # noqa: PLC0415

    return [doc.write_ooxml(d / "a.docx", custom={"AIGC": doc.label_json()}),
            doc.write_ooxml(d / "b.xlsx", "xlsx", custom={"AIGC": doc.label_json()}),
            doc.write_ooxml(d / "c.pptx", "pptx", paragraphs=("AI生成",))]


def _text(d: Path) -> list[Path]:
    from tests.fixtures import doc_fixtures as doc  # noqa: PLC0415

    return [doc.write_text(d / "a.md", doc.markdown_front_matter(f"AIGC: '{doc.label_json()}'")),
            doc.write_text(d / "b.html", doc.html_with_label(doc.label_json(), generator="g")),
            doc.write_text(d / "c.txt", "本文由AI生成\n" + doc.label_json(), "utf-16-le",
                           bom=True)]


def _xmp_family(d: Path) -> list[Path]:
    out = []
    for i, form in enumerate(("element", "attribute", "fields")):
        path = d / f"{i}.xmp"
        path.write_bytes(_xmp(form=form))
        out.append(path)
    return out


def _exif(d: Path) -> list[Path]:
    from tests.fixtures import image_fixtures as im  # noqa: PLC0415

    blocks = [im.exif_bytes(user_comment=im.label_json(wrapped=True), software="s", xmp=_xmp()),
              im.exif_bytes(user_comment="AI", charset="UNICODE", byte_order=">")]
    out = []
    for i, data in enumerate(blocks):
        (d / f"{i}.exif").write_bytes(data)
        out.append(d / f"{i}.exif")
    return out


def _label_json(d: Path) -> list[Path]:
    from tests.fixtures import doc_fixtures as doc  # noqa: PLC0415

    sec = doc.security_data(b"\x30\x45" + b"\x01" * 69, b"\x04" + b"\x02" * 64)
    texts = [doc.label_json(), doc.label_json(wrapped=True), doc.label_json(ReservedCode1=sec),
             '{"Label":"1","Label":"2","ContentProducer":"x"}', '{"Label": "AIGC"}']
    out = []
    for i, text in enumerate(texts):
        (d / f"{i}.json").write_text(text, encoding="utf-8")
        out.append(d / f"{i}.json")
    return out


def _label_yaml(d: Path) -> list[Path]:
    from tests.fixtures import doc_fixtures as doc  # noqa: PLC0415

    fields = json.loads(doc.label_json())
    texts = [f"title: t\nAIGC: '{doc.label_json()}'\n",
             "AIGC:\n" + "".join(f"  {k}: '{v}'\n" for k, v in fields.items()),
             "AIGC: &a {Label: '1'}\nother: *a\ndate: 2025-09-01\n"]
    out = []
    for i, text in enumerate(texts):
        (d / f"{i}.yaml").write_text(text, encoding="utf-8")
        out.append(d / f"{i}.yaml")
    return out


def _c2pa(d: Path) -> list[Path]:
    from tests.fixtures import c2pa_fixtures as c  # noqa: PLC0415

    return [c.make_c2pa_jpeg(d / "a.jpg"), c.make_c2pa_png(d / "b.png"),
            c.make_c2pa_jpeg(d / "c.jpg", tamper=True),
            c.make_c2pa_edit(d / "d.jpg", c.make_c2pa_jpeg(d / "parent.jpg"))]


def _pixels(d: Path) -> list[Path]:
    """Small pictures of every format the detector decodes (labels do not matter here)."""
    from tests.fixtures import av_fixtures as av  # noqa: PLC0415
    from tests.fixtures import image_fixtures as im  # noqa: PLC0415

    from PIL import Image  # noqa: PLC0415

    avif = d / "g.avif"  # Pillow's own AV1 still picture (the quantiser reader's other codec)
    Image.new("RGB", (32, 32), (30, 120, 200)).save(avif, quality=40)
    return [im.write_jpeg(d / "a.jpg"), im.write_png(d / "b.png"), im.write_webp(d / "c.webp"),
            im.write_gif(d / "d.gif", frames=2), im.write_tiff(d / "e.tif", big_endian=True),
            av.write_heif(d / "f.heic"), avif]


def _coded(d: Path) -> list[Path]:
    """Lossy AVIF and HEIF (each plain and with alpha) and WebP files written by the real
    encoders: the inputs of the quantiser readers."""
    import numpy as np  # noqa: PLC0415
    import pillow_heif  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    rng = np.random.default_rng(45438)
    rgb = Image.fromarray(rng.integers(0, 256, (64, 96, 3), dtype=np.uint8))
    rgb.save(d / "a.avif", quality=40)
    rgb.convert("RGBA").save(d / "b.avif", quality=70)
    pillow_heif.from_pillow(rgb).save(str(d / "c.heic"), quality=30)
    pillow_heif.from_pillow(rgb.convert("RGBA")).save(str(d / "d.heic"), quality=90)
    rgb.save(d / "e.webp", quality=50)
    return [d / n for n in ("a.avif", "b.avif", "c.heic", "d.heic", "e.webp")]


def _package(d: Path) -> list[Path]:
    """A real complaint package: the CLI checks, files a report keeping the original, exports."""
    from tests.fixtures import image_fixtures as im  # noqa: PLC0415

    src = im.write_png(d / "evidence.png", text={"AIGC": im.SAMPLE_JSON})
    home = d / "home"
    env = {**os.environ, "AIGCVERIFY_HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}
    cli = [sys.executable, "-m", "aigcverify"]
    filed = subprocess.run([*cli, "report", str(src), "--keep-original", "--no-detector",
                            "--no-explicit", "--no-preview", "--lang", "en"], check=True,
                           env=env, capture_output=True, text=True, timeout=120)
    report_id = filed.stdout.split()[0]
    out = d / "package.zip"
    subprocess.run([*cli, "log", "export", "--ids", report_id, "--out", str(out), "--lang", "en",
                    "--pdf-lang", "en"], check=True, env=env, capture_output=True, timeout=120)
    src.unlink()
    return [out]


SEED_FAMILIES: dict[str, Writer] = {
    "carrier-jpeg": _images("jpeg"), "carrier-png": _images("png"),
    "carrier-webp": _images("webp"), "carrier-gif": _images("gif"),
    "carrier-tiff": _images("tiff"), "carrier-isobmff": _isobmff, "carrier-id3": _id3,
    "carrier-riff": _riff, "carrier-vorbis": _vorbis, "carrier-ebml": _ebml,
    "carrier-flv": _flv, "carrier-pdf": _pdf, "carrier-ooxml": _ooxml, "carrier-text": _text,
    "xmp": _xmp_family, "exif": _exif, "label-json": _label_json, "label-yaml": _label_yaml,
    "c2pa": _c2pa, "package": _package, "pixels": _pixels, "coded": _coded,
}
# the pipeline target is seeded with every carrier family, the slow stages with media
PIPELINE_FAMILIES = tuple(f for f in SEED_FAMILIES if f.startswith("carrier-"))
UNIONS: dict[str, tuple[str, ...]] = {
    "pipeline": PIPELINE_FAMILIES,
    "media": ("pixels", "carrier-isobmff", "carrier-ebml", "carrier-flv", "carrier-riff",
              "carrier-id3", "carrier-vorbis"),
}


def build_family(folder: Path, family: str) -> list[Path]:
    """The seed files of one family, written into folder/family unless already there."""
    if family in UNIONS:
        return [p for f in UNIONS[family] for p in build_family(folder, f)]
    out = folder / family
    done = out / ".done"
    if not done.exists():
        out.mkdir(parents=True, exist_ok=True)
        SEED_FAMILIES[family](out)
        done.touch()
    return sorted(p for p in out.iterdir() if p.is_file() and not p.name.startswith("."))


def build_seeds(folder: Path, families: list[str] | None = None, *,
                strict: bool = True) -> dict[str, list[Path]]:
    """{family: seed paths}. With strict=False a family whose writer fails (a missing encoder,
    the export module not installed yet) is logged and left out instead of failing all."""
    result: dict[str, list[Path]] = {}
    for family in families or list(SEED_FAMILIES):
        try:
            result[family] = build_family(folder, family)
        except (OSError, RuntimeError, ValueError, ImportError,
                subprocess.SubprocessError) as err:
            if strict:
                raise
            log.warning("seed family %s not built: %s", family, err)
            print(f"seed family {family} not built: {type(err).__name__}: {err}", file=sys.stderr)
    return result


def all_seed_files(folder: Path, *, strict: bool = False) -> list[Path]:
    """Every seed of every family (the corpus test's own-fixture base)."""
    seen: set[Path] = set()
    out = []
    for paths in build_seeds(folder, strict=strict).values():
        for p in paths:
            if p not in seen:
                seen.add(p)
                out.append(p)
    return out


# -- mutation -----------------------------------------------------------------------------------
_INTERESTING = (b"\x00", b"\xff", b"\x7f", b"\x80", b"\x00\x00\x00\x00", b"\xff\xff\xff\xff",
                b"\x7f\xff\xff\xff", b"\x00\x00\x00\x08", b"\x00\x00\x00\x01", b"{", b"}", b"\"",
                b"<", b"&", b"\\u0000", b"\xef\xbb\xbf", b"\x00\x00\x00\x00\x00\x00\x00\x01")


def mutate(data: bytes, rng: random.Random, others: list[bytes] | None = None) -> bytes:
    """One to eight structural mutations: truncate, flip bits, overwrite with interesting values,
    insert, delete, duplicate a range, or splice in a range of another seed."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(8)
        n = len(b)
        if op == 0 and n > 1:
            del b[rng.randrange(1, n):]
        elif op == 1 and n:
            b[rng.randrange(n)] ^= 1 << rng.randrange(8)
        elif op == 2 and n:
            v = rng.choice(_INTERESTING)
            i = rng.randrange(n)
            b[i:i + len(v)] = v
        elif op == 3:
            i = rng.randrange(n + 1)
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif op == 4 and n > 2:
            i = rng.randrange(n)
            del b[i:i + rng.randint(1, 64)]
        elif op == 5 and n > 2:
            i, j = sorted(rng.sample(range(n), 2))
            k = rng.randrange(n)
            b[k:k] = b[i:min(j, i + 4096)]
        elif op == 6 and others:
            src = rng.choice(others)
            if src:
                i = rng.randrange(len(src))
                k = rng.randrange(n + 1)
                b[k:k] = src[i:i + rng.randint(1, 512)]
        elif n:
            b[rng.randrange(n)] = rng.randrange(256)
    return bytes(b)


# -- Hypothesis: shrinkable mutations -----------------------------------------------------------
MUTATION_OPS = ("truncate", "flip", "overwrite", "insert", "delete", "duplicate")


def apply_ops(data: bytes, ops: list[tuple[str, float, bytes]]) -> bytes:
    """Apply (op, position as a fraction of the length, bytes) steps: the Hypothesis tests draw
    these so that a failing input shrinks to the fewest, simplest edits of a real seed."""
    b = bytearray(data)
    for op, where, value in ops:
        n = len(b)
        i = min(n - 1, int(where * n)) if n else 0
        if op == "truncate":
            del b[i:]
        elif op == "flip" and n:
            b[i] ^= value[0] or 1
        elif op == "overwrite" and n:
            b[i:i + len(value)] = value
        elif op == "insert":
            b[i:i] = value
        elif op == "delete":
            del b[i:i + 1 + value[0] * 4]
        elif op == "duplicate" and n:
            b[i:i] = b[i:i + 1 + value[0] * 16]
    return bytes(b)


def mutation_strategy(seeds: list[bytes]):  # noqa: ANN201 - a hypothesis strategy
    """Seed bytes with 0-6 shrinkable edits (import of hypothesis only when used)."""
    from hypothesis import strategies as st  # noqa: PLC0415

    interesting = st.sampled_from([v for v in _INTERESTING if v])
    value = st.one_of(st.binary(min_size=1, max_size=8), interesting)
    op = st.tuples(st.sampled_from(MUTATION_OPS), st.floats(0, 1, allow_nan=False), value)
    return st.builds(apply_ops, st.sampled_from(seeds), st.lists(op, max_size=6))
