"""The detector network: a fixed high-pass view followed by a small residual CNN.

High-pass (inside the graph, so the ONNX file is self-contained): the patch minus its 2x
nearest-neighbour down/up copy (NPR: every pixel minus the top-left pixel of its 2x2 cell).
Up-sampling decoders leave correlations between neighbouring pixels exactly at this scale. The
residual is folded into 12 channels at half resolution (one per position in the 2x2 cell and
colour), so the first convolution sees the cell structure directly and runs at 1/4 the cost.
Output: one logit per patch. Input: N x 3 x 128 x 128 RGB in [0, 1], never resized.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["TraceNet", "count_parameters"]

WIDTHS = (24, 48, 96, 160)
NPR_GAIN = 8.0  # residuals are small; a fixed gain keeps the first layer in a normal range


def _conv_bn(n_in: int, n_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(n_in, n_out, 3, stride=stride, padding=1, bias=False),
                         nn.BatchNorm2d(n_out))


class _Residual(nn.Module):
    """Two 3x3 conv+BN; a strided 1x1 projection on the shortcut when the shape changes."""

    def __init__(self, n_in: int, n_out: int, stride: int = 1) -> None:
        super().__init__()
        self.a = _conv_bn(n_in, n_out, stride)
        self.b = _conv_bn(n_out, n_out)
        self.short = (nn.Identity() if stride == 1 and n_in == n_out else
                      nn.Sequential(nn.Conv2d(n_in, n_out, 1, stride=stride, bias=False),
                                    nn.BatchNorm2d(n_out)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.b(torch.relu(self.a(x))) + self.short(x))


class TraceNet(nn.Module):
    def __init__(self, patch: int = 128) -> None:
        super().__init__()
        self.patch = patch
        w0, w1, w2, w3 = WIDTHS
        self.stem = nn.Sequential(_conv_bn(12, w0), nn.ReLU(), _conv_bn(w0, w0), nn.ReLU())
        self.body = nn.Sequential(
            _Residual(w0, w1, 2), _Residual(w1, w1),
            _Residual(w1, w2, 2), _Residual(w2, w2),
            _Residual(w2, w3, 2),
        )
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(w3, 1)

    def highpass(self, x: torch.Tensor) -> torch.Tensor:
        """N x 3 x P x P -> N x 12 x P/2 x P/2: NPR residual, one channel per cell position."""
        half = self.patch // 2
        cells = x.reshape(-1, 3, half, 2, half, 2)
        resid = (cells - cells[:, :, :, 0:1, :, 0:1]) * NPR_GAIN
        return resid.permute(0, 1, 3, 5, 2, 4).reshape(-1, 12, half, half)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = self.body(self.stem(self.highpass(x)))
        pooled = feats.mean(dim=(2, 3))
        return self.head(self.drop(pooled))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
