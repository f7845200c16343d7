"""The audio rhythm prompt "short-long-short-short" (GB 45438-2025 5.3; Morse ·−·· for "AI").

The standard publishes no timing, tone or level, so this is a heuristic and every hit says so.
What it looks for: four tone bursts of one steady frequency, the second about three times as
long as the others, separated by short gaps, with no other burst of that tone right before or
after (so a melody or a Morse stream is not taken for it). Tolerant of level (thresholds are
relative), sample rate and codec (everything is resampled to ANALYSIS_RATE mono) and moderate
noise (a tone's energy sits in two or three frequency bins, noise spreads over all of them).

Steps: STFT (FFT_SIZE at HOP_S, in blocks) -> per frame, the peak bin and how much of the
frame's energy
it holds ("tonality") -> for each frequency that is tonal often enough, on/off frames -> bursts
(onset, duration) -> every run of four bursts is tested against PATTERN.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..i18n import tr
from .errors import ExplicitError
from .judge import RULES
from .media import decode_errors, open_media

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Burst", "RhythmHit", "find_rhythm", "decode_mono", "check_audio", "PATTERN",
           "ANALYSIS_RATE"]

log = logging.getLogger(__name__)

ANALYSIS_RATE = 16_000  # Hz; prompt tones are audible-range beeps far below 8 kHz
FFT_SIZE = 512  # 32 ms window, 31 Hz bins
HOP_S = 0.005  # 5 ms frames: a 40 ms element still spans 8 frames
MAX_DECODE_S = 6 * 3600.0  # decoding stops here (the tail window then ends here too)
ANALYSE_MAX_S = 1200.0  # up to this length the whole stream is analysed...
WINDOW_S = 600.0  # ...a longer one only its first and last WINDOW_S
FFT_BLOCK = 4096  # frames per FFT block (memory: block x FFT_SIZE floats)
TONAL_SHARE = 0.35  # share of a frame's energy within +-1 bin of its peak to call it tonal
MIN_TONAL_FRAMES = 12  # a frequency needs at least this many tonal frames to be examined
MAX_CANDIDATE_FREQS = 8
MIN_BURST_S = 0.03
MERGE_GAP_S = 0.015  # a dropout shorter than this inside a burst is not a gap
BLIP_RATIO = 0.4  # see _drop_blips
DIP_LEVEL = 0.2  # inside a tonal run, frames below this share of its median energy are a gap


@dataclass(frozen=True, slots=True)
class Pattern:
    short_s: tuple[float, float] = (0.03, 0.40)  # plausible length of a short element
    long_ratio: tuple[float, float] = (2.0, 4.5)  # long / mean short ("about three times")
    short_spread: float = 1.6  # longest short / shortest short
    gap_ratio: tuple[float, float] = (0.3, 3.5)  # each gap / mean short (allows a letter gap)
    isolation: float = 2.0  # no same-tone burst within this x long element before or after
    freq_spread_bins: int = 1  # all four elements at the same frequency (+-1 bin)


PATTERN = Pattern()
AT_START_S = RULES["audio-rhythm"].at_start_s or 3.0
AT_END_S = 3.0


@dataclass(frozen=True, slots=True)
class Burst:
    start: float  # s
    duration: float  # s
    bin: int


@dataclass(frozen=True, slots=True)
class RhythmHit:
    start: float  # s, onset of the first element
    duration: float  # s, onset of the first to end of the last element
    frequency: float  # Hz
    elements: tuple[float, float, float, float]  # durations, s
    gaps: tuple[float, float, float]  # s


def decode_mono(path: str, fmt: str, rate: int = ANALYSIS_RATE,
                stream_required: bool = True) -> tuple[list[tuple[float, "np.ndarray"]], float]:
    """The first audio stream as mono float32 at rate: [(offset_s, samples), ...] and the
    duration in seconds. Up to ANALYSE_MAX_S the whole stream is one piece; a longer one keeps
    its first and its last WINDOW_S (memory stays bounded; the prompt belongs at the start)."""
    import collections

    import av
    import numpy as np

    head: list[np.ndarray] = []
    tail: collections.deque[np.ndarray] = collections.deque()
    head_len = tail_len = total = 0
    window = round(WINDOW_S * rate)
    keep_all = round(ANALYSE_MAX_S * rate)
    with open_media(path, fmt) as container:
        if not container.streams.audio:
            if stream_required:
                raise ExplicitError("no audio stream")
            return [], 0.0
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)

        def take(data: np.ndarray) -> None:
            nonlocal head_len, tail_len, total
            total += len(data)
            if head_len < window:
                head.append(data)
                head_len += len(data)
                return
            tail.append(data)
            tail_len += len(data)
            while tail_len - len(tail[0]) >= window and total > keep_all:
                tail_len -= len(tail.popleft())

        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    take(out.to_ndarray().reshape(-1))
                if total > MAX_DECODE_S * rate:
                    log.info("audio longer than %.0f s: the rest is not analysed", MAX_DECODE_S)
                    break
            for out in resampler.resample(None):
                take(out.to_ndarray().reshape(-1))
        except decode_errors() as err:
            if not total:
                raise ExplicitError(
                    f"audio could not be decoded: {type(err).__name__}: {err}") from err
            log.info("audio decoding stopped early: %s", err)

    def clean(parts) -> np.ndarray:
        joined = np.concatenate(list(parts)) if parts else np.zeros(0, dtype=np.float32)
        return np.nan_to_num(joined.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)

    if total <= keep_all:
        return [(0.0, clean(head + list(tail)))], total / rate
    return [(0.0, clean(head)), ((total - tail_len) / rate, clean(tail))], total / rate


def _frames(x: "np.ndarray", rate: int):
    """Power spectra of consecutive blocks of frames: yields (first frame index, power)."""
    import numpy as np

    hop = max(1, round(HOP_S * rate))
    if len(x) < FFT_SIZE:
        x = np.pad(x, (0, FFT_SIZE - len(x)))
    n_frames = 1 + (len(x) - FFT_SIZE) // hop
    window = np.hanning(FFT_SIZE).astype(np.float32)
    for start in range(0, n_frames, FFT_BLOCK):
        first = np.arange(start, min(n_frames, start + FFT_BLOCK))[:, None] * hop
        idx = first + np.arange(FFT_SIZE)
        spec = np.fft.rfft(x[idx] * window, axis=1)
        yield start, (spec.real ** 2 + spec.imag ** 2).astype(np.float32)


def _bursts(x: "np.ndarray", rate: int) -> list[Burst]:
    """Tone bursts: runs of frames whose energy is concentrated at one candidate frequency.
    Two passes over the spectrum in blocks, so memory does not grow with the file length:
    per-frame peak and tonality first, then band energies of the candidate frequencies."""
    import numpy as np

    totals, peaks, shares = [], [], []
    for _, power in _frames(x, rate):
        total = power.sum(axis=1) + 1e-12
        peak = power[:, 1:-1].argmax(axis=1) + 1  # DC and Nyquist bins are never a prompt tone
        rows = np.arange(len(power))
        around = power[rows, peak - 1] + power[rows, peak] + power[rows, peak + 1]
        totals.append(total)
        peaks.append(peak)
        shares.append(around / total)
    total = np.concatenate(totals)
    peak = np.concatenate(peaks)
    share = np.concatenate(shares)
    loud_floor = float(np.percentile(total, 99)) * 1e-6  # absolute silence is not a tone
    tonal = (share >= TONAL_SHARE) & (total > loud_floor)
    counts = np.bincount(peak[tonal], minlength=FFT_SIZE // 2 + 1)
    # candidate frequencies: the most often tonal bins (neighbours folded into their peak)
    candidates: list[int] = []
    for b in np.argsort(counts)[::-1]:
        if counts[b] < MIN_TONAL_FRAMES or len(candidates) >= MAX_CANDIDATE_FREQS:
            break
        if all(abs(int(b) - c) > 2 for c in candidates):
            candidates.append(int(b))
    if not candidates:
        return []
    bands = {b: np.empty(len(total), dtype=np.float32) for b in candidates}
    for start, power in _frames(x, rate):
        for b in candidates:
            bands[b][start:start + len(power)] = power[:, max(1, b - 1):b + 2].sum(axis=1)
    hop = max(1, round(HOP_S * rate))
    merge = max(1, round(MERGE_GAP_S * rate / hop))
    half_window = FFT_SIZE / 2 / rate
    bursts: list[Burst] = []
    for b in candidates:
        band = bands[b]
        idx = np.flatnonzero(tonal & (np.abs(peak - b) <= PATTERN.freq_spread_bins))
        if not len(idx):
            continue
        runs = []
        for run in np.split(idx, np.flatnonzero(np.diff(idx) > merge) + 1):
            # lossy codecs fill short gaps with a quiet smear of the tone: still "tonal", but
            # far below the burst, so a dip under DIP_LEVEL of the run's median splits it
            level = DIP_LEVEL * float(np.median(band[run]))
            loud = run[band[run] >= level]
            runs.extend(np.split(loud, np.flatnonzero(np.diff(loud) > 1) + 1) if len(loud) else [])
        for run in runs:
            # Edges at half the burst's plateau energy: with a symmetric window that is the
            # frame whose centre sits on the true edge, so the window length does not bias
            # durations (a 32 ms window would add ~30 ms to every element otherwise).
            plateau = float(np.median(band[run[0]:run[-1] + 1]))
            lo = run[0]
            while lo > 0 and band[lo - 1] >= 0.5 * plateau and run[0] - lo < merge * 4:
                lo -= 1
            while lo < run[-1] and band[lo] < 0.5 * plateau:
                lo += 1
            hi = run[-1]
            while hi + 1 < len(band) and band[hi + 1] >= 0.5 * plateau and hi - run[-1] < merge * 4:
                hi += 1
            while hi > lo and band[hi] < 0.5 * plateau:
                hi -= 1
            # measured on clean tones, these edges sit one hop inside the true ones
            start = (lo - 1) * hop / rate + half_window
            duration = (hi - lo + 3) * hop / rate
            if duration >= MIN_BURST_S:
                bursts.append(Burst(start, duration, b))
    return sorted(bursts, key=lambda x: x.start)


def _matches(four: list[Burst], before: Burst | None, after: Burst | None) -> RhythmHit | None:
    p = PATTERN
    d = [x.duration for x in four]
    shorts = [d[0], d[2], d[3]]
    mean_short = sum(shorts) / 3
    if not (p.short_s[0] <= mean_short <= p.short_s[1]):
        return None
    if max(shorts) / min(shorts) > p.short_spread:
        return None
    if not (p.long_ratio[0] <= d[1] / mean_short <= p.long_ratio[1]):
        return None
    gaps = [four[i + 1].start - (four[i].start + four[i].duration) for i in range(3)]
    if any(not (p.gap_ratio[0] * mean_short <= g <= p.gap_ratio[1] * mean_short) for g in gaps):
        return None
    quiet = p.isolation * d[1]
    if before is not None and four[0].start - (before.start + before.duration) < quiet:
        return None
    if after is not None and after.start - (four[3].start + four[3].duration) < quiet:
        return None
    end = four[3].start + four[3].duration
    return RhythmHit(four[0].start, end - four[0].start, 0.0, tuple(d), tuple(gaps))


def _drop_blips(seq: list[Burst]) -> list[Burst]:
    """Noise and codec artefacts make brief blips of the tone inside gaps; a burst much shorter
    than both neighbours (BLIP_RATIO) and close to them is not an element."""
    kept = list(seq)
    i = 1
    while i < len(kept) - 1:
        prev, cur, nxt = kept[i - 1], kept[i], kept[i + 1]
        gap = nxt.start - (prev.start + prev.duration)
        shorter = min(prev.duration, nxt.duration)
        if cur.duration < BLIP_RATIO * shorter and gap < 4 * shorter:
            del kept[i]
            continue
        i += 1
    return kept


def find_rhythm(samples: "np.ndarray", rate: int = ANALYSIS_RATE,
                offset: float = 0.0) -> list[RhythmHit]:
    """Every short-long-short-short occurrence in a mono signal (times shifted by offset)."""
    if len(samples) < rate * 0.2:
        return []
    bursts = _bursts(samples, rate)
    hits: list[RhythmHit] = []
    by_bin: dict[int, list[Burst]] = {}
    for burst in bursts:
        by_bin.setdefault(burst.bin, []).append(burst)
    for b, seq in by_bin.items():
        seq = _drop_blips(seq)
        for i in range(len(seq) - 3):
            hit = _matches(seq[i:i + 4], seq[i - 1] if i > 0 else None,
                           seq[i + 4] if i + 4 < len(seq) else None)
            if hit is not None:
                freq = b * rate / FFT_SIZE
                hits.append(RhythmHit(round(float(hit.start) + offset, 3),
                                      round(float(hit.duration), 3),
                                      round(float(freq), 1),
                                      tuple(round(float(v), 3) for v in hit.elements),
                                      tuple(round(float(v), 3) for v in hit.gaps)))
    return sorted(hits, key=lambda h: h.start)


def _where(hit: RhythmHit, duration: float) -> str:
    if hit.start <= AT_START_S:
        return "start"
    if duration and duration - (hit.start + hit.duration) <= AT_END_S:
        return "end"
    return "middle"


def check_audio(path: str, fmt: str, lang: str, optional: bool = False) -> list[dict]:
    """explicit_labels entries for rhythm prompts in the file's first audio stream.
    optional: a video without sound is fine (no error, no entries)."""
    pieces, duration = decode_mono(path, fmt, stream_required=not optional)
    entries = []
    hits = [hit for offset, samples in pieces for hit in find_rhythm(samples, offset=offset)]
    has_start = any(_where(h, duration) == "start" for h in hits)
    for hit in hits:
        where = _where(hit, duration)
        problems = [] if where == "start" or has_start else ["explicit-audio-position"]
        entries.append({
            "modality": "audio-rhythm",
            "text": tr("explicit.rhythm.text", lang),
            "box": None,
            "height_ratio": None,
            "start_s": hit.start,
            "duration_s": hit.duration,
            "position": where,
            "frequency_hz": hit.frequency,
            "elements_s": list(hit.elements),
            "gaps_s": list(hit.gaps),
            "heuristic": True,
            "note": tr("explicit.rhythm.heuristic", lang),
            "compliant": not problems,
            "problems": problems,
        })
    return entries
