"""Distillation's teachers (facial_keypoints/teachers.py): run folders and labels files."""
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from facial_keypoints.data import load_test, load_training
from facial_keypoints.runs import read_config
from facial_keypoints.splits import validation_mask
from facial_keypoints.errors import DataError
from facial_keypoints.teachers import (check_teacher, read_teacher, teacher_labels, teacher_predictions,
                                       write_labels)
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def clips_labels(ytf_dir, tmp_path_factory):
    """A labels file for the real faces and the clips split: each training row labelled with its row number
    in every column (so a test sees which row went where), the test faces with 48 + their number / 1000."""
    training, test_images = load_training(ytf_dir), load_test(ytf_dir)["images"]
    is_val = validation_mask(training, "clips")
    keypoints = np.repeat(np.arange(len(is_val), dtype=float)[:, None], 30, axis=1)
    keypoints[is_val] = np.nan
    test = 48 + np.repeat(np.arange(len(test_images))[:, None], 30, axis=1) / 1000
    path = tmp_path_factory.mktemp("labels") / "labels.h5"
    write_labels(path, keypoints, test, training_images=training["images"], test_images=test_images, split="clips",
                 name="row numbers", val_rmse_px=9.5, commit="abc")
    return path, training, test_images, is_val


def test_a_labels_file_gives_the_training_rows_outside_validation_and_the_test_faces(clips_labels):
    path, training, test_images, is_val = clips_labels
    teacher = read_teacher(path)
    assert {key: teacher[key] for key in ("net", "run", "commit", "val_rmse_px", "tta")} == {
        "net": "row numbers", "run": "labels.h5", "commit": "abc", "val_rmse_px": 9.5, "tta": ""}
    own, test = teacher_predictions(teacher, training["images"], is_val, test_images)
    assert np.array_equal(own[:, 0], np.flatnonzero(~is_val)) and test.shape == (len(test_images), 30)
    check_teacher(path, "clips")
    with pytest.raises(DataError, match="made for the rows split .give --split clips"):
        check_teacher(path, "rows")


def test_a_labels_file_refuses_other_faces_and_other_splits(clips_labels, tmp_path):
    path, training, test_images, is_val = clips_labels
    changed = test_images.copy()
    changed[0, 0, 0] ^= 1
    with pytest.raises(DataError, match="other faces than these data"):
        teacher_predictions(read_teacher(path), training["images"], is_val, changed)
    with pytest.raises(DataError, match="not this split's training rows"):
        teacher_predictions(read_teacher(path), training["images"], validation_mask(training, "rows"), test_images)
    broken = tmp_path / "broken.h5"
    broken.write_text("not hdf5")
    with pytest.raises(DataError, match=f"{broken}: not a labels file"):
        check_teacher(broken, "clips")


def test_train_learns_from_a_labels_file_and_a_run_together(clips_labels, ytf_dir, tmp_path):
    path, training, test_images, is_val = clips_labels
    out = tmp_path / "runs"
    result = subprocess.run([sys.executable, "train.py", "--net", "net1", "--epochs", "2", "--split", "clips",
                             "--teacher", str(path), "--data", str(ytf_dir), "--out", str(out), "--no-ledger"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (run_dir,) = out.iterdir()
    config = read_config(run_dir)
    assert config["train_rows"] == int((~is_val).sum()) + len(test_images)
    assert [teacher["run"] for teacher in config["teachers"]] == ["labels.h5"]
    wrong = subprocess.run([sys.executable, "train.py", "--net", "net1", "--epochs", "2", "--teacher", str(path),
                            "--data", str(ytf_dir), "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert wrong.returncode == 2 and "labels made for the rows split" in wrong.stderr.splitlines()[-1]


@pytest.mark.jax
def test_teachers_fill_only_the_gaps_with_their_average_and_label_the_test_faces():
    keypoints = np.array([[1.0, np.nan], [np.nan, 4.0], [np.nan, np.nan]])
    training = {"images": np.zeros((3, 96, 96, 1), np.uint8), "keypoints": keypoints}
    is_val = np.array([False, False, True])
    test_images = np.ones((2, 96, 96, 1), np.uint8)
    teachers = [(np.full((2, 2), 10.0), np.full((2, 2), 10.0)), (np.full((2, 2), 20.0), np.full((2, 2), 20.0))]
    labelled, mask = teacher_labels(teachers, training, is_val, test_images)
    assert np.array_equal(labelled["keypoints"], [[1, 15], [15, 4], [np.nan, np.nan], [15, 15], [15, 15]],
                          equal_nan=True)  # the validation row keeps its gaps: it is never labelled by a teacher
    assert labelled["images"].shape == (5, 96, 96, 1) and labelled["images"][3:].min() == 1
    assert mask.tolist() == [False, False, True, False, False]
    assert np.isnan(keypoints).sum() == 4  # the caller's data are not changed


def test_a_teacher_labels_with_the_tta_its_run_recorded(net1_run, tmp_path):
    assert read_teacher(net1_run)["tta"] == "flip"  # a run that recorded no TTA teaches with its mirror image
    shipped = tmp_path / "shipped"
    shutil.copytree(net1_run, shipped)
    config = {**read_config(shipped), "tta": "shift", "shipped_from": "net1-A"}
    (shipped / "config.json").write_text(json.dumps(config))
    assert {key: read_teacher(shipped)[key] for key in ("tta", "run")} == {"tta": "shift", "run": "net1-A"}


def test_a_labels_file_without_its_attributes_is_one_line(tmp_path):
    import h5py

    from facial_keypoints.keypoints import COLUMNS
    path = tmp_path / "bare.h5"
    with h5py.File(path, "w") as labels:
        labels["training"], labels["test"] = np.zeros((3, 30)), np.zeros((2, 30))
        labels.attrs["columns"] = ",".join(COLUMNS)
    for check in (lambda: check_teacher(path, "clips"), lambda: read_teacher(path)):
        with pytest.raises(DataError, match=f"{path}: a labels file without its attribute 'split'"):
            check()


def test_a_fifo_given_as_a_teacher_is_refused_not_waited_on(tmp_path):
    import os
    fifo = tmp_path / "labels.h5"
    os.mkfifo(fifo)
    result = subprocess.run([sys.executable, "train.py", "--net", "net1", "--teacher", str(fifo), "--out",
                             str(tmp_path / "runs")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{fifo}: not found, or not a file" in result.stderr and not (tmp_path / "runs").exists()
