"""Maintainers: the embedded frames of the photo benchmark (data/ytf-photos) and the photo pipeline's fitted
rules (models/photo_pipeline.json), both made from the project's whole frames (../shared/data/ytf-photos):

    python -m bench.photos --embed ../shared/data/ytf-photos
    python -m bench.photos --fit ../shared/data/ytf-photos
"""
import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from bench.photos import BOX, EMBEDDED_PHOTOS, LABEL_COLUMNS, read_labels
from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS


def embed(source, target=EMBEDDED_PHOTOS):
    """data/ytf-photos from the whole frames: labels of every training row (no frame named where none is
    embedded) and the frames of the clips split's validation rows, one per group of near-identical frames."""
    from facial_keypoints.data import EMBEDDED, load_training
    from facial_keypoints.splits import near_duplicate_groups, validation_mask
    labels = read_labels(source)
    training = load_training(EMBEDDED)
    if len(labels) != len(training["keypoints"]) or (labels["row"].to_numpy() != np.arange(1, len(labels) + 1)).any():
        raise DataError(f"{source}/labels.csv: expected one row per training row of {EMBEDDED}, in order")
    is_val, groups = validation_mask(training, "clips"), near_duplicate_groups(training["images"])
    chosen = pd.Series(np.flatnonzero(is_val)).groupby(groups[is_val]).first().sort_values().to_numpy()
    labels = labels[LABEL_COLUMNS].copy()
    labels.loc[~labels.index.isin(chosen), "file"] = ""
    building = Path(str(target) + ".building")
    shutil.rmtree(building, ignore_errors=True)
    (building / "frames").mkdir(parents=True)
    for file in labels["file"][labels["file"] != ""]:
        shutil.copyfile(Path(source) / file, building / file)
    labels.to_csv(building / "labels.csv", index=False, float_format="%.4f", lineterminator="\n")
    files = ["labels.csv", *labels["file"][labels["file"] != ""]]
    sums = [f"{hashlib.sha256((building / f).read_bytes()).hexdigest()}  {f}" for f in files]
    (building / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    if (target / "README.md").is_file():  # the hand-written description stays
        shutil.copyfile(target / "README.md", building / "README.md")
    if target.exists():
        shutil.rmtree(target)
    os.replace(building, target)
    print(f"wrote {target}: labels of {len(labels)} rows, {len(chosen)} frames")


def fit(source, out=None, sample=400):
    """models/photo_pipeline.json from the clips split's training frames: the crop rule (the square box that
    made each 96x96 face, as a linear map of its 15 points around their centre, in units of their RMS radius;
    scikit-learn's LinearRegression) and, per detector, the median offset and scale from its box to that box."""
    import cv2
    from sklearn.linear_model import LinearRegression

    from facial_keypoints import faces
    from facial_keypoints.data import EMBEDDED, load_training
    from facial_keypoints.detectors import DETECTORS
    from facial_keypoints.paths import write_text
    from facial_keypoints.provenance import command, commit
    from facial_keypoints.splits import validation_mask
    labels = read_labels(source)
    training = labels[~validation_mask(load_training(EMBEDDED), "clips")[labels["row"].to_numpy() - 1]]
    points = training[list(COLUMNS)].to_numpy(float).reshape(len(training), -1, 2)
    centre = points.mean(axis=1)
    radius = np.sqrt(((points - centre[:, None]) ** 2).sum(axis=2).mean(axis=1))
    x0, y0, side = (training[c].to_numpy(float) for c in BOX)
    truth = np.column_stack([x0 + side / 2 - 0.5, y0 + side / 2 - 0.5, side])  # centre in pixel-centre coordinates
    features = ((points - centre[:, None]) / radius[:, None, None]).reshape(len(points), -1)
    targets = np.column_stack([(truth[:, :2] - centre) / radius[:, None], side / radius])
    regression = LinearRegression().fit(features, targets)
    rule = {"weights": regression.coef_.T.round(6).tolist(), "bias": regression.intercept_.round(6).tolist()}
    residual = (faces.box_from_keypoints(points.reshape(len(points), -1), rule) - truth) / side[:, None]
    detectors, picks = {}, training.sample(min(sample, len(training)), random_state=0)
    for name, detector in DETECTORS.items():
        found = []  # (the detection nearest the true box, that box), on `sample` training frames
        for (_, row), true in zip(picks.iterrows(), truth[training.index.get_indexer(picks.index)]):
            near = [d for d in detector()(cv2.imread(str(Path(source) / row["file"])))
                    if np.hypot(d.x - true[0], d.y - true[1]) < true[2] / 2]
            if near:
                found.append((max(near, key=lambda d: d.score), true))
        if found[0][0].points is not None:  # BlazeFace: the crop rule's kind of linear map, from its six points
            pts = np.stack([d.points for d, _ in found])
            c = pts.mean(axis=1)
            r = np.sqrt(((pts - c[:, None]) ** 2).sum(axis=2).mean(axis=1))
            boxes = np.stack([t for _, t in found])
            fitted = LinearRegression().fit(((pts - c[:, None]) / r[:, None, None]).reshape(len(pts), -1),
                                            np.column_stack([(boxes[:, :2] - c) / r[:, None], boxes[:, 2] / r]))
            start = {"weights": fitted.coef_.T.round(6).tolist(), "bias": fitted.intercept_.round(6).tolist()}
        else:  # Haar: the median offset and scale from its box
            dx, dy, k = np.median([((t[0] - d.x) / d.width, (t[1] - d.y) / d.width, t[2] / d.width) for d, t in found], 0)
            start = {"dx": round(float(dx), 4), "dy": round(float(dy), 4), "side": round(float(k), 4)}
        errors = np.array([(faces.start_box(d, start) - t) / t[2] for d, t in found])
        detectors[name] = {**start, "found": f"{len(found)} of {len(picks)}",
                           "rms_error": np.sqrt((errors ** 2).mean(axis=0)).round(4).tolist()}
    result = {"crop_rule": rule, "detectors": detectors,
              "crop_rule_rms_error": {"centre_x": float(np.sqrt((residual[:, 0] ** 2).mean()).round(5)),
                                      "centre_y": float(np.sqrt((residual[:, 1] ** 2).mean()).round(5)),
                                      "side": float(np.sqrt((residual[:, 2] ** 2).mean()).round(5))},
              "fitted_on": f"{len(training)} training frames of the clips split ({source.name})",
              "command": command(), "commit": commit()}
    out = Path(out or faces.PHOTO_PIPELINE)
    write_text(out, json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}: crop rule error (share of the side) {result['crop_rule_rms_error']}, detectors "
          f"{ {name: (d['found'], d['rms_error']) for name, d in detectors.items()} }")
