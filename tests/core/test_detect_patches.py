"""Patch selection: textured regions first, native resolution, grid-aligned, bounded."""

import numpy as np

from aigcverify.detect.patches import select_patches, texture_map


def _flat_with_texture(h=512, w=768, seed=0):
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 120, dtype=np.uint8)  # flat "sky"
    img[256:512, 512:768] = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)  # textured corner
    return img


def test_textured_region_is_preferred_and_positions_on_grid():
    img = _flat_with_texture()
    chosen = select_patches(img, 128, 4, grid=8, min_texture=2.0)
    assert chosen.batch.shape == (len(chosen.positions), 3, 128, 128)
    assert 1 <= len(chosen.positions) <= 4
    for y, x in chosen.positions:
        assert y % 8 == 0 and x % 8 == 0
        assert y >= 256 - 64 and x >= 512 - 64  # inside or overlapping the textured corner
    assert all(t >= 2.0 for t in chosen.textures)
    assert not chosen.padded


def test_patches_are_exact_pixels_not_resized():
    img = _flat_with_texture()
    chosen = select_patches(img, 128, 2)
    y, x = chosen.positions[0]
    expected = img[y:y + 128, x:x + 128].transpose(2, 0, 1).astype(np.float32) / 255.0
    np.testing.assert_array_equal(chosen.batch[0], expected)


def test_flat_picture_still_gets_a_patch():
    img = np.full((300, 300, 3), 40, dtype=np.uint8)
    chosen = select_patches(img, 128, 8)
    assert len(chosen.positions) >= 1
    assert chosen.textures[0] < 2.0


def test_small_picture_is_padded_and_flagged():
    img = np.random.default_rng(1).integers(0, 256, (100, 90, 3), dtype=np.uint8)
    chosen = select_patches(img, 128, 8)
    assert chosen.padded and chosen.batch.shape == (1, 3, 128, 128)


def test_patch_count_bounded_and_overlap_limited():
    img = np.random.default_rng(2).integers(0, 256, (1024, 1024, 3), dtype=np.uint8)
    chosen = select_patches(img, 128, 12)
    assert len(chosen.positions) == 12
    for i, (y1, x1) in enumerate(chosen.positions):
        for y2, x2 in chosen.positions[i + 1:]:
            assert abs(y1 - y2) >= 64 or abs(x1 - x2) >= 64


def test_texture_map_shape():
    gray = np.zeros((100, 70), dtype=np.float32)
    assert texture_map(gray).shape == (100 // 16, 70 // 16)
