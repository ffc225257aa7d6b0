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
from facial_keypoints.checkpoints import ResumableEarlyStopping, RunLog, load_checkpoint, unfinished_folder
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
        verbose="auto", log=None, resume=None):
    """model.fit with the recipe: flip batches, linear learning-rate/momentum schedules, early stopping.

    log: a RunLog (which writes checkpoints); resume: (state, best weights) of a checkpoint, whose
    model (optimizer state included) is the one passed in. Returns the history rows.
    """
    state, best_weights = resume or (None, None)
    if state is None:
        model.compile(optimizer=ScheduledSGD(recipe.learning_rate[0], recipe.momentum[0]), loss="mse")
    batches = FlipBatches(train_images, scale(train_keypoints).astype("float32"), columns,
                          recipe.batch_size, flip=recipe.flip, seed=seed)
    early_stopping = None
    if recipe.patience:
        early_stopping = ResumableEarlyStopping(recipe.patience, state and state["early_stopping"], best_weights)
    if state is not None:
        batches.restore(state["batches"])
    log = log or RunLog()
    log.batches, log.early_stopping = batches, early_stopping
    ctrl_c = StopOnCtrlC()
    callbacks = [AdjustVariable("learning_rate", *recipe.learning_rate, recipe.epochs),
                 AdjustVariable("momentum", *recipe.momentum, recipe.epochs),
                 EpochStats(), ctrl_c, *([early_stopping] if early_stopping else []), log]
    validation = (val_images.astype("float32") / 255.0, scale(val_keypoints).astype("float32"))
    if verbose == "auto":
        verbose = 1 if sys.stdout.isatty() else 2
    model.fit(batches, validation_data=validation, epochs=recipe.epochs, callbacks=callbacks, verbose=verbose,
              initial_epoch=state["epochs_done"] if state else 0)
    log.interrupted = ctrl_c.interrupted
    return log.rows


def train(net, data_dir, out_dir="runs", recipe=None, seed=0, columns=COLUMNS, train_rows=None,
          verbose="auto", name=None, pretrained=None, checkpoint_every=25, resume=False):
    """Train nets/NAME.py on data_dir; returns the run folder (written complete, or not at all).

    columns: the keypoint columns to learn, trained on the rows that have all of them.
    train_rows: optional cap on the number of training rows (a quick look, or a test).
    name: the run folder's name in out_dir (default: net-date-time).
    pretrained: a model whose weights start every layer but the output layer.
    checkpoint_every: epochs between checkpoints; resume=True continues from the latest one.
    """
    recipe = recipe or net.RECIPE
    net_name = net.__name__.rpartition(".")[2]
    out_dir = Path(out_dir)
    run_dir = out_dir / (name or unused_name(out_dir, net_name))
    if run_dir.exists():
        raise DataError(f"{run_dir} exists already")
    training = load_training(data_dir)
    is_val = split_rows(training["keypoints"])
    train_images, train_keypoints = examples(training, ~is_val, columns)
    val_images, val_keypoints = examples(training, is_val, columns)
    train_images, train_keypoints = train_images[:train_rows], train_keypoints[:train_rows]

    unfinished = unfinished_folder(run_dir)
    if resume:
        model, state, best_weights = load_checkpoint(run_dir)
        keras.utils.set_random_seed(seed + state["epochs_done"])  # dropout need not replay, only continue
        print(f"resuming {run_dir} after epoch {state['epochs_done']}", flush=True)
    else:
        keras.utils.set_random_seed(seed)
        model, state, best_weights = net.build(len(columns)), None, None
        if pretrained is not None:
            copy_all_but_output_layer(pretrained, model)
        shutil.rmtree(unfinished, ignore_errors=True)
        unfinished.mkdir(parents=True)
        print(f"training {net_name} into {run_dir} (if stopped, resume with: python train.py --resume {run_dir})",
              flush=True)
    run_args = {"net": net_name, "recipe": recipe.to_dict(), "seed": seed, "columns": list(columns),
                "train_rows": train_rows, "data": str(Path(data_dir).resolve())}
    log = RunLog(unfinished, checkpoint_every, run_args, rows=state["history"] if state else ())
    started = time.perf_counter()
    history = fit(model, recipe, train_images, train_keypoints, val_images, val_keypoints, columns, seed, verbose,
                  log, (state, best_weights) if resume else None)
    seconds = time.perf_counter() - started

    predicted = predict_pixels(scaled_predictor(model), val_images, columns)
    mean_shape = np.broadcast_to(train_keypoints.mean(axis=0), val_keypoints.shape)
    best = min(history, key=lambda row: row["val_loss"])
    config = {
        **run_args, "backend": keras.backend.backend(), "keras": keras.__version__,
        "train_rows": len(train_images), "val_rows": len(val_images), "epochs_run": len(history),
        "interrupted": log.interrupted,
        "best_epoch": best["epoch"], "seconds": round(seconds, 2),
        "seconds_per_epoch": float(np.median([row["seconds"] for row in history])),
        "val_rmse_px": rmse(predicted, val_keypoints),
        "mean_shape_val_rmse_px": rmse(mean_shape, val_keypoints),
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    write_run_folder(unfinished, run_dir, model, config, history, predicted, val_keypoints)
    return run_dir


def unused_name(out_dir, net_name):
    stamp = f"{net_name}-{time.strftime('%Y%m%d-%H%M%S')}"
    candidates = itertools.chain([stamp], (f"{stamp}-{i}" for i in itertools.count(2)))
    return next(n for n in candidates if not (out_dir / n).exists() and not unfinished_folder(out_dir / n).exists())


def copy_all_but_output_layer(source, model):
    """Start model from source's weights; only the output layer (whose size differs) keeps its own."""
    pairs = list(zip(source.layers, model.layers))[:-1]
    if len(source.layers) != len(model.layers) or any(
            [w.shape for w in a.weights] != [w.shape for w in b.weights] for a, b in pairs):
        raise DataError(f"the pretrained model ({source.name}) does not have the layers of {model.name}")
    for a, b in pairs:
        b.set_weights(a.get_weights())


def write_run_folder(unfinished, run_dir, model, config, history, predicted, val_keypoints):
    """Write the run's files into its unfinished folder, drop the checkpoints, rename it: a run
    folder is complete or absent."""
    model.save(unfinished / "model.keras")
    write_text(unfinished / "config.json", json.dumps(config, indent=2) + "\n")
    columns = list(history[0])
    write_csv(unfinished / "history.csv", columns, [[row.get(c, math.nan) for c in columns] for row in history])
    plot_curves(history, unfinished / "curve.png", f"{config['net']}: validation RMSE {config['val_rmse_px']:.3f} px")
    write_csv(unfinished / "keypoint_rmse.csv", ["keypoint", "rmse_x_px", "rmse_y_px", "rmse_px"],
              [(k, f"{x:.4f}", f"{y:.4f}", f"{r:.4f}")
               for k, x, y, r in keypoint_rmse_rows(predicted, val_keypoints, config["columns"])])
    (unfinished / "checkpoint.json").unlink(missing_ok=True)
    for checkpoint in unfinished.glob("*checkpoint-*"):
        shutil.rmtree(checkpoint)
    unfinished.rename(run_dir)
