"""Training speed of the fast pipeline (data on the device) against the plain one (NumPy flip batches),
side by side in one run, on whatever this machine has.

    python bench/speed.py                                  # net1, net7 (the net6 layout with 1000-unit
                                                           # dense layers), net11; 5 epochs each way
    KERAS_BACKEND=jax python bench/speed.py --epochs 20    # on a GPU
    python bench/speed.py --nets net7 --all-rows           # every training row (masked loss)

Steady s/epoch is the median of the epochs after the first; the first includes compilation.
"""
import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

import nets  # noqa: E402
from facial_keypoints.data import find_data_dir, load_training  # noqa: E402
from facial_keypoints.keypoints import COLUMNS, scale  # noqa: E402
from facial_keypoints.splits import examples, split_rows  # noqa: E402
from facial_keypoints.fast import use_devices  # noqa: E402
from facial_keypoints.provenance import hardware  # noqa: E402
from facial_keypoints.training import fit  # noqa: E402


def time_epochs(net, recipe, data, pipeline):
    keras.utils.set_random_seed(0)
    model = net.build()
    history = fit(model, recipe, *data, COLUMNS, verbose=0, pipeline=pipeline)
    return history[0]["seconds"], float(np.median([row["seconds"] for row in history[1:]]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nets", default="net1,net7,net11", help="comma-separated net names")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per net and pipeline (at least 2)")
    parser.add_argument("--all-rows", action="store_true", help="train on every row (masked loss), not the complete ones")
    parser.add_argument("--devices", type=int, default=1, help="data-parallel over this many devices (JAX)")
    parser.add_argument("--data", help="data folder (default: $FKD_DATA, else ./data, else the embedded faces)")
    args = parser.parse_args()
    if args.devices > 1:
        use_devices(args.devices)

    training = load_training(find_data_dir(args.data))
    is_val = split_rows(training["keypoints"])
    train_images, train_keypoints = examples(training, ~is_val, COLUMNS, complete=not args.all_rows)
    val_images, val_keypoints = examples(training, is_val, COLUMNS)
    data = ((train_images, scale(train_keypoints)), (val_images, scale(val_keypoints)))

    rows = []
    for name in args.nets.split(","):
        net = nets.load(name)
        recipe = dataclasses.replace(net.RECIPE, epochs=max(2, args.epochs), patience=None)
        pipelines = ("fast",) if recipe.augments() else ("plain", "fast")  # plain cannot augment
        times = {pipeline: time_epochs(net, recipe, data, pipeline) for pipeline in pipelines}
        rows.append((name, times))
        print(f"{name}: {times}", flush=True)

    print(f"\nbackend {keras.backend.backend()}, {hardware()}, {args.devices} device(s), {len(train_images)} training rows, "
          f"{max(2, args.epochs)} epochs each\n")
    print("| net | pipeline | first epoch s | steady s/epoch | images/s | us/image-epoch | fast/plain speed |")
    print("|---|---|---|---|---|---|---|")
    for name, times in rows:
        for pipeline, (first, steady) in times.items():
            ratio = f"{times['plain'][1] / steady:.2f}x" if "plain" in times else "-"
            print(f"| {name} | {pipeline} | {first:.2f} | {steady:.4f} | {len(train_images) / steady:,.0f} | "
                  f"{steady / len(train_images) * 1e6:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
