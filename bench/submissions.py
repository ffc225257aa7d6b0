"""Validation RMSE of each way to make a submission, and the submissions themselves.

    python bench/submissions.py --run runs/net7-... --specialists runs/net7-...-specialists-nouri6

Methods: the single net, the single net with flip TTA, the specialists, and the average of the
single net's and the specialists' submissions (as `submit.py --average` makes it). The test answers
are withheld, so each is scored on the validation split (20% of the complete training rows).
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from facial_keypoints.data import find_data_dir, load_lookup, load_test, load_training  # noqa: E402
from facial_keypoints.keypoints import COLUMNS, IMAGE_SIZE  # noqa: E402
from facial_keypoints.runs import load_predictor, predict_pixels, rmse  # noqa: E402
from facial_keypoints.submission import average_submissions, lookup_locations, write_submission  # noqa: E402
from facial_keypoints.training import examples, split_rows  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, help="a single-net run folder")
    parser.add_argument("--specialists", required=True, help="a specialists folder")
    parser.add_argument("--data", help="data folder (default: $FKD_DATA, else ./data)")
    parser.add_argument("--out", default="submissions", help="where the submissions go")
    args = parser.parse_args()

    data_dir, out = find_data_dir(args.data), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    training, test = load_training(data_dir), load_test(data_dir)
    lookup = load_lookup(data_dir / "IdLookupTable.csv")
    val_images, val_keypoints = examples(training, split_rows(training["keypoints"]), COLUMNS)

    scores, files = {}, {}
    for name, folder, tta in (("single net", args.run, None), ("single net + flip TTA", args.run, "flip"),
                              ("specialists", args.specialists, None)):
        predict_scaled, _ = load_predictor(folder)
        val = np.clip(predict_pixels(predict_scaled, val_images, COLUMNS, tta), 0, IMAGE_SIZE)
        scores[name] = (val, rmse(val, val_keypoints))
        files[name] = out / f"{Path(folder).resolve().name}{'-tta' if tta else ''}.csv"
        locations = lookup_locations(lookup, test["image_ids"], predict_pixels(predict_scaled, test["images"], COLUMNS, tta))
        write_submission(files[name], lookup[0], locations, lookup[0])

    average = (scores["single net"][0] + scores["specialists"][0]) / 2
    scores["average of single net and specialists"] = (average, rmse(average, val_keypoints))
    files["average of single net and specialists"] = out / "average.csv"
    row_ids, locations = average_submissions([files["single net"], files["specialists"]])
    write_submission(files["average of single net and specialists"], row_ids, locations, lookup[0])

    print(f"\nvalidation RMSE on {len(val_images)} complete rows; submissions in {out}/\n")
    print("| method | val RMSE px | submission |\n|---|---|---|")
    for name, (_, score) in scores.items():
        print(f"| {name} | {score:.3f} | {files[name].name} |")


if __name__ == "__main__":
    main()
