"""Step 2: train the detector on the aligned pairs from build_data.py.

Every step takes B/2 pairs; each pair (a real crop and the fake made from it) gets the *same*
random augmentation: a patch position (on the 8-pixel grid, sometimes shifted by an even
amount), flips, Gaussian blur, JPEG at a random quality. So the only thing that differs inside
a pair is the simulated generator trace. Seeded; the number of steps is fixed (--steps), and a
wall-clock budget (--max-minutes) ends the run earlier on a slow machine: the learning-rate
schedule follows whichever budget is further along, and the log records which one ended it.

    python models/train/train.py [--steps 4000] [--max-minutes 55]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageFilter

from common import CACHE, PATCH, SEED, seed_everything, threads
from net import TraceNet, count_parameters

JPEG_P = 0.6
JPEG_Q = (60, 100)
BLUR_P = 0.3
BLUR_SIGMA = (0.3, 1.2)
SHIFT_P = 0.3  # share of patches off the 8-pixel grid (even shifts only)
# how often each kind of simulated fake is drawn: TAEF2 is the faithful latent decoder; the
# small simulators add decoder diversity but are blurrier, so they are drawn less often
KIND_WEIGHTS = {"taef2": 0.6, "tconv": 0.1, "nearest": 0.1, "pixelshuffle": 0.1, "bilinear": 0.1}


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as out:
        return out.convert("RGB")


def augment_pair(real: np.ndarray, fake: np.ndarray, rng: np.random.Generator,
                 patch: int = PATCH) -> tuple[np.ndarray, np.ndarray]:
    """One identical random augmentation for both members of a pair -> two patches."""
    pair = [Image.fromarray(real), Image.fromarray(fake)]
    if rng.random() < BLUR_P:
        radius = float(rng.uniform(*BLUR_SIGMA))
        pair = [im.filter(ImageFilter.GaussianBlur(radius)) for im in pair]
    if rng.random() < JPEG_P:
        quality = int(rng.integers(JPEG_Q[0], JPEG_Q[1] + 1))
        pair = [_jpeg(im, quality) for im in pair]
    arrs = [np.asarray(im) for im in pair]
    h, w, _ = arrs[0].shape
    y = int(rng.integers(0, (h - patch) // 8 + 1)) * 8
    x = int(rng.integers(0, (w - patch) // 8 + 1)) * 8
    if rng.random() < SHIFT_P:
        y = min(h - patch, y + 2 * int(rng.integers(1, 4)))
        x = min(w - patch, x + 2 * int(rng.integers(1, 4)))
    out = [a[y:y + patch, x:x + patch] for a in arrs]
    if rng.random() < 0.5:
        out = [a[:, ::-1] for a in out]
    if rng.random() < 0.5:
        out = [a[::-1, :] for a in out]
    return out[0], out[1]


def batch_tensor(patches: list[np.ndarray]) -> torch.Tensor:
    arr = np.ascontiguousarray(np.stack(patches))
    return torch.from_numpy(arr).permute(0, 3, 1, 2).float().div_(255.0)


def roc_auc(neg: np.ndarray, pos: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted half."""
    scores = np.concatenate([neg, pos])
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    r_pos = ranks[len(neg):].sum()
    return float((r_pos - len(pos) * (len(pos) + 1) / 2.0) / (len(pos) * len(neg)))


@torch.no_grad()
def evaluate(model: TraceNet, real: np.ndarray, fake: np.ndarray, jpeg_q: int | None) -> dict:
    """AUC on fixed centre patches of held-out pairs (optionally JPEG re-encoded alike)."""
    model.eval()
    c = (real.shape[1] - PATCH) // 2 // 8 * 8
    logits = {}
    for name, arr in (("real", real), ("fake", fake)):
        patches = []
        for a in arr:
            im = Image.fromarray(a)
            if jpeg_q:
                im = _jpeg(im, jpeg_q)
            patches.append(np.asarray(im)[c:c + PATCH, c:c + PATCH])
        outs = [model(batch_tensor(patches[s:s + 64])).squeeze(1) for s in range(0, len(patches), 64)]
        logits[name] = torch.cat(outs).numpy()
    model.train()
    return {"auc": round(roc_auc(logits["real"], logits["fake"]), 4),
            "acc": round(float(((logits["real"] < 0).mean() + (logits["fake"] > 0).mean()) / 2), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=32, help="patches per step (half real, half fake)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--max-minutes", type=float, default=55.0)
    ap.add_argument("--init", type=Path, help="start from these weights (fine-tuning stage)")
    ap.add_argument("--kind-weights", default="",
                    help="override KIND_WEIGHTS, e.g. taef2=0.9,tconv=0.025,...")
    ap.add_argument("--data", type=Path, default=CACHE)
    ap.add_argument("--out", type=Path, default=CACHE / "detector.pt")
    args = ap.parse_args()
    torch.set_num_threads(threads())
    seed_everything(SEED)
    rng = np.random.default_rng(SEED + 1)

    real = np.load(args.data / "train_real.npy", mmap_mode="r")
    fake = np.load(args.data / "train_fake.npy", mmap_mode="r")
    n = len(real)
    perm = np.random.default_rng(SEED + 2).permutation(n)
    n_val = max(32, n // 12)
    val_idx, train_idx = np.sort(perm[:n_val]), perm[n_val:]
    val_real, val_fake = np.asarray(real[val_idx]), np.asarray(fake[val_idx])
    kinds = np.asarray(json.loads((args.data / "train_kinds.json").read_text()))
    kind_weights = dict(KIND_WEIGHTS)
    for item in filter(None, args.kind_weights.split(",")):
        name, value = item.split("=")
        kind_weights[name] = float(value)
    weights = np.asarray([kind_weights[k] / (kinds[train_idx] == k).sum() for k in kinds[train_idx]])
    weights /= weights.sum()

    model = TraceNet(PATCH)
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location="cpu", weights_only=True))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    half = args.batch // 2
    labels = torch.cat([torch.zeros(half, 1), torch.ones(half, 1)])
    started = time.monotonic()
    history, loss_ema, stopped_early = [], None, False
    step = 0
    budget_s = args.max_minutes * 60
    for step in range(1, args.steps + 1):
        # progress is the larger of the step and the wall-clock fractions: on a fast machine the
        # run is step-exact (reproducible); on a slow one the cosine still ends at the time cap
        progress = max((step - 1) / args.steps, (time.monotonic() - started) / budget_s)
        if progress >= 1.0:
            stopped_early = True
            print(f"wall-clock budget reached at step {step - 1}", flush=True)
            step -= 1
            break
        lr = args.lr * 0.5 * (1 + math.cos(math.pi * progress))
        lr *= min(1.0, step / 100)  # warm-up
        for group in opt.param_groups:
            group["lr"] = lr
        picks = rng.choice(train_idx, half, replace=False, p=weights)
        reals, fakes = zip(*(augment_pair(real[i], fake[i], rng) for i in picks))
        x = batch_tensor(list(reals) + list(fakes))
        loss = loss_fn(model(x), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_ema = loss.item() if loss_ema is None else 0.98 * loss_ema + 0.02 * loss.item()
        elapsed = time.monotonic() - started
        if step % 250 == 0 or step == args.steps:
            entry = {"step": step, "minutes": round(elapsed / 60, 1), "loss": round(loss_ema, 4),
                     "lr": round(lr, 6)}
            if step % 1000 == 0 or step == args.steps:
                entry["val_native"] = evaluate(model, val_real, val_fake, None)
                entry["val_jpeg90"] = evaluate(model, val_real, val_fake, 90)
            history.append(entry)
            print(json.dumps(entry), flush=True)
            torch.save(model.state_dict(), args.out)
    model.eval()
    final = {"native": evaluate(model, val_real, val_fake, None),
             "jpeg90": evaluate(model, val_real, val_fake, 90)}
    torch.save(model.state_dict(), args.out)
    log = {"steps_planned": args.steps, "steps_done": step, "stopped_early": stopped_early,
           "batch": args.batch, "lr": args.lr, "threads": threads(), "seed": SEED,
           "parameters": count_parameters(model), "train_pairs": int(len(train_idx)),
           "val_pairs": int(n_val), "minutes": round((time.monotonic() - started) / 60, 1),
           "augment": {"jpeg_p": JPEG_P, "jpeg_q": JPEG_Q, "blur_p": BLUR_P,
                       "blur_sigma": BLUR_SIGMA, "shift_p": SHIFT_P, "flips": True},

           "val_final": final, "history": history}
    log["init"] = str(args.init.name) if args.init else None
    log["kind_weights"] = kind_weights
    log_path = args.out.parent / "train_log.json"
    if args.init and log_path.exists():  # a fine-tuning stage keeps the first stage's log
        log["previous_stage"] = {k: v for k, v in json.loads(log_path.read_text()).items()
                                 if k != "history"}
    log_path.write_text(json.dumps(log, indent=2))
    print(json.dumps({k: log[k] for k in ("steps_done", "minutes", "val_final")}), flush=True)


if __name__ == "__main__":
    main()
