"""Step 3: export the trained network to ONNX (opset 17, dynamic patch batch, the high-pass
step inside the graph), prove parity with torch, and write the first manifest.

Calibration and thresholds are filled in by calibrate.py; evaluation figures by
bench/detector_eval.py --write-manifest.

    python models/train/export.py
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from common import CACHE, PATCH, ROOT, SEED, sha256_file, threads
from net import TraceNet, count_parameters

NAME = "trace-npr"
VERSION = "1.0.0"
OPSET = 17
PARITY_MAX = 1e-4
MODEL_DIR = ROOT / "models" / NAME


def export(model: TraceNet, out: Path) -> None:
    dummy = torch.rand(2, 3, PATCH, PATCH)
    torch.onnx.export(
        model, (dummy,), str(out), opset_version=OPSET, dynamo=False,
        input_names=["patches"], output_names=["logit"],
        dynamic_axes={"patches": {0: "n"}, "logit": {0: "n"}},
        do_constant_folding=True,
    )


def parity(model: TraceNet, onnx_path: Path) -> dict:
    """Max |torch - onnxruntime| on random patches and on real training patches."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    gen = torch.Generator().manual_seed(SEED)
    batches = [torch.rand(7, 3, PATCH, PATCH, generator=gen)]
    real_path = CACHE / "train_real.npy"
    if real_path.exists():
        real = np.load(real_path, mmap_mode="r")[:16, :PATCH, :PATCH]
        batches.append(torch.from_numpy(np.ascontiguousarray(real)).permute(0, 3, 1, 2).float() / 255)
    worst = 0.0
    with torch.no_grad():
        for x in batches:
            ref = model(x).numpy()
            got = sess.run(["logit"], {"patches": x.numpy()})[0]
            worst = max(worst, float(np.abs(ref - got).max()))
    return {"max_abs_diff": worst, "limit": PARITY_MAX, "ok": worst < PARITY_MAX}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--weights", type=Path, default=CACHE / "detector.pt")
    args = ap.parse_args()
    torch.set_num_threads(threads())
    model = TraceNet(PATCH)
    model.load_state_dict(torch.load(args.weights, map_location="cpu", weights_only=True))
    model.eval()
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    onnx_path = MODEL_DIR / "model.onnx"
    export(model, onnx_path)
    # the state dict ships next to the ONNX file: the parity test (tests/core/
    # test_detect_parity.py) recomputes the torch outputs from it
    torch.save(model.state_dict(), MODEL_DIR / "weights.pt")
    check = parity(model, onnx_path)
    print(json.dumps({"parity": check}), flush=True)
    if not check["ok"]:
        raise SystemExit(f"ONNX parity failed: {check}")
    man_path = MODEL_DIR / "manifest.json"
    old = json.loads(man_path.read_text()) if man_path.exists() else {}
    data_meta = json.loads((CACHE / "data_meta.json").read_text())
    train_log = json.loads((CACHE / "train_log.json").read_text())
    manifest = {
        "name": NAME,
        "version": VERSION,
        "file": "model.onnx",
        "sha256": sha256_file(onnx_path),
        "size_bytes": onnx_path.stat().st_size,
        "format": {"onnx_opset": OPSET, "exporter": f"torch {torch.__version__} (TorchScript)"},
        "architecture": {
            "highpass": "NPR: x minus its 2x nearest down/up copy, folded to 12 channels at 1/2 "
                        "resolution (inside the graph)",
            "network": "residual CNN, widths 24-48-96-160, BatchNorm, global average pool, "
                       "one logit per patch",
            "parameters": count_parameters(model),
        },
        "input": {"name": "patches", "shape": ["n", 3, PATCH, PATCH], "dtype": "float32",
                  "range": [0.0, 1.0], "color": "RGB", "patch": PATCH,
                  "note": "native-resolution patches, never resized"},
        "output": {"name": "logit", "shape": ["n", 1], "meaning": "per-patch logit, higher = "
                   "more like the simulated generator reconstructions"},
        "app": old.get("app", {"patches": 12, "video_patches": 4, "grid": 8, "min_texture": 2.0,
                               "aggregation": "max"}),
        "calibration": old.get("calibration", {"method": "platt", "a": 1.0, "b": 0.0}),
        "thresholds": old.get("thresholds", {"suspected": 0.5, "high": 0.9}),
        "parity": check,
        "training": {"data": data_meta, "log": {k: v for k, v in train_log.items() if k != "history"},
                     "history": train_log.get("history", []),
                     "pipeline": "models/train (make train-detector)"},
        "provenance": {
            "real_photos": "shared/data/detector/real-train (ImageNet sample, BSD100, Set14) and "
                           "Debian packages plasma-workspace-wallpapers, lomiri-wallpapers-16.04",
            "fakes": "simulated from the same crops: TAEF2 encode/decode (madebyollin/taesd "
                     "weights, MIT) and four up-sampling autoencoders trained in build_data.py; "
                     "no real generator image was used for training",
        },
        "evaluation": old.get("evaluation"),
    }
    man_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {onnx_path} ({onnx_path.stat().st_size} bytes) and {man_path}", flush=True)


if __name__ == "__main__":
    main()
