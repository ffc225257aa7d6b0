"""Train one net with its recipe and write a run folder."""
import itertools
import json
import math
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import keras
import numpy as np

from facial_keypoints.batches import FlipBatches
from facial_keypoints.data import DataError, load_training
from facial_keypoints.keypoints import COLUMNS, scale
from facial_keypoints.optim import AdjustVariable, EpochStats, ScheduledSGD
from facial_keypoints.runs import keypoint_rmse_rows, plot_curves, predict_pixels, rmse, scaled_predictor, write_csv, write_text


def split_rows(keypoints, val_fraction=0.2, seed=42):
    """Validation mask: a fixed 20% of the complete rows, and 20% of the incomplete ones.

    The same mask serves every column subset, so a specialist never trains on an image that the
    complete-row validation scores. (Rows are frames of a few people: a random split reads optimistic.)
    """
    rng = np.random.default_rng(seed)
    complete = ~np.isnan(keypoints).any(axis=1)
    is_val = np.zeros(len(keypoints), bool)
    for group in (complete, ~complete):
        rows = rng.permutation(np.flatnonzero(group))
        is_val[rows[:round(len(rows) * val_fraction)]] = True
    return is_val


def has_columns(keypoints, columns):
    """Rows (of all 30 columns) where every one of columns is present."""
    return ~np.isnan(keypoints[:, [COLUMNS.index(c) for c in columns]]).any(axis=1)


def examples(training, rows, columns):
    """The given rows that have every one of columns: uint8 images (n, 96, 96, 1), keypoints in pixels."""
    rows = rows & has_columns(training["keypoints"], columns)
    return training["images"][rows][..., None], training["keypoints"][rows][:, [COLUMNS.index(c) for c in columns]]


class StopOnCtrlC(keras.callbacks.Callback):
    """First Ctrl-C: finish the current epoch, then stop as if training had ended (best weights
    restored, run folder written). A second Ctrl-C interrupts at once."""

    def on_train_begin(self, logs=None):
        self.interrupted, self.previous = False, None
        if threading.current_thread() is threading.main_thread():  # only there can Python take signals
            self.previous = signal.signal(signal.SIGINT, self.request_stop)

    def request_stop(self, signum, frame):
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True
        print("\nCtrl-C: stopping after this epoch (again to abort)", file=sys.stderr, flush=True)

    def on_epoch_end(self, epoch, logs=None):
        if self.interrupted:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def fit(model, recipe, train_images, train_keypoints, val_images, val_keypoints, columns, seed=0,
        verbose="auto"):
    """model.fit with the recipe: flip batches, linear learning-rate/momentum schedules, early stopping."""
    model.compile(optimizer=ScheduledSGD(recipe.learning_rate[0], recipe.momentum[0]), loss="mse")
    callbacks = [AdjustVariable("learning_rate", *recipe.learning_rate, recipe.epochs),
                 AdjustVariable("momentum", *recipe.momentum, recipe.epochs),
                 EpochStats(), StopOnCtrlC()]
    if recipe.patience:
        callbacks.append(keras.callbacks.EarlyStopping(patience=recipe.patience, restore_best_weights=True))
    batches = FlipBatches(train_images, scale(train_keypoints).astype("float32"), columns,
                          recipe.batch_size, flip=recipe.flip, seed=seed)
    validation = (val_images.astype("float32") / 255.0, scale(val_keypoints).astype("float32"))
    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    history = model.fit(batches, validation_data=validation, epochs=recipe.epochs,
                        callbacks=callbacks, verbose=verbose)
    return [{"epoch": epoch + 1, **{k: float(v[epoch]) for k, v in history.history.items()}}
            for epoch in range(len(history.epoch))]


def train(net, data_dir, out_dir="runs", recipe=None, seed=0, columns=COLUMNS, train_rows=None,
          verbose="auto", name=None, pretrained=None):
    """Train nets/NAME.py on data_dir; returns the run folder (written complete, or not at all).

    columns: the keypoint columns to learn, trained on the rows that have all of them.
    train_rows: optional cap on the number of training rows (a quick look, or a test).
    name: the run folder's name in out_dir (default: net-date-time).
    pretrained: a model whose weights start every layer but the output layer.
    """
    recipe = recipe or net.RECIPE
    keras.utils.set_random_seed(seed)
    training = load_training(data_dir)
    is_val = split_rows(training["keypoints"])
    train_images, train_keypoints = examples(training, ~is_val, columns)
    val_images, val_keypoints = examples(training, is_val, columns)
    train_images, train_keypoints = train_images[:train_rows], train_keypoints[:train_rows]

    model = net.build(len(columns))
    if pretrained is not None:
        copy_all_but_output_layer(pretrained, model)
    started = time.perf_counter()
    history = fit(model, recipe, train_images, train_keypoints, val_images, val_keypoints, columns, seed, verbose)
    seconds = time.perf_counter() - started

    predicted = predict_pixels(scaled_predictor(model), val_images, columns)
    mean_shape = np.broadcast_to(train_keypoints.mean(axis=0), val_keypoints.shape)
    best = min(history, key=lambda row: row["val_loss"])
    config = {
        "net": model.name, "recipe": recipe.to_dict(), "columns": list(columns), "seed": seed,
        "data": str(Path(data_dir).resolve()), "backend": keras.backend.backend(), "keras": keras.__version__,
        "train_rows": len(train_images), "val_rows": len(val_images), "epochs_run": len(history),
        "best_epoch": best["epoch"], "seconds": round(seconds, 2),
        "seconds_per_epoch": float(np.median([row["seconds"] for row in history])),
        "val_rmse_px": rmse(predicted, val_keypoints),
        "mean_shape_val_rmse_px": rmse(mean_shape, val_keypoints),
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    return write_run_folder(Path(out_dir), name, model, config, history, predicted, val_keypoints)


def copy_all_but_output_layer(source, model):
    """Start model from source's weights; only the output layer (whose size differs) keeps its own."""
    pairs = list(zip(source.layers, model.layers))[:-1]
    if len(source.layers) != len(model.layers) or any(
            [w.shape for w in a.weights] != [w.shape for w in b.weights] for a, b in pairs):
        raise DataError(f"the pretrained model ({source.name}) does not have the layers of {model.name}")
    for a, b in pairs:
        b.set_weights(a.get_weights())


def write_run_folder(out_dir, name, model, config, history, predicted, val_keypoints):
    """Write into a hidden folder, then rename it: a run folder is complete or absent."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if name is None:
        stamp = f"{config['net']}-{time.strftime('%Y%m%d-%H%M%S')}"
        candidates = itertools.chain([stamp], (f"{stamp}-{i}" for i in itertools.count(2)))
        name = next(n for n in candidates if not (out_dir / n).exists())
    final = out_dir / name
    if final.exists():
        raise FileExistsError(f"{final} exists already")
    partial = out_dir / f".{final.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)  # left by a killed run
    partial.mkdir()
    try:
        model.save(partial / "model.keras")
        write_text(partial / "config.json", json.dumps(config, indent=2) + "\n")
        columns = list(history[0])
        write_csv(partial / "history.csv", columns, [[row.get(c, math.nan) for c in columns] for row in history])
        plot_curves(history, partial / "curve.png", f"{config['net']}: validation RMSE {config['val_rmse_px']:.3f} px")
        write_csv(partial / "keypoint_rmse.csv", ["keypoint", "rmse_x_px", "rmse_y_px", "rmse_px"],
                  [(k, f"{x:.4f}", f"{y:.4f}", f"{r:.4f}")
                   for k, x, y, r in keypoint_rmse_rows(predicted, val_keypoints, config["columns"])])
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final
