"""The shipped ONNX model computes what the training framework computes (max |diff| < 1e-4).

Needs the optional "train" extra (torch); skipped without it, so the app and its tests never
need torch. The weights are the committed state dict the ONNX file was exported from.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from aigcverify.detect.manifest import load_manifest  # noqa: E402
from aigcverify.detect.session import get_session, run_patches  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KODAK = ROOT.parent / "shared" / "data" / "detector" / "dev-eval" / "real-kodak24" / "kodim05.png"


def _torch_model(info):
    sys.path.insert(0, str(ROOT / "models" / "train"))
    try:
        from net import TraceNet
    finally:
        sys.path.remove(str(ROOT / "models" / "train"))
    weights = info.path.parent / "weights.pt"
    model = TraceNet(info.patch)
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model.eval()


def test_onnx_matches_torch():
    info = load_manifest()
    model = _torch_model(info)
    session, _ = get_session(info, "cpu")
    rng = np.random.default_rng(11)
    batches = [rng.random((5, 3, info.patch, info.patch), dtype=np.float32),
               np.zeros((1, 3, info.patch, info.patch), dtype=np.float32)]
    if KODAK.exists():
        from PIL import Image

        rgb = np.asarray(Image.open(KODAK).convert("RGB"))[:256, :384]
        cut = [rgb[y:y + 128, x:x + 128] for y in (0, 128) for x in (0, 128, 256)]
        batches.append(np.stack(cut).transpose(0, 3, 1, 2).astype(np.float32) / 255.0)
    with torch.no_grad():
        for batch in batches:
            ref = model(torch.from_numpy(np.ascontiguousarray(batch))).numpy().reshape(-1)
            got = run_patches(info, session, np.ascontiguousarray(batch))
            assert np.abs(ref - got).max() < 1e-4
