"""Checks at the command-line edge, before a run folder is made: numbers, settings and rows."""
import shutil

import numpy as np

from facial_keypoints.checkpoints import has_checkpoint, unfinished_folder
from facial_keypoints.data import DataError, load_training
from facial_keypoints.keypoints import COLUMNS, mirror_permutation

KNN_DONORS = 10  # impute.impute's default neighbours: knn needs that many complete training rows


def check_positive(parser, **options):
    """parser.error for an option (--epochs, --checkpoint-every, ...) given as a whole number below 1."""
    for name, value in options.items():
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')}: expected a whole number of at least 1, got {value}")


def check_settings(recipe, columns, pipeline):
    """ValueError (a usage error) for settings that cannot train together; called where the command
    line is read, before anything is loaded, written or trained."""
    if pipeline == "plain" and recipe.augments():
        raise ValueError("augmentation beyond the flip needs the fast pipeline (--pipeline fast)")
    if recipe.flip:
        mirror_permutation(columns)  # raises if a column has no mirror partner


def check_rows(data_dir, recipe, column_sets=(COLUMNS,), split="rows", train_rows=None, exclude=()):
    """Fail with the minimum stated when the data leave no training or no validation row for one of the
    column sets, as train() would select them (splits.examples, splits.validation_mask), or when a row
    number to exclude (from 1) is not in the data."""
    from facial_keypoints.splits import has_columns, validation_mask

    training = load_training(data_dir)
    if exclude and max(exclude) > len(training["keypoints"]):
        raise DataError(f"--exclude: row {max(exclude)} is beyond the {len(training['keypoints'])} rows of the "
                        "training data")
    is_val = validation_mask(training, split)
    fitted = ~is_val
    fitted[np.asarray(exclude, int) - 1] = False
    for columns in column_sets:
        check_columns(data_dir, training, is_val, fitted, recipe, columns, train_rows)
    complete = int((has_columns(training["keypoints"], COLUMNS) & fitted).sum())
    if recipe.impute == "knn" and complete < KNN_DONORS:
        raise DataError(f"{data_dir}: --impute knn needs at least {KNN_DONORS} complete training rows, "
                        f"this data has {complete}")


def check_columns(data_dir, training, is_val, fitted, recipe, columns, train_rows):
    from facial_keypoints.splits import examples

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


def remove_failed_start(run_dir):
    """After a start that failed before its first checkpoint: remove the unfinished folder it made."""
    if not has_checkpoint(run_dir):
        shutil.rmtree(unfinished_folder(run_dir), ignore_errors=True)
