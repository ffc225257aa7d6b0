"""Which training rows validate: random rows (the study) or whole clips of near-identical frames.

Both draw 20% of the complete rows and 20% of the incomplete ones (stratified), with a fixed seed, so
every net and every column subset (a specialist's group) is scored on the same faces and never trains
on them.
"""
import numpy as np
from scipy.sparse.csgraph import connected_components
from sklearn.model_selection import StratifiedGroupKFold, train_test_split
from sklearn.neighbors import radius_neighbors_graph

from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS

SPLITS = ("rows", "clips")
VAL_FOLDS = 5  # validation = one fold of five: 20%
SEED = 42


def split_rows(keypoints, seed=SEED, groups=None):
    """Validation mask over the rows of keypoints (n, 30; NaN where missing).

    groups: a group number per row (near_duplicate_groups): a group then goes to one side whole
    (sklearn's StratifiedGroupKFold, fold 0 of 5; none with fewer than 5 groups). Without groups, rows
    are drawn one by one (train_test_split of each kind), as the study did.
    """
    complete = ~np.isnan(keypoints).any(axis=1)
    is_val = np.zeros(len(keypoints), bool)
    if groups is None:
        for kind in (complete, ~complete):
            rows = np.flatnonzero(kind)
            count = round(len(rows) / VAL_FOLDS)
            if 0 < count < len(rows):  # a handful of rows holds none out: preflight says how many are needed
                is_val[train_test_split(rows, test_size=count, random_state=seed)[1]] = True
    elif len(np.unique(groups)) >= VAL_FOLDS:
        folds = StratifiedGroupKFold(VAL_FOLDS, shuffle=True, random_state=seed)
        is_val[next(folds.split(keypoints, complete, groups))[1]] = True
    return is_val


def thumbnails(images):
    """24x24 averages of the 96x96 images, mean removed, unit length: their dot products are correlations."""
    thumbs = images.reshape(len(images), 24, 4, 24, 4).mean(axis=(2, 4)).reshape(len(images), -1)
    thumbs = thumbs - thumbs.mean(axis=1, keepdims=True)
    return thumbs / np.maximum(np.linalg.norm(thumbs, axis=1, keepdims=True), 1e-9)


def near_duplicate_groups(images, correlation=0.9):
    """A group number per image: images whose 24x24 thumbnails correlate above `correlation`, chained,
    share one. On ytf-fkd these are mostly the frames of one video clip."""
    # unit vectors: correlation c <=> distance sqrt(2 - 2c); chaining = connected components of that graph
    graph = radius_neighbors_graph(thumbnails(images), radius=np.sqrt(2 - 2 * correlation))
    return connected_components(graph, directed=False)[1]


def validation_mask(training, split="rows"):
    """The validation rows of a split: "rows" (random rows, as the study) or "clips" (groups of
    near-identical frames held out whole: the honest estimate on ytf-fkd, whose test people are unseen)."""
    groups = near_duplicate_groups(training["images"]) if split == "clips" else None
    return split_rows(training["keypoints"], groups=groups)


def select_rows(training, split="rows", exclude=()):
    """(is_val, fitted) over the training rows: the split's validation rows, and the rows a run may fit:
    the others, less the row numbers to exclude (training.csv's, counted from 1). A run computes this once:
    preflight checks it, train() uses it."""
    if exclude and max(exclude) > len(training["keypoints"]):
        raise DataError(f"--exclude: row {max(exclude)} is beyond the {len(training['keypoints'])} rows of the "
                        "training data")
    is_val = validation_mask(training, split)
    fitted = ~is_val
    fitted[np.asarray(exclude, int) - 1] = False
    return is_val, fitted


def has_columns(keypoints, columns):
    """Rows (of all 30 columns) where every one of columns is present."""
    return ~np.isnan(keypoints[:, [COLUMNS.index(c) for c in columns]]).any(axis=1)


def examples(training, rows, columns, complete=True):
    """The given rows that have every one of columns (complete=False: any of them): uint8 images
    (n, 96, 96, 1), keypoints in pixels (NaN where missing)."""
    index = [COLUMNS.index(c) for c in columns]
    present = ~np.isnan(training["keypoints"][:, index])
    rows = rows & (present.all(axis=1) if complete else present.any(axis=1))
    return training["images"][rows][..., None], training["keypoints"][rows][:, index]
