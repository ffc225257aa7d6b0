"""Kaggle submissions: fill IdLookupTable's rows from predictions, check, write, average, score.

NumPy and pandas only: averaging or scoring CSVs loads no deep-learning backend.
"""
import numpy as np
import pandas as pd

from facial_keypoints.keypoints import COLUMNS, IMAGE_SIZE
from facial_keypoints.paths import write_csv
from facial_keypoints.errors import DataError, where
from facial_keypoints.tables import (file_bytes, load_keypoint_table, load_lookup, numbers, positive_ints, read_table,
                                     reject_duplicates)


def lookup_locations(lookup, image_ids, predictions):
    """One Location per IdLookupTable row: the prediction for its ImageId and FeatureName, clipped to [0, 96]."""
    row_ids, lookup_image_ids, features = lookup
    position = {image_id: i for i, image_id in enumerate(image_ids)}
    unknown = [i for i in dict.fromkeys(lookup_image_ids) if i not in position]
    if unknown:
        raise DataError(f"IdLookupTable asks for ImageId {unknown[0]}, which the test images do not have")
    rows = np.array([position[i] for i in lookup_image_ids])
    columns = np.array([COLUMNS.index(f) for f in features])
    return np.clip(predictions[rows, columns], 0.0, IMAGE_SIZE)


def check_submission(row_ids, locations, expected_row_ids, name):
    """Kaggle would reject (or mis-score) anything else: same RowIds in order, finite values in [0, 96]."""
    if len(row_ids) != len(expected_row_ids):
        raise DataError(f"{name}: {len(row_ids)} rows, but the lookup table has {len(expected_row_ids)}")
    if not np.array_equal(row_ids, expected_row_ids):
        at = int(np.argmax(np.asarray(row_ids) != np.asarray(expected_row_ids)))
        raise DataError(f"{name}, row {at + 1}: RowId {row_ids[at]}, expected {expected_row_ids[at]}")
    bad = ~np.isfinite(locations) | (locations < 0) | (locations > IMAGE_SIZE)
    if bad.any():
        at = int(np.argmax(bad))
        raise DataError(f"{name}, row {at + 1}, column 'Location': {locations[at]} is not a number in [0, 96]")


def write_submission(path, row_ids, locations, expected_row_ids):
    check_submission(row_ids, locations, expected_row_ids, str(path))
    write_csv(path, ["RowId", "Location"], [(r, f"{v:.6g}") for r, v in zip(row_ids, locations)])


def read_submission(path):
    """RowId,Location CSV -> (row_ids, locations). It must end with a newline: a file cut off inside its
    last number ("40.5" -> "40.") would otherwise be read as a different, valid answer."""
    frame = read_table(file_bytes(path), str(path), ("RowId", "Location"), whole_file=True)
    row_ids = positive_ints(frame["RowId"], path)
    locations = numbers(frame[["Location"]], path)[:, 0]
    if np.isnan(locations).any():
        at = int(np.argmax(np.isnan(locations)))
        raise DataError(f"{where(path, at + 1, 'Location')}: empty, expected a number")
    return row_ids, locations


def align_submission(row_ids, locations, expected_row_ids, name, lookup_name="the lookup table"):
    """The locations in the lookup table's RowId order: every RowId it lists exactly once, no other."""
    reject_duplicates(row_ids, name, "RowId")
    rows = pd.Index(row_ids)
    extra = ~rows.isin(expected_row_ids)
    if extra.any():
        row = int(np.argmax(extra))
        raise DataError(f"{where(name, row + 1, 'RowId')}: RowId {row_ids[row]} is not in {lookup_name}")
    found = rows.get_indexer(expected_row_ids)
    if (found < 0).any():
        raise DataError(f"{name}: no row for RowId {expected_row_ids[np.argmax(found < 0)]} ({(found < 0).sum()} of the "
                        f"{len(expected_row_ids)} RowIds of {lookup_name} missing)")
    return locations[found]


def average_submissions(paths, weights=None, expected_row_ids=None, lookup_name="the lookup table"):
    """Weighted mean of several submissions (weights: one non-negative number each, not all zero; checked
    by submit.py), each checked against the lookup table's RowIds (expected_row_ids; default: the first
    file's) and put in its order."""
    weights = np.ones(len(paths)) if weights is None else np.asarray(weights, dtype=float)
    total = 0.0
    for path, weight in zip(paths, weights):
        row_ids, locations = read_submission(path)
        if expected_row_ids is None:
            expected_row_ids, lookup_name = row_ids, str(path)
        total = total + weight * align_submission(row_ids, locations, expected_row_ids, str(path), lookup_name)
    return expected_row_ids, total / weights.sum()


def score(submission, solution, name="the submission", solution_name="the solution"):
    """Kaggle's metric: RMSE over every row of the solution. Both are (row_ids, locations); the submission
    must answer each of the solution's RowIds once, and no other (a part of a submission scores nothing)."""
    row_ids, truth = solution
    answered = align_submission(*submission, row_ids, name, solution_name)
    return float(np.sqrt(np.mean((answered - truth) ** 2)))


def load_solution(path, lookup_path=None):
    """Known answers as (row_ids, locations): a RowId,Location CSV, or a training-format CSV (row k is
    ImageId k) with the lookup table that says which cells are asked."""
    if lookup_path is None:
        return read_submission(path)
    keypoints = load_keypoint_table(path)
    row_ids, image_ids, features = load_lookup(lookup_path)
    if image_ids.max() > len(keypoints):
        raise DataError(f"{lookup_path}: asks for ImageId {image_ids.max()}, but {path} has {len(keypoints)} rows")
    truth = keypoints[image_ids - 1, [COLUMNS.index(f) for f in features]]
    if np.isnan(truth).any():
        at = int(np.argmax(np.isnan(truth)))
        raise DataError(f"{path}: ImageId {image_ids[at]} has no {features[at]}, which RowId {row_ids[at]} asks for")
    return row_ids, truth
