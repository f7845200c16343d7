"""Laundering signs: JPEG quality from quantisation tables, thumbnails."""

import io

import numpy as np
import pytest
from PIL import Image

from aigcverify.detect.laundering import (JPEG_QUALITY_MIN, MIN_SIDE, jpeg_quality,
                                          laundering_reason)


def _jpeg_tables(quality: int, subsampling: int = 2) -> dict:
    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, subsampling=subsampling)
    buf.seek(0)
    with Image.open(buf) as im:
        return im.quantization


@pytest.mark.parametrize("quality", [20, 50, 60, 75, 79, 80, 85, 90, 95, 98, 100])
def test_jpeg_quality_matches_the_writer(quality):
    assert jpeg_quality(_jpeg_tables(quality)) == quality


def test_jpeg_quality_needs_a_table():
    assert jpeg_quality(None) is None
    assert jpeg_quality({}) is None
    assert jpeg_quality({0: [1, 2, 3]}) is None  # damaged table: not a quality


def test_laundering_reasons():
    assert laundering_reason(1024, 1024, JPEG_QUALITY_MIN - 1) == "jpeg-quality"
    assert laundering_reason(1024, 1024, JPEG_QUALITY_MIN) is None
    assert laundering_reason(1024, 1024, None) is None
    assert laundering_reason(MIN_SIDE - 1, 1024, 95) == "small"
    assert laundering_reason(MIN_SIDE, MIN_SIDE, 95) is None
