"""Pictures of a run: its worst validation faces, learning curves beside other runs, error per keypoint.

    python -m facial_keypoints.show runs/net6-... [--compare runs/net5-... runs/net4-...] [--out DIR]
    python -m facial_keypoints.show models/shipped --test-faces docs/test-faces.png   # the README picture

Writes worst_faces.png (true keypoints green, predicted red, worst first: that is how bad labels
are found), curves.png and keypoint_errors.png into DIR (default: RUN_DIR/show). --test-faces draws
the predictions (with the run's recorded TTA) on the first test faces, whose answers are withheld.
"""
import argparse
import csv
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from facial_keypoints.data import find_data_dir, load_test, load_training  # noqa: E402
from facial_keypoints.keypoints import COLUMNS, KEYPOINTS  # noqa: E402
from facial_keypoints.paths import write_atomic  # noqa: E402
from facial_keypoints.prediction import load_full_predictor, predict_pixels, validation_faces  # noqa: E402
from facial_keypoints.runs import best_tta  # noqa: E402

CURVE_COLUMNS = ("epoch", "rmse_px", "val_rmse_px")  # of history.csv


def save(fig, path):
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight"))
    plt.close(fig)


def worst_faces(images, true, predicted, path, count=16):
    """A grid of the validation faces with the largest RMSE, worst first."""
    errors = np.sqrt(np.nanmean((predicted - true) ** 2, axis=1))
    worst = np.argsort(-errors)[:count]
    side = int(np.ceil(np.sqrt(len(worst))))
    fig, axes = plt.subplots(side, side, figsize=(2.2 * side, 2.4 * side))
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), worst):
        ax.imshow(images[i].reshape(96, 96), cmap="gray", vmin=0, vmax=255)
        ax.scatter(true[i, 0::2], true[i, 1::2], s=12, c="lime", marker="o", label="true")
        ax.scatter(predicted[i, 0::2], predicted[i, 1::2], s=16, c="red", marker="x", label="predicted")
        ax.set_title(f"{errors[i]:.2f} px", fontsize=9)
    axes.ravel()[0].legend(loc="lower left", fontsize=7)
    fig.suptitle("worst validation faces (green: true, red: predicted)")
    save(fig, path)


def history_rows(run_dir):
    """history.csv of a run folder as rows of the numbers the curves draw (epoch, rmse_px, val_rmse_px), or
    None (with a note) where there is none: no file, a column missing (an older or foreign run), not numbers."""
    path = Path(run_dir) / "history.csv"
    if not path.is_file():
        print(f"note: {run_dir} has no history.csv, left out of the curves", file=sys.stderr)
        return None
    try:
        with path.open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        return [{key: float(row[key]) for key in CURVE_COLUMNS} for row in rows] or None
    except (KeyError, TypeError, ValueError) as error:  # UnicodeDecodeError is a ValueError
        problem = f"no column {error}" if isinstance(error, KeyError) else "cells that are not numbers"
        print(f"note: {path} has {problem} (expected {', '.join(CURVE_COLUMNS)}), left out of the curves",
              file=sys.stderr)
        return None


def curves(runs, path, title="validation (solid) and training (dashed)"):
    """Learning curves as in Nouri's tutorial: validation (solid) and training (dashed) RMSE in pixels per
    epoch, log scale. runs: (label, history rows) of each run; a lone run may have the label None."""
    fig, ax = plt.subplots(figsize=(8, 5))
    for label, rows in runs:
        epochs = [row["epoch"] for row in rows]
        line, = ax.plot(epochs, [row["val_rmse_px"] for row in rows], label=label or "validation")
        ax.plot(epochs, [row["rmse_px"] for row in rows], "--", color=line.get_color(), alpha=0.6,
                label=None if label else "training")
    ax.set(xlabel="epoch", ylabel="RMSE (pixels)", yscale="log", title=title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, path)


def keypoint_errors(true, predicted, path):
    """RMSE of each of the 15 keypoints, as horizontal bars."""
    squared = (predicted - true) ** 2
    per_keypoint = np.sqrt(np.nanmean((squared[:, 0::2] + squared[:, 1::2]) / 2, axis=0))
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.barh(KEYPOINTS[::-1], per_keypoint[::-1])
    ax.axvline(np.sqrt(np.nanmean(squared)), color="k", linestyle=":", label="all keypoints")
    ax.set(xlabel="validation RMSE (pixels)", title="error per keypoint")
    ax.legend()
    save(fig, path)


def test_faces(images, predicted, path, count=8):
    """A row of test faces with the predicted keypoints: what the model does on people it never saw."""
    fig, axes = plt.subplots(1, count, figsize=(1.3 * count, 1.45))
    for ax, image, points in zip(axes, images, predicted):
        ax.imshow(image.reshape(96, 96), cmap="gray", vmin=0, vmax=255)
        ax.scatter(points[0::2], points[1::2], s=5, c="red", linewidths=0)
        ax.axis("off")
    fig.subplots_adjust(left=0, right=1, top=1, bottom=0, wspace=0.03)
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=80))
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="run folder (or specialists folder)")
    parser.add_argument("--compare", nargs="*", default=[], help="more run folders for the learning curves")
    parser.add_argument("--data", help="data folder (default: $FKD_DATA, else ./data, else the embedded faces)")
    parser.add_argument("--out", help="where the PNGs go (default: RUN/show)")
    parser.add_argument("--test-faces", metavar="PNG", help="instead: draw the predictions on 8 test faces into PNG")
    args = parser.parse_args()
    if args.test_faces and Path(args.test_faces).suffix.lower() != ".png":
        parser.error(f"--test-faces {args.test_faces}: expected a .png file name (the picture is written as a PNG)")
    if args.test_faces:
        images = load_test(find_data_dir(args.data))["images"][:8]
        test_faces(images, predict_pixels(load_full_predictor(args.run), images, COLUMNS, best_tta(args.run)),
                   args.test_faces)
        return print(f"wrote {args.test_faces}")

    out = Path(args.out or Path(args.run) / "show")
    out.mkdir(parents=True, exist_ok=True)
    predict_scaled = load_full_predictor(args.run)
    training = load_training(find_data_dir(args.data))
    images, true = validation_faces(training, args.run)
    predicted = predict_pixels(predict_scaled, images, COLUMNS)
    worst_faces(images, true, predicted, out / "worst_faces.png")
    histories = [(Path(run).resolve().name, history_rows(run)) for run in [args.run, *args.compare]]
    curves([(name, rows) for name, rows in histories if rows is not None], out / "curves.png")
    keypoint_errors(true, predicted, out / "keypoint_errors.png")
    print(f"wrote {out}/worst_faces.png, curves.png, keypoint_errors.png")


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
