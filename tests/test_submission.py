import os
import subprocess
import sys

import numpy as np
import pytest

from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS, flip_targets, scale, shift_images
from facial_keypoints.prediction import predict_pixels, tta_views
from facial_keypoints.submission import (
    average_submissions,
    check_submission,
    load_solution,
    lookup_locations,
    read_submission,
    score,
    write_submission,
)
from facial_keypoints.tables import load_lookup
from tests.conftest import ROOT

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


def test_shift_images_moves_the_face_and_repeats_the_edge_into_the_gap():
    images = np.random.default_rng(1).integers(0, 256, (3, 96, 96, 1)).astype(np.uint8)
    moved = shift_images(images, 1, -1)  # one pixel right, one up
    assert np.array_equal(moved[:, :-1, 1:], images[:, 1:, :-1])
    assert np.array_equal(moved[:, :, 0], moved[:, :, 1]) and np.array_equal(moved[:, -1], moved[:, -2])
    assert np.array_equal(shift_images(images, 0, 0), images)


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


def test_lookup_locations_put_each_prediction_in_its_row_and_clip():
    predictions = np.array([np.arange(30.0), np.arange(30.0) + 80])  # ImageId 7, then ImageId 3
    lookup = (np.array([1, 2, 3]), np.array([3, 3, 7]), ["nose_tip_x", "mouth_center_bottom_lip_y", "left_eye_center_y"])
    assert list(lookup_locations(lookup, np.array([7, 3]), predictions)) == [96.0, 96.0, 1.0]
    assert list(lookup_locations(lookup, np.array([7, 3]), predictions / 10)) == [10.0, 10.9, 0.1]
    with pytest.raises(DataError, match="ImageId 3"):
        lookup_locations(lookup, np.array([7]), predictions[:1])


def test_submission_for_the_real_kaggle_table_has_the_sample_submission_row_ids(kaggle_dir, tmp_path):
    lookup = load_lookup(kaggle_dir / "IdLookupTable.csv")
    image_ids = np.arange(1, 1784)
    dummy = np.tile(np.arange(30.0) + 10, (1783, 1)) + image_ids[:, None] / 1000  # predicts column + image
    locations = lookup_locations(lookup, image_ids, dummy)
    write_submission(tmp_path / "sub.csv", lookup[0], locations, lookup[0])
    row_ids, written = read_submission(tmp_path / "sub.csv")
    sample_ids, _ = read_submission(kaggle_dir / "SampleSubmission.csv")
    assert len(row_ids) == 27124 and np.array_equal(row_ids, sample_ids)
    expected = [COLUMNS.index(f) + 10 + i / 1000 for i, f in zip(lookup[1], lookup[2])]
    assert np.allclose(written, expected, atol=1e-3)
    assert (tmp_path / "sub.csv").read_text().startswith("RowId,Location\n1,")


def test_check_submission_rejects_what_kaggle_would():
    ids = np.array([1, 2, 3])
    check_submission(ids, np.array([0.0, 48.0, 96.0]), ids, "ok.csv")
    for row_ids, values, message in [(ids[:2], np.ones(2), "2 rows"), (np.array([1, 3, 2]), np.ones(3), "row 2: RowId 3"),
                                     (ids, np.array([1, np.nan, 1]), "row 2"), (ids, np.array([1, 1, 96.5]), "row 3")]:
        with pytest.raises(DataError, match=message):
            check_submission(row_ids, values, ids, "bad.csv")


def write(path, text):
    path.write_text(text)
    return path


def test_average_of_submissions_with_weights(tmp_path):
    a = write(tmp_path / "a.csv", "RowId,Location\n1,10\n2,20\n")
    b = write(tmp_path / "b.csv", "RowId,Location\r\n1,40\r\n2,50\r\n")
    row_ids, mean = average_submissions([a, b])
    assert list(row_ids) == [1, 2] and list(mean) == [25, 35]
    assert list(average_submissions([a, b], [2, 1])[1]) == [20, 30]
    with pytest.raises(DataError, match=r"c\.csv, row 2 \(line 3\), column 'RowId': RowId 3 is not in"):
        average_submissions([a, write(tmp_path / "c.csv", "RowId,Location\n1,10\n3,20\n")])
    with pytest.raises(DataError, match=r"d\.csv, line 1: missing column 'Location'"):
        average_submissions([a, write(tmp_path / "d.csv", "RowId,Loc\n1,10\n2,20\n")])


def test_score_is_kaggles_rmse_by_hand(tmp_path):
    submission = (np.array([1, 2, 3]), np.array([10.0, 20.0, 30.0]))
    assert score(submission, (np.array([3, 2, 1, 4]), np.array([33.0, 20.0, 10.0, 0.0]))) == pytest.approx(np.sqrt(9 / 3))
    # the same answers in training format + lookup table
    cells = [[""] * 30, [""] * 30]
    cells[0][COLUMNS.index("nose_tip_x")] = "10"
    cells[0][COLUMNS.index("nose_tip_y")] = "20"
    cells[1][COLUMNS.index("nose_tip_x")] = "33"
    solution = write(tmp_path / "answers.csv", ",".join(COLUMNS) + "\n" + "".join(",".join(r) + "\n" for r in cells))
    lookup = write(tmp_path / "lookup.csv",
                   "RowId,ImageId,FeatureName,Location\r\n1,1,nose_tip_x\r\n2,1,nose_tip_y\r\n3,2,nose_tip_x\r\n")
    assert score(submission, load_solution(solution, lookup)) == pytest.approx(np.sqrt(3.0))
    lookup = write(tmp_path / "lookup.csv", "RowId,ImageId,FeatureName,Location\n1,2,nose_tip_y\n")
    with pytest.raises(DataError, match="ImageId 2 has no nose_tip_y"):
        load_solution(solution, lookup)


def run(*args):
    return subprocess.run([sys.executable, "submit.py", *map(str, args)], cwd=ROOT, capture_output=True, text=True)


def test_submit_end_to_end_on_real_data(net1_run, ytf_dir, tmp_path):
    plain, tta, mean = tmp_path / "plain.csv", tmp_path / "tta.csv", tmp_path / "mean.csv"
    for out, extra in ((plain, []), (tta, ["--tta", "flip"])):
        result = run("--run", net1_run, "--data", ytf_dir, "--out", out, *extra)
        assert result.returncode == 0, result.stderr
    assert run("--average", plain, tta, "--out", mean).returncode == 0
    twice = tmp_path / "twice.csv"  # an ensemble of one run with itself predicts what the run does
    assert run("--runs", net1_run, net1_run, "--tta", "flip", "--data", ytf_dir, "--out", twice).returncode == 0
    assert np.allclose(read_submission(twice)[1], read_submission(tta)[1], atol=1e-4)
    lookup_ids = load_lookup(ytf_dir / "IdLookupTable.csv")[0]
    for path in (plain, tta, mean):
        row_ids, locations = read_submission(path)
        assert np.array_equal(row_ids, lookup_ids) and (0 <= locations).all() and (locations <= 96).all()
    assert not np.allclose(read_submission(plain)[1], read_submission(tta)[1])
    scored = run("--score", plain, "--solution", plain)
    assert scored.returncode == 0 and scored.stdout.strip() == "RMSE 0.00000"
    bad = run("--run", tmp_path, "--data", ytf_dir)
    assert bad.returncode != 0 and "not a run folder" in bad.stderr and "Traceback" not in bad.stderr


def test_averaging_submissions_loads_no_deep_learning_backend(tmp_path, ytf_dir):
    row_ids = load_lookup(ytf_dir / "IdLookupTable.csv")[0]
    for name, value in (("a", 40), ("b", 41)):
        (tmp_path / f"{name}.csv").write_text("RowId,Location\n" + "".join(f"{r},{value}\n" for r in row_ids))
    code = ("import runpy, sys; sys.argv = ['submit.py', '--average', 'a.csv', 'b.csv', '--out', 'avg.csv', "
            f"'--data', {str(ytf_dir)!r}]\n"
            f"runpy.run_path({str(ROOT / 'submit.py')!r}, run_name='__main__')\n"
            "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
    assert set((tmp_path / "avg.csv").read_text().splitlines()[1:]) == {f"{r},40.5" for r in row_ids}
