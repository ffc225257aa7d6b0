"""Train one numbered net of the study and write a run folder.

    python train.py --net net6              # full recipe from nets/net6.py
    python train.py --net net11 --epochs 50 # the same recipe, schedules squeezed into 50 epochs
    python train.py --list                  # the nets, their recipes and parameter counts
    python train.py --resume runs/net6-...  # continue a run that was killed, from its last checkpoint
    python train.py --net net6 --impute knn # every row, its missing keypoints filled from similar faces
    python train.py --net net6 --pipeline plain   # the study's NumPy flip batches instead of the fast path
    python train.py --net net16 --split clips --teacher models/shipped   # distil: the teacher labels the gaps
    python train.py --net net16 --split clips --teacher runs/A runs/B    # distil from the average of two runs
    python train.py --net net16 --split clips --exclude results/audit.csv   # leave suspicious labels out
    python train.py --net net22 --split clips --pretrained models/net12   # fine-tune a trained run
    KERAS_BACKEND=jax python train.py --net net12 --devices 4   # data-parallel over 4 accelerators

A finished run is added to your own ledger, runs/ledger.csv (or $FKD_LEDGER); --record adds it to the
project's results/runs.csv instead (maintainers), --no-ledger to none.

Exit status: 0 when the run finished, 1 with one line `error: ...` for a bad argument or bad data,
130 when Ctrl-C or SIGTERM stopped the run (the run folder is still written, with the best weights so far).
"""
import dataclasses
import sys
from pathlib import Path

import nets
from facial_keypoints import cli


RESUMED_AS_STARTED = ("net", "epochs", "seed", "teacher", "exclude", "pretrained", "split", "pipeline", "impute", "out")


def list_nets():
    for name in nets.names():
        net = nets.load(name)
        r = net.RECIPE
        optimizer = (f"momentum {r.momentum[0]:g}->{r.momentum[1]:g}" if r.optimizer == "sgd"
                     else f"{r.optimizer} decay {r.weight_decay:g}")
        print(f"{name:6} {net.build().count_params():>10,} params  epochs {r.epochs:>5}  flip {'yes' if r.flip else 'no ':3}  "
              f"lr {r.learning_rate[0]:g}->{r.learning_rate[1]:g}  {optimizer}  patience {r.patience or '-'}  "
              f"rows {'all' if r.all_rows else 'complete'}  augment {'yes' if r.augments() else 'no'}"
              f"{f'  ema {r.ema:g}' if r.ema else ''}")
        print(f"       {net.__doc__.strip()}")
    for name, note in nets.NOT_A_NET.items():
        print(f"{name:6} {note}")


def parse_args():
    parser = cli.parser_for(__doc__)
    parser.add_argument("--net", help="which nets/NAME.py to train, e.g. net6")
    parser.add_argument("--list", action="store_true", help="list the nets and exit")
    parser.add_argument("--epochs", type=int, help="override the recipe's epochs (schedules span these)")
    cli.add_data_option(parser)
    parser.add_argument("--out", help="where run folders go (default: runs)")
    parser.add_argument("--seed", type=int, help="seed for weights, shuffling and flips (default: 0)")
    parser.add_argument("--checkpoint-every", type=int, default=25, metavar="N", help="epochs between checkpoints")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue this unfinished run from its last checkpoint")
    parser.add_argument("--impute", choices=["none", "median", "knn"],
                        help="train on every row, missing keypoints filled this way (default: the recipe's rows)")
    parser.add_argument("--teacher", metavar="RUN", nargs="+",
                        help="runs (same split; each predicts with the TTA it recorded, else flip) or labels files "
                             "(bench/peer_labels.py), averaged, fill every missing keypoint of the training rows and "
                             "label the test faces, which join the training rows")
    parser.add_argument("--exclude", metavar="FILE",
                        help="a CSV with a column `row` (training.csv's row numbers, from 1; bench/audit.py writes "
                             "one): those rows are left out of training (validation rows stay)")
    parser.add_argument("--pretrained", metavar="RUN",
                        help="start every layer from this run's weights (a net of the same layers, trained on the same "
                             "split), e.g. models/shipped")
    cli.add_ledger_options(parser)
    cli.add_speed_options(parser)
    args = parser.parse_args()
    cli.check_positive(parser, epochs=args.epochs, checkpoint_every=args.checkpoint_every, devices=args.devices)
    cli.check_range(parser, 1, cli.MAX_EPOCHS, epochs=args.epochs)
    cli.check_range(parser, 0, cli.MAX_SEED, seed=args.seed)
    return parser, args


def main():
    parser, args = parse_args()
    if args.devices > 1:
        from facial_keypoints.fast import use_devices
        try:
            use_devices(args.devices)
        except ValueError as error:
            parser.error(str(error))
    if args.list:
        return list_nets()
    if args.resume:
        given = [f"--{name}" for name in RESUMED_AS_STARTED if getattr(args, name) is not None]
        if given:
            parser.error(f"--resume continues the run with the net, epochs, seed, teachers, exclusions, start, split, "
                         f"pipeline, imputation and folder it was started with; leave out {' and '.join(given)}")
        return resume(args)
    if not args.net:
        parser.error("give --net NAME (see --list)")
    try:
        net = nets.load(args.net)
    except ValueError as error:
        parser.error(str(error))

    from facial_keypoints.data import find_data_dir, load_training
    from facial_keypoints.errors import DataError
    from facial_keypoints.keypoints import COLUMNS
    from facial_keypoints.paths import output_folder
    from facial_keypoints.ledger import check_writable, ledger_path
    from facial_keypoints.preflight import check_rows, check_settings
    from facial_keypoints.recipe import RunSpec
    from facial_keypoints.splits import select_rows
    from facial_keypoints.tables import load_row_numbers
    recipe = net.RECIPE if args.epochs is None else dataclasses.replace(net.RECIPE, epochs=args.epochs)
    if args.impute not in (None, "none"):
        recipe = dataclasses.replace(recipe, all_rows=True, impute=args.impute)
    try:
        check_settings(recipe, COLUMNS, args.pipeline or "fast")
    except ValueError as error:
        parser.error(str(error))
    teachers = []
    for teacher in args.teacher or ():
        from facial_keypoints.teachers import check_teacher, read_teacher
        try:
            check_teacher(teacher, args.split or "rows")
        except DataError as error:
            parser.error(str(error))
        teachers.append(read_teacher(teacher))
    exclude = load_row_numbers(args.exclude) if args.exclude else ()
    pretrained = check_pretrained(args.pretrained, args.net, args.split or "rows") if args.pretrained else None

    out = output_folder(args.out or "runs", "--out", make=False)
    check_writable(ledger_path(args.no_ledger, args.record))
    data_dir = find_data_dir(args.data)
    spec = RunSpec(net=args.net, recipe=recipe, data=str(Path(data_dir).resolve()), seed=args.seed or 0,
                   pipeline=args.pipeline or "fast", split=args.split or "rows", teachers=tuple(teachers),
                   exclude=tuple(exclude), pretrained=pretrained)
    training = load_training(data_dir)
    rows = select_rows(training, spec.split, spec.exclude)  # once: checked here, used by train()
    check_rows(data_dir, training, rows, recipe)

    from facial_keypoints.training import train, unused_name
    name = unused_name(out, args.net)  # reserved: its unfinished folder is made; train() removes it if it fails
    run_dir = train(spec, out, name=name, checkpoint_every=args.checkpoint_every, training=training, rows=rows)
    say_and_record(run_dir, args)


def check_pretrained(run_dir, net_name, split):
    """--pretrained RUN: a finished run of all 30 columns, trained on `split` (its validation rows are then
    still unseen), whose layers fit the net. Returns its folder, resolved (what config.json records)."""
    from facial_keypoints.errors import DataError
    from facial_keypoints.keypoints import COLUMNS
    from facial_keypoints.prediction import run_split
    from facial_keypoints.runs import load_run
    from facial_keypoints.training import copy_weights

    model, config = load_run(run_dir)
    if tuple(config["columns"]) != tuple(COLUMNS):
        raise DataError(f"--pretrained {run_dir}: predicts {len(config['columns'])} of the {len(COLUMNS)} columns")
    if run_split(run_dir) != split:
        raise DataError(f"--pretrained {run_dir} was validated on the {run_split(run_dir)} split, so it trained on "
                        f"rows the {split} split validates on: give --split {run_split(run_dir)}")
    copy_weights(model, nets.load(net_name).build(len(COLUMNS)), head=True)
    return str(Path(run_dir).resolve())


def resume(args):
    """Start the unfinished run again as it was started (net, recipe, seed, data), from its checkpoint."""
    import dataclasses as dc

    from facial_keypoints.checkpoints import RESTART, read_state
    from facial_keypoints.data import find_data_dir
    from facial_keypoints.errors import DataError
    from facial_keypoints.ledger import check_writable, ledger_path
    from facial_keypoints.recipe import RunSpec
    from facial_keypoints.training import nets_load, train

    run_dir = Path(args.resume)
    try:
        spec = RunSpec.from_record(read_state(run_dir))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise DataError(f"{run_dir}: its checkpoint's state.json does not describe a run ({error}); {RESTART}") from None
    nets_load(spec.net)  # a net removed since: one line
    if args.data is not None:
        spec = dc.replace(spec, data=str(find_data_dir(args.data).resolve()))
    check_writable(ledger_path(args.no_ledger, args.record))
    run_dir = train(spec, run_dir.parent, name=run_dir.name, checkpoint_every=args.checkpoint_every, resume=True)
    say_and_record(run_dir, args)


def say_and_record(run_dir, args):
    """Say what was written, and add the run to a ledger (ledger.ledger_path) unless it was interrupted."""
    from facial_keypoints.ledger import append_run, ledger_path
    from facial_keypoints.runs import read_config

    config = read_config(run_dir)
    print(f"wrote {run_dir}: validation RMSE {config['val_rmse_px']:.3f} px (mean shape "
          f"{config['mean_shape_val_rmse_px']:.3f} px) in {config['seconds'] / 60:.1f} min")
    if config["interrupted"]:
        print(f"interrupted by Ctrl-C or SIGTERM after epoch {config['epochs_run']}: {run_dir} holds the best weights "
              "so far (exit status 130)", file=sys.stderr)
        sys.exit(130)
    append_run(ledger_path(args.no_ledger, args.record), config)


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
