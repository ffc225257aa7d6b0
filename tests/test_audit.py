"""bench/audit.py (the label audit) and train.py --exclude: exact flags on made-up faces, then the audit
of the real training rows with the shipped model as witness, and a run that leaves the listed rows out."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd

from bench.audit import geometry_flags, witness_flags
from facial_keypoints.data import load_training
from facial_keypoints.keypoints import COLUMNS, KEYPOINTS
from facial_keypoints.splits import examples, validation_mask
from tests.conftest import ROOT


def face():
    """A plausible face: Kaggle's mean positions, roughly (left points on the image's right)."""
    points = {"left_eye_center": (66, 38), "right_eye_center": (30, 38), "left_eye_inner_corner": (59, 39),
              "left_eye_outer_corner": (73, 39), "right_eye_inner_corner": (37, 39), "right_eye_outer_corner": (22, 39),
              "left_eyebrow_inner_end": (56, 29), "left_eyebrow_outer_end": (80, 30), "right_eyebrow_inner_end": (39, 29),
              "right_eyebrow_outer_end": (16, 30), "nose_tip": (48, 62), "mouth_left_corner": (63, 76),
              "mouth_right_corner": (33, 76), "mouth_center_top_lip": (48, 72), "mouth_center_bottom_lip": (48, 82)}
    return np.array([v for k in KEYPOINTS for v in points[k]], float)


def test_geometry_flags_name_the_row_and_the_swapped_or_inverted_points():
    faces = np.stack([face()] * 4)
    left, right = KEYPOINTS.index("left_eye_center"), KEYPOINTS.index("right_eye_center")
    faces[1, [2 * left, 2 * right]] = faces[1, [2 * right, 2 * left]]  # eyes' x swapped
    nose = KEYPOINTS.index("nose_tip")
    faces[2, 2 * nose + 1] = 20.0                                      # nose tip above the eyes
    faces[3, 2 * left] = np.nan                                        # a missing point is never compared
    flags = geometry_flags(faces)
    assert [(row, keypoint) for row, keypoint, _ in flags] == [(1, "left_eye_center"), (2, "nose_tip"),
                                                              (2, "nose_tip")]
    assert "left_eye_center x 30.0 is not right of right_eye_center x 66.0" in flags[0][2]
    assert "left_eye_center y 38.0 is not above nose_tip y 20.0" in flags[1][2]


def test_a_label_is_listed_only_when_every_witness_is_farther_than_the_threshold():
    labels = np.stack([face()] * 3)
    near, far = labels.copy(), labels.copy()
    near[0, 0] += 3.0                  # row 0, left eye: 3 px from one witness, 7 from the other
    far[0, 0] += 7.0
    near[1, 21] += 8.0                 # row 1, nose tip y: 8 and 6 px from the two witnesses
    far[1, 21] += 6.0
    labels[2, 22:24] = np.nan          # row 2: a missing label, far from both
    near[2, 22:24] = far[2, 22:24] = 90.0
    assert witness_flags(labels, [near, far], 5.0) == [(1, "nose_tip", 6.0)]
    assert witness_flags(labels, [near, far], 2.0) == [(0, "left_eye_center", 3.0), (1, "nose_tip", 6.0)]


def test_the_audit_lists_real_rows_and_training_leaves_them_out(ytf_dir, tmp_path):
    listing, drawing = tmp_path / "audit.csv", tmp_path / "audit.png"
    result = subprocess.run([sys.executable, "-m", "bench.audit", "--no-peers", "--threshold", "3", "--data", ytf_dir,
                             "--out", listing, "--picture", drawing], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert drawing.stat().st_size > 10_000
    audit = pd.read_csv(listing)
    training = load_training(ytf_dir)
    is_val = validation_mask(training, "clips")
    assert len(audit) and audit["row"].between(1, len(is_val)).all()
    assert (audit["side"] == np.where(is_val[audit["row"] - 1], "validation", "training")).all()
    assert audit["distance_px"].dropna().ge(3).all()  # written to 0.01 px

    out = tmp_path / "runs"
    result = subprocess.run([sys.executable, "train.py", "--net", "net1", "--epochs", "1", "--split", "clips",
                             "--exclude", listing, "--data", ytf_dir, "--out", out, "--no-ledger"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    config = json.loads(next(out.iterdir()).joinpath("config.json").read_text())
    left_in = ~is_val
    left_in[audit["row"] - 1] = False
    assert config["exclude"] == sorted(set(audit["row"]))
    assert config["train_rows"] == len(examples(training, left_in, COLUMNS)[0]) < len(examples(training, ~is_val,
                                                                                            COLUMNS)[0])
    assert config["val_rows"] == len(examples(training, is_val, COLUMNS)[0])  # validation unchanged


def test_a_bad_exclude_file_is_named_with_what_was_expected(ytf_dir, tmp_path):
    rows = len(load_training(ytf_dir)["keypoints"])
    cases = {"rows.csv": ("line\n3\n", "rows.csv, line 1: expected a column 'row'"),
             "minus.csv": ("row,why\n2,x\n-4,y\n", "minus.csv, row 2 (line 3), column 'row': expected a positive integer"),
             "far.csv": (f"row\n{rows + 1}\n", f"--exclude: row {rows + 1} is beyond the {rows} rows")}
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        result = subprocess.run([sys.executable, "train.py", "--net", "net1", "--epochs", "1", "--exclude",
                                 tmp_path / name, "--data", ytf_dir, "--out", tmp_path / "runs", "--no-ledger"],
                                cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 1 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    left = list((tmp_path / "runs").iterdir()) if (tmp_path / "runs").exists() else []
    assert left == []  # nothing half-made, not even a hidden unfinished folder
