"""Kaggle submission CSVs: from a run, averaged from several, or scored against known answers.

    python submit.py                                        # the shipped model, its best inference
    python submit.py --run runs/net7-...                    # -> submissions/net7-....csv
    python submit.py --run runs/net7-... --tta flip         # average with the mirrored prediction
    python submit.py --runs runs/net13-a runs/net13-b --tta flip   # ensemble: average the runs' predictions
    python submit.py --with-peers [--run RUN]               # blended with dlib + MediaPipe by RUN/stack.json
    python submit.py --average a.csv b.csv [--weights 2 1]  # blend submissions (checked against IdLookupTable.csv)
    python submit.py --score sub.csv --solution answers.csv [--lookup IdLookupTable.csv]
"""
from pathlib import Path

from facial_keypoints import cli
from facial_keypoints.data import SHIPPED_MODEL, find_data_dir, load_test
from facial_keypoints.keypoints import COLUMNS, TTAS
from facial_keypoints.paths import output_file
from facial_keypoints.tables import load_lookup


def peers_stack(run_dir, tta):
    """The run's stack (RUN/stack.json: python -m bench.stack) ready to apply, checked before any work:
    a missing stack.json or missing peers' packages is one line."""
    import sys

    from facial_keypoints.peers import require_packages
    from facial_keypoints.stacking import Stack, read_stack
    record = read_stack(run_dir)
    require_packages()
    if record.get("tta") != tta:
        print(f"note: {run_dir}/stack.json was fitted on predictions with TTA {record.get('tta') or 'none'}; "
              f"these use {tta or 'none'}", file=sys.stderr)
    return Stack(record)


def from_runs(args):
    """One run's predictions, or the mean of several runs' (an ensemble), each with the chosen TTA; with
    --with-peers, blended with the peers' by the run's stack."""
    import numpy as np

    from facial_keypoints.prediction import load_full_predictor, predict_pixels
    from facial_keypoints.submission import lookup_locations, write_submission

    run_dirs = [args.run] if args.run else args.runs
    name = Path(args.run).resolve().name if args.run else f"ensemble-of-{len(run_dirs)}"
    name += ("-tta" if args.tta else "") + ("-stack" if args.with_peers else "")
    out = output_file(args.out or Path("submissions") / f"{name}.csv", "--out")
    stack = peers_stack(args.run, args.tta) if args.with_peers else None
    predictors = [load_full_predictor(run_dir) for run_dir in run_dirs]  # a damaged run fails before the data load
    data_dir = find_data_dir(args.data)
    lookup = load_lookup(data_dir / "IdLookupTable.csv")
    test = load_test(data_dir)
    predictions = np.mean([predict_pixels(predictor, test["images"], COLUMNS, args.tta) for predictor in predictors],
                          axis=0)
    if stack is not None:
        predictions = stack(test["images"], predictions)
        stack.close()
    locations = lookup_locations(lookup, test["image_ids"], predictions)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_submission(out, lookup[0], locations, lookup[0])
    return out


def averaged(args):
    """The weighted mean of submissions, each checked against the lookup table (--lookup, else the data's)."""
    from facial_keypoints.submission import average_submissions, write_submission

    out = output_file(args.out or "submissions/average.csv", "--out")
    lookup_path = Path(args.lookup) if args.lookup else find_data_dir(args.data) / "IdLookupTable.csv"
    lookup_ids = load_lookup(lookup_path)[0]
    row_ids, locations = average_submissions(args.average, args.weights, lookup_ids, str(lookup_path))
    out.parent.mkdir(parents=True, exist_ok=True)
    write_submission(out, row_ids, locations, lookup_ids)
    return out


def scored(args):
    from facial_keypoints.submission import load_solution, read_submission, score

    solution = load_solution(args.solution, args.lookup)
    print(f"RMSE {score(read_submission(args.score), solution, args.score, args.solution):.5f}")


def main():
    parser = cli.parser_for(__doc__)
    task = parser.add_mutually_exclusive_group()
    task.add_argument("--run", help="a run folder (train.py) or a specialists folder (specialists.py); "
                                    "default: the shipped model (models/shipped) with the TTA it records")
    task.add_argument("--runs", nargs="+", metavar="RUN", help="run folders whose predictions to average")
    task.add_argument("--average", nargs="+", metavar="CSV", help="submissions to average")
    task.add_argument("--score", metavar="CSV", help="a submission to score against --solution")
    parser.add_argument("--tta", choices=TTAS, help="test-time augmentation (with --run/--runs): flip, the face and "
                        "its mirror image; shift, both also moved one pixel each way (18 views, 9 times flip's time)")
    parser.add_argument("--with-peers", action="store_true", help="with --run or the default run: blend its "
                        "predictions with the calibrated dlib and MediaPipe by RUN/stack.json (python -m bench.stack RUN)")
    parser.add_argument("--weights", nargs="+", type=float, help="one weight per --average input")
    parser.add_argument("--solution", help="RowId,Location answers, or with --lookup a training-format CSV")
    parser.add_argument("--lookup", help="the IdLookupTable.csv that --average inputs must match (default: the data "
                                         "folder's), or that goes with a training-format --solution")
    cli.add_data_option(parser, help="folder with test.csv/.zip and IdLookupTable.csv (default: $FKD_DATA, else ./data, "
                                     "else the embedded faces)")
    parser.add_argument("--out", help="where to write the submission CSV")
    args = parser.parse_args()
    weights = args.weights
    if weights is not None and (not args.average or len(weights) != len(args.average) or
                                not all(0 <= w < float("inf") for w in weights) or sum(weights) <= 0):
        parser.error(f"--weights: expected one non-negative number per --average input ({len(args.average or [])}), "
                     f"not all zero, got {' '.join(f'{w:g}' for w in weights)}")
    if args.with_peers and (args.runs or args.average or args.score):
        parser.error("--with-peers: goes with --run RUN or the default run, not --runs, --average or --score")
    if not (args.run or args.runs or args.average or args.score):
        from facial_keypoints.runs import best_tta
        args.run, args.tta = SHIPPED_MODEL, args.tta or best_tta(SHIPPED_MODEL)
    if args.run or args.runs:
        print(f"wrote {from_runs(args)}")
    elif args.average:
        print(f"wrote {averaged(args)}")
    elif not args.solution:
        parser.error("--score needs --solution")
    else:
        scored(args)


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
