"""Fuzz targets: one per reader of untrusted bytes, each with the contract it must keep.

A target is a function of one `bytes` input. It feeds the input to one reader and raises
`ContractBroken` (with the offending exception chained) when the reader lets anything escape
that its contract does not allow. Allowed outcomes are "returned something" and, for readers
whose contract says so, an `aigcverify.errors.VerifyError` subclass ("could not read at all").

Targets (names are what `bench/fuzz.py --harness NAME` takes):

    carrier-<module>   carriers.<module>.sites() on any bytes; the XMP/EXIF blocks it yields
                       are expanded too (the pipeline always does that).  VerifyError allowed.
    sniff              sniff.sniff() + extension_mismatch() on any bytes. never raises
    pixels             detect.image.decode_image() (Pillow + pillow-heif decoding for the
                       detector).  VerifyError allowed.
    explicit, detector the slow pipeline stages (explicit.run: OCR, video frames, audio rhythm;
                       detect.run: ONNX model, video frames) on pictures, audio and video.
                       VerifyError allowed (the pipeline turns it into "<stage>-failed").
    metadata-xmp       metadata.xmp.fields() on an XMP packet.          never raises
    metadata-exif      metadata.exif.fields() on a TIFF/EXIF block.     never raises
    labels-json        labels.read_labels() on a FIELD site named AIGC. never raises
    labels-xmp         XMP packet -> metadata.expand -> labels.read_labels.  never raises
    labels-yaml        labels.read_labels() on a Markdown FRONT_MATTER site.  never raises
    c2pa               c2pa_check.read_c2pa() on a (mutated) C2PA-signed file.  never raises
    package-verify     export.standalone_verify.verify() on a (mutated) complaint package ZIP.
                       OSError only (it is stdlib-only and cannot know VerifyError)
    pipeline           pipeline.check_file() on any bytes, metadata stage only.  never raises

This module imports nothing heavy at import time, so that the fuzz runner can import the
project's code under atheris' coverage instrumentation first (`load()`), then call targets.
"""

from __future__ import annotations

import atexit
import io
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ContractBroken", "Target", "TARGETS", "CARRIER_TARGETS", "KNOWN_CRASHES", "load",
           "target", "known_crash", "run_checked"]

# carrier module -> the file extension its seeds carry (the pipeline target picks formats by
# magic bytes, these only give the sniffer an honest hint)
CARRIER_TARGETS: dict[str, str] = {
    "jpeg": "jpg", "png": "png", "webp": "webp", "gif": "gif", "tiff": "tif",
    "isobmff": "mp4", "id3": "mp3", "riff": "wav", "vorbis": "flac", "ebml": "mkv",
    "flv": "flv", "pdf": "pdf", "ooxml": "docx", "text": "md",
}


class ContractBroken(Exception):
    """A reader let an exception escape that its contract forbids (the cause is chained)."""


# Crashes already kept in tests/data/crash/ (with a regression test) whose fix is pending in a
# module this harness does not own: (exception type, file of the innermost frame, function).
# While listed, the fuzz runner counts them and goes on looking for new ones (--strict stops at
# them). Remove an entry when its regression test passes.
KNOWN_CRASHES: dict[tuple[str, str, str], str] = {}  # (exception, file, function) -> sample


def known_crash(err: BaseException) -> str | None:
    """The crash sample that already records this failure, or None when it is new."""
    cause = err.__cause__ or err
    tb = cause.__traceback__
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    for (etype, file_suffix, func), sample in KNOWN_CRASHES.items():
        if (type(cause).__name__ == etype and code.co_filename.endswith(file_suffix)
                and code.co_name == func):
            return sample
    return None


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    run: Callable[[bytes], None]
    seeds: str  # which seed family bench/fuzz_seeds.py builds for it
    description: str


_SCRATCH: str | None = None
SCRATCH_ENV = "AIGC_FUZZ_SCRATCH"  # a folder made (and removed) by the caller


def _scratch_path(suffix: str) -> str:
    """One reusable file per suffix in a private temp folder (tmpfs when /dev/shm exists):
    targets that need a path (C2PA, package verifier, pipeline) overwrite it each run."""
    global _SCRATCH
    if _SCRATCH is None and os.environ.get(SCRATCH_ENV):
        _SCRATCH = os.environ[SCRATCH_ENV]  # the fuzz runner's, removed by it
    if _SCRATCH is None:
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        _SCRATCH = tempfile.mkdtemp(prefix="aigc-fuzz-", dir=base)
        # removed at exit; a child killed by a signal leaves it behind (a few bytes in tmpfs)
        atexit.register(shutil.rmtree, _SCRATCH, True)
    return os.path.join(_SCRATCH, f"input.{suffix}")


def _write(data: bytes, suffix: str) -> str:
    path = _scratch_path(suffix)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def _broken(where: str, err: BaseException) -> ContractBroken:
    return ContractBroken(f"{where}: {type(err).__name__}: {err}"[:500])


# -- carriers -----------------------------------------------------------------------------------
def _carrier_run(module_name: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        from aigcverify import metadata  # noqa: PLC0415
        from aigcverify.carriers import carrier_for  # noqa: PLC0415
        from aigcverify.errors import VerifyError  # noqa: PLC0415
        from aigcverify.limits import DEFAULT_LIMITS  # noqa: PLC0415
        from aigcverify.sniff import sniff  # noqa: PLC0415
        import importlib  # noqa: PLC0415

        module = importlib.import_module(f"aigcverify.carriers.{module_name}")
        fh = io.BytesIO(data)
        try:
            sniffed = sniff(fh, f"x.{CARRIER_TARGETS[module_name]}").format
        except Exception:  # noqa: BLE001 - the sniff harness owns sniffer crashes
            sniffed = "unknown"
        # feed the bytes to this module even when they no longer sniff as its format: a
        # reader must survive whatever reaches it
        fmt = sniffed if carrier_for(sniffed) is module else module.FORMATS[0]
        fh.seek(0)
        sites = []
        try:
            for site in module.sites(fh, fmt, DEFAULT_LIMITS):
                sites.append(site)
                if len(sites) > DEFAULT_LIMITS.max_sites:
                    break
        except VerifyError:
            return
        except Exception as err:  # noqa: BLE001 - the contract is what we test
            raise _broken(f"carriers.{module_name}.sites({fmt})", err) from err
        try:
            metadata.expand(sites, DEFAULT_LIMITS)
        except Exception as err:  # noqa: BLE001
            raise _broken("metadata.expand", err) from err

    return run


# -- the sniffer --------------------------------------------------------------------------------
_SNIFF_NAMES = ("x", "x.jpg", "x.mp3", "x.md", "x.docx", "x.txt")


def _run_sniff(data: bytes) -> None:
    from aigcverify.sniff import FORMATS, extension_mismatch, sniff  # noqa: PLC0415

    name = _SNIFF_NAMES[len(data) % len(_SNIFF_NAMES)]
    try:
        fmt = sniff(io.BytesIO(data), name).format
        extension_mismatch(name, fmt)
    except Exception as err:  # noqa: BLE001 - sniffing must never fail: it runs in the parent too
        raise _broken("sniff.sniff", err) from err
    if fmt not in FORMATS:
        raise ContractBroken(f"sniff returned unknown format {fmt!r}")


# -- pixel decoding (detector stage) ------------------------------------------------------------
def _run_pixels(data: bytes) -> None:
    from aigcverify.detect.image import decode_image  # noqa: PLC0415
    from aigcverify.errors import VerifyError  # noqa: PLC0415

    path = _write(data, "img")
    try:
        decode_image(path)
    except VerifyError:
        return
    except Exception as err:  # noqa: BLE001
        raise _broken("detect.image.decode_image", err) from err


# -- compression-strength readers (laundering check) -----------------------------------------
def _run_coded_quality(data: bytes) -> None:
    """The AVIF/HEIF and WebP quantiser readers take raw bytes and must answer a value or None,
    never raise: they run on files Pillow has already accepted, so nothing else guards them."""
    from aigcverify.detect.heif_quality import CodedQuality, coded_quality  # noqa: PLC0415
    from aigcverify.detect.webp_quality import webp_quality  # noqa: PLC0415

    try:
        coded = coded_quality(data)
        webp = webp_quality(_write(data, "webp"))
    except Exception as err:  # noqa: BLE001
        raise _broken("detect.heif_quality / webp_quality", err) from err
    if coded is not None and not (isinstance(coded, CodedQuality) and 0 <= coded.quality <= 100):
        raise ContractBroken(f"coded_quality returned {coded!r}")
    if webp is not None and not 0 <= webp <= 100:
        raise ContractBroken(f"webp_quality returned {webp!r}")


# -- the slow stages (explicit labels, detector) on any media --------------------------------
def _stage_run(module_name: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        import importlib  # noqa: PLC0415

        from aigcverify.errors import VerifyError  # noqa: PLC0415
        from aigcverify.pipeline import CheckOptions, new_result  # noqa: PLC0415
        from aigcverify.sniff import MEDIA_TYPES, sniff  # noqa: PLC0415

        try:
            fmt = sniff(io.BytesIO(data), "x").format
        except Exception:  # noqa: BLE001 - the sniff harness owns sniffer crashes
            return
        if fmt == "unknown":
            return  # the pipeline runs no slow stage on unknown files
        path = _write(data, fmt)
        options = CheckOptions(lang="en")
        result = new_result(path, options)
        result["file"].update(format=fmt, media_type=MEDIA_TYPES[fmt])
        stage = importlib.import_module(module_name)
        try:
            stage.run(path, result, [], options)
        except VerifyError:
            return
        except Exception as err:  # noqa: BLE001
            raise _broken(f"{module_name}.run({fmt})", err) from err

    return run


# -- metadata expanders -------------------------------------------------------------------------
def _site(kind_name: str, value: bytes | str, key: str = "", carrier: str = "xmp"):
    from aigcverify.carriers.base import Site, SiteKind  # noqa: PLC0415

    return Site(SiteKind[kind_name], carrier, "fuzz", 0, key=key, value=value)


def _run_xmp(data: bytes) -> None:
    from aigcverify.limits import DEFAULT_LIMITS  # noqa: PLC0415
    from aigcverify.metadata import xmp  # noqa: PLC0415

    try:
        list(xmp.fields(_site("XMP", data), DEFAULT_LIMITS))
    except Exception as err:  # noqa: BLE001
        raise _broken("metadata.xmp.fields", err) from err


def _run_exif(data: bytes) -> None:
    from aigcverify.limits import DEFAULT_LIMITS  # noqa: PLC0415
    from aigcverify.metadata import exif  # noqa: PLC0415

    try:
        list(exif.fields(_site("EXIF", data, carrier="exif"), DEFAULT_LIMITS))
    except Exception as err:  # noqa: BLE001
        raise _broken("metadata.exif.fields", err) from err


# -- label decoders -----------------------------------------------------------------------------
def _read_labels(sites: list) -> None:
    from aigcverify.labels import read_labels  # noqa: PLC0415

    try:
        read_labels(sites, "en")
    except Exception as err:  # noqa: BLE001
        raise _broken("labels.read_labels", err) from err


def _run_labels_json(data: bytes) -> None:
    # the same payload as a field named AIGC (always decoded) and as an anonymous comment
    # (decoded only when it looks like a label)
    text = data.decode("utf-8", errors="replace")
    _read_labels([_site("FIELD", data, key="AIGC", carrier="png-text"),
                  _site("FIELD", text, key="Comment", carrier="jpeg-com")])


def _run_labels_xmp(data: bytes) -> None:
    from aigcverify import metadata  # noqa: PLC0415
    from aigcverify.limits import DEFAULT_LIMITS  # noqa: PLC0415

    try:
        sites = metadata.expand([_site("XMP", data)], DEFAULT_LIMITS)
    except Exception as err:  # noqa: BLE001
        raise _broken("metadata.expand", err) from err
    _read_labels(sites)


def _run_labels_yaml(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    _read_labels([_site("FRONT_MATTER", text, key="front-matter", carrier="md-front-matter")])


# -- C2PA adapter -------------------------------------------------------------------------------
_C2PA_FORMATS = {b"\xff\xd8": ("jpeg", "jpg"), b"\x89P": ("png", "png")}


def _run_c2pa(data: bytes) -> None:
    from aigcverify.c2pa_check import read_c2pa  # noqa: PLC0415

    fmt, ext = _C2PA_FORMATS.get(data[:2], ("jpeg", "jpg"))
    path = _write(data, ext)
    # a C2PA site makes the adapter hand every input to the library, marker or not
    sites = [_site("C2PA", b"", carrier="c2pa")]
    try:
        read_c2pa(path, fmt, sites, "en")
    except Exception as err:  # noqa: BLE001
        raise _broken(f"c2pa_check.read_c2pa({fmt})", err) from err


# -- complaint package verifier -----------------------------------------------------------------
def _run_package(data: bytes) -> None:
    from aigcverify.export.standalone_verify import verify  # noqa: PLC0415

    path = _write(data, "zip")
    try:
        ok, problems, summary = verify(path)
    except OSError:
        return
    except Exception as err:  # noqa: BLE001
        raise _broken("export.standalone_verify.verify", err) from err
    if ok and problems:
        raise ContractBroken("verify() says ok but lists problems")


# -- the whole metadata pipeline ----------------------------------------------------------------
_PIPELINE_EXT = ("jpg", "png", "mp4", "mp3", "pdf", "docx", "md", "bin")


def _run_pipeline(data: bytes) -> None:
    from aigcverify.pipeline import CheckOptions, check_file  # noqa: PLC0415

    # the extension is only a hint; vary it with the input so mismatches get exercised too
    ext = _PIPELINE_EXT[len(data) % len(_PIPELINE_EXT)]
    path = _write(data, ext)
    try:
        result = check_file(path, CheckOptions(detector=False, explicit=False, lang="en"))
    except Exception as err:  # noqa: BLE001
        raise _broken("pipeline.check_file", err) from err
    if result.get("verdict") not in ("confirmed", "declared", "suspected", "none", "unreadable"):
        raise ContractBroken(f"pipeline verdict {result.get('verdict')!r}")


def _build() -> dict[str, Target]:
    targets = {
        f"carrier-{name}": Target(f"carrier-{name}", _carrier_run(name), f"carrier-{name}",
                                  f"carriers.{name}.sites + metadata.expand")
        for name in CARRIER_TARGETS
    }
    targets.update({
        "sniff": Target("sniff", _run_sniff, "pipeline", "sniff.sniff + extension_mismatch"),
        "pixels": Target("pixels", _run_pixels, "pixels",
                         "detect.image.decode_image (the detector's pixel decoder)"),
        "coded-quality": Target("coded-quality", _run_coded_quality, "coded",
                                "detect.heif_quality.coded_quality + webp_quality (quantisers)"),
        "explicit": Target("explicit", _stage_run("aigcverify.explicit"), "media",
                           "explicit.run (OCR, video frames, audio rhythm) on pictures/AV"),
        "detector": Target("detector", _stage_run("aigcverify.detect"), "media",
                           "detect.run (ONNX detector, video frames) on pictures/AV"),
        "metadata-xmp": Target("metadata-xmp", _run_xmp, "xmp", "metadata.xmp.fields"),
        "metadata-exif": Target("metadata-exif", _run_exif, "exif", "metadata.exif.fields"),
        "labels-json": Target("labels-json", _run_labels_json, "label-json",
                              "labels.read_labels on FIELD sites (JSON)"),
        "labels-xmp": Target("labels-xmp", _run_labels_xmp, "xmp",
                             "labels.read_labels on XMP-expanded sites"),
        "labels-yaml": Target("labels-yaml", _run_labels_yaml, "label-yaml",
                              "labels.read_labels on Markdown front matter"),
        "c2pa": Target("c2pa", _run_c2pa, "c2pa", "c2pa_check.read_c2pa on signed files"),
        "package-verify": Target("package-verify", _run_package, "package",
                                 "export.standalone_verify.verify on package ZIPs"),
        "pipeline": Target("pipeline", _run_pipeline, "pipeline",
                           "pipeline.check_file, metadata stage"),
    })
    return targets


TARGETS: dict[str, Target] = _build()


def target(name: str) -> Target:
    return TARGETS[name]


def load(name: str) -> None:
    """Import the code a target exercises (call it inside atheris.instrument_imports())."""
    import aigcverify.labels  # noqa: F401, PLC0415
    import aigcverify.metadata  # noqa: F401, PLC0415
    import aigcverify.sniff  # noqa: F401, PLC0415

    if name.startswith("carrier-"):
        __import__(f"aigcverify.carriers.{name.removeprefix('carrier-')}")
    elif name == "c2pa":
        import aigcverify.c2pa_check  # noqa: F401, PLC0415
    elif name == "package-verify":
        import aigcverify.export.standalone_verify  # noqa: F401, PLC0415
    elif name == "pipeline":
        import aigcverify.pipeline  # noqa: F401, PLC0415
    elif name == "pixels":
        import aigcverify.detect.image  # noqa: F401, PLC0415
    elif name == "coded-quality":
        import aigcverify.detect.heif_quality  # noqa: F401, PLC0415
        import aigcverify.detect.webp_quality  # noqa: F401, PLC0415
    elif name in ("explicit", "detector"):
        import aigcverify.detect  # noqa: F401, PLC0415
        import aigcverify.explicit  # noqa: F401, PLC0415
        import aigcverify.pipeline  # noqa: F401, PLC0415


def run_checked(name: str, data: bytes) -> str | None:
    """Run target `name` on data. Returns None, or the kept sample of a known crash it hit;
    raises ContractBroken for a new one (the Hypothesis tests' entry point)."""
    try:
        TARGETS[name].run(data)
    except ContractBroken as err:
        sample = known_crash(err)
        if sample is None:
            raise
        return sample
    return None
