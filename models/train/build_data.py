"""Step 1: aligned real/fake crops.

Real crops (256x256, native resolution, offsets on the 8-pixel latent grid, textured regions
preferred) come from the training photo sources. Each crop gets one simulated fake, made from
that very crop: a TAEF2 encode/decode, or one of four small up-sampling autoencoders trained
here first. Both are stored losslessly as uint8 arrays, so format and size never tell the
classes apart. A calibration set (real crops of unseen sources and their fakes, 384x384) is
built the same way.

    python models/train/build_data.py [--sim-steps 1200] [--taef2-share 0.35]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from common import (CACHE, CALIB_SOURCES, CROP, DATA, SEED, TRAIN_SOURCES, load_rgb,
                    seed_everything, source_files, threads)
from simulators import KINDS, train_simulator
from taef2 import load_taef2

CROPS_PER_IMAGE = {"imagenet-sample": 1, "bsd100": 2, "set14": 2,
                   "plasma-workspace-wallpapers": 3, "lomiri-wallpapers-16.04": 4,
                   "imagenet-sample-calib": 1, "mate-backgrounds": 2}
CALIB_CROP = 320  # calibration crops: big enough for several patches per crop
GRID = 8  # crop offsets on the latent grid of 8x decoders
MIN_TEXTURE = 2.0  # mean |gradient| (0..255 scale) below which a crop is a flat fill


def texture(crop: np.ndarray) -> float:
    g = crop.astype(np.float32).mean(axis=2)
    return float(np.abs(np.diff(g, axis=0)).mean() + np.abs(np.diff(g, axis=1)).mean())


def pick_crops(img: np.ndarray, size: int, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """count textured crops from 4*count random grid-aligned candidates (best texture first,
    not overlapping by more than half)."""
    h, w, _ = img.shape
    if h < size or w < size:
        return []
    cands = []
    for _ in range(4 * count + 2):
        y = int(rng.integers(0, (h - size) // GRID + 1)) * GRID
        x = int(rng.integers(0, (w - size) // GRID + 1)) * GRID
        crop = img[y:y + size, x:x + size]
        cands.append((texture(crop), y, x))
    cands.sort(reverse=True)
    chosen: list[tuple[int, int]] = []
    out = []
    for t, y, x in cands:
        if t < MIN_TEXTURE or len(out) >= count:
            continue
        if any(abs(y - cy) < size // 2 and abs(x - cx) < size // 2 for cy, cx in chosen):
            continue
        chosen.append((y, x))
        out.append(np.ascontiguousarray(img[y:y + size, x:x + size]))
    return out


def collect(sources, size: int, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    crops, names = [], []
    for src in sources:
        files = source_files(src, min_side=size)
        n0 = len(crops)
        for path in files:
            for crop in pick_crops(load_rgb(path), size, CROPS_PER_IMAGE.get(src.name, 1), rng):
                crops.append(crop)
                names.append(f"{src.name}/{path.name}")
        print(f"  {src.name}: {len(files)} images -> {len(crops) - n0} crops", flush=True)
    return np.stack(crops), names


def to_tensor(batch: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2).float().div_(255.0)


def to_uint8(t: torch.Tensor) -> np.ndarray:
    return (t.permute(0, 2, 3, 1).numpy() * 255.0).round().clip(0, 255).astype(np.uint8)


def simulate(real: np.ndarray, kinds: list[str], sims: dict, batch: int = 4) -> np.ndarray:
    fake = np.empty_like(real)
    for kind in sorted(set(kinds)):
        idx = [i for i, k in enumerate(kinds) if k == kind]
        for s in range(0, len(idx), batch):
            part = idx[s:s + batch]
            fake[part] = to_uint8(sims[kind].reconstruct(to_tensor(real[part])))
    return fake


def assign_kinds(n: int, taef2_share: float, rng: np.random.Generator) -> list[str]:
    draws = rng.random(n)
    sim_idx = rng.integers(0, len(KINDS), n)
    return ["taef2" if d < taef2_share else KINDS[j] for d, j in zip(draws, sim_idx)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sim-steps", type=int, default=1200, help="training steps per simulator")
    ap.add_argument("--sim-max-seconds", type=float, default=300.0,
                    help="wall-clock cap per simulator (slow machines; logged)")
    ap.add_argument("--taef2-share", type=float, default=0.35)
    ap.add_argument("--out", type=Path, default=CACHE)
    args = ap.parse_args()
    torch.set_num_threads(threads())
    seed_everything(SEED)
    rng = np.random.default_rng(SEED)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    print("collecting training crops", flush=True)
    real, names = collect(TRAIN_SOURCES, CROP, rng)
    print(f"  {len(real)} crops of {CROP}x{CROP}", flush=True)

    sims: dict = {"taef2": load_taef2(DATA / "simulator")}
    sim_log = []
    for j, kind in enumerate(KINDS):
        model, log = train_simulator(kind, real, args.sim_steps, seed=SEED + j,
                                     max_seconds=args.sim_max_seconds)
        sims[kind] = model
        sim_log.append(log)
        torch.save(model.state_dict(), args.out / f"sim_{kind}.pt")
        print(f"  simulator {log}", flush=True)

    kinds = assign_kinds(len(real), args.taef2_share, rng)
    fake = simulate(real, kinds, sims)
    np.save(args.out / "train_real.npy", real)
    np.save(args.out / "train_fake.npy", fake)
    print(f"  training pairs done at {time.monotonic() - started:.0f} s", flush=True)

    print("collecting calibration crops", flush=True)
    calib_real, calib_names = collect(CALIB_SOURCES, CALIB_CROP, rng)
    calib_kinds = assign_kinds(len(calib_real), 0.5, rng)
    calib_fake = simulate(calib_real, calib_kinds, sims, batch=2)
    np.save(args.out / "calib_real.npy", calib_real)
    np.save(args.out / "calib_fake.npy", calib_fake)

    psnr = {}
    for kind in sorted(set(kinds)):
        idx = [i for i, k in enumerate(kinds) if k == kind]
        mse = ((real[idx].astype(np.float32) - fake[idx].astype(np.float32)) ** 2).mean()
        psnr[kind] = round(float(10 * np.log10(255.0 ** 2 / mse)), 2)
    meta = {
        "seed": SEED, "crop": CROP, "grid": GRID, "taef2_share": args.taef2_share,
        "train": {"count": len(real), "kinds": {k: kinds.count(k) for k in sorted(set(kinds))},
                  "psnr_db": psnr,
                  "sources": {s.name: sum(n.startswith(s.name + "/") for n in names)
                              for s in TRAIN_SOURCES}},
        "calib": {"count": len(calib_real), "crop": CALIB_CROP,
                  "kinds": {k: calib_kinds.count(k) for k in sorted(set(calib_kinds))},
                  "sources": {s.name: sum(n.startswith(s.name + "/") for n in calib_names)
                              for s in CALIB_SOURCES}},
        "simulators": sim_log,
        "threads": threads(),
        "seconds": round(time.monotonic() - started, 1),
    }
    (args.out / "data_meta.json").write_text(json.dumps(meta, indent=2))
    (args.out / "train_kinds.json").write_text(json.dumps(kinds))
    print(json.dumps(meta, indent=2), flush=True)


if __name__ == "__main__":
    main()
