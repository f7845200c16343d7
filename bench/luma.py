"""Luma and luma PSNR, shared by the benches that place each codec's laundering cut where it
loses as much as JPEG quality 80 (webp_quality_table, heif_quality_table,
h264_quality_equivalence): the cuts are only comparable if all three measure alike."""

from __future__ import annotations

import numpy as np

WEIGHTS = np.array([0.299, 0.587, 0.114])  # the JPEG / BT.601 luma weights


def luma(rgb) -> np.ndarray:  # noqa: ANN001 - an H x W x 3 array or a PIL RGB image
    return np.asarray(rgb, dtype=np.float64) @ WEIGHTS


def luma_psnr(a, b) -> float:  # noqa: ANN001 - arrays or PIL RGB images of one size
    mse = float(np.mean((luma(a) - luma(b)) ** 2))
    return 10 * np.log10(255.0 ** 2 / max(mse, 1e-9))
