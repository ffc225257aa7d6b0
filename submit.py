"""Kaggle submission CSVs: from a run, averaged from several, or scored against known answers.

    python submit.py --run runs/net7-...                    # -> submissions/net7-....csv
    python submit.py --run runs/net7-... --tta flip         # average with the mirrored prediction
    python submit.py --runs runs/net13-a runs/net13-b --tta flip   # ensemble: average the runs' predictions
    python submit.py --average a.csv b.csv [--weights 2 1]  # blend submissions
    python submit.py --score sub.csv --solution answers.csv [--lookup IdLookupTable.csv]
"""
import argparse
import sys
from pathlib import Path

from facial_keypoints.data import DataError, find_data_dir, load_lookup, load_test
from facial_keypoints.keypoints import COLUMNS


def from_runs(args):
    """One run's predictions, or the mean of several runs' (an ensemble), each with the chosen TTA."""
    import numpy as np

    from facial_keypoints.runs import load_full_predictor, predict_pixels
    from facial_keypoints.submission import lookup_locations, write_submission

    data_dir = find_data_dir(args.data)
    lookup = load_lookup(data_dir / "IdLookupTable.csv")
    test = load_test(data_dir)
    run_dirs = [args.run] if args.run else args.runs
    predictions = np.mean([predict_pixels(load_full_predictor(run_dir), test["images"], COLUMNS, args.tta)
                           for run_dir in run_dirs], axis=0)
    locations = lookup_locations(lookup, test["image_ids"], predictions)
    name = Path(args.run).resolve().name if args.run else f"ensemble-of-{len(run_dirs)}"
    name += "-tta" if args.tta else ""
    out = Path(args.out or Path("submissions") / f"{name}.csv")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_submission(out, lookup[0], locations, lookup[0])
    return out


def averaged(args):
    from facial_keypoints.submission import average_submissions, write_submission

    row_ids, locations = average_submissions(args.average, args.weights)
    out = Path(args.out or "submissions/average.csv")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_submission(out, row_ids, locations, row_ids)
    return out


def scored(args):
    from facial_keypoints.submission import load_solution, read_submission, score

    print(f"RMSE {score(read_submission(args.score), load_solution(args.solution, args.lookup)):.5f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    task = parser.add_mutually_exclusive_group(required=True)
    task.add_argument("--run", help="a run folder (train.py) or a specialists folder (specialists.py)")
    task.add_argument("--runs", nargs="+", metavar="RUN", help="run folders whose predictions to average")
    task.add_argument("--average", nargs="+", metavar="CSV", help="submissions to average")
    task.add_argument("--score", metavar="CSV", help="a submission to score against --solution")
    parser.add_argument("--tta", choices=["flip"], help="test-time augmentation (with --run/--runs)")
    parser.add_argument("--weights", nargs="+", type=float, help="one weight per --average input")
    parser.add_argument("--solution", help="RowId,Location answers, or with --lookup a training-format CSV")
    parser.add_argument("--lookup", help="the IdLookupTable.csv that goes with a training-format --solution")
    parser.add_argument("--data", help="folder with test.csv/.zip and IdLookupTable.csv (default: $FKD_DATA, else ./data)")
    parser.add_argument("--out", help="where to write the submission CSV")
    args = parser.parse_args()
    if args.run or args.runs:
        print(f"wrote {from_runs(args)}")
    elif args.average:
        print(f"wrote {averaged(args)}")
    elif not args.solution:
        parser.error("--score needs --solution")
    else:
        scored(args)


if __name__ == "__main__":
    try:
        main()
    except DataError as error:
        sys.exit(f"error: {error}")
