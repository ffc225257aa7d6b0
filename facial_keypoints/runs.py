"""Run folders: write files atomically, reload a model with no pickle, per-keypoint errors, plots."""
import json
import zipfile
from pathlib import Path

import keras
import numpy as np

import facial_keypoints.layers  # noqa: F401  registers CoordinateChannels for load_model
import facial_keypoints.losses  # noqa: F401  registers masked_mse for load_model
import facial_keypoints.optim  # noqa: F401  registers ScheduledSGD for load_model
from facial_keypoints.data import DataError
from facial_keypoints.keypoints import IMAGE_SIZE, TTAS, flip_images, flip_targets, shift_images, to_inputs, unscale
from facial_keypoints.paths import write_atomic

def save_inference_model(model, path):
    """model.keras of a finished run: architecture and weights, no optimizer state (a third of the size;
    checkpoints keep the optimizer for --resume). Keras writes the optimizer of a compiled model, so
    save an uncompiled model over the same layers."""
    keras.Model(model.inputs, model.outputs, name=model.name).save(path)


RETRAIN = "the run folder is damaged: train it again, or restore it from a copy"


def read_json(path, fix=RETRAIN):
    """A JSON object from a file that this toolkit wrote; a damaged one is named, with what to do."""
    try:
        value = json.loads(Path(path).read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: damaged, not readable JSON ({error}); {fix}") from None
    if not isinstance(value, dict):
        raise DataError(f"{path}: damaged, expected a JSON object; {fix}")
    return value


def load_model_file(path, fix=RETRAIN):
    """keras.saving.load_model (safe mode kept) of a .keras file; a cut-off or damaged one is named."""
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise DataError(f"{path}: damaged, not a complete .keras file ({error}); {fix}") from None
    if damaged is not None:
        raise DataError(f"{path}: damaged ({damaged} inside fails its checksum); {fix}")
    try:
        return keras.saving.load_model(path)
    except (ValueError, KeyError, OSError) as error:
        raise DataError(f"{path}: could not be loaded ({str(error).splitlines()[0][:200]}); {fix}") from None


def read_config(run_dir):
    """config.json of a run folder, without loading its model."""
    run_dir = Path(run_dir)
    if not (run_dir / "config.json").is_file() or not (run_dir / "model.keras").is_file():
        raise DataError(f"{run_dir}: not a run folder (expected config.json and model.keras from train.py)")
    return read_json(run_dir / "config.json")


def best_tta(run_dir):
    """The test-time augmentation a run recorded as its better inference (bench/ship.py), else None."""
    config_path = Path(run_dir) / "config.json"
    return read_json(config_path).get("tta") if config_path.is_file() else None


def load_run(run_dir):
    """(model, config) of a run folder."""
    config = read_config(run_dir)
    return load_model_file(Path(run_dir) / "model.keras"), config


def scaled_predictor(model):
    return lambda inputs: model.predict(inputs, batch_size=256, verbose=0)


def tta_views(tta):
    """(dx, dy, mirrored) of each view of a face that a prediction with tta averages: None, the face alone;
    "flip", the face and its mirror image; "shift", both of these, each also moved one pixel in the eight
    directions (18 views). A view moved by (dx, dy) sees its keypoints moved by as much, but the shifts come
    in opposite pairs, so these moves cancel in the average and no prediction needs moving back."""
    if tta not in (None, *TTAS):
        raise DataError(f"unknown TTA {tta!r}; expected one of {', '.join(TTAS)} or none")
    shifts = [(dx, dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)] if tta == "shift" else [(0, 0)]
    return [(dx, dy, mirrored) for dx, dy in shifts for mirrored in ((False, True) if tta else (False,))]


def predict_pixels(predict_scaled, images, columns, tta=None):
    """uint8 images (N, 96, 96[, 1]) -> keypoints in pixels, averaged over the views of tta_views(tta): a
    mirrored view's prediction is mapped back (x mirrored, left/right columns swapped) first."""
    inputs = to_inputs(images.reshape(len(images), IMAGE_SIZE, IMAGE_SIZE, 1))
    views = []
    for dx, dy, mirrored in tta_views(tta):
        moved = shift_images(inputs, dx, dy) if (dx, dy) != (0, 0) else inputs
        if mirrored:
            views.append(flip_targets(np.asarray(predict_scaled(flip_images(moved)), dtype=np.float64), columns))
        else:
            views.append(np.asarray(predict_scaled(moved), dtype=np.float64))
    return unscale(np.mean(views, axis=0))


def rmse(predicted, true):
    """Kaggle's metric over the present (non-NaN) true values, in pixels."""
    present = ~np.isnan(true)
    return float(np.sqrt(np.mean((predicted[present] - true[present]) ** 2)))


def keypoint_rmse_rows(predicted, true, columns):
    """Rows (keypoint, rmse_x, rmse_y, rmse) for each keypoint in columns, then ("all", ...)."""
    rows = []
    for i in range(0, len(columns), 2):
        name = columns[i][:-2]
        rows.append((name, rmse(predicted[:, i], true[:, i]), rmse(predicted[:, i + 1], true[:, i + 1]),
                     rmse(predicted[:, i:i + 2], true[:, i:i + 2])))
    rows.append(("all", rmse(predicted[:, 0::2], true[:, 0::2]), rmse(predicted[:, 1::2], true[:, 1::2]),
                 rmse(predicted, true)))
    return rows


def plot_curves(history_rows, path, title):
    """Learning curves (train and validation RMSE in pixels, log scale), as in Nouri's tutorial."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [row["epoch"] for row in history_rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(epochs, [row["rmse_px"] for row in history_rows], label="train")
    ax.plot(epochs, [row["val_rmse_px"] for row in history_rows], label="validation")
    ax.set(xlabel="epoch", ylabel="RMSE (pixels)", yscale="log", title=title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    plt.close(fig)
