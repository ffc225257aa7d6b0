"""Does a run follow a face that moves? Each validation face moved by a few pixels (the edge repeated into
the gap): how far its predicted keypoints move on average, then the RMSE of each test-time augmentation.

    python bench/shifts.py models/shipped models/fast

A net that locates what it sees moves its keypoints with the face (moved x = dx). One that leans on where
faces sit in its training crops moves them less; on ytf-fkd, whose crops are centred on the labelled
landmarks themselves (data/ytf-fkd/README.md), the centre of the 15 points barely varies, and leaning on
it is right for faces cropped the same way. The shift TTA then helps as an average over slightly
different views, not by moving anything back (runs.tta_views).
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from facial_keypoints.data import find_data_dir, load_training  # noqa: E402
from facial_keypoints.keypoints import COLUMNS, TTAS, shift_images  # noqa: E402
from facial_keypoints.prediction import load_full_predictor, validation_faces  # noqa: E402
from facial_keypoints.prediction import predict_pixels
from facial_keypoints.metrics import rmse  # noqa: E402

MOVES = ((1, 0), (-1, 0), (0, 1), (0, -1), (2, 0), (4, 0))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run folders (or specialists folders)")
    parser.add_argument("--data", help="data folder (default: $FKD_DATA, else ./data, else the embedded faces)")
    args = parser.parse_args()
    training = load_training(find_data_dir(args.data))
    print("| run | " + " | ".join(f"moved ({dx}, {dy}): keypoints moved x, y px" for dx, dy in MOVES) +
          " | RMSE px plain | " + " | ".join(f"RMSE px {tta} TTA" for tta in TTAS) + " |")
    print("|---" * (2 + len(MOVES) + len(TTAS)) + "|")
    for run in args.runs:
        images, true = validation_faces(training, run)
        predict_scaled = load_full_predictor(run)
        plain = predict_pixels(predict_scaled, images, COLUMNS)
        moved = []
        for dx, dy in MOVES:
            shifted = predict_pixels(predict_scaled, shift_images(images, dx, dy), COLUMNS) - plain
            moved.append(f"{shifted[:, 0::2].mean():+.2f}, {shifted[:, 1::2].mean():+.2f}")
        scores = [rmse(plain, true)]
        scores += [rmse(predict_pixels(predict_scaled, images, COLUMNS, tta), true) for tta in TTAS]
        print(f"| {run} | " + " | ".join(moved) + " | " + " | ".join(f"{s:.3f}" for s in scores) + " |")


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
