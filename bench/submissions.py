"""Validation RMSE of each way to make a submission from some runs, and the submissions themselves.

    python bench/submissions.py runs/net1-... runs/net1-...-specialists-nouri6
    python bench/submissions.py runs/net12-... runs/net13-... runs/net13-...-seed1

For every run (a single net or a specialists folder): its plain prediction and with flip TTA
(`submit.py --run RUN [--tta flip]`). With several runs: the ensemble of all of them, predictions
averaged, with flip TTA (`submit.py --runs ... --tta flip`), and the average of their plain
submissions (`submit.py --average`). The test answers are withheld, so each is scored on the runs'
validation split (the complete rows of it).
"""
import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from facial_keypoints.errors import DataError

from facial_keypoints.data import find_data_dir, load_test, load_training  # noqa: E402
from facial_keypoints.tables import load_lookup  # noqa: E402
from facial_keypoints.keypoints import COLUMNS, IMAGE_SIZE  # noqa: E402
from facial_keypoints.prediction import load_full_predictor, run_split  # noqa: E402
from facial_keypoints.prediction import predict_pixels
from facial_keypoints.metrics import rmse  # noqa: E402
from facial_keypoints.submission import lookup_locations, write_submission  # noqa: E402
from facial_keypoints.splits import examples, validation_mask  # noqa: E402


def training_seconds(run_dir):
    """Wall time of training a run, or the sum over a specialists folder's runs."""
    configs = [Path(run_dir) / "config.json"] if (Path(run_dir) / "config.json").is_file() else \
        sorted(Path(run_dir).glob("*/config.json"))
    return sum(json.loads(c.read_text())["seconds"] for c in configs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run folders and specialists folders")
    parser.add_argument("--data", help="data folder (default: $FKD_DATA, else ./data, else the embedded faces)")
    parser.add_argument("--out", default="submissions", help="where the submissions go")
    args = parser.parse_args()
    splits = {run_split(run) for run in args.runs}
    if len(splits) > 1:
        raise DataError(f"the runs were validated on different splits ({', '.join(sorted(splits))}): not comparable")

    data_dir, out = find_data_dir(args.data), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    training, test = load_training(data_dir), load_test(data_dir)
    lookup = load_lookup(data_dir / "IdLookupTable.csv")
    val_images, val_keypoints = examples(training, validation_mask(training, splits.pop()), COLUMNS)

    rows, plain_val, plain_test, tta_val, tta_test = [], [], [], [], []
    for run in args.runs:
        predict_scaled = load_full_predictor(run)
        for tta, vals, tests in ((None, plain_val, plain_test), ("flip", tta_val, tta_test)):
            vals.append(np.clip(predict_pixels(predict_scaled, val_images, COLUMNS, tta), 0, IMAGE_SIZE))
            tests.append(predict_pixels(predict_scaled, test["images"], COLUMNS, tta))
            name = f"{Path(run).resolve().name}{'-tta' if tta else ''}"
            rows.append((name, rmse(vals[-1], val_keypoints), training_seconds(run), tests[-1]))
    if len(args.runs) > 1:
        ensemble = np.mean(tta_val, axis=0)
        rows.append((f"ensemble-of-{len(args.runs)}-tta", rmse(ensemble, val_keypoints),
                     sum(training_seconds(run) for run in args.runs), np.mean(tta_test, axis=0)))
        average = np.mean(plain_val, axis=0)
        rows.append((f"average-of-{len(args.runs)}", rmse(average, val_keypoints),
                     sum(training_seconds(run) for run in args.runs), np.mean(np.clip(plain_test, 0, IMAGE_SIZE), axis=0)))

    print(f"\nvalidation RMSE on {len(val_images)} complete rows; submissions in {out}/\n")
    print("| submission | val RMSE px | training s |\n|---|---|---|")
    for name, score, seconds, test_predictions in rows:
        locations = lookup_locations(lookup, test["image_ids"], test_predictions)
        write_submission(out / f"{name}.csv", lookup[0], locations, lookup[0])
        print(f"| {name} | {score:.3f} | {seconds:.0f} |")


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
