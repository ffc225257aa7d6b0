"""Make a finished run the shipped model (models/shipped/, the default of predict.py, submit.py and
specialists.py --pretrained) or the fast one (models/fast/): score it on its validation split plain and
with each test-time augmentation (flip, shift), record every score and the best inference in its
config.json, and copy the run folder there whole, replacing the last.

    python bench/ship.py runs/net16-...
    python bench/ship.py runs/net18-... --fast
    python bench/ship.py models/fast --fast     # score a shipped model again (after a new TTA), in place
"""
import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from facial_keypoints.data import EMBEDDED, FAST_MODEL, SHIPPED_MODEL, find_data_dir  # noqa: E402

from facial_keypoints.errors import DataError
from facial_keypoints.prediction import validation_rmse  # noqa: E402
from facial_keypoints.keypoints import TTAS  # noqa: E402
from facial_keypoints.paths import write_text  # noqa: E402
from facial_keypoints.runs import load_run, read_config, save_inference_model  # noqa: E402

FILES = ("model.keras", "config.json", "history.csv", "curve.png", "keypoint_rmse.csv")


def ship(run, target):
    """Score run plain and with each TTA, then replace the folder target by it (model without optimizer state,
    config.json with every score and the best inference, `tta`). Returns {tta: RMSE px}, None for plain."""
    config = read_config(run)
    if Path(config["data"]).resolve() != EMBEDDED.resolve():
        raise DataError(f"{run} was trained on {config['data']}, not the embedded {EMBEDDED}: "
                        "the shipped model's numbers must be checkable on a fresh clone")
    data_dir = find_data_dir(str(EMBEDDED))
    scores = {tta: validation_rmse(run, data_dir, tta) for tta in (None, *TTAS)}
    best = min(scores, key=scores.get)
    config.update(data="data/ytf-fkd", val_rmse_px=scores[None], tta=best, val_rmse_px_tta=scores[best],
                  val_rmse_px_by_tta={tta or "none": score for tta, score in scores.items()},
                  shipped_from=config.get("shipped_from", Path(run).resolve().name))
    building = target.parent / f".{target.name}.partial"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    save_inference_model(load_run(run)[0], building / "model.keras")  # without optimizer state
    for name in FILES[2:]:
        shutil.copy2(Path(run) / name, building / name)
    write_text(building / "config.json", json.dumps(config, indent=2) + "\n")
    old = target.parent / f".{target.name}.old"
    if target.exists():
        target.rename(old)
    building.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return scores


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="a finished run folder from train.py, trained on the embedded data")
    parser.add_argument("--fast", action="store_true", help=f"ship it as {FAST_MODEL.parent.name}/{FAST_MODEL.name}")
    args = parser.parse_args()
    target = FAST_MODEL if args.fast else SHIPPED_MODEL
    scores = ship(args.run, target)
    size = sum(p.stat().st_size for p in target.iterdir()) / 1e6
    config = read_config(target)
    print(f"shipped {args.run} as {target}: validation RMSE " +
          ", ".join(f"{score:.3f} px {'with ' + tta + ' TTA' if tta else 'plain'}" for tta, score in scores.items()) +
          f" ({config['split']} split), recorded TTA {config['tta'] or 'none'}; {size:.1f} MB")


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
