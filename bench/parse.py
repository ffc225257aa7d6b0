"""Time reading Kaggle's training file: parsing the CSV (no cache) and loading the parsed-data cache.

    python bench/parse.py                 # the embedded training.zip and a synthetic Kaggle-size file
    python bench/parse.py --repeat 5

The synthetic file has Kaggle's size and shape: 7049 rows, 30 keypoint columns (the 2140 complete rows
first, then rows with only the four common points), 9216 random pixels per Image. Times are the best
of --repeat runs; the cache is a fresh folder each time.
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from facial_keypoints.data import EMBEDDED, load_training  # noqa: E402
from facial_keypoints.keypoints import COLUMNS  # noqa: E402

KAGGLE_ROWS, KAGGLE_COMPLETE = 7049, 2140
FOUR = [i for i, c in enumerate(COLUMNS) if c[:-2] in
        ("left_eye_center", "right_eye_center", "nose_tip", "mouth_center_bottom_lip")]


def synthetic_training(folder):
    rng = np.random.default_rng(0)
    keypoints = rng.uniform(10, 86, (KAGGLE_ROWS, len(COLUMNS)))
    keypoints[KAGGLE_COMPLETE:, [i for i in range(len(COLUMNS)) if i not in FOUR]] = np.nan
    pixels = rng.integers(0, 256, (KAGGLE_ROWS, 96 * 96))
    with open(folder / "training.csv", "w") as f:
        f.write(",".join(COLUMNS + ("Image",)) + "\n")
        for row, image in zip(keypoints, pixels):
            cells = ["" if np.isnan(v) else f"{v:.6f}" for v in row]
            f.write(",".join(cells + [" ".join(map(str, image))]) + "\n")


def best_time(load, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        load()
        times.append(time.perf_counter() - started)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = Path(tmp) / "synthetic"
        synthetic.mkdir()
        synthetic_training(synthetic)
        print("| file | rows | MB | parse s | cached load s |\n|---|---|---|---|---|")
        for name, folder in (("ytf-fkd training.zip", EMBEDDED), ("synthetic Kaggle-size training.csv", synthetic)):
            def parse():
                os.environ["FKD_CACHE"] = tempfile.mkdtemp(dir=tmp)  # empty: parse, then write the cache
                return load_training(folder)
            rows = len(parse()["images"])
            parse_s = best_time(parse, args.repeat)
            cached_s = best_time(lambda: load_training(folder), args.repeat)  # the last parse's cache
            source = next(p for p in (folder / "training.csv", folder / "training.zip") if p.is_file())
            print(f"| {name} | {rows} | {source.stat().st_size / 1e6:.0f} | {parse_s:.2f} | {cached_s:.3f} |")


if __name__ == "__main__":
    main()
