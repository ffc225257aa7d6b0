"""Train one numbered net of the study and write a run folder.

    python train.py --net net6              # full recipe from nets/net6.py
    python train.py --net net11 --epochs 50 # the same recipe, schedules squeezed into 50 epochs
    python train.py --list                  # the nets, their recipes and parameter counts
    python train.py --resume runs/net6-...  # continue a run that was killed, from its last checkpoint
"""
import argparse
import dataclasses
import sys
from pathlib import Path

import nets
from facial_keypoints.data import DataError, find_data_dir


def list_nets():
    for name in nets.names():
        net = nets.load(name)
        if not hasattr(net, "build"):
            print(f"{name:6} {net.__doc__.splitlines()[0]}")
            continue
        r = net.RECIPE
        print(f"{name:6} {net.build().count_params():>10,} params  epochs {r.epochs:>5}  flip {'yes' if r.flip else 'no ':3}  "
              f"lr {r.learning_rate[0]:g}->{r.learning_rate[1]:g}  momentum {r.momentum[0]:g}->{r.momentum[1]:g}  "
              f"patience {r.patience or '-'}")
        print(f"       {net.__doc__.strip()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--net", help="which nets/NAME.py to train, e.g. net6")
    parser.add_argument("--list", action="store_true", help="list the nets and exit")
    parser.add_argument("--epochs", type=int, help="override the recipe's epochs (schedules span these)")
    parser.add_argument("--data", help="folder with Kaggle's files (default: $FKD_DATA, else ./data)")
    parser.add_argument("--out", default="runs", help="where run folders go (default: runs)")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights, shuffling and flips")
    parser.add_argument("--checkpoint-every", type=int, default=25, metavar="N", help="epochs between checkpoints")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue this unfinished run from its last checkpoint")
    args = parser.parse_args()
    if args.list:
        return list_nets()
    if args.resume:
        return resume(args)
    if not args.net:
        parser.error("give --net NAME (see --list)")
    try:
        net = nets.load(args.net)
    except ValueError as error:
        parser.error(str(error))
    if not hasattr(net, "build"):
        parser.error(f"{args.net}: {net.__doc__.strip()}")
    recipe = net.RECIPE if args.epochs is None else dataclasses.replace(net.RECIPE, epochs=args.epochs)

    from facial_keypoints.training import train
    run_dir = train(net, find_data_dir(args.data), args.out, recipe, args.seed, checkpoint_every=args.checkpoint_every)
    print(f"wrote {run_dir}")


def resume(args):
    """Start the unfinished run again as it was started (net, recipe, seed, data), from its checkpoint."""
    from facial_keypoints.checkpoints import read_state
    from facial_keypoints.recipe import Recipe
    from facial_keypoints.training import train

    run_dir = Path(args.resume)
    state = read_state(run_dir)
    run_dir = train(nets.load(state["net"]), args.data or state["data"], run_dir.parent, Recipe(**state["recipe"]),
                    state["seed"], state["columns"], state["train_rows"], name=run_dir.name,
                    checkpoint_every=args.checkpoint_every, resume=True)
    print(f"wrote {run_dir}")


if __name__ == "__main__":
    try:
        main()
    except DataError as error:
        sys.exit(f"error: {error}")
