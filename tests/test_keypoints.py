import numpy as np
import pytest

from facial_keypoints.batches import FlipBatches
from facial_keypoints.keypoints import (COLUMNS, KEYPOINTS, MIRROR_X, flip_images, flip_targets, mirror_permutation, scale,
                                        shift_images, unscale)

pytestmark = pytest.mark.jax

# Written out independently of keypoints.py: the pairs of Nouri's flip iterator, by keypoint name.
EXPECTED_PAIRS = {
    ("left_eye_center", "right_eye_center"),
    ("left_eye_inner_corner", "right_eye_inner_corner"),
    ("left_eye_outer_corner", "right_eye_outer_corner"),
    ("left_eyebrow_inner_end", "right_eyebrow_inner_end"),
    ("left_eyebrow_outer_end", "right_eyebrow_outer_end"),
    ("mouth_left_corner", "mouth_right_corner"),
}
UNPAIRED = {"nose_tip", "mouth_center_top_lip", "mouth_center_bottom_lip"}


def test_kaggle_columns():
    assert len(COLUMNS) == 30 and len(KEYPOINTS) == 15
    assert [c[:-2] for c in COLUMNS[::2]] == list(KEYPOINTS)
    assert all(x.endswith("_x") and y.endswith("_y") for x, y in zip(COLUMNS[::2], COLUMNS[1::2]))


def test_mirror_pairs_by_name_for_all_30_columns():
    partner = {COLUMNS[i]: COLUMNS[j] for i, j in enumerate(mirror_permutation(COLUMNS))}
    pairs = {tuple(sorted((c[:-2], partner[c][:-2]))) for c in COLUMNS if partner[c] != c}
    assert pairs == {tuple(sorted(p)) for p in EXPECTED_PAIRS}
    assert {c[:-2] for c in COLUMNS if partner[c] == c} == UNPAIRED
    assert all(partner[c][-2:] == c[-2:] for c in COLUMNS)  # x stays x, y stays y


def test_mirror_pairs_within_a_subset_of_columns():
    columns = ["nose_tip_x", "nose_tip_y", "mouth_right_corner_x", "mouth_right_corner_y",
               "mouth_left_corner_x", "mouth_left_corner_y"]
    assert list(mirror_permutation(columns)) == [0, 1, 4, 5, 2, 3]
    with pytest.raises(ValueError, match="no mirror partner"):
        mirror_permutation(["left_eye_center_x", "right_eyebrow_inner_end_x"])


def test_scale_round_trip():
    pixels = np.array([0.0, 48.0, 95.0, 96.0])
    assert np.allclose(scale(pixels), [-1, 0, 95 / 48 - 1, 1])
    assert np.allclose(unscale(scale(pixels)), pixels)


def test_flipping_twice_is_the_identity():
    rng = np.random.default_rng(1)
    targets = rng.uniform(-1, 1, (5, 30))
    images = rng.uniform(0, 1, (5, 96, 96, 1))
    assert np.allclose(flip_targets(flip_targets(targets, COLUMNS), COLUMNS), targets)
    assert np.array_equal(flip_images(flip_images(images)), images)


def bright_dot_images(keypoints):
    """One image per keypoint row: black, with a bright pixel at every keypoint (pixel-centre convention)."""
    images = np.zeros((len(keypoints), 96, 96, 1), np.uint8)
    for image, row in zip(images, keypoints):
        for x, y in row.reshape(-1, 2):
            image[int(y), int(x), 0] = 255
    return images


def test_flipped_keypoint_lands_on_the_flipped_bright_pixel():
    rng = np.random.default_rng(2)
    keypoints = rng.integers(0, 96, (4, 30)).astype(float)
    images = bright_dot_images(keypoints)
    flipped_images = flip_images(images)
    flipped = unscale(flip_targets(scale(keypoints), COLUMNS))
    assert np.allclose(flipped, np.round(flipped))
    for image, row in zip(flipped_images, flipped):
        for x, y in np.round(row).astype(int).reshape(-1, 2):
            assert image[y, x, 0] == 255
    # column c mirrors to 95 - c, so x maps to MIRROR_X - x, not 96 - x
    assert MIRROR_X == 95
    assert np.allclose(flipped[:, 20], 95 - keypoints[:, 20])  # nose tip x


def test_flip_batches_mirror_exactly_half_of_every_batch_consistently():
    rng = np.random.default_rng(3)
    keypoints = rng.integers(0, 96, (70, 30)).astype(float)
    images = bright_dot_images(keypoints)
    images[:, 0, 0, 0] = 7  # an asymmetric marker in the top-left corner shows which were mirrored
    batches = FlipBatches(images, scale(keypoints), COLUMNS, batch_size=16, flip=True, seed=0)
    assert len(batches) == 5
    for epoch in range(2):
        for i in range(len(batches)):
            x, y = batches[i]
            mirrored = x[:, 0, -1, 0] == np.float32(7 / 255)
            assert mirrored.sum() == len(x) // 2
            for image, row in zip(x, unscale(y)):
                for px, py in np.round(row).astype(int).reshape(-1, 2):
                    assert image[py, px, 0] == 1.0
        batches.on_epoch_end()


def test_a_flipping_recipe_refuses_columns_that_cannot_be_mirrored():
    from facial_keypoints.preflight import check_settings
    from nets import net3

    with pytest.raises(ValueError, match="no mirror partner"):
        check_settings(net3.RECIPE, ["left_eye_center_x"], "plain")
    check_settings(net3.RECIPE, ["left_eye_center_x", "right_eye_center_x"], "plain")  # a pair flips


def test_shift_images_moves_the_face_and_repeats_the_edge_into_the_gap():
    images = np.random.default_rng(1).integers(0, 256, (3, 96, 96, 1)).astype(np.uint8)
    moved = shift_images(images, 1, -1)  # one pixel right, one up
    assert np.array_equal(moved[:, :-1, 1:], images[:, 1:, :-1])
    assert np.array_equal(moved[:, :, 0], moved[:, :, 1]) and np.array_equal(moved[:, -1], moved[:, -2])
    assert np.array_equal(shift_images(images, 0, 0), images)
