"""Text lines in a picture: PP-OCRv4 detection + recognition, the ONNX models that ship inside
the rapidocr-onnxruntime wheel (Chinese + English, ~16 MB), so nothing is fetched. The sessions
are our own (two threads, no spin-waiting, telemetry off); RapidOCR supplies the DB box
post-processing and the CTC decoder. The engine is a lazy per-process singleton: a worker loads
it the first time a picture is read and keeps it for every later file (loading costs ~0.5 s; a
check must not pay it twice). Importing this module loads nothing.

How a picture is read (read_lines):
  1. global pass: the whole picture scaled so its shortest side is DET_SHORT_SIDE pixels (labels
     are defined relative to the shortest side, so a 2 % label is ~15 px tall at every size);
     a very long picture is cut into overlapping tiles along its long side;
  2. fine pass, only for big pictures (shortest side > FINE_TRIGGER x DET_SHORT_SIDE): tiles
     along the four edges and in the corners - where GB 45438 5.2 puts the label - again at
     twice the global resolution, so that small corner text lost by the downscale is found;
  3. recognition on crops taken from the full-resolution picture.
The angle classifier is not used: labels are horizontal, and it would cost time on every line.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ExplicitError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["TextLine", "OcrEngine", "engine", "read_lines", "recognize_regions",
           "DET_SHORT_SIDE", "engine_loads"]

log = logging.getLogger(__name__)

DET_SHORT_SIDE = 736  # PP-OCRv4 det's own default working size
MAX_UPSCALE = 2.0  # small pictures are enlarged at most this much for detection
# Pixels the global detection pass may work on. Ordinary pictures need far less (a 4000x3000
# photo: 0.7 MP, a 20000x2000 panorama: 5.4 MP); a hostile 63760x255 banner would otherwise be
# enlarged to 65 MP and take tens of seconds.
MAX_DET_PIXELS = 6_000_000
MAX_TILE_LONG = 2048  # a detection input longer than this is tiled along its long side
TILE_OVERLAP = 192  # pixels (detection scale); more than the tallest label line we care about
FINE_TRIGGER = 1.6  # fine pass when the global pass shrank the picture by more than this
FINE_TILE = 0.34  # fine tiles are squares of this fraction of the shortest side
DET_MODEL = "ch_PP-OCRv4_det_infer.onnx"
REC_MODEL = "ch_PP-OCRv4_rec_infer.onnx"
ORT_THREADS = 2
MIN_REC_SCORE = 0.5  # RapidOCR's own default drop score
REC_HEIGHT = 48  # PP-OCRv4 rec input height
REC_MIN_WIDTH = 320  # the width the model was trained at; narrower input drops thin glyphs
REC_MAX_WIDTH = 1600  # a longer line is squeezed (labels are short)
REC_BATCH = 6
# Det boxes are grown by DB's "unclip"; the ink inside is smaller by about this many
# detection-scale pixels (fallback of _ink_height; calibrated on rendered labels in WenQuanYi
# Micro Hei, a set separate from bench/explicit_eval.py's held-out one).
UNCLIP_PAD_PX = 7.0
PROFILE_THRESHOLD = 0.1  # ink-height profile: fraction of the energy range that counts as ink
PROFILE_SMOOTH = 0.03  # profile smoothing window, fraction of the crop height
RUN_GAP = 0.1  # ink runs closer than this fraction of the crop height are one run


@dataclass(frozen=True, slots=True)
class TextLine:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels of the original picture
    text: str
    score: float
    ink_height: float  # estimated glyph (ink) height in original pixels


def _engine_errors() -> tuple[type[BaseException], ...]:
    """What a model run can raise on bad input: onnxruntime's own errors (plain Exception
    subclasses), OpenCV's cv2.error, and the usual numeric ones. Called once the imports are
    known to work."""
    import cv2
    from onnxruntime.capi.onnxruntime_pybind11_state import (
        Fail,
        InvalidArgument,
        InvalidGraph,
        RuntimeException,
    )

    return (RuntimeError, ValueError, MemoryError, cv2.error, Fail, InvalidArgument,
            InvalidGraph, RuntimeException)


def _session(model: Path):
    """An onnxruntime CPU session with our settings: at most two threads (the target machine
    has two cores and other workers), no spin-waiting (it burns a shared core), quiet logs."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = max(1, min(ORT_THREADS, os.cpu_count() or 1))
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    options.enable_cpu_mem_arena = False  # input sizes change with every picture
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model), sess_options=options,
                                providers=["CPUExecutionProvider"])


class OcrEngine:
    """PP-OCRv4 detection and recognition sessions (models from the rapidocr-onnxruntime
    wheel), with RapidOCR's DB box post-processing and CTC decoding."""

    def __init__(self) -> None:
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime is imported
        try:
            import rapidocr_onnxruntime
            from rapidocr_onnxruntime.ch_ppocr_det.utils import DBPostProcess
            from rapidocr_onnxruntime.ch_ppocr_rec.utils import CTCLabelDecode
        except ImportError as err:
            raise ExplicitError(f"OCR engine not installed: {err}") from err
        models = Path(rapidocr_onnxruntime.__file__).resolve().parent / "models"
        det_model = models / DET_MODEL
        rec_model = models / REC_MODEL
        for model in (det_model, rec_model):
            if not model.is_file():
                raise ExplicitError(f"OCR model missing: {model}")
        self.det = _session(det_model)
        self.rec = _session(rec_model)
        charset = self.rec.get_modelmeta().custom_metadata_map.get("character")
        if not charset:
            raise ExplicitError("OCR recognition model carries no character list")
        self.decode = CTCLabelDecode(character=charset.splitlines())
        self.boxes = DBPostProcess(thresh=0.3, box_thresh=0.5, max_candidates=1000,
                                   unclip_ratio=1.6, use_dilation=True, score_mode="fast")
        self.det_input = self.det.get_inputs()[0].name
        self.rec_input = self.rec.get_inputs()[0].name
        self.lock = threading.Lock()  # one session, one caller at a time
        global _ENGINE_ERRORS
        _ENGINE_ERRORS = _engine_errors()

    def detect(self, bgr: "np.ndarray") -> list["np.ndarray"]:
        """Quadrilaterals (4x2 float, clockwise from top-left) in the pixels of bgr. The input
        is padded/rounded to multiples of 32 as the network needs; no other scaling here."""
        import cv2
        import numpy as np

        h, w = bgr.shape[:2]
        rh, rw = max(32, round(h / 32) * 32), max(32, round(w / 32) * 32)
        try:
            work = cv2.resize(bgr, (rw, rh)) if (rh, rw) != (h, w) else bgr
            tensor = (work.astype(np.float32).transpose(2, 0, 1) / 127.5 - 1.0)[None]
            with self.lock:
                pred = self.det.run(None, {self.det_input: tensor})[0]
            quads, _ = self.boxes(pred, (h, w))
        except _ENGINE_ERRORS as err:
            raise ExplicitError(f"text detection failed: {err}") from err
        out = []
        for quad in quads:
            quad = _clockwise(np.asarray(quad, dtype=np.float32))
            quad[:, 0] = np.clip(quad[:, 0], 0, w - 1)
            quad[:, 1] = np.clip(quad[:, 1], 0, h - 1)
            if np.linalg.norm(quad[0] - quad[1]) > 3 and np.linalg.norm(quad[0] - quad[3]) > 3:
                out.append(quad)
        return out

    def recognize(self, crops: list["np.ndarray"]) -> list[tuple[str, float]]:
        """(text, confidence) per crop.

        Lines are sorted by width and batched; each batch is padded to its widest line (at
        least REC_MIN_WIDTH: narrower inputs make the model drop thin glyphs such as the "I"
        of "AI"), so one long line does not make every other line in the picture expensive."""
        import numpy as np

        if not crops:
            return []
        widths = []
        for crop in crops:
            natural = -(-REC_HEIGHT * crop.shape[1] // max(1, crop.shape[0]) // 16) * 16
            widths.append(min(REC_MAX_WIDTH, max(REC_MIN_WIDTH, natural)))
        order = sorted(range(len(crops)), key=lambda i: widths[i])
        results: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        for start in range(0, len(order), REC_BATCH):
            batch = order[start:start + REC_BATCH]
            width = max(widths[i] for i in batch)
            tensor = np.zeros((len(batch), 3, REC_HEIGHT, width), dtype=np.float32)
            for row, i in enumerate(batch):
                tensor[row] = _rec_input(crops[i], widths[i], width)
            try:
                with self.lock:
                    preds = self.rec.run(None, {self.rec_input: tensor})[0]
            except _ENGINE_ERRORS as err:
                raise ExplicitError(f"text recognition failed: {err}") from err
            for i, (text, score) in zip(batch, self.decode(preds), strict=False):
                results[i] = (str(text), float(score))
        return results


def _clockwise(pts: "np.ndarray") -> "np.ndarray":
    """Top-left, top-right, bottom-right, bottom-left."""
    import numpy as np

    by_x = pts[np.argsort(pts[:, 0])]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1])]
    tr, br = right[np.argsort(right[:, 1])]
    return np.array([tl, tr, br, bl], dtype=np.float32)


def _rec_input(crop: "np.ndarray", width: int, pad_to: int) -> "np.ndarray":
    """A crop as the recogniser wants it: 48 px high, CHW, scaled to [-1, 1], right-padded."""
    import cv2
    import numpy as np

    resized = cv2.resize(crop, (width, REC_HEIGHT)).astype(np.float32)
    out = np.zeros((3, REC_HEIGHT, pad_to), dtype=np.float32)
    out[:, :, :width] = resized.transpose(2, 0, 1) / 127.5 - 1.0
    return out


_ENGINE_ERRORS: tuple[type[BaseException], ...] = (RuntimeError, ValueError, MemoryError)
_ENGINE: OcrEngine | None = None
_ENGINE_LOCK = threading.Lock()
_LOADS = 0


def engine() -> OcrEngine:
    """The per-process OCR engine, loaded on first use."""
    global _ENGINE, _LOADS
    if _ENGINE is None:
        with _ENGINE_LOCK:
            if _ENGINE is None:
                _ENGINE = _load_engine()
                _LOADS += 1
    return _ENGINE


def _load_engine() -> OcrEngine:
    try:
        return OcrEngine()
    except ExplicitError:
        raise
    except Exception as err:  # noqa: BLE001 - onnxruntime raises bare Exception subclasses
        raise ExplicitError(f"OCR engine could not be loaded: {type(err).__name__}: {err}") from err


def engine_loads() -> int:
    """How often this process loaded the engine (tests assert it stays 1)."""
    return _LOADS


# ---- geometry --------------------------------------------------------------------------------

def _resize(bgr: "np.ndarray", scale: float) -> "np.ndarray":
    import cv2

    if abs(scale - 1.0) < 1e-3:
        return bgr
    h, w = bgr.shape[:2]
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(bgr, (max(32, round(w * scale)), max(32, round(h * scale))),
                      interpolation=interp)


def _tiles(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of size tile covering [0, length) with at least overlap."""
    if length <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, length - tile, step))
    starts.append(length - tile)
    return starts


def _detect_scaled(eng: OcrEngine, bgr: "np.ndarray", scale: float,
                   region: tuple[int, int, int, int] | None = None,
                   ) -> list[tuple["np.ndarray", float]]:
    """Detect in (a region of) bgr at scale; quads come back in original pixels, each with
    the scale it was found at."""
    x_off, y_off = 0, 0
    if region is not None:
        x0, y0, x1, y1 = region
        bgr = bgr[y0:y1, x0:x1]
        x_off, y_off = x0, y0
    work = _resize(bgr, scale)
    h, w = work.shape[:2]
    found: list[tuple[np.ndarray, float]] = []
    horizontal = w >= h
    long_side = w if horizontal else h
    for start in _tiles(long_side, MAX_TILE_LONG, TILE_OVERLAP):
        end = start + MAX_TILE_LONG
        tile = work[:, start:end] if horizontal else work[start:end]
        for quad in eng.detect(tile):
            q = quad.astype("float64").copy()
            if horizontal:
                q[:, 0] += start
            else:
                q[:, 1] += start
            sx = bgr.shape[1] / w
            sy = bgr.shape[0] / h
            q[:, 0] = q[:, 0] * sx + x_off
            q[:, 1] = q[:, 1] * sy + y_off
            found.append((q, w / bgr.shape[1]))  # the scale actually used, after rounding
    return found


def _aabb(quad: "np.ndarray") -> tuple[float, float, float, float]:
    return (float(quad[:, 0].min()), float(quad[:, 1].min()),
            float(quad[:, 0].max()), float(quad[:, 1].max()))


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over the smaller box."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / smaller if smaller > 0 else 0.0


def _crop(bgr: "np.ndarray", quad: "np.ndarray") -> "np.ndarray":
    """The quad warped to an upright rectangle (labels are horizontal; tall crops rotated)."""
    import cv2
    import numpy as np

    pts = quad.astype(np.float32)
    width = int(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[2] - pts[3])))
    height = int(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
    width, height = max(width, 4), max(height, 4)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(pts, target)
    out = cv2.warpPerspective(bgr, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE,
                              flags=cv2.INTER_CUBIC)
    if height / width >= 1.5:
        out = np.rot90(out)
    return out


def _ink_height(crop: "np.ndarray", det_scale: float) -> float:
    """Glyph (ink) height in original pixels of the text line in an upright crop.

    The det box is grown by DB's unclip by an amount that depends on the scale, so its height
    over-states small text by up to 60 %. Inside the crop, text rows are the rows with edge
    energy: the longest strong run of the row profile of |dI/dx| + |dI/dy| (runs closer than
    RUN_GAP of the height merged) is the ink. Calibrated on rendered labels (bench/explicit_eval):
    mean absolute error ~4 %, 90 % of lines within 10 %. Falls back to the box height minus the
    typical unclip growth when the profile is flat."""
    import cv2
    import numpy as np

    height = crop.shape[0]
    fallback = max(1.0, height - UNCLIP_PAD_PX / det_scale)
    if height < 6:
        return fallback
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY).astype(np.float32)
    energy = (np.abs(cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3))
              + np.abs(cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3))).mean(axis=1)
    k = max(1, round(height * PROFILE_SMOOTH))
    if k > 1:
        energy = np.convolve(energy, np.ones(k) / k, mode="same")
    low, high = float(energy.min()), float(energy.max())
    if high - low < 1e-3 * max(high, 1.0):
        return fallback
    rows = np.flatnonzero(energy >= low + PROFILE_THRESHOLD * (high - low))
    # runs of ink rows; a gap of at most RUN_GAP x height inside a glyph line does not split it
    runs = np.split(rows, np.flatnonzero(np.diff(rows) - 1 > RUN_GAP * height) + 1)
    best = max(runs, key=lambda r: float(energy[r[0]:r[-1] + 1].sum()))
    ink = float(best[-1] - best[0] + 1)
    return ink if ink >= 0.3 * height else fallback


# ---- the two entry points ------------------------------------------------------------------

def read_lines(bgr: "np.ndarray", *, short_side: int = DET_SHORT_SIDE,
               fine: bool = True) -> list[TextLine]:
    """Every text line found in a BGR picture (see the module doc for the passes)."""
    eng = engine()
    h, w = bgr.shape[:2]
    short = min(h, w)
    scale = min(MAX_UPSCALE, short_side / short, (MAX_DET_PIXELS / (h * w)) ** 0.5)
    found = _detect_scaled(eng, bgr, scale)
    if fine and short > FINE_TRIGGER * short_side:
        fine_scale = min(1.0, 2 * scale)
        side = round(FINE_TILE * short)
        overlap = side // 4
        places = {(x, y) for x in _tiles(w, side, overlap) for y in (0, h - side)}
        places |= {(x, y) for x in (0, w - side) for y in _tiles(h, side, overlap)}
        for x, y in sorted(places):  # the edge bands; the middle is the global pass's alone
            found.extend(_detect_scaled(eng, bgr, fine_scale, (x, y, x + side, y + side)))
    # one quad per place: the first pass (global) wins, fine boxes fill in what it missed
    kept: list[tuple[np.ndarray, float]] = []
    for quad, sc in found:
        box = _aabb(quad)
        if any(_overlap(box, _aabb(k)) > 0.6 for k, _ in kept):
            continue
        kept.append((quad, sc))
    crops = [_crop(bgr, q) for q, _ in kept]
    lines = []
    for (quad, sc), crop, (text, score) in zip(kept, crops, eng.recognize(crops), strict=False):
        if score < MIN_REC_SCORE or not text.strip():
            continue
        lines.append(TextLine(_aabb(quad), text, score, _ink_height(crop, sc)))
    return lines


def recognize_regions(pictures: list["np.ndarray"],
                      boxes: list[tuple[float, float, float, float]]) -> list[tuple[str, float]]:
    """Recognition only, on known boxes, one batch (video tracking: is the label still there?)."""
    import numpy as np

    crops = []
    for bgr, (x0, y0, x1, y1) in zip(pictures, boxes, strict=False):
        quad = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
        crops.append(_crop(bgr, quad))
    return engine().recognize(crops)
