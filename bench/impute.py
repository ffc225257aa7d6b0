"""How well can missing keypoints be filled? Hide known values of complete rows in the real missing
patterns, fill them, and print the error of each method.

    python bench/impute.py                     # Kaggle's labels (data/kaggle-fkd) and ytf-fkd's
    python bench/impute.py --labels FILE.csv   # any training-format CSV

Each complete row gets the missing pattern of a randomly drawn incomplete row; it is filled from the
complete rows of the other four folds (5-fold), the only rows it could learn from in real use.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from facial_keypoints.data import EMBEDDED, ROOT, load_training  # noqa: E402
from facial_keypoints.tables import load_keypoint_table  # noqa: E402
from facial_keypoints.impute import impute  # noqa: E402

METHODS = {"median": dict(method="median"), "knn, k=1": dict(method="knn", neighbours=1),
           "knn, k=5": dict(method="knn", neighbours=5), "knn, k=10 (default)": dict(method="knn"),
           "knn, k=20": dict(method="knn", neighbours=20),
           "knn, k=10, not aligned": dict(method="knn", align=False)}


def hide_and_fill(keypoints, seed=0, folds=5):
    """RMSE in pixels over the hidden values, per method."""
    rng = np.random.default_rng(seed)
    missing = np.isnan(keypoints)
    complete = keypoints[~missing.any(axis=1)]
    patterns = missing[missing.any(axis=1) & ~missing.all(axis=1)]
    hidden = patterns[rng.integers(len(patterns), size=len(complete))]
    fold = rng.permutation(len(complete)) % folds
    errors = {name: [] for name in METHODS}
    for k in range(folds):
        held = complete[fold == k].copy()
        held[hidden[fold == k]] = np.nan
        rows = np.concatenate([complete[fold != k], held])
        for name, options in METHODS.items():
            filled = impute(rows, **options)[-len(held):]
            errors[name].append(filled[hidden[fold == k]] - complete[fold == k][hidden[fold == k]])
    return {name: float(np.sqrt(np.mean(np.concatenate(e) ** 2))) for name, e in errors.items()}, len(complete)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", nargs="*", help="training-format CSVs (default: Kaggle's labels and ytf-fkd)")
    args = parser.parse_args()
    tables = {path: load_keypoint_table(path) for path in args.labels or []} or {
        "kaggle-fkd": load_keypoint_table(ROOT / "data" / "kaggle-fkd" / "training_keypoints_only.csv"),
        "ytf-fkd": load_training(EMBEDDED)["keypoints"]}
    results = {name: hide_and_fill(keypoints) for name, keypoints in tables.items()}
    print("RMSE in pixels of the hidden values (complete rows, real missing patterns, 5-fold)\n")
    print("| method | " + " | ".join(f"{name} ({rows} rows)" for name, (_, rows) in results.items()) + " |")
    print("|---|" + "---|" * len(results))
    for method in METHODS:
        print(f"| {method} | " + " | ".join(f"{scores[method]:.3f}" for scores, _ in results.values()) + " |")


if __name__ == "__main__":
    main()
