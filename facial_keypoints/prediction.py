"""Prediction: a predictor from any folder the commands accept (a run folder, or a specialists folder whose
groups are put back together), test-time augmentation, and a run scored again on its own validation faces.

A predictor, predict_scaled, maps float images in [0, 1] (N, 96, 96, 1) to scaled keypoints (N, columns); a run
folder's (Calibrated) also carries the run's x offset, which predict_pixels adds once the views are averaged.
"""
from pathlib import Path

import numpy as np

from facial_keypoints.errors import DataError
from facial_keypoints.groups import aggregate, is_specialists_folder, read_manifest
from facial_keypoints.keypoints import (COLUMNS, IMAGE_SIZE, TTAS, flip_images, flip_targets, shift_images, to_inputs,
                                        unscale, x_columns, x_offsets)
from facial_keypoints.metrics import rmse
from facial_keypoints.runs import load_run, read_config
from facial_keypoints.splits import examples, validation_mask

BATCH = 256  # faces per call of the net


def scaled_predictor(model):
    """predict_scaled of a Keras model: predict_on_batch up to BATCH faces (no per-call input pipeline: one
    call per photo or video frame is cheap), model.predict in batches of BATCH beyond."""
    def predict_scaled(inputs):
        if len(inputs) <= BATCH:
            return np.asarray(model.predict_on_batch(inputs))
        return model.predict(inputs, batch_size=BATCH, verbose=0)
    return predict_scaled


class Calibrated:
    """predict_scaled of a run folder with its x_offset_px (config.json, measured by x_offset when it was trained):
    the labels sit that far right of what a net trained with mirrored faces finds, which it cannot learn (the
    mirror turns the offset round); predict_pixels adds it to every x once the views are averaged (inside the
    net, a mirrored view's map-back would cancel it). offsets: pixels per column."""

    def __init__(self, predict_scaled, offsets):
        self.predict_scaled, self.offsets = predict_scaled, np.asarray(offsets, dtype=np.float64)

    def __call__(self, inputs):
        return self.predict_scaled(inputs)


def offsets_of(config):
    """Pixels to add to each of a run's columns: its x_offset_px on the x columns (0 before runs measured it)."""
    return x_offsets(config["columns"], config.get("x_offset_px", 0.0))


def x_offset(predict_scaled, images, keypoints, columns):
    """The x offset of a net's labels that mirrored training faces hide: minus its mean x error (flip TTA: the face
    and its mirror image) on the given faces (a run's training rows), in pixels. Measured on ytf-fkd with
    net12-like nets trained with flips and geometric augmentation: 0.7 px on their own training rows, 1.0 on
    held-out rows (docs/notes.md, "The labels' x offset")."""
    error = predict_pixels(predict_scaled, images, columns, "flip") - keypoints
    return round(-float(np.nanmean(error[:, x_columns(columns)])), 4)


def load_specialists(folder):
    """predict_scaled over all 30 columns from a specialists folder (manifest.json + one run per group)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    missing = [g for g in manifest["groups"] if not (folder / g / "model.keras").is_file()]
    if missing:
        raise DataError(f"{folder}: specialists {', '.join(missing)} not trained yet; re-run specialists.py to finish")
    parts, offsets = [], dict.fromkeys(COLUMNS, 0.0)
    for group in manifest["groups"]:
        model, config = load_run(folder / group)
        parts.append((config["columns"], scaled_predictor(model)))
        offsets.update(zip(config["columns"], offsets_of(config)))
    return Calibrated(aggregate(parts), list(offsets.values()))


def load_predictor(run_dir):
    """(predict_scaled, columns) of a run folder or a specialists folder."""
    if is_specialists_folder(run_dir):
        return load_specialists(Path(run_dir)), list(COLUMNS)
    model, config = load_run(run_dir)
    return Calibrated(scaled_predictor(model), offsets_of(config)), config["columns"]


def load_full_predictor(run_dir):
    """predict_scaled of a folder that predicts all 30 columns: a full net, or a specialists folder."""
    predict_scaled, columns = load_predictor(run_dir)
    if list(columns) != list(COLUMNS):
        raise DataError(f"{run_dir} predicts {len(columns)} of the 30 columns (one specialist?); "
                        "give a full net or the specialists folder that holds it")
    return predict_scaled


def tta_views(tta):
    """(dx, dy, mirrored) of each view of a face that a prediction with tta averages: None, the face alone;
    "flip", the face and its mirror image; "shift", both of these, each also moved one pixel in the eight
    directions (18 views). A view moved by (dx, dy) sees its keypoints moved by as much, but the shifts come
    in opposite pairs, so these moves cancel in the average and no prediction needs moving back."""
    if tta not in (None, *TTAS):
        raise DataError(f"unknown TTA {tta!r}; expected one of {', '.join(TTAS)} or none")
    shifts = [(dx, dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)] if tta == "shift" else [(0, 0)]
    return [(dx, dy, mirrored) for dx, dy in shifts for mirrored in ((False, True) if tta else (False,))]


def predict_pixels(predict_scaled, images, columns=COLUMNS, tta=None):
    """uint8 images (N, 96, 96[, 1]) -> keypoints in pixels, averaged over the views of tta_views(tta): a
    mirrored view's prediction is mapped back (x mirrored, left/right columns swapped) first. A few faces'
    views go through the net in one call (a photo's faces: one call, not one per view). A Calibrated predictor's
    offsets are added last."""
    inputs = to_inputs(images.reshape(len(images), IMAGE_SIZE, IMAGE_SIZE, 1))
    views = tta_views(tta)

    def view(dx, dy, mirrored):
        moved = shift_images(inputs, dx, dy) if (dx, dy) != (0, 0) else inputs
        return flip_images(moved) if mirrored else moved
    if len(views) * len(images) <= BATCH:
        together = predict_scaled(np.concatenate([view(*v) for v in views]))
        predicted = np.asarray(together, dtype=np.float64).reshape(len(views), len(images), -1)
    else:
        predicted = [np.asarray(predict_scaled(view(*v)), dtype=np.float64) for v in views]
    mapped = [flip_targets(p, columns) if mirrored else p for p, (_, _, mirrored) in zip(predicted, views)]
    points = unscale(np.mean(mapped, axis=0))
    return points + predict_scaled.offsets if isinstance(predict_scaled, Calibrated) else points


def run_split(run_dir):
    """The validation split ("rows" or "clips") a run or specialists folder was trained with."""
    if is_specialists_folder(run_dir):
        return read_manifest(run_dir).get("split", "rows")
    return read_config(run_dir).get("split", "rows")  # folders from before splits were named: rows


def validation_faces(training, run_dir):
    """(images, keypoints) of the complete validation rows of the split run_dir was trained with."""
    return examples(training, validation_mask(training, run_split(run_dir)), COLUMNS)


def validation_rmse(run_dir, data_dir, tta=None):
    """RMSE in pixels of a run (or specialists folder) on the complete rows of the split it was validated on."""
    from facial_keypoints.data import load_training
    images, keypoints = validation_faces(load_training(data_dir), run_dir)
    return rmse(predict_pixels(load_full_predictor(run_dir), images, COLUMNS, tta), keypoints)
