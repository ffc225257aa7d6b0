import numpy as np
import pytest

from facial_keypoints.tables import load_keypoint_table
from facial_keypoints.impute import impute
from facial_keypoints.recipe import Recipe


def faces(count, seed=0):
    """Random face shapes (30 values in pixels), each placed at a random position."""
    rng = np.random.default_rng(seed)
    shapes = rng.normal(0, 8, (count, 30))
    return shapes + np.repeat(rng.uniform(30, 60, (count, 2)), 15, axis=0).reshape(count, 30)


@pytest.mark.jax
def test_median_fills_each_gap_with_its_column_median_and_keeps_known_values():
    keypoints = faces(50)
    keypoints[::3, 4:12] = np.nan
    filled = impute(keypoints, "median")
    assert not np.isnan(filled).any()
    assert np.array_equal(filled[~np.isnan(keypoints)], keypoints[~np.isnan(keypoints)])
    assert np.allclose(filled[0, 4:12], np.nanmedian(keypoints[:, 4:12], axis=0))


@pytest.mark.jax
def test_knn_borrows_the_shape_of_the_nearest_face_moved_to_the_rows_place():
    donors = faces(40)
    row = donors[7] + np.tile([5.0, -3.0], 15)  # donor 7's shape, moved
    row[[4, 5, 10, 11]] = np.nan
    filled = impute(np.vstack([donors, row]), "knn", neighbours=1)[-1]
    assert np.allclose(filled[[4, 5, 10, 11]], (donors[7] + np.tile([5.0, -3.0], 15))[[4, 5, 10, 11]])
    unaligned = impute(np.vstack([donors, row]), "knn", neighbours=1, align=False)[-1]
    assert not np.allclose(unaligned[[4, 5, 10, 11]], filled[[4, 5, 10, 11]])
    with pytest.raises(ValueError, match="needs at least 10 complete rows"):
        impute(np.vstack([donors[:5], row]), "knn")


def test_knn_fills_real_kaggle_gaps_far_better_than_the_median(kaggle_dir):
    keypoints = load_keypoint_table(kaggle_dir / "training_keypoints_only.csv")
    missing = np.isnan(keypoints)
    complete = keypoints[~missing.any(axis=1)]
    patterns = missing[missing.any(axis=1) & ~missing.all(axis=1)]
    rng = np.random.default_rng(0)
    held = complete[:400].copy()
    hidden = patterns[rng.integers(len(patterns), size=len(held))]
    held[hidden] = np.nan
    rows = np.vstack([complete[400:], held])
    error = {method: np.sqrt(np.mean((impute(rows, method)[-400:][hidden] - complete[:400][hidden]) ** 2))
             for method in ("median", "knn")}
    assert error["knn"] < 0.7 * error["median"]


@pytest.mark.jax
def test_a_recipe_fills_only_rows_it_trains_on():
    with pytest.raises(ValueError, match="set all_rows=True"):
        Recipe(epochs=1, impute="knn")
    with pytest.raises(ValueError, match="impute must be"):
        Recipe(epochs=1, all_rows=True, impute="mean")
    with pytest.raises(ValueError, match="impute method must be"):
        impute(faces(20), "mean")
