"""onnxruntime sessions: execution provider choice and one cached session per worker process.

ORT_DISABLE_TELEMETRY=1 is set by aigcverify/__init__.py before anything imports onnxruntime
(this module is only reachable through the aigcverify package). Creating a session costs far
more than one image, so each process creates it once and keeps it (module-level cache).
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from .manifest import DetectorError, ModelInfo

__all__ = ["PREFERRED_PROVIDERS", "PROVIDER_ALIASES", "choose_provider", "get_session",
           "run_patches", "clear_sessions"]

log = logging.getLogger(__name__)

# Accelerators first, CPU last; the first one this onnxruntime build offers is used.
PREFERRED_PROVIDERS = (
    "CUDAExecutionProvider",
    "DmlExecutionProvider",
    "CoreMLExecutionProvider",
    "CPUExecutionProvider",
)
# Names a user may give in options.provider (CLI --provider, GUI settings).
PROVIDER_ALIASES = {
    "cuda": "CUDAExecutionProvider",
    "directml": "DmlExecutionProvider",
    "dml": "DmlExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "cpu": "CPUExecutionProvider",
}

_SESSIONS: dict[tuple[str, str], object] = {}
_LOCK = threading.Lock()


def _ort():
    import onnxruntime  # noqa: PLC0415 - heavy import, only when the detector runs

    return onnxruntime


def choose_provider(requested: str = "auto", available: list[str] | None = None) -> str:
    """The provider to use: the requested one (alias or full name) when this build has it,
    otherwise the first of PREFERRED_PROVIDERS that is available."""
    if available is None:
        available = list(_ort().get_available_providers())
    wanted = (requested or "auto").strip()
    if wanted.lower() != "auto":
        name = PROVIDER_ALIASES.get(wanted.lower(), wanted)
        if name not in available:
            raise DetectorError(f"execution provider {wanted} is not available "
                                f"(available: {', '.join(available)})")
        return name
    for name in PREFERRED_PROVIDERS:
        if name in available:
            return name
    raise DetectorError("onnxruntime offers no usable execution provider")


def get_session(info: ModelInfo, requested: str = "auto") -> tuple[object, str]:
    """(session, provider actually used), created once per process and model."""
    provider = choose_provider(requested)
    key = (str(info.path), provider)
    with _LOCK:
        session = _SESSIONS.get(key)
        if session is None:
            ort = _ort()
            opts = ort.SessionOptions()
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            providers = [provider] if provider == "CPUExecutionProvider" else [provider, "CPUExecutionProvider"]
            try:
                session = ort.InferenceSession(str(info.path), sess_options=opts, providers=providers)
            except (RuntimeError, ValueError, OSError) as err:  # ORT raises its own RuntimeError subclasses
                raise DetectorError(f"cannot load model {info.label}: {err}") from err
            _SESSIONS[key] = session
    used = session.get_providers()[0]  # type: ignore[attr-defined]
    return session, used


def run_patches(info: ModelInfo, session: object, patches: np.ndarray) -> np.ndarray:
    """Logits (N,) for an N x 3 x P x P float32 batch in one call."""
    if patches.shape[0] == 0:
        return np.zeros(0, dtype=np.float32)
    try:
        out = session.run([info.output_name], {info.input_name: patches})  # type: ignore[attr-defined]
    except (RuntimeError, ValueError) as err:
        raise DetectorError(f"model inference failed: {err}") from err
    return np.asarray(out[0], dtype=np.float32).reshape(-1)


def clear_sessions() -> None:
    """Forget cached sessions (tests, or after the user changes the provider)."""
    with _LOCK:
        _SESSIONS.clear()
