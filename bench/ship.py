"""Make a finished run the shipped model (models/shipped/, the default of submit.py and specialists.py
--pretrained), the photo model (models/photos/, predict.py's) or the fast one (models/fast/): score it on its validation split plain and
with each test-time augmentation (flip, shift), record every score and the inference it is to use by
accuracy per time (the TTA of fewest views within TTA_TOLERANCE of the best score: shift's 18 views must
earn their cost), add its int8 TFLite file (what the photo pipeline runs; its validation RMSE recorded
and checked), and copy the run folder there whole, replacing the last.

    python -m bench.ship runs/net16-...
    python -m bench.ship runs/net18-... --fast
    python -m bench.ship runs/net22-... --photos    # predict.py's model, for whole photos and video
    python -m bench.ship models/fast --fast     # score a shipped model again (after a new TTA), in place
"""
import json
import re
import shutil
from pathlib import Path

import numpy as np

from facial_keypoints import cli
from facial_keypoints.data import EMBEDDED, FAST_MODEL, PHOTO_MODEL, ROOT, SHIPPED_MODEL, find_data_dir
from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import TTAS
from facial_keypoints.paths import write_text
from facial_keypoints.prediction import offsets_of, validation_rmse
from facial_keypoints.runs import load_run, read_config, save_inference_model

FILES = ("model.keras", "config.json", "history.csv", "curve.png", "keypoint_rmse.csv")
TTA_TOLERANCE = 0.005  # a TTA with more views is recorded only if it beats the cheaper ones by more than 0.5%
INT8_LIMIT_PX = 0.02  # the int8 TFLite file may lose at most this much validation RMSE


def chosen_tta(scores):
    """The TTA of fewest views (none, flip, shift) whose score is within TTA_TOLERANCE of the best."""
    best = min(scores.values())
    return next(tta for tta in (None, *TTAS) if scores[tta] <= best * (1 + TTA_TOLERANCE))


def write_int8(model, run, data_dir, path, offsets):
    """The int8 TFLite file of model (no TTA inside: the photo pipeline adds its own views); its validation RMSE,
    both with the run's x offset (offsets: pixels per column)."""
    from facial_keypoints import deploy
    from facial_keypoints.data import load_training
    from facial_keypoints.keypoints import COLUMNS
    from facial_keypoints.metrics import rmse
    from facial_keypoints.prediction import Calibrated, predict_pixels, scaled_predictor, validation_faces
    deploy.write(deploy.deploy_model(model, None), "tflite", path, "int8")
    images, true = validation_faces(load_training(data_dir), run)
    exported = rmse(deploy.predict_all(deploy.runtime("tflite", path), images) + np.asarray(offsets), true)
    loss = exported - rmse(predict_pixels(Calibrated(scaled_predictor(model), offsets), images, COLUMNS), true)
    if loss > INT8_LIMIT_PX:
        raise DataError(f"{run}: its int8 TFLite file loses {loss:.3f} px of validation RMSE (limit {INT8_LIMIT_PX})")
    return exported


def measured_x_offset(model, config, data_dir):
    """prediction.x_offset of a run from before train.py measured it, on the rows its split trained on."""
    from facial_keypoints.data import load_training
    from facial_keypoints.keypoints import COLUMNS
    from facial_keypoints.prediction import scaled_predictor, x_offset
    from facial_keypoints.splits import examples, validation_mask
    training = load_training(data_dir)
    images, keypoints = examples(training, ~validation_mask(training, config.get("split", "rows")), COLUMNS, complete=False)
    return x_offset(scaled_predictor(model), images, keypoints, COLUMNS)


def kept_start(config, target):
    """A fine-tune's start (train.py --pretrained), named by the models/ folder that keeps it: the start may be
    the very folder this ship replaces (models/shipped), and the run must stay reproducible by its command."""
    start = read_config(ROOT / config["pretrained"])  # recorded absolute, or relative to the checkout once shipped
    for folder in sorted(p for p in target.parent.iterdir() if p.is_dir() and p.resolve() != target.resolve()):
        if (folder / "config.json").is_file() and read_config(folder).get("shipped_from") == start.get("shipped_from"):
            relative = f"models/{folder.name}"
            command = re.sub(r"--pretrained \S+", f"--pretrained {relative}", config["command"])
            return {"pretrained": relative, "command": command}
    raise DataError(f"{config['pretrained']}, the start of this fine-tune, is kept in no folder beside {target}: copy it "
                    f"there first (e.g. cp -r {config['pretrained']} {target.parent}/{start['net']})")


def same_faces(config):
    """Did the run train on the embedded faces from another copy of them (a snapshot of the checkout)?"""
    from facial_keypoints.data import fingerprint, load_training
    return config.get("data_sha256") == fingerprint(load_training(EMBEDDED))


def ship(run, target):
    """Score run plain and with each TTA, then replace the folder target by it (model without optimizer state,
    config.json with every score and the best inference, `tta`; a run from before train.py measured its x
    offset gets it here). Returns {tta: RMSE px}, None for plain."""
    config = read_config(run)
    if Path(config["data"]).resolve() != EMBEDDED.resolve() and not same_faces(config):
        raise DataError(f"{run} was trained on {config['data']}, not the embedded {EMBEDDED}: "
                        "the shipped model's numbers must be checkable on a fresh clone")
    data_dir = find_data_dir(str(EMBEDDED))
    if config.get("pretrained") and (ROOT / config["pretrained"]).is_dir():
        config.update(kept_start(config, target))
    building = target.parent / f".{target.name}.partial"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    model = load_run(run)[0]
    save_inference_model(model, building / "model.keras")  # without optimizer state
    for name in FILES[2:]:
        shutil.copy2(Path(run) / name, building / name)
    if "x_offset_px" not in config:  # its val_rmse_px (the ledger's, from train.py) stays the net's alone
        config.update(x_offset_px=measured_x_offset(model, config, data_dir), x_offset_by="python -m bench.ship")
    write_text(building / "config.json", json.dumps(config, indent=2) + "\n")  # what the scores below read
    scores = {tta: validation_rmse(building, data_dir, tta) for tta in (None, *TTAS)}
    best = chosen_tta(scores)
    config.update(data="data/ytf-fkd", tta=best, val_rmse_px_tta=scores[best],
                  val_rmse_px_by_tta={tta or "none": score for tta, score in scores.items()},
                  shipped_from=config.get("shipped_from", Path(run).resolve().name))
    config["val_rmse_px_int8"] = write_int8(model, building, data_dir, building / "model-int8.tflite",
                                            offsets_of(config))
    write_text(building / "config.json", json.dumps(config, indent=2) + "\n")
    old = target.parent / f".{target.name}.old"
    if target.exists():
        target.rename(old)
    building.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return scores


def main():
    parser = cli.parser_for(__doc__, prog="python -m bench.ship")
    parser.add_argument("run", help="a finished run folder from train.py, trained on the embedded data")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--fast", action="store_true", help="ship it as models/fast")
    which.add_argument("--photos", action="store_true", help="ship it as models/photos (predict.py's model)")
    args = parser.parse_args()
    target = FAST_MODEL if args.fast else PHOTO_MODEL if args.photos else SHIPPED_MODEL
    scores = ship(args.run, target)
    size = sum(p.stat().st_size for p in target.iterdir()) / 1e6
    config = read_config(target)
    print(f"shipped {args.run} as {target}: validation RMSE " +
          ", ".join(f"{score:.3f} px {'with ' + tta + ' TTA' if tta else 'plain'}" for tta, score in scores.items()) +
          f" ({config['split']} split), recorded TTA {config['tta'] or 'none'}; {size:.1f} MB")


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
