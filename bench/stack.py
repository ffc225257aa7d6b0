"""The stack of a run: its predictions blended per coordinate with the calibrated peers' average (dlib +
MediaPipe), fitted on the run's own split and written to RUN/stack.json, which `submit.py --with-peers` and
`predict.py --with-peers` apply.

    pip install --no-deps -r requirements-peers.txt   # once: the peers' packages
    python -m bench.stack                             # models/shipped -> models/shipped/stack.json
    python -m bench.stack runs/net12-... --no-ledger  # another run; no ledger row
    python -m bench.stack --record                    # maintainers: the row into results/runs.csv

What is fitted on what (facial_keypoints/stacking.py): the peers' calibration on the split's training rows;
the 30 weights on its complete validation faces. It prints those faces' RMSE of ours, of the peers' average, of
the stack in-sample (weights scored on the faces they were fitted on: optimistic) and out-of-fold (weights
fitted on half of the validation groups, scored on the other half: honest). The ledger row (net
"stack: NET (RUN) + dlib + MediaPipe", ensemble_of 3) records the out-of-fold number.
"""
import time
from pathlib import Path

from facial_keypoints import cli
from facial_keypoints.data import SHIPPED_MODEL, find_data_dir, load_training
from facial_keypoints.errors import DataError
from facial_keypoints.ledger import append, check_writable, ledger_path
from facial_keypoints.paths import output_file
from facial_keypoints.peers import require_packages
from facial_keypoints.provenance import command, commit, hardware
from facial_keypoints.stacking import STACK_FILE, fit_stack, write_stack


def shown(run_dir):
    """How the ledger and stack.json name the run: models/shipped for the shipped model, else as given."""
    return "models/shipped" if Path(run_dir).resolve() == SHIPPED_MODEL.resolve() else str(run_dir)


def net_name(run_dir):
    """The ledger's name of the stack: "stack: net12 (models/shipped) + dlib + MediaPipe"."""
    from facial_keypoints.runs import read_json
    run_dir = Path(run_dir)
    for name, suffix in (("config.json", ""), ("manifest.json", " specialists")):
        if (run_dir / name).is_file():
            return f"stack: {read_json(run_dir / name)['net']}{suffix} ({shown(run_dir)}) + dlib + MediaPipe"
    raise DataError(f"{run_dir}: not a run folder (expected config.json and model.keras from train.py, "
                    "or a specialists folder)")


def report(record, path, seconds):
    """What the fit scored, each number said for what it is."""
    scores, weights = record["val_rmse_px"], record["weights"]
    peers = ", ".join(f"{p['name']} {p['val_rmse_px']:.3f} px (missed {p['missed']['validation']})"
                      for p in record["peers"])
    return "\n".join([
        f"{record['validation_faces']} complete validation faces of the {record['split']} split "
        f"({record['validation_groups']} near-duplicate groups); peers calibrated on {record['training_rows']} "
        f"training rows, the weights fitted on these faces",
        f"  ours ({record['run']}, TTA {record['tta'] or 'none'}): {scores['ours']:.3f} px",
        f"  peers, calibrated: {peers}",
        f"  peers' average: {scores['peers_average']:.3f} px",
        f"  stack, in-sample (weights fitted on these faces: optimistic): {scores['stack_in_sample']:.3f} px",
        f"  stack, out-of-fold ({record['out_of_fold']['folds']} folds by groups, each scored with weights fitted on "
        f"the other: honest, the ledger's): {scores['stack_out_of_fold']:.3f} px "
        f"(folds: {', '.join(f'{s:.3f}' for s in record['out_of_fold']['fold_rmse_px'])})",
        f"  weights of ours: min {min(weights):.2f}, mean {sum(weights) / len(weights):.2f}, max {max(weights):.2f}",
        f"wrote {path} ({seconds:.0f} s)"])


def main():
    parser = cli.parser_for(__doc__, prog="python -m bench.stack")
    parser.add_argument("run", nargs="?", default=SHIPPED_MODEL,
                        help="a run folder (or specialists folder); default: the shipped model, models/shipped")
    cli.add_data_option(parser)
    cli.add_ledger_options(parser)
    args = parser.parse_args()
    run = Path(args.run)
    name = net_name(run)  # checks the folder before anything loads
    ledger = ledger_path(args.no_ledger, args.record)
    check_writable(ledger)
    output_file(run / STACK_FILE, "the stack")
    require_packages()
    started = time.time()
    record = fit_stack(run, load_training(find_data_dir(args.data)))
    seconds = time.time() - started
    record.update(run=shown(run), seconds=round(seconds, 1), commit=commit(), command=command(), hardware=hardware())
    path = write_stack(run, record)
    append(ledger, net=name, split=record["split"], val_rmse_px=record["val_rmse_px"]["stack_out_of_fold"],
           tta=record["tta"] or "", ensemble_of=3, rows=record["training_rows"], wall_s=round(seconds, 1))
    print(report(record, path, seconds))


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
