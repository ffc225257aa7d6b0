"""show.py: the three pictures of a run, and what each draws: the validation faces with the largest RMSE,
worst first, with their true and predicted keypoints; each run's validation and training RMSE per epoch
from its history.csv; the RMSE of each keypoint as Kaggle's metric gives it."""
import subprocess
import sys

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from facial_keypoints import show
from facial_keypoints.data import load_training
from facial_keypoints.keypoints import COLUMNS, KEYPOINTS
from facial_keypoints.metrics import keypoint_rmse_rows, rmse
from facial_keypoints.prediction import load_full_predictor, predict_pixels, validation_faces
from tests.conftest import ROOT, run_script

PICTURES = ("worst_faces.png", "curves.png", "keypoint_errors.png")


@pytest.mark.jax
def test_show_writes_the_three_pictures(net1_run, ytf_dir, tmp_path):
    result = subprocess.run([sys.executable, "-m", "facial_keypoints.show", str(net1_run), "--compare", str(net1_run),
                             "--data", str(ytf_dir), "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for name in PICTURES:
        picture = matplotlib.image.imread(tmp_path / name)
        assert picture.shape[0] > 300 and picture.shape[1] > 300 and picture.std() > 0.05


@pytest.fixture
def drawn(monkeypatch):
    """{file name: matplotlib figure} of every picture show.py saves while the test runs (still written)."""
    figures, save = {}, show.save
    monkeypatch.setattr(show, "save", lambda fig, path: (figures.__setitem__(path.name, fig), save(fig, path)))
    return figures


def points(collection):
    """A scatter's points as an (n, 2) array, NaN where a coordinate was missing."""
    return np.ma.filled(np.ma.asarray(collection.get_offsets(), dtype=float), np.nan)


def check_worst_faces(fig, images, true, predicted, errors):
    """fig shows the 16 faces of the largest errors (per-face RMSE), worst first, each with its points."""
    expected = np.argsort(-errors, kind="stable")[:16]
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == len(expected) == 16 and len(fig.axes) == 16  # a 4 x 4 grid, every cell a face
    for ax, i in zip(shown, expected):
        assert np.array_equal(ax.images[0].get_array(), images[i].reshape(96, 96))
        assert float(ax.get_title().removesuffix(" px")) == pytest.approx(errors[i], abs=0.005)
        true_points, predicted_points = ax.collections
        assert np.array_equal(points(true_points), np.column_stack([true[i, 0::2], true[i, 1::2]]), equal_nan=True)
        assert np.allclose(points(predicted_points), np.column_stack([predicted[i, 0::2], predicted[i, 1::2]]),
                           equal_nan=True)
    assert min(errors[expected]) >= max(np.delete(errors, expected))  # no face left out is worse than one shown


def check_keypoint_errors(fig, per_keypoint, overall):
    """fig's bars are per_keypoint (listed top to bottom, in KEYPOINTS' order); its dotted line is overall."""
    (ax,) = fig.axes
    labels = [label.get_text() for label in ax.get_yticklabels()]
    bars = {labels[round(bar.get_y() + bar.get_height() / 2)]: bar.get_width() for bar in ax.patches}
    assert labels == list(KEYPOINTS[::-1]) and len(ax.patches) == 15  # barh draws bottom up: the first on top
    assert np.allclose([bars[name] for name in KEYPOINTS], per_keypoint, rtol=1e-9)
    (line,) = ax.lines
    assert np.allclose(line.get_xdata(), overall, rtol=1e-9)


def test_the_pictures_draw_what_the_run_predicts_and_recorded(net1_run, ytf_dir, tmp_path, capsys, drawn):
    other, empty = tmp_path / "net0-other", tmp_path / "net0-no-history"  # a compared run: only its history is read
    other.mkdir(), empty.mkdir()
    pd.DataFrame({"epoch": [1, 2, 3], "rmse_px": [9.0, 6.0, 4.5], "val_rmse_px": [8.0, 7.0, 6.5]}).to_csv(
        other / "history.csv", index=False)
    result = run_script(capsys, "-m facial_keypoints.show", net1_run, "--compare", other, empty, "--data", ytf_dir,
                        "--out", tmp_path / "show")
    assert result.returncode == 0, result.stderr
    assert f"{empty} has no history.csv, left out of the curves" in result.stderr
    assert sorted(drawn) == sorted(PICTURES) and all((tmp_path / "show" / name).is_file() for name in PICTURES)

    images, true = validation_faces(load_training(ytf_dir), net1_run)
    predicted = predict_pixels(load_full_predictor(net1_run), images, COLUMNS)
    check_worst_faces(drawn["worst_faces.png"], images, true, predicted,
                      np.array([rmse(p, t) for p, t in zip(predicted, true)]))
    *rows, (_, _, _, overall) = keypoint_rmse_rows(predicted, true, COLUMNS)
    assert [name for name, *_ in rows] == list(KEYPOINTS)
    check_keypoint_errors(drawn["keypoint_errors.png"], [row[3] for row in rows], overall)

    (ax,) = drawn["curves.png"].axes
    assert ax.get_yscale() == "log" and len(ax.lines) == 4  # validation and training of each run with a history
    for (validation, training), run in zip(zip(ax.lines[0::2], ax.lines[1::2]), [net1_run, other]):
        history = pd.read_csv(run / "history.csv")
        assert validation.get_label() == run.resolve().name and training.get_linestyle() == "--"
        assert validation.get_color() == training.get_color() and validation.get_linestyle() == "-"
        assert np.array_equal(validation.get_xdata(), history["epoch"]) and np.array_equal(training.get_xdata(), history["epoch"])
        assert np.allclose(validation.get_ydata(), history["val_rmse_px"]) and np.allclose(training.get_ydata(), history["rmse_px"])
    assert len(pd.read_csv(net1_run / "history.csv")) > 3  # the two runs' lines differ


def test_worst_faces_and_keypoint_errors_of_errors_known_beforehand(tmp_path, drawn):
    """Every keypoint of face i off by errors[i] px: face i's RMSE is errors[i], missing keypoints or not;
    keypoint k off by offsets[k] px on every face: its RMSE is offsets[k]."""
    rng = np.random.default_rng(0)
    errors = rng.permutation(20) + 1.0
    images = rng.integers(0, 256, (20, 96, 96, 1)).astype(np.uint8)
    true = rng.uniform(20, 76, (20, 30))
    true[np.repeat(rng.uniform(size=(20, 15)) < 0.3, 2, axis=1)] = np.nan  # a keypoint is missing, x and y
    true[:, :2] = rng.uniform(20, 76, (20, 2))  # every face has at least one keypoint
    signs = rng.choice([-1.0, 1.0], true.shape)
    show.worst_faces(images, true, true + signs * errors[:, None], tmp_path / "worst_faces.png")
    check_worst_faces(drawn["worst_faces.png"], images, true, true + signs * errors[:, None], errors)
    assert [float(ax.get_title().removesuffix(" px")) for ax in drawn["worst_faces.png"].axes] == list(range(20, 4, -1))

    offsets = rng.uniform(0.5, 5, 15)
    complete = rng.uniform(20, 76, (20, 30))
    show.keypoint_errors(complete, complete + signs * np.repeat(offsets, 2), tmp_path / "keypoint_errors.png")
    check_keypoint_errors(drawn["keypoint_errors.png"], offsets, np.sqrt(np.mean(offsets ** 2)))


def test_test_faces_must_be_a_png_file_name(tiny_run, tmp_path, capsys):
    result = run_script(capsys, "-m facial_keypoints.show", tiny_run[0], "--test-faces", tmp_path / "faces.jpg")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"--test-faces {tmp_path / 'faces.jpg'}: expected a .png file name" in result.stderr
    assert not (tmp_path / "faces.jpg").exists()


@pytest.mark.parametrize("history, problem", [
    ("epoch,loss,rmse_px\n1,0.5,3.2\n", "no column 'val_rmse_px'"),
    ("epoch,rmse_px,val_rmse_px\n1,3.2,\n", "cells that are not numbers"),
])
def test_a_history_the_curves_cannot_draw_is_left_out_with_a_note(tmp_path, capsys, history, problem):
    (tmp_path / "history.csv").write_text(history)
    assert show.history_rows(tmp_path) is None
    assert capsys.readouterr().err.strip() == (f"note: {tmp_path / 'history.csv'} has {problem} (expected epoch, "
                                                "rmse_px, val_rmse_px), left out of the curves")
    (tmp_path / "history.csv").write_text("epoch,loss,rmse_px,val_rmse_px\n1,0.5,3.2,3.5\n")
    assert show.history_rows(tmp_path) == [{"epoch": 1.0, "rmse_px": 3.2, "val_rmse_px": 3.5}]
