"""How many validation faces have a near-copy in training, per split, against the test faces?

    python bench/split_leak.py

Near-copy: 24x24 thumbnails (mean removed, unit length) correlating above 0.9, as
training.near_duplicate_groups uses. The test faces' people are unseen in training: the honest
reference for a validation split.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from facial_keypoints.data import find_data_dir, load_test, load_training  # noqa: E402
from facial_keypoints.keypoints import COLUMNS  # noqa: E402
from facial_keypoints.splits import SPLITS, has_columns, near_duplicate_groups, thumbnails, validation_mask  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="data folder (default: $FKD_DATA, else ./data, else the embedded faces)")
    args = parser.parse_args()
    data_dir = find_data_dir(args.data)
    training, test = load_training(data_dir), load_test(data_dir)
    train_thumbs, test_thumbs = thumbnails(training["images"]), thumbnails(test["images"])
    groups = near_duplicate_groups(training["images"])
    print(f"{len(training['images'])} training images in {len(np.unique(groups))} groups of near-copies "
          f"(largest {np.bincount(groups).max()})\n")
    print("| faces | against | count | median best correlation | near-copy (> 0.9) |\n|---|---|---|---|---|")
    complete = has_columns(training["keypoints"], COLUMNS)
    for split in SPLITS:
        is_val = validation_mask(training, split)
        best = (train_thumbs[is_val & complete] @ train_thumbs[~is_val].T).max(axis=1)
        print(f"| validation, {split} split (complete rows) | its training rows | {len(best)} | {np.median(best):.2f} | "
              f"{np.mean(best > 0.9):.1%} |")
    best = (test_thumbs @ train_thumbs.T).max(axis=1)
    print(f"| test | all training rows | {len(best)} | {np.median(best):.2f} | {np.mean(best > 0.9):.1%} |")


if __name__ == "__main__":
    main()
