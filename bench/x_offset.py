"""The labels' x offset: where a net trained with mirrored faces puts the keypoints, against where ytf-fkd's
labels put them, on the run's held-out faces as they are and mirrored, and what the run's recorded x offset
(prediction.x_offset, measured on its training rows) gains.

    python -m bench.x_offset models/photos models/shipped

A net that sees each face and its mirror image cannot learn an offset that the mirror turns round: labels
that sit b px right of a point give mirrored labels b px left of it, so the net finds the point itself and
errs by -b on the faces as they are and by +b on their mirror images. An error that changes sign in the
mirror is that offset; an error that does not is the net's own. Per run it prints the mean x error on the
held-out faces and on their mirror images (labels mirrored to 95 - x), half their difference (the offset
as held-out faces show it), the same by quarter of face size (a constant in frame pixels would grow with
96 / box side), the recorded x offset, and the validation RMSE without and with it.
"""
import numpy as np

from facial_keypoints import cli
from facial_keypoints.data import EMBEDDED, find_data_dir, load_training
from facial_keypoints.keypoints import COLUMNS, flip_images, flip_targets, scale, unscale, x_columns
from facial_keypoints.metrics import rmse
from facial_keypoints.prediction import load_full_predictor, predict_pixels, run_split
from facial_keypoints.runs import read_config
from facial_keypoints.splits import validation_mask

IS_X = x_columns(COLUMNS)


def report(run_dir, training, sides):
    """The printed lines of one run."""
    calibrated = load_full_predictor(run_dir)
    net = calibrated.predict_scaled  # the net alone, without the recorded offset
    rows = validation_mask(training, run_split(run_dir)) & ~np.isnan(training["keypoints"]).any(axis=1)
    images, true = training["images"][rows][..., None], training["keypoints"][rows]
    mirrored_true = unscale(flip_targets(scale(true), COLUMNS))
    as_they_are = (predict_pixels(net, images, COLUMNS) - true)[:, IS_X].mean(axis=1)
    mirrored = (predict_pixels(net, flip_images(images), COLUMNS) - mirrored_true)[:, IS_X].mean(axis=1)
    turned = (mirrored - as_they_are) / 2  # per face: the part of its x error that the mirror turns round
    lines = [f"{run_dir} ({read_config(run_dir)['net']}, {rows.sum()} held-out faces of the {run_split(run_dir)} split):",
             f"  mean x error {as_they_are.mean():+.3f} px as they are, {mirrored.mean():+.3f} px mirrored: "
             f"an offset of {turned.mean():.3f} px that the mirror turns round, "
             f"{(as_they_are + mirrored).mean() / 2:+.3f} px that it does not"]
    scale_of = 96 / sides[rows]
    edges = np.quantile(scale_of, [0, 0.25, 0.5, 0.75, 1])
    lines.append("  by 96 / box side: " + ", ".join(
        f"{lo:.2f}-{hi:.2f}: {turned[(scale_of >= lo) & (scale_of <= hi)].mean():.2f} px"
        for lo, hi in zip(edges[:-1], edges[1:])))
    recorded = read_config(run_dir).get("x_offset_px", 0.0)
    scores = [f"{tta or 'plain'} {rmse(predict_pixels(net, images, COLUMNS, tta), true):.3f} -> "
              f"{rmse(predict_pixels(calibrated, images, COLUMNS, tta), true):.3f}" for tta in (None, "flip")]
    lines.append(f"  recorded x offset {recorded:.3f} px (its training rows); validation RMSE px without -> with it: "
                 + ", ".join(scores))
    return lines


def main():
    parser = cli.parser_for(__doc__, prog="python -m bench.x_offset")
    parser.add_argument("runs", nargs="+", help="run folders (models/photos, models/shipped, runs/...)")
    args = parser.parse_args()
    training = load_training(find_data_dir(str(EMBEDDED)))
    import pandas as pd
    sides = pd.read_csv(EMBEDDED.parent / "ytf-photos" / "labels.csv")["box_side"].to_numpy()  # one per training row
    for run_dir in args.runs:
        print("\n".join(report(run_dir, training, sides)), flush=True)


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
