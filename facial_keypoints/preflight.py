"""Checks at the command-line edge, before a run folder is made: settings and rows. Nothing here loads
a backend."""
import numpy as np

from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS, mirror_permutation
from facial_keypoints.splits import examples, has_columns

KNN_DONORS = 10  # impute.impute's default neighbours: knn needs that many complete training rows


def check_settings(recipe, columns, pipeline):
    """ValueError (a usage error) for settings that cannot train together; called where the command
    line is read, before anything is loaded, written or trained."""
    if pipeline == "plain" and recipe.augments():
        raise ValueError("augmentation beyond the flip needs the fast pipeline (--pipeline fast)")
    if recipe.flip:
        mirror_permutation(columns)  # raises if a column has no mirror partner


def check_rows(data_dir, training, rows, recipe, column_sets=(COLUMNS,), train_rows=None):
    """Fail with the minimum stated when the rows a run would use (splits.select_rows' (is_val, fitted))
    leave no training or no validation row for one of the column sets, as train() would select them."""
    is_val, fitted = rows
    for columns in column_sets:
        check_columns(data_dir, training, is_val, fitted, recipe, columns, train_rows)
    complete = int((has_columns(training["keypoints"], COLUMNS) & fitted).sum())
    if recipe.impute == "knn" and complete < KNN_DONORS:
        raise DataError(f"{data_dir}: --impute knn needs at least {KNN_DONORS} complete training rows, "
                        f"this data has {complete}")


def check_columns(data_dir, training, is_val, fitted, recipe, columns, train_rows):
    val_rows = len(examples(training, is_val, columns)[0])
    present = ~np.isnan(training["keypoints"][:, [COLUMNS.index(c) for c in columns]])
    usable = present.any(axis=1) if recipe.all_rows else present.all(axis=1)
    fit_rows = int((usable & fitted).sum())
    fit_rows = min(fit_rows, train_rows) if train_rows is not None else fit_rows
    what = f"the {len(COLUMNS)} keypoint columns" if len(columns) == len(COLUMNS) else ", ".join(columns)
    if val_rows < 1 or fit_rows < 1:
        raise DataError(f"{data_dir}: {len(training['keypoints'])} rows give {fit_rows} training and {val_rows} "
                        f"validation rows for {what}; at least 1 of each is needed (validation holds out a fifth "
                        "of the complete rows, so at least 3 complete rows)")
