"""Kaggle submissions: fill IdLookupTable's rows from predictions, check, write, average, score."""
import numpy as np

from facial_keypoints.data import DataError, load_keypoint_table, load_lookup, load_text, parse_keypoint, read_rows
from facial_keypoints.keypoints import COLUMNS, IMAGE_SIZE
from facial_keypoints.runs import write_csv


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
    """RowId,Location CSV -> (row_ids, locations)."""
    rows = read_rows(load_text(path), str(path), ("RowId", "Location"))
    row_ids = np.empty(len(rows), np.int64)
    locations = np.empty(len(rows))
    for number, (row_id, location) in enumerate(rows, start=1):
        if not row_id.strip().isdigit():
            raise DataError(f"{path}, row {number} (line {number + 1}), column 'RowId': "
                            f"expected a positive integer, got {row_id[:40]!r}")
        row_ids[number - 1] = int(row_id)
        locations[number - 1] = parse_keypoint(location, path, number, "Location")
    if np.isnan(locations).any():
        at = int(np.argmax(np.isnan(locations)))
        raise DataError(f"{path}, row {at + 1} (line {at + 2}), column 'Location': empty, expected a number")
    return row_ids, locations


def average_submissions(paths, weights=None):
    """Weighted mean of several submissions that share the same RowIds, in the same order."""
    weights = np.ones(len(paths)) if weights is None else np.asarray(weights, dtype=float)
    if len(weights) != len(paths) or (weights < 0).any() or weights.sum() <= 0:
        raise DataError(f"--weights: expected {len(paths)} non-negative numbers, not all zero")
    first_ids, total = None, 0.0
    for path, weight in zip(paths, weights):
        row_ids, locations = read_submission(path)
        if first_ids is None:
            first_ids = row_ids
        check_submission(row_ids, locations, first_ids, str(path))
        total = total + weight * locations
    return first_ids, total / weights.sum()


def score(submission, solution):
    """Kaggle's metric: RMSE over all rows. Both are (row_ids, locations); the solution may list more rows."""
    truth = dict(zip(*solution))
    row_ids, locations = submission
    missing = [r for r in row_ids if r not in truth]
    if missing:
        raise DataError(f"the solution has no RowId {missing[0]}")
    expected = np.array([truth[r] for r in row_ids])
    return float(np.sqrt(np.mean((locations - expected) ** 2)))


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
