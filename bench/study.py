"""Train the study's nets with their recipes and print a table beside the published numbers.

    python bench/study.py                      # full recipes: for a GPU (KERAS_BACKEND=jax there)
    python bench/study.py --epochs 10          # REDUCED: every net for 10 epochs (a CPU look)
    python bench/study.py --nets net1,net2 --data DIR --out runs/bench

Validation RMSE is measured on the same 20% of complete rows for every net (training.validation_mask).
"""
import argparse
import dataclasses
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402

import nets  # noqa: E402
from facial_keypoints.data import find_data_dir  # noqa: E402
from facial_keypoints.training import train  # noqa: E402

# Published validation RMSE in pixels on Kaggle's data (docs/anchors.md): Nouri's
# tutorial for net1-net7, Bao & Dorairaj's incremental study for net1-net11.
PUBLISHED = {"net1": (2.74, 2.53), "net2": (1.90, 1.90), "net3": (1.72, 1.69), "net4": (1.79, 1.84),
             "net5": (1.65, 1.66), "net6": (1.61, 1.60), "net7": (1.35, 1.35), "net9": (None, 1.34),
             "net10": (None, 1.61), "net11": (None, 1.27)}


def accelerator():
    devices = [d for d in keras.distribution.list_devices() if not d.lower().startswith("cpu")]
    return devices[0] if devices else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nets", default=",".join(PUBLISHED), help="comma-separated net names")
    parser.add_argument("--epochs", type=int, help="REDUCED run: this many epochs for every net")
    parser.add_argument("--data", help="data folder (default: $FKD_DATA, else ./data, else the embedded faces)")
    parser.add_argument("--out", default="runs/bench", help="where the run folders go")
    args = parser.parse_args()

    device = accelerator() or f"CPU ({platform.processor() or platform.machine()})"
    mode = "full recipes" if args.epochs is None else f"REDUCED: {args.epochs} epochs per net, not the recipes"
    rows, data_dir = [], find_data_dir(args.data)
    for name in args.nets.split(","):
        net = nets.load(name)
        recipe = net.RECIPE if args.epochs is None else dataclasses.replace(net.RECIPE, epochs=args.epochs)
        started = time.perf_counter()
        run = train(net, data_dir, args.out, recipe)
        config = json.loads((run / "config.json").read_text())
        rows.append((name, config["epochs_run"], config["seconds_per_epoch"], time.perf_counter() - started,
                     config["val_rmse_px"], config["mean_shape_val_rmse_px"], *PUBLISHED.get(name, (None, None))))
        print(f"{name}: {config['val_rmse_px']:.3f} px in {rows[-1][3]:.0f} s ({run})", flush=True)

    def cell(value):
        return "-" if value is None else f"{value:.2f}"
    print(f"\nbackend {keras.backend.backend()}, {device}, {mode}\n")
    print("| net | epochs | s/epoch | total s | val RMSE px | mean shape px | Nouri px | study px |")
    print("|---|---|---|---|---|---|---|---|")
    for name, epochs, per_epoch, total, val, mean, nouri, study in rows:
        print(f"| {name} | {epochs} | {per_epoch:.3f} | {total:.0f} | {val:.3f} | {mean:.2f} | {cell(nouri)} | {cell(study)} |")


if __name__ == "__main__":
    main()
