"""Stacking: our net's keypoints blended with the calibrated peers' average (dlib + MediaPipe, peers.py), one
weight per coordinate, because the two err differently (a plain 50/50 average already beat ours on test faces).

    record = fit_stack(run_dir, training)        # python -m bench.stack RUN: fits, writes RUN/stack.json
    stacked = Stack(read_stack(run_dir))(faces, ours)   # uint8 (n, 96, 96) faces, ours (n, 30) crop pixels

What is fitted on what, on the run's own split (never a test face):
- each peer's calibration (peers.fit_calibration) on the split's training rows, as bench.peer_labels does;
- the weights w (30: stacked = ours * w + peers' average * (1 - w)), closed-form least squares per column,
  clipped to [0, 1], on the split's complete validation faces (the run never trained on them), which the
  ledger scores runs on too. stack_in_sample scores the weights on the faces they were fitted on (optimistic,
  and never worse than the better of the two there: w = 0 and w = 1 are among the choices); stack_out_of_fold
  fits them on half of the faces (whole near-duplicate groups: GroupKFold, 2 folds) and scores the other half,
  each way round: the honest number.
A face one peer misses takes the other's points; one both miss, ours (the stack then is ours).
"""
import json
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold

from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS, IMAGE_SIZE
from facial_keypoints.metrics import rmse
from facial_keypoints.paths import write_text
from facial_keypoints.peers import Dlib, MediaPipe, calibrate, fit_calibration, run_peer, to_kaggle

STACK_FILE = "stack.json"
PEERS = {"dlib": Dlib, "mediapipe": MediaPipe}  # key in stack.json: class (peers.py)
FOLDS = 2
NOTE = ("weights fitted on the complete validation faces; stack_in_sample is scored on those same faces "
        "(optimistic), stack_out_of_fold on each half of their groups with weights fitted on the other half (honest)")


def fit_weights(ours, peers, true):
    """Per column, the w of ours * w + peers * (1 - w) with the least squared error over the rows where all three
    are known: w = <d, t - p> / <d, d> with d = ours - peers (the one-variable least squares), clipped to [0, 1].
    A column where the two agree on every such row (or has none) gets 0.5."""
    d, target = ours - peers, true - peers
    known = ~np.isnan(d) & ~np.isnan(target)
    d, target = np.where(known, d, 0.0), np.where(known, target, 0.0)
    num, den = (d * target).sum(axis=0), (d * d).sum(axis=0)
    weights = np.divide(num, den, out=np.full(ours.shape[1], 0.5), where=den > 0)
    return np.clip(weights, 0.0, 1.0)


def blend(ours, peers, weights):
    return ours * weights + peers * (1 - weights)


def average_peers(calibrated, ours):
    """The peers' mean per face and column; a face one peer missed (NaN) takes the other's points, one both
    missed takes ours."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the mean of no peer: NaN, then ours
        mean = np.nanmean(np.asarray(calibrated, dtype=np.float64), axis=0)
    return np.where(np.isnan(mean), ours, mean)


def out_of_fold(ours, peers, true, groups, folds=FOLDS):
    """(stacked (n, 30), [RMSE of each fold]): each fold's rows blended with weights fitted on the other folds'
    rows; whole groups (near-duplicate frames) stay in one fold."""
    if len(np.unique(groups)) < folds:
        raise DataError(f"the out-of-fold score needs validation faces from {folds} groups or more; "
                        f"these come from {len(np.unique(groups))}")
    stacked, scores = np.empty_like(ours), []
    for fit, held in GroupKFold(folds).split(ours, groups=groups):
        stacked[held] = blend(ours[held], peers[held], fit_weights(ours[fit], peers[fit], true[fit]))
        scores.append(rmse(stacked[held], true[held]))
    return stacked, scores


def peer_points(peer, settings, images):
    """A peer's (N, 30) points, uncalibrated (NaN where it missed the face)."""
    return to_kaggle(run_peer(peer, settings, images)[0], peer.mapping)


def some(rows, limit, seed=0):
    """rows, or `limit` of them drawn at random (seeded), in order: a quick fit for tests."""
    if limit is None or limit >= len(rows):
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, limit, replace=False))


def new_peer(key):
    return PEERS[key]()


def say(message):
    print(message, file=sys.stderr, flush=True)


def fit_stack(run_dir, training, limit=(None, None), make_peer=None):
    """The stack.json record of a run (or specialists folder) on the training data it was validated on:
    calibration on the split's training rows, weights on its complete validation faces (module docstring).
    limit: (training rows, validation faces) to use at most, for a quick fit; make_peer(key): a peer (tests)."""
    from facial_keypoints.prediction import load_full_predictor, predict_pixels, run_split
    from facial_keypoints.runs import best_tta
    from facial_keypoints.splits import near_duplicate_groups, validation_mask

    split, tta = run_split(run_dir), best_tta(run_dir)
    predictor = load_full_predictor(run_dir)  # a damaged run fails before the peers' minutes
    images, true = training["images"], training["keypoints"]
    is_val, labelled = validation_mask(training, split), ~np.isnan(true).all(axis=1)
    train_rows = some(np.flatnonzero(~is_val & labelled), limit[0])  # calibration: NaN-aware, any keypoint
    val_rows = some(np.flatnonzero(is_val & ~np.isnan(true).any(axis=1)), limit[1])  # the complete faces
    if len(val_rows) == 0:
        raise DataError("no complete validation face to fit and score the stack on")
    entries, calibrated, make_peer = [], [], make_peer or new_peer
    for key in PEERS:
        peer = make_peer(key)
        say(f"{peer.name} {peer.chosen}: calibration on {len(train_rows)} training rows, then "
            f"{len(val_rows)} complete validation faces of the {split} split")
        train_points = peer_points(peer, peer.chosen, images[train_rows])
        params = fit_calibration(train_points, true[train_rows])
        val_points = peer_points(peer, peer.chosen, images[val_rows])
        calibrated.append(calibrate(val_points, params))
        entries.append({"key": key, "name": peer.name, "settings": dict(peer.chosen), "calibration": params.tolist(),
                        "missed": {"training": int(np.isnan(train_points[:, 0]).sum()),
                                   "validation": int(np.isnan(val_points[:, 0]).sum())}})
    say(f"ours ({run_dir}, TTA {tta or 'none'}) on the {len(val_rows)} validation faces")
    ours = predict_pixels(predictor, images[val_rows], COLUMNS, tta)
    peers = average_peers(calibrated, ours)
    weights = fit_weights(ours, peers, true[val_rows])
    groups = near_duplicate_groups(images)[val_rows]
    folded, fold_scores = out_of_fold(ours, peers, true[val_rows], groups)

    def score(predicted):
        return rmse(predicted, true[val_rows])
    for entry, points in zip(entries, calibrated):
        entry["val_rmse_px"] = score(average_peers([points], ours))  # a face it missed: ours
    mean_shape = np.broadcast_to(np.nanmean(true[train_rows], axis=0), ours.shape)
    return {"run": str(run_dir), "split": split, "tta": tta, "columns": list(COLUMNS),
            "weights": [float(w) for w in weights], "peers": entries, "training_rows": len(train_rows),
            "validation_faces": len(val_rows), "validation_groups": int(len(np.unique(groups))),
            "val_rmse_px": {"mean_shape": score(mean_shape), "ours": score(ours), "peers_average": score(peers),
                            "stack_in_sample": score(blend(ours, peers, weights)),
                            "stack_out_of_fold": score(folded)},
            "out_of_fold": {"folds": FOLDS, "by": "near-duplicate groups (GroupKFold)", "fold_rmse_px": fold_scores},
            "note": NOTE}


def write_stack(run_dir, record):
    """RUN/stack.json, written whole or not at all."""
    path = Path(run_dir) / STACK_FILE
    write_text(path, json.dumps(record, indent=1) + "\n")
    return path


def read_stack(run_dir):
    """The stack.json record of a run, checked; missing: a DataError that says how to fit it."""
    from facial_keypoints.runs import read_json
    path = Path(run_dir) / STACK_FILE
    if not path.is_file():
        raise DataError(f"{path}: not found; fit the stack first: python -m bench.stack {run_dir}")
    fix = f"fit it again: python -m bench.stack {run_dir}"
    record = read_json(path, fix)
    try:
        weights = np.asarray(record["weights"], dtype=np.float64)
        shapes = [np.asarray(entry["calibration"], dtype=np.float64).shape for entry in record["peers"]]
        known = all(entry["key"] in PEERS and isinstance(entry["settings"], dict) for entry in record["peers"])
    except (KeyError, TypeError, ValueError):
        raise DataError(f"{path}: damaged (weights, peers or calibration missing or malformed); {fix}") from None
    if weights.shape != (len(COLUMNS),) or not ((weights >= 0) & (weights <= 1)).all() or not known \
            or not record["peers"] or any(shape != (len(COLUMNS) // 2, 3, 2) for shape in shapes):
        raise DataError(f"{path}: damaged (expected 30 weights in [0, 1] and known peers with 15 affine maps); {fix}")
    return record


class Stack:
    """A stack.json record applied: each peer (its recorded settings and calibration) on each 96x96 face, their
    average blended with our predictions by the recorded weights. The peers' sessions open on the first call and
    stay open (a video calls once per frame); close() ends them. make_peer(key): a peer (tests)."""

    def __init__(self, record, make_peer=None):
        self.record, self.weights = record, np.asarray(record["weights"], dtype=np.float64)
        self.make_peer = make_peer or new_peer
        self.sessions = None

    def open(self):
        self.sessions = []
        for entry in self.record["peers"]:
            peer = self.make_peer(entry["key"])
            landmarks, close = peer.session(**entry["settings"])
            self.sessions.append((landmarks, peer.mapping, np.asarray(entry["calibration"], np.float64), close))

    def __call__(self, faces, ours):
        """Stacked keypoints (n, 30) in crop pixels of uint8 faces (n, 96, 96[, 1]) and our (n, 30) for them."""
        ours = np.asarray(ours, dtype=np.float64)
        if len(ours) == 0:
            return ours
        if self.sessions is None:
            self.open()
        faces = np.asarray(faces, dtype=np.uint8).reshape(len(ours), IMAGE_SIZE, IMAGE_SIZE)
        calibrated = [calibrate(to_kaggle(np.stack([landmarks(face) for face in faces]), mapping), params)
                      for landmarks, mapping, params, _ in self.sessions]
        return blend(ours, average_peers(calibrated, ours), self.weights)

    def close(self):
        for *_, close in self.sessions or []:
            close()
        self.sessions = None
