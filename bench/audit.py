"""Label audit (issue 16): the labelled keypoints that every independent witness places elsewhere, and the
faces whose labels break face geometry. Writes the list for `train.py --exclude` and a picture of the worst.

    python -m bench.audit                  # -> results/audit.csv and docs/audit.png
    python -m bench.audit --threshold 8    # only labels more than 8 px from every witness
    python train.py --net net16 --split clips --exclude results/audit.csv   # train without the listed rows

- Witnesses: the shipped model (its recorded TTA) and, when their packages are installed
  (requirements-peers.txt), dlib and MediaPipe with the settings bench.peers chose (their `chosen`),
  each calibrated on the training rows of the clips split. The peers never learnt these labels (beyond the
  per-point affine calibration); the shipped model trained on the training rows, so a label it still
  places far away is one it could not fit. A keypoint is listed when its label is more than --threshold
  px from every witness.
- Geometry (labels alone, both points present): Kaggle's "left" point lies right of its "right" partner
  in the image (larger x) for every mirrored pair; each eye centre lies above the nose tip, the nose tip
  above the top lip, the top lip above the bottom lip (smaller y).
- results/audit.csv: row (training.csv's, from 1, as in every error message), side (training or
  validation: --exclude leaves validation rows in, so scores stay comparable), keypoint, reason,
  distance_px (to the nearest witness; empty for geometry). Files are written whole or not at all.
"""
import sys
from pathlib import Path

import numpy as np

from facial_keypoints import cli
from facial_keypoints.keypoints import COLUMNS, KEYPOINTS, mirror_name
from facial_keypoints.paths import write_csv
from facial_keypoints.peers import Dlib, MediaPipe, calibrate, fit_calibration, require_packages, run_peer, to_kaggle

ROOT = Path(__file__).resolve().parents[1]
ABOVE = (("left_eye_center", "nose_tip"), ("right_eye_center", "nose_tip"), ("nose_tip", "mouth_center_top_lip"),
         ("mouth_center_top_lip", "mouth_center_bottom_lip"))  # (upper, lower): upper has the smaller y


def geometry_flags(keypoints):
    """[(row index, keypoint, reason)] for labels in the wrong left/right or top/bottom order; keypoints
    (N, 30) in pixels, NaN where missing (a comparison with a missing point is never flagged)."""
    def x(name):
        return keypoints[:, 2 * KEYPOINTS.index(name)]

    def y(name):
        return keypoints[:, 2 * KEYPOINTS.index(name) + 1]
    flags = []
    for name in (k for k in KEYPOINTS if "left" in k):
        wrong = np.flatnonzero(x(name) <= x(mirror_name(name)))  # NaN compares False
        flags += [(i, name, f"{name} x {x(name)[i]:.1f} is not right of {mirror_name(name)} x "
                            f"{x(mirror_name(name))[i]:.1f} in the image") for i in wrong]
    for upper, lower in ABOVE:
        wrong = np.flatnonzero(y(upper) >= y(lower))
        flags += [(i, lower, f"{upper} y {y(upper)[i]:.1f} is not above {lower} y {y(lower)[i]:.1f}") for i in wrong]
    return flags


def witness_flags(labels, witnesses, threshold):
    """[(row index, keypoint, distance to the nearest witness)] for every labelled keypoint more than
    threshold px from each witness; labels and each witness (N, 30) in pixels."""
    distances = [np.hypot(*(w - labels).reshape(len(labels), -1, 2).transpose(2, 0, 1)) for w in witnesses]
    nearest = np.min(distances, axis=0)  # (N, 15), NaN where the label is missing
    rows, points = np.nonzero(np.nan_to_num(nearest) > threshold)
    return [(i, KEYPOINTS[k], float(nearest[i, k])) for i, k in zip(rows, points)]


def peer_witnesses(images, labels, fit_rows):
    """{name: calibrated (N, 30)} for dlib and MediaPipe; calibration fitted on fit_rows only."""
    found = {}
    for peer in (Dlib(), MediaPipe()):
        points = to_kaggle(run_peer(peer, peer.chosen, images)[0], peer.mapping)
        params = fit_calibration(points[fit_rows], labels[fit_rows])
        found[peer.name] = calibrate(points, params, np.nanmean(labels[fit_rows], axis=0))
        print(f"{peer.name}: {peer.chosen}, {int(np.isnan(points[:, 0]).sum())} faces missed",
              file=sys.stderr, flush=True)
    return found


def picture(images, labels, witnesses, listed, path, count=8):
    """The `count` listed faces farthest from their witnesses (then geometry), labels against witnesses."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from facial_keypoints.show import save
    shown = sorted(listed, key=lambda f: -(f[3] or 0))[:count]
    fig, axes = plt.subplots(2, (count + 1) // 2, figsize=(2.4 * ((count + 1) // 2), 5.4))
    for ax in axes.ravel():
        ax.axis("off")
    colours = dict(zip(witnesses, ["red", "deepskyblue", "orange"]))
    for ax, (row, keypoint, reason, distance) in zip(axes.ravel(), shown):
        i = row - 1
        ax.imshow(images[i], cmap="gray", vmin=0, vmax=255)
        ax.scatter(labels[i, 0::2], labels[i, 1::2], s=14, c="lime", marker="o", label="label")
        for name, predicted in witnesses.items():
            ax.scatter(predicted[i, 0::2], predicted[i, 1::2], s=14, c=colours[name], marker="x", label=name)
        k = KEYPOINTS.index(keypoint)
        ax.scatter(labels[i, 2 * k], labels[i, 2 * k + 1], s=160, facecolors="none", edgecolors="yellow")
        ax.set_title(f"row {row}: {keypoint.replace('_', ' ')}\n"
                     + (f"{distance:.1f} px from every witness" if distance else "geometry"), fontsize=7)
    fig.legend(*axes.ravel()[0].get_legend_handles_labels(), loc="lower center", ncol=4, fontsize=7)
    fig.suptitle("label audit: the listed labels (green, circled) against the witnesses (x)")
    save(fig, path)


def main():
    parser = cli.parser_for(__doc__, prog="python -m bench.audit")
    cli.add_data_option(parser)
    parser.add_argument("--threshold", type=float, default=6.0,
                        help="list a label farther than this from every witness, in px (default 6)")
    parser.add_argument("--no-peers", action="store_true", help="the shipped model as the only witness")
    parser.add_argument("--out", default=str(ROOT / "results" / "audit.csv"), help="the list (default results/audit.csv)")
    parser.add_argument("--picture", default=str(ROOT / "docs" / "audit.png"), help="the picture (default docs/audit.png)")
    args = parser.parse_args()
    if not args.threshold > 0:
        parser.error(f"--threshold: expected a distance in px above 0, got {args.threshold}")
    if not args.no_peers:
        require_packages(otherwise=", or give --no-peers")

    from facial_keypoints.data import SHIPPED_MODEL, find_data_dir, load_training
    from facial_keypoints.prediction import load_full_predictor, predict_pixels
    from facial_keypoints.runs import best_tta
    from facial_keypoints.splits import validation_mask

    training = load_training(find_data_dir(args.data))
    images, labels = training["images"], training["keypoints"]
    is_val = validation_mask(training, "clips")
    witnesses = {"shipped model": predict_pixels(load_full_predictor(SHIPPED_MODEL), images[..., None], COLUMNS,
                                                 best_tta(SHIPPED_MODEL))}
    if not args.no_peers:
        witnesses.update(peer_witnesses(images, labels, ~is_val))
    listed = [(i + 1, keypoint, f"more than {args.threshold:g} px from every witness ({', '.join(witnesses)})",
               distance) for i, keypoint, distance in witness_flags(labels, list(witnesses.values()), args.threshold)]
    listed += [(i + 1, keypoint, reason, None) for i, keypoint, reason in geometry_flags(labels)]
    listed.sort(key=lambda f: (f[0], f[1]))
    write_csv(args.out, ["row", "side", "keypoint", "reason", "distance_px"],
              [(row, "validation" if is_val[row - 1] else "training", keypoint, reason,
                "" if distance is None else f"{distance:.2f}") for row, keypoint, reason, distance in listed])
    picture(images, labels, witnesses, listed, args.picture)
    rows = {row for row, *_ in listed}
    on_training = sum(not is_val[row - 1] for row in rows)
    print(f"{len(listed)} suspicious labels on {len(rows)} of {len(labels)} rows ({on_training} training, "
          f"{len(rows) - on_training} validation): {args.out}, worst drawn in {args.picture}")


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
