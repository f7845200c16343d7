"""AIGC Label Verifier core: reads GB 45438 implicit labels, C2PA, explicit labels and
generation traces, and derives the Measures Art. 6 verdict. Never imports Qt."""

import os as _os

# Must be set before onnxruntime is imported anywhere (architecture rule 4).
_os.environ["ORT_DISABLE_TELEMETRY"] = "1"  # not setdefault: a user's =0 must not win

__version__ = "0.1.0"
__all__ = ["__version__"]
