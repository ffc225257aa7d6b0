"""prediction.py: test-time augmentation (the views of flip and shift TTA, each mapped back and averaged by
predict_pixels), checked with predictors whose answers are known."""
import numpy as np
import pytest

from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS, flip_targets, scale
from facial_keypoints.prediction import predict_pixels, tta_views

pytestmark = pytest.mark.jax


def centroid_predictor(shape_px):
    """Keypoints = shape_px moved by the image's intensity centroid: mirror-equivariant iff shape_px is symmetric."""
    def predict_scaled(inputs):
        weights = inputs[..., 0] / inputs[..., 0].sum(axis=(1, 2), keepdims=True)
        cx = (weights.sum(axis=1) * np.arange(96)).sum(axis=1)
        cy = (weights.sum(axis=2) * np.arange(96)).sum(axis=1)
        shifted = np.tile(shape_px, (len(inputs), 1))
        shifted[:, 0::2] += cx[:, None] - 47.5
        shifted[:, 1::2] += cy[:, None] - 47.5
        return scale(shifted)
    return predict_scaled


def test_flip_tta_leaves_a_symmetric_predictor_unchanged_and_changes_an_asymmetric_one():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 96, 96)).astype(np.uint8)
    shape = rng.uniform(20, 76, 30)
    symmetric = (shape + (flip_targets(scale(shape), COLUMNS) * 48 + 48)) / 2
    for shape_px, unchanged in ((symmetric, True), (shape, False)):
        predict = centroid_predictor(shape_px)
        plain = predict_pixels(predict, images, COLUMNS)
        tta = predict_pixels(predict, images, COLUMNS, tta="flip")
        assert np.allclose(plain, tta, atol=1e-4) == unchanged


def test_shift_tta_averages_18_views_whose_moves_cancel():
    views = tta_views("shift")
    assert len(views) == 18 and len(set(views)) == 18 and tta_views("flip") == [(0, 0, False), (0, 0, True)]
    assert sum(dx for dx, _, _ in views) == sum(dy for _, dy, _ in views) == 0
    with pytest.raises(DataError, match="unknown TTA 'rotate'"):
        tta_views("rotate")
    rng = np.random.default_rng(2)
    images = np.zeros((4, 96, 96), np.uint8)  # a face in the middle: a move of one pixel loses none of it
    images[:, 20:76, 20:76] = rng.integers(1, 256, (4, 56, 56))
    shape = rng.uniform(20, 76, 30)
    follows_the_face = centroid_predictor(shape)  # keypoints move with the face: every view agrees, moved back
    flipped = predict_pixels(follows_the_face, images, COLUMNS, tta="flip")
    assert np.allclose(predict_pixels(follows_the_face, images, COLUMNS, tta="shift"), flipped, atol=1e-6)

    def one_pixel(inputs):  # reads a fixed spot: a move changes what it sees, so the views differ
        return np.tile(inputs[:, 47:48, 30, 0], (1, 30)) - 0.5
    assert not np.allclose(predict_pixels(one_pixel, images, COLUMNS, tta="shift"),
                           predict_pixels(one_pixel, images, COLUMNS, tta="flip"), atol=1e-3)


def test_x_offset_finds_what_a_mirror_symmetric_net_cannot_learn_and_calibrated_adds_it_after_the_views():
    from facial_keypoints.prediction import Calibrated, offsets_of, x_offset
    rng = np.random.default_rng(3)
    images = np.zeros((5, 96, 96), np.uint8)
    images[:, 20:76, 20:76] = rng.integers(1, 256, (5, 56, 56))
    shape = rng.uniform(20, 76, 30)
    symmetric = centroid_predictor((shape + (flip_targets(scale(shape), COLUMNS) * 48 + 48)) / 2)
    found = predict_pixels(symmetric, images, COLUMNS, tta="flip")
    is_x = np.array([c.endswith("_x") for c in COLUMNS])
    labels = found + 0.8 * is_x  # labelled 0.8 px right of where the net finds each point
    labels[0, :4] = np.nan  # a missing keypoint counts for nothing
    assert x_offset(symmetric, images, labels, COLUMNS) == pytest.approx(0.8, abs=1e-4)
    offsets = offsets_of({"x_offset_px": 0.8, "columns": COLUMNS})
    assert np.array_equal(offsets, [0.8 if x else 0.0 for x in is_x])
    calibrated = Calibrated(symmetric, offsets)
    for tta in (None, "flip", "shift"):  # added once, after the views: a mirrored view's map-back cannot cancel it
        assert np.allclose(predict_pixels(calibrated, images, COLUMNS, tta), found + 0.8 * is_x, atol=1e-4), tta
    asymmetric = centroid_predictor(shape)
    for tta in (None, "flip"):
        assert np.allclose(predict_pixels(Calibrated(asymmetric, offsets), images, COLUMNS, tta),
                           predict_pixels(asymmetric, images, COLUMNS, tta) + offsets, atol=1e-9)
    assert np.array_equal(offsets_of({"columns": ["nose_tip_x", "nose_tip_y"]}), [0.0, 0.0])  # a run from before: none
