import dataclasses

import keras
import numpy as np
import pytest
from keras import ops

from facial_keypoints.augment import augment
from facial_keypoints.keypoints import COLUMNS, flip_images, flip_targets, scale, unscale
from facial_keypoints.recipe import Recipe

NO_AUGMENTATION = Recipe(epochs=1)
YY, XX = np.mgrid[0:96, 0:96]


def dotted_faces(count, seed=0):
    """Images with a bright Gaussian dot at each of the 15 keypoints, dots at least 12 px apart."""
    rng = np.random.default_rng(seed)
    images, points = np.zeros((count, 96, 96, 1), "float32"), np.zeros((count, 15, 2))
    for i in range(count):
        grid = rng.choice(25, 15, replace=False)
        points[i] = np.stack([22 + 12 * (grid % 5), 22 + 12 * (grid // 5)], axis=1) + rng.uniform(-2, 2, (15, 2))
        for x, y in points[i]:
            images[i, :, :, 0] += np.exp(-((XX - x) ** 2 + (YY - y) ** 2) / (2 * 1.2 ** 2))
    return images, scale(points.reshape(count, 30)).astype("float32")


def centroid(image, x, y, radius=4):
    """Brightness-weighted centre of the image within radius of (x, y)."""
    weights = image[..., 0] * (((XX - x) ** 2 + (YY - y) ** 2) <= radius ** 2)
    return (weights * XX).sum() / weights.sum(), (weights * YY).sum() / weights.sum(), weights.max()


def run(recipe, images, targets, seed=1):
    out_images, out_targets = augment(ops.convert_to_tensor(images), ops.convert_to_tensor(targets), COLUMNS, recipe,
                                      keras.random.SeedGenerator(seed))
    return ops.convert_to_numpy(out_images), ops.convert_to_numpy(out_targets)


@pytest.mark.jax
@pytest.mark.parametrize("strengths", [dict(rotate=20), dict(zoom=0.2), dict(shift=8),
                                       dict(rotate=15, zoom=0.1, shift=5, flip=True)])
def test_keypoints_move_with_the_pixels(strengths):
    images, targets = dotted_faces(16)
    out_images, out_targets = run(dataclasses.replace(NO_AUGMENTATION, **strengths), images, targets)
    points = unscale(out_targets).reshape(16, 15, 2)
    assert not np.allclose(points, unscale(targets).reshape(16, 15, 2), atol=0.5)  # it did move them
    for image, image_points in zip(out_images, points):
        for x, y in image_points[~np.isnan(image_points).any(axis=1)]:
            cx, cy, peak = centroid(image, x, y)
            assert peak > 0.5 and abs(cx - x) < 0.3 and abs(cy - y) < 0.3, (x, y, cx, cy)


@pytest.mark.jax
def test_an_unmoved_share_of_the_batch_stays_as_it_was_and_the_rest_still_moves_with_its_keypoints():
    images, targets = dotted_faces(64)
    out_images, out_targets = run(dataclasses.replace(NO_AUGMENTATION, rotate=15, zoom=0.1, shift=6, unmoved=0.5),
                                  images, targets)
    same = np.array([np.allclose(a, b, atol=1e-5) and np.allclose(p, q, atol=1e-6) for a, b, p, q in
                     zip(out_images, images, out_targets, targets)])  # the identity map, to float rounding
    assert 16 <= same.sum() <= 48  # about half, drawn per face
    for image, image_points in zip(out_images[~same], unscale(out_targets[~same]).reshape(-1, 15, 2)):
        assert not np.isnan(image_points).all()
        for x, y in image_points[~np.isnan(image_points).any(axis=1)]:
            cx, cy, _ = centroid(image, x, y)
            assert abs(cx - x) < 0.3 and abs(cy - y) < 0.3
    with pytest.raises(ValueError, match="unmoved"):
        dataclasses.replace(NO_AUGMENTATION, unmoved=1.0)


@pytest.mark.jax
def test_keypoints_that_leave_the_image_become_missing_and_nothing_else_does():
    images, targets = dotted_faces(32)
    targets[:4, 20:22] = np.nan  # a row without a nose tip keeps it missing
    _, out_targets = run(dataclasses.replace(NO_AUGMENTATION, shift=40), images, targets)
    points = unscale(out_targets).reshape(32, 15, 2)
    missing = np.isnan(points)
    assert (missing[..., 0] == missing[..., 1]).all() and missing[:4, 10].all()
    present = points[~missing.any(axis=2)]
    assert 0 < missing[..., 0].sum() and ((present >= -0.5) & (present <= 95.5)).all()


@pytest.mark.jax
def test_flip_mirrors_exactly_half_of_the_batch_with_left_right_swapped():
    images, targets = dotted_faces(10)
    out_images, out_targets = run(dataclasses.replace(NO_AUGMENTATION, flip=True), images, targets)
    flipped = [i for i in range(10) if not np.array_equal(out_images[i], images[i])]
    assert len(flipped) == 5
    assert np.allclose(out_images[flipped], flip_images(images[flipped]))
    assert np.allclose(out_targets[flipped], flip_targets(targets[flipped], COLUMNS), atol=1e-6)
    kept = [i for i in range(10) if i not in flipped]
    assert np.array_equal(out_targets[kept], targets[kept])


@pytest.mark.jax
def test_photometric_changes_stay_in_range_and_leave_keypoints_alone():
    images, targets = dotted_faces(8)
    recipe = dataclasses.replace(NO_AUGMENTATION, brightness=0.2, contrast=0.3, noise=0.05)
    out_images, out_targets = run(recipe, images, targets)
    assert out_images.min() >= 0 and out_images.max() <= 1 and not np.allclose(out_images, images, atol=0.01)
    assert np.array_equal(out_targets, targets)
    assert np.array_equal(run(NO_AUGMENTATION, images, targets)[0], images)
