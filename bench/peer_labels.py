"""The calibrated off-the-shelf detectors as a distillation teacher: a labels file for train.py --teacher.

    pip install --no-deps -r requirements-peers.txt       # once: the peers' packages
    python bench/peer_labels.py                           # -> runs/peer-labels-clips.h5
    python train.py --net net16 --split clips --teacher models/shipped runs/peer-labels-clips.h5

dlib's 68-point predictor and MediaPipe Face Mesh (bench/peer_models.py, with the settings that
bench/peers.py's search chose on the clips split), mapped to the 15 points and calibrated on the
training rows of the split, as in bench/peers.py; their average labels every training row outside
validation and every test face. The validation rows get no labels (NaN): they only score the average,
which is recorded in the file. Given with a run as teachers, train.py averages the two, which weighs the
run as much as both peers together.
"""
import argparse
import importlib.util
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.peer_models import PEER_PACKAGES, REQUIREMENTS, Dlib, MediaPipe, calibrate, fit_calibration, run_peer, to_kaggle  # noqa: E402,E501
from facial_keypoints.errors import DataError
from facial_keypoints.data import find_data_dir, load_test, load_training  # noqa: E402
from facial_keypoints.keypoints import COLUMNS  # noqa: E402
from facial_keypoints.paths import output_file  # noqa: E402
from facial_keypoints.provenance import commit  # noqa: E402
from facial_keypoints.metrics import rmse  # noqa: E402
from facial_keypoints.splits import validation_mask  # noqa: E402
from facial_keypoints.teachers import LABELS_SUFFIX, write_labels  # noqa: E402

NAME = "peers' average (dlib + MediaPipe, calibrated)"


def peer_keypoints(peer, images):
    return to_kaggle(run_peer(peer, peer.chosen, images)[0], peer.mapping)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="data folder (default: $FKD_DATA, else ./data, else the embedded faces)")
    parser.add_argument("--split", choices=["rows", "clips"], default="clips", help="the split (default: clips)")
    parser.add_argument("--out", help="the labels file to write (default: runs/peer-labels-SPLIT.h5)")
    args = parser.parse_args()
    out = Path(args.out or f"runs/peer-labels-{args.split}{LABELS_SUFFIX}")
    if out.suffix != LABELS_SUFFIX:
        parser.error(f"--out {out}: expected a file name ending in {LABELS_SUFFIX}")
    missing = [name for name in PEER_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        sys.exit(f"error: bench/peer_labels.py needs the peers' packages ({', '.join(missing)} not installed): "
                 f"pip install --no-deps -r {REQUIREMENTS.name}")
    try:
        out = output_file(out)
        data_dir = find_data_dir(args.data)
        training, test_images = load_training(data_dir), load_test(data_dir)["images"]
    except DataError as error:
        sys.exit(f"error: {error}")
    out.parent.mkdir(parents=True, exist_ok=True)

    is_val = validation_mask(training, args.split)
    labelled, true = training["images"][~is_val], training["keypoints"][~is_val]
    complete_val = is_val & ~np.isnan(training["keypoints"]).any(axis=1)
    fallback = np.nanmean(true, axis=0)
    own, test, val = [], [], []
    for peer in (Dlib(), MediaPipe()):
        print(f"{peer.name} {peer.chosen}: {len(labelled)} training rows, {len(test_images)} test faces, "
              f"{complete_val.sum()} validation faces", file=sys.stderr, flush=True)
        params = fit_calibration(points := peer_keypoints(peer, labelled), true)
        own.append(calibrate(points, params))
        test.append(calibrate(peer_keypoints(peer, test_images), params))
        val.append(calibrate(peer_keypoints(peer, training["images"][complete_val]), params))

    def average(predictions):  # a face one peer missed takes the other's points; one both missed, the mean shape
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the mean of no peer: NaN, then the mean shape
            mean = np.nanmean(predictions, axis=0)
        return np.where(np.isnan(mean), fallback, mean)
    score = rmse(average(val), training["keypoints"][complete_val])
    keypoints = np.full((len(is_val), len(COLUMNS)), np.nan)
    keypoints[~is_val] = average(own)
    write_labels(out, keypoints, average(test), training_images=training["images"], test_images=test_images,
                 split=args.split, name=NAME, val_rmse_px=score, commit=commit())
    print(f"{NAME}: {score:.3f} px on the {complete_val.sum()} complete validation faces of the {args.split} split; "
          f"labels of {len(labelled)} training rows and {len(test_images)} test faces -> {out}")


if __name__ == "__main__":
    main()
