"""Train the study's nets with their recipes, add each finished run to the ledger, and print a table
beside the published numbers (bench/report.py puts the ledger's rows into docs/study.md).

    python bench/study.py                      # full recipes: for a GPU (KERAS_BACKEND=jax there)
    python bench/study.py --budget-minutes 90  # full recipes, in order, of the nets whose estimate fits
    python bench/study.py --epochs 10          # REDUCED: every net for 10 epochs (a CPU look)
    python bench/study.py --nets net1,net2 --data DIR --out runs/bench [--no-ledger]

--budget-minutes M: before each net, its time is estimated from the ledger's s/epoch for that net on
this hardware and backend, else from a 2-epoch probe (not recorded; its time counts against M); a net
whose estimate does not fit what is left is skipped, with the reason, and the next one is tried. Early
stopping can end a net sooner than its estimate.

Validation RMSE is measured on the same 20% of complete rows for every net (training.validation_mask).
"""
import argparse
import csv
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402

import nets  # noqa: E402
from bench.published import PUBLISHED  # noqa: E402
from facial_keypoints.data import find_data_dir  # noqa: E402
from facial_keypoints.ledger import append_run, ledger_path, read  # noqa: E402
from facial_keypoints.progress import duration, hardware  # noqa: E402
from facial_keypoints.training import train  # noqa: E402


def estimate(name, recipe, data_dir):
    """(seconds the recipe should take here, how that was found)."""
    table = read(ledger_path())
    mine = table[(table["net"] == name) & (table["hardware"] == hardware()) & (table["backend"] == keras.backend.backend())
                 & (table["s_per_epoch"] != "") & (table["tta"] == "") & (table["ensemble_of"] == "")]
    if len(mine):
        per_epoch = mine["s_per_epoch"].astype(float).median()
        return recipe.epochs * per_epoch, f"{per_epoch:g} s/epoch from {len(mine)} ledger run(s) on {hardware()}"
    with tempfile.TemporaryDirectory() as probes:
        run = train(nets.load(name), data_dir, probes, dataclasses.replace(recipe, epochs=2), verbose=False)
        first, steady = (float(row["seconds"]) for row in csv.DictReader((run / "history.csv").read_text().splitlines()))
    return first + (recipe.epochs - 1) * steady, f"{steady:.2f} s/epoch from a 2-epoch probe"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nets", default=",".join(PUBLISHED), help="comma-separated net names")
    parser.add_argument("--epochs", type=int, help="REDUCED run: this many epochs for every net")
    parser.add_argument("--budget-minutes", type=float, help="run only the nets whose estimated time fits in this")
    parser.add_argument("--data", help="data folder (default: $FKD_DATA, else ./data, else the embedded faces)")
    parser.add_argument("--out", default="runs/bench", help="where the run folders go")
    parser.add_argument("--no-ledger", action="store_true", help="do not add the finished runs to results/runs.csv")
    args = parser.parse_args()
    for name, value in (("--epochs", args.epochs), ("--budget-minutes", args.budget_minutes)):
        if value is not None and not 0 < value < float("inf"):
            parser.error(f"{name}: expected a positive number, got {value}")
    names = args.nets.split(",")
    unknown = [name for name in names if name not in nets.names() or not hasattr(nets.load(name), "build")]
    if unknown:
        parser.error(f"--nets: {unknown[0]} is not a net that train.py can train (see python train.py --list)")

    mode = "full recipes" if args.epochs is None else f"REDUCED: {args.epochs} epochs per net, not the recipes"
    rows, data_dir, started = [], find_data_dir(args.data), time.perf_counter()
    for name in names:
        net = nets.load(name)
        recipe = net.RECIPE if args.epochs is None else dataclasses.replace(net.RECIPE, epochs=args.epochs)
        if args.budget_minutes is not None:
            seconds, how = estimate(name, recipe, data_dir)
            left = args.budget_minutes * 60 - (time.perf_counter() - started)
            if seconds > left:
                print(f"{name}: skipped, {recipe.epochs} epochs need about {duration(seconds)} ({how}); "
                      f"{duration(max(left, 0))} of the budget left", flush=True)
                continue
            print(f"{name}: {recipe.epochs} epochs, about {duration(seconds)} ({how})", flush=True)
        run = train(net, data_dir, args.out, recipe)
        config = json.loads((run / "config.json").read_text())
        if config["interrupted"]:  # as train.py: the run folder holds the best weights so far, the ledger nothing
            print(f"{name}: interrupted by Ctrl-C after epoch {config['epochs_run']} ({run}); not recorded", file=sys.stderr)
            sys.exit(130)
        append_run(ledger_path(args.no_ledger), config)  # the one row of this run: train() itself writes none
        rows.append((name, config["epochs_run"], config["seconds_per_epoch"], config["seconds"],
                     config["val_rmse_px"], config["mean_shape_val_rmse_px"], *PUBLISHED.get(name, (None, None))))
        print(f"{name}: {config['val_rmse_px']:.3f} px in {config['seconds']:.0f} s ({run})", flush=True)

    def cell(value):
        return "-" if value is None else f"{value:.2f}"
    print(f"\nbackend {keras.backend.backend()}, {hardware()}, {mode}\n")
    print("| net | epochs | s/epoch | total s | val RMSE px | mean shape px | Nouri px | study px |")
    print("|---|---|---|---|---|---|---|---|")
    for name, epochs, per_epoch, total, val, mean, nouri, study in rows:
        print(f"| {name} | {epochs} | {per_epoch:.3f} | {total:.0f} | {val:.3f} | {mean:.2f} | {cell(nouri)} | {cell(study)} |")


if __name__ == "__main__":
    from facial_keypoints import cli
    cli.run(main)
