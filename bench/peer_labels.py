"""The calibrated off-the-shelf detectors as a distillation teacher: a labels file for train.py --teacher.

    pip install --no-deps -r requirements-peers.txt       # once: the peers' packages
    python -m bench.peer_labels                           # -> runs/peer-labels-clips.h5
    python train.py --net net16 --split clips --teacher models/shipped runs/peer-labels-clips.h5

dlib's 68-point predictor and MediaPipe Face Mesh (facial_keypoints/peers.py, with the settings that
bench.peers' search chose on the clips split), mapped to the 15 points and calibrated on the
training rows of the split, as in bench.peers; their average labels every training row outside
validation and every test face. The validation rows get no labels (NaN): they only score the average,
which is recorded in the file. Given with a run as teachers, train.py averages the two, which weighs the
run as much as both peers together.
"""
import sys
import warnings
from pathlib import Path

import numpy as np

from facial_keypoints import cli
from facial_keypoints.data import find_data_dir, load_test, load_training
from facial_keypoints.keypoints import COLUMNS
from facial_keypoints.metrics import rmse
from facial_keypoints.paths import output_file
from facial_keypoints.peers import Dlib, MediaPipe, calibrate, fit_calibration, require_packages, run_peer, to_kaggle
from facial_keypoints.provenance import commit
from facial_keypoints.splits import examples, validation_mask
from facial_keypoints.teachers import LABELS_SUFFIX, write_labels

NAME = "peers' average (dlib + MediaPipe, calibrated)"


def peer_keypoints(peer, images):
    return to_kaggle(run_peer(peer, peer.chosen, images)[0], peer.mapping)


def main():
    parser = cli.parser_for(__doc__, prog="python -m bench.peer_labels")
    cli.add_data_option(parser)
    parser.add_argument("--split", choices=["rows", "clips"], default="clips", help="the split (default: clips)")
    parser.add_argument("--out", help="the labels file to write (default: runs/peer-labels-SPLIT.h5)")
    args = parser.parse_args()
    out = Path(args.out or f"runs/peer-labels-{args.split}{LABELS_SUFFIX}")
    if out.suffix != LABELS_SUFFIX:
        parser.error(f"--out {out}: expected a file name ending in {LABELS_SUFFIX}")
    require_packages()
    out = output_file(out)
    data_dir = find_data_dir(args.data)
    training, test_images = load_training(data_dir), load_test(data_dir)["images"]
    out.parent.mkdir(parents=True, exist_ok=True)

    is_val = validation_mask(training, args.split)
    labelled, true = training["images"][~is_val], training["keypoints"][~is_val]
    val_images, val_true = examples(training, is_val, COLUMNS)  # the complete validation faces
    fallback = np.nanmean(true, axis=0)
    own, test, val = [], [], []
    for peer in (Dlib(), MediaPipe()):
        print(f"{peer.name} {peer.chosen}: {len(labelled)} training rows, {len(test_images)} test faces, "
              f"{len(val_true)} validation faces", file=sys.stderr, flush=True)
        params = fit_calibration(points := peer_keypoints(peer, labelled), true)
        own.append(calibrate(points, params))
        test.append(calibrate(peer_keypoints(peer, test_images), params))
        val.append(calibrate(peer_keypoints(peer, val_images[..., 0]), params))

    def average(predictions):  # a face one peer missed takes the other's points; one both missed, the mean shape
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the mean of no peer: NaN, then the mean shape
            mean = np.nanmean(predictions, axis=0)
        return np.where(np.isnan(mean), fallback, mean)
    score = rmse(average(val), val_true)
    keypoints = np.full((len(is_val), len(COLUMNS)), np.nan)
    keypoints[~is_val] = average(own)
    write_labels(out, keypoints, average(test), training_images=training["images"], test_images=test_images,
                 split=args.split, name=NAME, val_rmse_px=score, commit=commit())
    print(f"{NAME}: {score:.3f} px on the {len(val_true)} complete validation faces of the {args.split} split; "
          f"labels of {len(labelled)} training rows and {len(test_images)} test faces -> {out}")


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
