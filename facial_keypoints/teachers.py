"""Distillation's teachers: what fills the gaps of the training rows and labels the unlabelled test faces.

A teacher is a run folder (its model predicts, with the TTA its run recorded as best, else flip) or a
labels file (HDF5) of predictions made elsewhere, for one data set and split: bench/peer_labels.py writes
one from the calibrated off-the-shelf detectors. Several teachers are averaged.
"""
import hashlib
from pathlib import Path

import h5py
import numpy as np

from facial_keypoints.keypoints import COLUMNS
from facial_keypoints.errors import DataError
from facial_keypoints.paths import write_atomic
from facial_keypoints.prediction import Calibrated, offsets_of, predict_pixels, scaled_predictor
from facial_keypoints.runs import load_run, read_config

LABELS_SUFFIX = ".h5"
LABELS_ATTRIBUTES = ("split", "name", "val_rmse_px", "commit", "columns", "training_images", "test_images")


def is_labels_file(path):
    return Path(path).suffix == LABELS_SUFFIX


def images_digest(images):
    """Which faces a labels file was made for: the sha1 of their pixels, in order."""
    return hashlib.sha1(np.ascontiguousarray(images, dtype=np.uint8).tobytes()).hexdigest()


def write_labels(path, training_keypoints, test_keypoints, *, training_images, test_images, split, name,
                 val_rmse_px, commit):
    """A labels file: predicted keypoints (pixels) of every training row (NaN on the split's validation
    rows, which a teacher must never label) and of every test face, with what they are for."""
    def write(tmp):
        with h5py.File(tmp, "w") as out:
            out["training"], out["test"] = training_keypoints, test_keypoints
            out.attrs.update({"split": split, "name": name, "val_rmse_px": val_rmse_px, "commit": commit or "",
                              "columns": ",".join(COLUMNS), "training_images": images_digest(training_images),
                              "test_images": images_digest(test_images)})
    write_atomic(path, write)


def read_labels(path):
    """(arrays, attributes) of a labels file; a DataError for anything else (a FIFO or a folder is not opened:
    reading a FIFO would wait forever)."""
    if not Path(path).is_file():
        raise DataError(f"{path}: not found, or not a file; expected a labels file from bench/peer_labels.py")
    try:
        with h5py.File(path, "r") as labels:
            arrays, attrs = {name: labels[name][()] for name in ("training", "test")}, dict(labels.attrs)
    except (OSError, KeyError) as error:
        raise DataError(f"{path}: not a labels file from bench/peer_labels.py ({error})") from None
    missing = [name for name in LABELS_ATTRIBUTES if name not in attrs]
    if missing:
        raise DataError(f"{path}: a labels file without its attribute '{missing[0]}' (bench/peer_labels.py writes "
                        f"{', '.join(LABELS_ATTRIBUTES)}); write it again")
    if attrs.get("columns") != ",".join(COLUMNS):
        raise DataError(f"{path}: expected labels of the {len(COLUMNS)} Kaggle columns")
    return arrays, attrs


def read_teacher(path):
    """What a run records of each teacher: where it was (resume loads it from there) and which run it was,
    which survives the folder being replaced (models/shipped teaching its successor)."""
    if is_labels_file(path):
        attrs = read_labels(path)[1]
        return {"path": str(Path(path).resolve()), "net": str(attrs["name"]), "run": Path(path).name,
                "commit": str(attrs["commit"]) or None, "val_rmse_px": float(attrs["val_rmse_px"]), "tta": ""}
    config = read_config(path)
    return {"path": str(Path(path).resolve()), "net": config["net"], "run": config.get("shipped_from", Path(path).name),
            "commit": config.get("commit"), "val_rmse_px": config["val_rmse_px"], "tta": config.get("tta") or "flip"}


def check_teacher(path, split):
    """A teacher must give all 30 columns and must not have seen this split's validation faces."""
    if is_labels_file(path):
        given = str(read_labels(path)[1]["split"])
        if given != split:
            raise DataError(f"--teacher {path}: expected labels made for the {split} split (give --split {given}), "
                            f"got the {given} split")
        return
    config = read_config(path)
    given = config.get("split", "rows")
    if given != split or len(config["columns"]) != len(COLUMNS):
        raise DataError(f"--teacher {path}: expected a run of all {len(COLUMNS)} columns validated on the {split} "
                        f"split (give --split {given}), got {len(config['columns'])} columns on the {given} split")


def teacher_predictions(teacher, training_images, is_val, test_images):
    """(keypoints of the training rows outside validation, keypoints of the test faces) from one teacher
    (read_teacher's record)."""
    if not is_labels_file(teacher["path"]):
        model, config = load_run(teacher["path"])
        net = Calibrated(scaled_predictor(model), offsets_of(config))  # its x offset: labels as the real ones sit
        predict = lambda images: predict_pixels(net, images, COLUMNS, tta=teacher["tta"])
        return predict(training_images[~is_val]), predict(test_images)
    arrays, attrs = read_labels(teacher["path"])
    if (attrs["training_images"], attrs["test_images"]) != (images_digest(training_images), images_digest(test_images)):
        raise DataError(f"--teacher {teacher['path']}: made for other faces than these data's training and test "
                        "faces; write it again with bench/peer_labels.py")
    if np.isnan(arrays["training"][~is_val]).any() or not np.isnan(arrays["training"][is_val]).all():
        raise DataError(f"--teacher {teacher['path']}: its labelled rows are not this split's training rows")
    return arrays["training"][~is_val], arrays["test"]


def teacher_labels(predictions, training, is_val, test_images):
    """Distillation: the teachers' predictions (teacher_predictions' pairs, averaged) fill every missing
    keypoint of the training rows (real labels stay) and label the unlabelled test faces, which join the
    training rows. Returns the training data and validation mask with the test faces appended."""
    own_side, test_side = (np.mean(side, axis=0) for side in zip(*predictions))
    keypoints = training["keypoints"].copy()
    own = keypoints[~is_val]
    gaps = np.isnan(own)
    own[gaps] = own_side[gaps]
    keypoints[~is_val] = own
    return ({"images": np.concatenate([training["images"], test_images]),
             "keypoints": np.concatenate([keypoints, test_side])},
            np.concatenate([is_val, np.zeros(len(test_images), bool)]))
