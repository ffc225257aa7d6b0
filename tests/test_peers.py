"""The peers' pure parts (facial_keypoints/peers.py, bench/peers.py): landmark -> Kaggle mapping, coordinate
conversion, calibration, per-keypoint scores. None of them needs the peers' packages (dlib, mediapipe)."""
import numpy as np
import pytest

from bench.peers import keypoint_rmse
from facial_keypoints.keypoints import COLUMNS, KEYPOINTS, mirror_name
from facial_keypoints.metrics import rmse
from facial_keypoints.peers import IBUG68, MESH468, calibrate, fit_calibration, from_resized, to_kaggle

pytestmark = pytest.mark.jax


@pytest.mark.parametrize("mapping, count", [(IBUG68, 68), (MESH468, 468)])
def test_mappings_cover_the_15_points_with_valid_indices(mapping, count):
    assert set(mapping) == set(KEYPOINTS)
    assert all(0 <= i < count for indices in mapping.values() for i in indices)


def test_ibug_mapping_is_the_one_that_made_the_data():
    # data/ytf-fkd/README.md: eye centre = mean of the contour, subject's left on the image's right.
    assert IBUG68["left_eye_center"] == (42, 43, 44, 45, 46, 47)
    assert IBUG68["right_eye_center"] == (36, 37, 38, 39, 40, 41)
    assert (IBUG68["nose_tip"], IBUG68["mouth_left_corner"], IBUG68["mouth_right_corner"]) == ((30,), (54,), (48,))


@pytest.mark.parametrize("mapping", [IBUG68, MESH468])
def test_left_and_right_points_use_different_landmarks(mapping):
    for name in KEYPOINTS:
        if mirror_name(name) != name:
            assert not set(mapping[name]) & set(mapping[mirror_name(name)]), name


def test_to_kaggle_takes_means_in_column_order():
    landmarks = np.stack([np.arange(68.0), 1000 + np.arange(68.0)], axis=1)[None].repeat(2, axis=0)
    points = to_kaggle(landmarks, IBUG68)
    assert points.shape == (2, 30)
    assert points[0, COLUMNS.index("left_eye_center_x")] == pytest.approx(np.mean(range(42, 48)))
    assert points[0, COLUMNS.index("left_eye_center_y")] == pytest.approx(1000 + np.mean(range(42, 48)))
    assert points[1, COLUMNS.index("mouth_center_bottom_lip_x")] == 57
    assert points[1, COLUMNS.index("nose_tip_y")] == 1030


def test_a_missed_face_stays_missing():
    landmarks = np.full((1, 468, 2), np.nan)
    assert np.isnan(to_kaggle(landmarks, MESH468)).all()


def test_from_resized_inverts_upscale_and_pad():
    # pixel-centre convention: upscaling by s maps x to (x + 0.5) * s - 0.5, then padding adds `pad`
    x = np.array([0.0, 47.3, 95.0])
    for scale, pad in [(1, 0), (2, 0), (3, 72), (4, 96)]:
        assert np.allclose(from_resized((x + 0.5) * scale - 0.5 + pad, scale, pad), x)


def affine_case(rng, rows=300):
    """Predictions, per-keypoint affine maps (15, 3, 2) and the labels they give."""
    predicted = rng.uniform(20, 80, size=(rows, 30))
    maps = np.concatenate([np.eye(2) + rng.uniform(-0.2, 0.2, (15, 2, 2)), rng.uniform(-3, 3, (15, 1, 2))], axis=1)
    points = np.concatenate([predicted.reshape(rows, 15, 2), np.ones((rows, 15, 1))], axis=2)
    return predicted, maps, np.einsum("nkc,kcd->nkd", points, maps).reshape(rows, 30)


def test_calibration_recovers_per_keypoint_affine_maps_despite_missing_values():
    rng = np.random.default_rng(0)
    predicted, maps, true = affine_case(rng)
    hidden = np.repeat(rng.random((300, 15)) < 0.5, 2, axis=1)  # labels missing by keypoint, as on most rows
    true[hidden] = np.nan
    missed = rng.random(300) < 0.05  # faces a peer missed
    predicted[missed] = np.nan
    for outlier_factor in (None, 4.0):
        params = fit_calibration(predicted, true, outlier_factor)
        assert np.allclose(params, maps)
    out = calibrate(predicted, params, fallback=np.full(30, 48.0))
    known = ~missed[:, None] & ~hidden
    assert np.allclose(out[known], affine_case(np.random.default_rng(0))[2][known])
    assert (out[missed] == 48.0).all()


def test_calibration_refit_ignores_faces_a_peer_got_badly_wrong():
    rng = np.random.default_rng(1)
    predicted, maps, exact = affine_case(rng)
    true = exact + rng.normal(0, 0.5, exact.shape)  # ordinary errors
    predicted[:10] = rng.uniform(0, 96, (10, 30))  # ten faces the peer got badly wrong
    robust = calibrate(predicted[10:], fit_calibration(predicted, true))
    plain = calibrate(predicted[10:], fit_calibration(predicted, true, outlier_factor=None))
    assert rmse(robust, exact[10:]) < 0.1 < 0.5 < rmse(plain, exact[10:])


def test_calibration_without_labels_is_the_identity():
    params = fit_calibration(np.ones((5, 30)), np.full((5, 30), np.nan))
    assert np.allclose(calibrate(np.arange(30.0)[None], params), np.arange(30.0))


def test_rmse_ignores_unknown_truth():
    true = np.array([[1.0, np.nan], [3.0, 4.0]])
    assert rmse(np.array([[2.0, 100.0], [3.0, 6.0]]), true) == pytest.approx(np.sqrt(5 / 3))
    predicted = np.zeros((3, 30))
    scores = keypoint_rmse(predicted, np.ones((3, 30)))
    assert len(scores) == 15 and np.allclose(scores, 1.0)
