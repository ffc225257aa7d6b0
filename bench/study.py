"""The study's nets at their full recipes, run so that they outlive interruptions: each net's run folder
stays in --out (default $FKD_RUNS/study, else ~/.cache/facial-keypoints/runs/study: outside any work tree),
checkpointed every --checkpoint-every epochs; run again, the same command resumes an unfinished run from
its checkpoint and skips a net whose full recipe is finished there.

    taskset -c 1 python -m bench.study                  # every net of the study, in order, one pinned core
    python -m bench.study --plan                        # what is done, what is left, and the hours it needs here
    python -m bench.study --nets net6,net7 --record     # maintainers: rows into results/runs.csv
    python -m bench.study --epochs 10 --out runs/look   # REDUCED: every net for 10 epochs (a CPU look)
    python -m bench.study --speed                       # the levers that cut the study's time, side by side
    KERAS_BACKEND=jax python -m bench.study             # on a GPU

--plan estimates each net from the ledgers' s/epoch of that net on this hardware and backend, else from a
2-epoch probe (not recorded); early stopping (net7, net9, net10, net11: patience 200) can end a net sooner.
--speed times a few epochs of each net with each lever (fp32 against mixed bfloat16, the fast pipeline
against the plain one), one after the other in this process, on whatever cores it may use.
"""
import csv
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

from facial_keypoints import cli

STUDY = ("net1", "net2", "net3", "net4", "net5", "net6", "net7", "net9", "net10", "net11")


def default_out():
    from facial_keypoints.data import cache_dir
    return Path(os.environ.get("FKD_RUNS") or cache_dir() / "runs") / "study"


def runs_of(out, name):
    """(finished run folders, unfinished run folders with a checkpoint) of net `name` in out."""
    from facial_keypoints.runs import has_checkpoint
    finished = sorted(p for p in out.glob(f"{name}-*") if (p / "config.json").is_file())
    unfinished = sorted(out / p.name[1:].removesuffix(".partial") for p in out.glob(f".{name}-*.partial"))
    return finished, [p for p in unfinished if has_checkpoint(p) and not p.exists()]


def done(run, recipe):
    """A finished run of this recipe: all its epochs, or stopped by its own early stopping (not by Ctrl-C)."""
    from facial_keypoints.runs import read_config
    config = read_config(run)
    return config["recipe"]["epochs"] == recipe.epochs and not config["interrupted"]


def seconds_per_epoch(name, recipe, data_dir):
    """(s/epoch here, how that was found): the ledgers' median for this net, hardware and backend, else a probe."""
    import keras
    import pandas as pd

    from facial_keypoints.ledger import PROJECT_LEDGER, ledger_path, read
    from facial_keypoints.provenance import hardware
    from facial_keypoints.recipe import RunSpec
    from facial_keypoints.training import train
    table = pd.concat([read(PROJECT_LEDGER), read(ledger_path())], ignore_index=True)
    mine = table[(table["net"] == name) & (table["hardware"] == hardware()) & (table["backend"] == keras.backend.backend())
                 & (table["s_per_epoch"] != "") & (table["tta"] == "") & (table["ensemble_of"] == "")]
    if len(mine):
        return mine["s_per_epoch"].astype(float).median(), f"ledger, {len(mine)} run(s)"
    with tempfile.TemporaryDirectory() as probes:
        spec = RunSpec(net=name, recipe=dataclasses.replace(recipe, epochs=2), data=str(data_dir))
        run = train(spec, probes, verbose=False)
        steady = float(list(csv.DictReader((run / "history.csv").read_text().splitlines()))[-1]["seconds"])
    return steady, "2-epoch probe"


def plan(names, recipes, out, data_dir):
    """Print, per net, what is done and what is left, and the hours left on this hardware."""
    from facial_keypoints.checkpoints import read_state
    from facial_keypoints.provenance import duration, hardware
    from facial_keypoints.runs import read_config
    total = 0.0
    print("| net | epochs | state | s/epoch here | left |\n|---|---|---|---|---|")
    for name in names:
        recipe = recipes[name]
        finished, unfinished = runs_of(out, name)
        complete = [run for run in finished if done(run, recipe)]
        if complete:
            config = read_config(complete[-1])
            print(f"| {name} | {recipe.epochs} | done: {config['epochs_run']} epochs, {config['val_rmse_px']:.3f} px "
                  f"({complete[-1].name}) | - | - |")
            continue
        epochs_done = read_state(unfinished[-1])["epochs_done"] if unfinished else 0
        per_epoch, how = seconds_per_epoch(name, recipe, data_dir)
        left = (recipe.epochs - epochs_done) * per_epoch
        total += left
        state = f"at epoch {epochs_done} ({unfinished[-1].name})" if unfinished else "not started"
        print(f"| {name} | {recipe.epochs} | {state} | {per_epoch:.2f} ({how}) | {duration(left)} |")
    print(f"\nat most {total / 3600:.1f} hours left on {hardware()} (early stopping can end nets sooner); "
          f"run folders in {out}")


def speed(names, data_dir, epochs):
    """s/epoch of each net with each lever, measured one after the other in this process."""
    import keras
    import numpy as np

    import nets
    from facial_keypoints.data import load_training
    from facial_keypoints.keypoints import COLUMNS, scale
    from facial_keypoints.provenance import hardware
    from facial_keypoints.splits import examples, select_rows
    from facial_keypoints.training import fit

    training = load_training(data_dir)
    is_val, fitted = select_rows(training)
    print(f"| net | lever | s/epoch (median of {epochs - 1} after the first) | val RMSE px after {epochs} |\n|---|---|---|---|")
    for name in names:
        net = nets.load(name)
        recipe = dataclasses.replace(net.RECIPE, epochs=epochs, patience=None)
        data = [examples(training, rows, COLUMNS, complete=complete) for rows, complete in
                ((fitted, not recipe.all_rows), (is_val, True))]
        data = [(images, scale(keypoints)) for images, keypoints in data]
        for lever, policy, pipeline in (("fp32, fast pipeline", "float32", "fast"),
                                        ("mixed bfloat16, fast pipeline", "mixed_bfloat16", "fast"),
                                        ("fp32, plain pipeline", "float32", "plain")):
            if pipeline == "plain" and recipe.augments():
                continue
            keras.mixed_precision.set_global_policy(policy)
            keras.utils.set_random_seed(0)
            history = fit(net.build(), recipe, *data, COLUMNS, pipeline=pipeline, verbose=False)
            keras.mixed_precision.set_global_policy("float32")
            steady = float(np.median([row["seconds"] for row in history[1:]]))
            print(f"| {name} | {lever} | {steady:.2f} | {history[-1]['val_rmse_px']:.3f} |", flush=True)
    print(f"\nbackend {keras.backend.backend()}, {hardware()}")


def main():
    parser = cli.parser_for(__doc__, prog="python -m bench.study")
    parser.add_argument("--nets", default=",".join(STUDY), help="comma-separated net names (default: the study's)")
    parser.add_argument("--epochs", type=int, help="REDUCED run: this many epochs for every net")
    parser.add_argument("--out", help="where the run folders stay (default: $FKD_RUNS/study, else "
                                      "~/.cache/facial-keypoints/runs/study)")
    parser.add_argument("--checkpoint-every", type=int, default=10, metavar="N", help="epochs between checkpoints")
    parser.add_argument("--plan", action="store_true", help="say what is done and what is left; train nothing")
    parser.add_argument("--speed", type=int, nargs="?", const=4, metavar="EPOCHS",
                        help="time the levers on EPOCHS epochs per net (default 4); train nothing else")
    cli.add_data_option(parser)
    cli.add_ledger_options(parser)
    args = parser.parse_args()
    cli.check_positive(parser, epochs=args.epochs, checkpoint_every=args.checkpoint_every, speed=args.speed)

    import nets
    names = args.nets.split(",")
    unknown = [name for name in names if name not in nets.names() or not hasattr(nets.load(name), "build")]
    if unknown:
        parser.error(f"--nets: {unknown[0]} is not a net that train.py can train (see python train.py --list)")
    from facial_keypoints.checkpoints import read_state
    from facial_keypoints.data import find_data_dir
    from facial_keypoints.ledger import append_run, ledger_path
    from facial_keypoints.paths import output_folder
    from facial_keypoints.recipe import RunSpec
    from facial_keypoints.runs import read_config
    from facial_keypoints.training import train, unused_name

    data_dir = find_data_dir(args.data)
    if args.speed:
        return speed(names, data_dir, max(2, args.speed))
    recipes = {name: nets.load(name).RECIPE if args.epochs is None else
               dataclasses.replace(nets.load(name).RECIPE, epochs=args.epochs) for name in names}
    out = output_folder(args.out or default_out(), "--out", make=not args.plan)
    if args.plan:
        return plan(names, recipes, out, data_dir)
    for name in names:
        finished, unfinished = runs_of(out, name)
        if any(done(run, recipes[name]) for run in finished):
            print(f"{name}: done already ({[run.name for run in finished if done(run, recipes[name])][-1]})", flush=True)
            continue
        started = time.perf_counter()
        if unfinished:
            run = train(RunSpec.from_record(read_state(unfinished[-1])), out, name=unfinished[-1].name,
                        checkpoint_every=args.checkpoint_every, resume=True)
        else:
            spec = RunSpec(net=name, recipe=recipes[name], data=str(Path(data_dir).resolve()))
            run = train(spec, out, name=unused_name(out, name), checkpoint_every=args.checkpoint_every)
        config = read_config(run)
        if config["interrupted"]:  # as train.py: the run folder holds the best weights so far, the ledger nothing
            print(f"{name}: interrupted by Ctrl-C after epoch {config['epochs_run']} ({run}); not recorded", file=sys.stderr)
            sys.exit(130)
        append_run(ledger_path(args.no_ledger, args.record), config)
        print(f"{name}: {config['val_rmse_px']:.3f} px after {config['epochs_run']} epochs "
              f"({time.perf_counter() - started:.0f} s here; {run})", flush=True)


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
