"""Patch selection: K native-resolution patches from the most textured parts of a picture.

Generation traces are faint pixel-grid correlations; flat sky and solid fills carry almost none
(and JPEG wipes what little they have), so patches are chosen where there is texture. Positions
lie on the generators' latent grid (multiples of 8 from the top-left corner), where the
training patches were taken. Nothing is ever resized: a picture smaller than one patch is
padded by mirroring (and flagged by the caller).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PatchSet", "select_patches", "texture_map"]

CELL = 16  # texture is measured on 16x16 cells, then summed over each candidate patch


@dataclass(frozen=True, slots=True)
class PatchSet:
    batch: np.ndarray  # N x 3 x P x P float32 in [0, 1]
    positions: list[tuple[int, int]]  # (y, x) top-left of each patch
    textures: list[float]  # mean |gradient| inside each patch (0..255 scale)
    padded: bool  # the picture was smaller than one patch


def texture_map(gray: np.ndarray) -> np.ndarray:
    """Mean absolute gradient per CELL x CELL cell (H//CELL x W//CELL), 0..255 scale."""
    h, w = gray.shape
    hc, wc = h // CELL, w // CELL
    g = gray[: hc * CELL, : wc * CELL].astype(np.int16)
    mag = np.zeros((hc * CELL, wc * CELL), dtype=np.int16)
    mag[:-1] = np.abs(g[1:] - g[:-1])
    mag[:, :-1] += np.abs(g[:, 1:] - g[:, :-1])
    sums = mag.reshape(hc, CELL, wc * CELL).sum(axis=1, dtype=np.int32)
    sums = sums.reshape(hc, wc, CELL).sum(axis=2)
    return sums.astype(np.float32) / (CELL * CELL)


def _pad(rgb: np.ndarray, patch: int) -> np.ndarray:
    h, w, _ = rgb.shape
    ph, pw = max(0, patch - h), max(0, patch - w)
    return np.pad(rgb, ((0, ph), (0, pw), (0, 0)), mode="symmetric")


def select_patches(rgb: np.ndarray, patch: int, k: int, grid: int = 8,
                   min_texture: float = 2.0) -> PatchSet:
    """Up to k patches (H x W x 3 uint8 in), most textured first, overlapping at most half.

    Flat candidates (texture below min_texture) are used only when nothing else is left, so a
    flat picture still gets a (weak) score instead of none.
    """
    padded = rgb.shape[0] < patch or rgb.shape[1] < patch
    if padded:
        rgb = _pad(rgb, patch)
    h, w, _ = rgb.shape
    cells = texture_map(rgb[:, :, 1])  # green: most of the luminance, a third of the work
    span = patch // CELL
    # integral image over cells: texture of every cell-aligned candidate in O(1)
    integ = np.pad(cells, ((1, 0), (1, 0))).cumsum(axis=0).cumsum(axis=1)
    stride = max(grid, patch // 2 // grid * grid)
    cands: list[tuple[float, int, int]] = []
    for y in range(0, h - patch + 1, stride):
        for x in range(0, w - patch + 1, stride):
            cy, cx = y // CELL, x // CELL
            cy2, cx2 = min(cy + span, cells.shape[0]), min(cx + span, cells.shape[1])
            area = max(1, (cy2 - cy) * (cx2 - cx))
            tex = (integ[cy2, cx2] - integ[cy, cx2] - integ[cy2, cx] + integ[cy, cx]) / area
            cands.append((float(tex), y, x))
    if not cands:  # only when patch > picture after padding, which cannot happen
        cands.append((0.0, 0, 0))
    cands.sort(key=lambda c: (-c[0], c[1], c[2]))
    chosen: list[tuple[float, int, int]] = []
    for flat_pass in (False, True):
        for tex, y, x in cands:
            if len(chosen) >= k:
                break
            if (tex < min_texture) != flat_pass:
                continue
            if any(abs(y - cy) < patch // 2 and abs(x - cx) < patch // 2 for _, cy, cx in chosen):
                continue
            chosen.append((tex, y, x))
        if chosen:
            break
    batch = np.stack([rgb[y:y + patch, x:x + patch] for _, y, x in chosen])
    batch = np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
    return PatchSet(batch=batch, positions=[(y, x) for _, y, x in chosen],
                    textures=[round(t, 2) for t, _, _ in chosen], padded=padded)
