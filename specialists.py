"""Train Nouri's keypoint-group specialists from a pretrained run, then score them together.

    python specialists.py --pretrained                               # from the shipped model, six groups
    python specialists.py --pretrained runs/net7-...                 # six groups, int(4e6/rows) epochs
    python specialists.py --pretrained runs/net7-... --groups study2 # the incremental study's two
    python specialists.py --net net6                                 # from scratch: int(1e7/rows) epochs
    python specialists.py --pretrained runs/net7-... --jobs 3        # three specialists at a time

Each specialist is a run folder inside one specialists folder. A finished specialist is never
trained again: after a crash, the same command resumes the unfinished one from its checkpoint and
goes on with the rest.

Exit status: 0 when done, 1 with one line `error: ...` for a bad argument or bad data (checked before
the specialists folder is written), 130 when Ctrl-C or SIGTERM stopped a specialist (saved as it was).
"""
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import nets
from facial_keypoints import cli
from facial_keypoints.data import SHIPPED_MODEL, find_data_dir
from facial_keypoints.errors import DataError
from facial_keypoints.groups import check_folder, group_epochs, run_processes
from facial_keypoints.paths import output_folder
from facial_keypoints.preflight import check_settings

PRETRAINED = "pretrained.weights.h5"  # in the specialists folder: the weights every specialist starts from


def parse_args():
    parser = cli.parser_for(__doc__)
    parser.add_argument("--pretrained", nargs="?", const=str(SHIPPED_MODEL), metavar="RUN",
                        help="run folder whose weights start every specialist (all but the output head); "
                             "alone: the shipped model (models/shipped)")
    parser.add_argument("--net", help="which net (default: the pretrained run's)")
    parser.add_argument("--groups", default="nouri6", choices=["nouri6", "study2"], help="which set of groups")
    parser.add_argument("--only", help="comma-separated groups to train now (default: all that are not done)")
    parser.add_argument("--epochs-scale", type=float, default=1.0, help="multiply Nouri's epoch counts")
    parser.add_argument("--jobs", type=int, default=1, help="specialists trained at the same time, one process each")
    cli.add_data_option(parser)
    parser.add_argument("--out", help="specialists folder (default: runs/<pretrained run>-specialists-<groups>)")
    parser.add_argument("--seed", type=int, default=0)
    cli.add_ledger_options(parser)
    cli.add_speed_options(parser)
    return parser, parser.parse_args()


def plan_folder(args, parser):
    """The specialists folder and its manifest, nothing written yet; a re-run must ask for the same specialists."""
    from facial_keypoints.groups import SPECIALIST_SETTINGS, group_columns
    from facial_keypoints.prediction import run_split
    from facial_keypoints.runs import read_config

    if args.pretrained:
        net_name = args.net or read_config(args.pretrained)["net"]
        pretrained_split = run_split(args.pretrained)
        if args.split not in (None, pretrained_split):
            raise DataError(f"{args.pretrained} was validated on the {pretrained_split} split, so it trained on rows "
                            f"that the {args.split} split validates on; leave out --split")
        args.split = pretrained_split
        beside = Path("runs") if Path(args.pretrained).resolve() == SHIPPED_MODEL else Path(args.pretrained).parent
        default = beside / f"{Path(args.pretrained).resolve().name}-specialists-{args.groups}"
    elif args.net:
        net_name, default = args.net, Path("runs") / f"{args.net}-scratch-specialists-{args.groups}"
        args.split = args.split or "rows"
    else:
        parser.error("give --pretrained RUN_DIR (or --net NAME to train from scratch)")
    try:
        nets.load(net_name)
    except ValueError as error:
        parser.error(str(error))
    folder = output_folder(args.out or default, "--out", make=False)
    manifest = {"net": net_name, "groups": list(SPECIALIST_SETTINGS[args.groups]), "settings": args.groups,
                "pretrained": str(Path(args.pretrained).resolve()) if args.pretrained else None,
                "columns": {g: group_columns(k) for g, k in SPECIALIST_SETTINGS[args.groups].items()},
                "epochs_scale": args.epochs_scale, "seed": args.seed, "split": args.split}
    check_folder(folder, manifest)
    return folder, manifest


def check_start(args, manifest, groups, training, rows):
    """Everything that would stop a specialist early, checked before the folder is written: enough rows
    for each group, and a pretrained run of all 30 columns whose layers fit the net. Returns its model."""
    from facial_keypoints.keypoints import COLUMNS
    from facial_keypoints.preflight import check_rows
    from facial_keypoints.runs import load_run
    from facial_keypoints.training import copy_weights

    net = nets.load(manifest["net"])
    check_rows(args.data, training, rows, net.RECIPE, [manifest["columns"][group] for group in groups])
    for group in groups:  # an --epochs-scale that gives a group an absurd schedule
        group_epochs(training["keypoints"], group, manifest["columns"][group], bool(args.pretrained), args.epochs_scale)
    if args.pretrained and groups:
        pretrained, config = load_run(args.pretrained)
        if len(config["columns"]) != len(COLUMNS):
            raise DataError(f"--pretrained {args.pretrained}: predicts {len(config['columns'])} of the {len(COLUMNS)} "
                            "columns (a specialist?); specialists start from a net of all 30")
        copy_weights(pretrained, net.build(len(manifest["columns"][groups[0]])))
        return pretrained


def start_folder(folder, manifest, pretrained=None):
    """Make the specialists folder and write its manifest, once; and the pretrained run's weights, which
    start every specialist, as a Keras weights file (no optimizer state; loadable into the same net)."""
    from facial_keypoints.paths import write_atomic, write_text

    if not (folder / "manifest.json").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        write_text(folder / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    if pretrained is not None and not (folder / PRETRAINED).is_file():
        write_atomic(folder / PRETRAINED, pretrained.save_weights)


def train_here(args, folder, manifest, groups, training, rows):
    """Train the groups one after the other in this process."""
    import keras

    from facial_keypoints.recipe import RunSpec
    from facial_keypoints.runs import has_checkpoint, read_config
    from facial_keypoints.training import train

    net = nets.load(manifest["net"])
    pretrained = str(folder / PRETRAINED) if args.pretrained else None
    for group in groups:
        columns = manifest["columns"][group]
        count, epochs = group_epochs(training["keypoints"], group, columns, pretrained is not None, args.epochs_scale)
        recipe = dataclasses.replace(net.RECIPE, epochs=epochs, patience=200)
        print(f"{group}: {len(columns)} columns, {count} rows, up to {epochs} epochs", flush=True)
        spec = RunSpec(net=manifest["net"], recipe=recipe, data=str(Path(args.data).resolve()), seed=args.seed,
                       columns=tuple(columns), pipeline=args.pipeline, split=args.split, pretrained=pretrained)
        run_dir = train(spec, folder, name=group, resume=has_checkpoint(folder / group), training=training, rows=rows)
        keras.backend.clear_session()
        if read_config(run_dir)["interrupted"]:
            print(f"stopped after {group} (saved as it was); re-run to train the others", file=sys.stderr)
            sys.exit(130)


def specialist_command(group):
    """The command line of one specialist's process: this one, for that group alone."""
    return [sys.executable, __file__, *sys.argv[1:], "--only", group, "--jobs", "1"]


def train_in_processes(args, groups):
    """One process per specialist, args.jobs at a time (groups.run_processes: Ctrl-C and SIGTERM reach every
    running one); a failing one does not stop the others."""
    env = {**os.environ, "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}  # several JAX processes share a GPU
    codes = run_processes({group: specialist_command(group) for group in groups}, args.jobs, env)
    failed = [group for group, code in codes.items() if code != 0]
    if failed:
        raise DataError(f"specialists {', '.join(failed)} failed (see above); the others are saved, re-run to retry")


def report(args, folder, manifest, training):
    """Validation RMSE per keypoint of the aggregated specialists, beside the single net they started from."""
    from facial_keypoints.keypoints import COLUMNS
    from facial_keypoints.metrics import keypoint_rmse_rows
    from facial_keypoints.paths import write_csv, write_text
    from facial_keypoints.prediction import load_predictor, predict_pixels, validation_faces

    images, keypoints = validation_faces(training, folder)
    scores = {"specialists": keypoint_rmse_rows(predict_pixels(load_predictor(folder)[0], images, COLUMNS), keypoints, COLUMNS)}
    if args.pretrained:
        scores["single net"] = keypoint_rmse_rows(predict_pixels(load_predictor(args.pretrained)[0], images, COLUMNS),
                                                  keypoints, COLUMNS)
    names = list(scores)
    rows = [[row[0]] + [f"{scores[n][i][3]:.4f}" for n in names] for i, row in enumerate(scores["specialists"])]
    write_csv(folder / "keypoint_rmse.csv", ["keypoint"] + [f"{n.replace(' ', '_')}_rmse_px" for n in names], rows)
    summary = {n: scores[n][-1][3] for n in names}
    write_text(folder / "scores.json", json.dumps({"val_rows": len(images), "val_rmse_px": summary}, indent=2) + "\n")
    print(f"\nvalidation RMSE in pixels on {len(images)} complete rows ({folder})")
    print("| keypoint | " + " | ".join(names) + " |\n|---|" + "---|" * len(names))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def record_specialists(args, folder, manifest):
    """The ledger's row of the finished specialists: their score together, epochs and training seconds added up."""
    from facial_keypoints.ledger import append, ledger_path
    from facial_keypoints.runs import read_config

    configs = [read_config(folder / group) for group in manifest["groups"]]
    stopped = [group for group, config in zip(manifest["groups"], configs) if config.get("interrupted")]
    if stopped:
        print(f"note: {folder} goes into no ledger: specialist {stopped[0]} was stopped early (interrupted)",
              file=sys.stderr)
        return
    score = json.loads((folder / "scores.json").read_text())["val_rmse_px"]["specialists"]
    seconds, epochs = sum(c["seconds"] for c in configs), sum(c["epochs_run"] for c in configs)
    name = f"{manifest['net']} specialists" + ("" if args.pretrained else " from scratch")
    append(ledger_path(args.no_ledger, args.record), net=name + ("" if args.groups == "nouri6" else f" ({args.groups})"),
           epochs=epochs, recipe_epochs=sum(c["recipe"]["epochs"] for c in configs), split=manifest["split"],
           val_rmse_px=score, ensemble_of=len(configs), rows=max(c["train_rows"] for c in configs),
           wall_s=round(seconds, 1), s_per_epoch=round(seconds / epochs, 2))


def main():
    parser, args = parse_args()
    cli.check_positive(parser, jobs=args.jobs, devices=args.devices)
    cli.check_range(parser, 0, cli.MAX_SEED, seed=args.seed)
    args.pipeline = args.pipeline or "fast"
    if not 0 < args.epochs_scale < float("inf"):
        parser.error(f"--epochs-scale: expected a positive number, got {args.epochs_scale}")
    folder, manifest = plan_folder(args, parser)
    wanted = args.only.split(",") if args.only else manifest["groups"]
    unknown = [g for g in wanted if g not in manifest["groups"]]
    if unknown:
        parser.error(f"--only: no group {unknown[0]!r} in {args.groups} ({', '.join(manifest['groups'])})")
    todo = [g for g in wanted if not (folder / g / "model.keras").is_file()]
    try:
        for group in todo:
            check_settings(nets.load(manifest["net"]).RECIPE, manifest["columns"][group], args.pipeline)
        if args.devices > 1:
            from facial_keypoints.fast import use_devices
            use_devices(args.devices)
    except ValueError as error:
        parser.error(str(error))
    from facial_keypoints.data import load_training
    from facial_keypoints.splits import select_rows

    args.data = str(find_data_dir(args.data))  # found once: every specialist and the report use it
    training = load_training(args.data)
    rows = select_rows(training, args.split)
    pretrained = check_start(args, manifest, todo, training, rows)
    if not args.only:
        from facial_keypoints.ledger import check_writable, ledger_path
        check_writable(ledger_path(args.no_ledger, args.record))
    start_folder(folder, manifest, pretrained)
    for group in sorted(set(wanted) - set(todo), key=wanted.index):
        print(f"{group}: done already ({folder / group})")
    started = time.perf_counter()
    if args.jobs > 1 and len(todo) > 1:
        train_in_processes(args, todo)
    elif todo:
        train_here(args, folder, manifest, todo, training, rows)
    print(f"trained {len(todo)} specialists in {time.perf_counter() - started:.0f} s")
    if not args.only:
        report(args, folder, manifest, training)
        if todo:  # a folder that was finished already is not recorded again
            record_specialists(args, folder, manifest)


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
