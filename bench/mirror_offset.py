"""Does a run locate faces and their mirror images alike? RMSE and mean x error on the validation
faces and on the same faces mirrored (targets mirrored to match).

    python bench/mirror_offset.py runs/net12-... runs/net14-...

A net that learned the mirror consistently has the same error both ways; a mean x error of opposite
sign on the mirrors is an offset that flip TTA cannot average away.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from facial_keypoints.data import find_data_dir, load_training  # noqa: E402
from facial_keypoints.keypoints import COLUMNS, flip_images, flip_targets, scale, unscale  # noqa: E402
from facial_keypoints.prediction import load_full_predictor, validation_faces  # noqa: E402
from facial_keypoints.prediction import predict_pixels
from facial_keypoints.metrics import rmse  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run folders (or specialists folders)")
    parser.add_argument("--data", help="data folder (default: $FKD_DATA, else ./data, else the embedded faces)")
    args = parser.parse_args()
    training = load_training(find_data_dir(args.data))
    print("| run | val RMSE px | mirrored RMSE px | mean x error px | mirrored mean x error px |\n|---|---|---|---|---|")
    for run in args.runs:
        images, true = validation_faces(training, run)
        mirrored_true = unscale(flip_targets(scale(true), COLUMNS))
        predict_scaled = load_full_predictor(run)
        plain = predict_pixels(predict_scaled, images, COLUMNS)
        mirrored = predict_pixels(predict_scaled, flip_images(images), COLUMNS)
        print(f"| {Path(run).name} | {rmse(plain, true):.3f} | {rmse(mirrored, mirrored_true):.3f} | "
              f"{np.mean(plain[:, 0::2] - true[:, 0::2]):+.3f} | {np.mean(mirrored[:, 0::2] - mirrored_true[:, 0::2]):+.3f} |")


if __name__ == "__main__":
    main()
