"""Train one net with its recipe and write a run folder: train(spec) reads the data and makes the run
folder, fit() runs model.fit with the recipe's callbacks.

The settings (net, recipe, split, pipeline, devices) were checked where the command line was read
(preflight.check_settings); what arrives here is trusted.
"""
import json
import math
import shutil
import time
from pathlib import Path

import keras
import numpy as np

from facial_keypoints.batches import FlipBatches, RowBatches
from facial_keypoints.callbacks import AdjustVariable, AugmentStrength, EpochProgress, EpochStats, StopOnCtrlC
from facial_keypoints.checkpoints import ResumableEarlyStopping, RunLog, check_same_data, load_checkpoint
from facial_keypoints.data import fingerprint, load_test, load_training
from facial_keypoints.errors import DataError
from facial_keypoints.fast import OnDevice
from facial_keypoints.impute import impute
from facial_keypoints.keypoints import COLUMNS, scale, to_inputs, x_offsets
from facial_keypoints.losses import masked_mse
from facial_keypoints.metrics import keypoint_rmse_rows, rmse
from facial_keypoints.optim import make_optimizer
from facial_keypoints.paths import write_csv, write_text
from facial_keypoints.prediction import Calibrated, predict_pixels, scaled_predictor, x_offset
from facial_keypoints.provenance import command, commit, hardware
from facial_keypoints.runs import (has_checkpoint, locked, save_inference_model, start_afresh, unfinished_folder,
                                   unused_name)
from facial_keypoints.splits import examples, select_rows
from facial_keypoints.teachers import teacher_labels, teacher_predictions

def fit(model, recipe, train, val, columns, *, seed=0, log=None, resume=None, pipeline="fast", verbose=True):
    """model.fit with the recipe: flips and augmentation, linear learning-rate/momentum schedules,
    early stopping, the masked loss. train, val: (uint8 images, scaled targets with NaN where missing).

    pipeline: "fast" (data held on the device, augmentation inside the compiled step: fast.py) or
    "plain" (the study's flip-batch iterator feeding model.fit from NumPy; flips only).
    log: a RunLog (which writes checkpoints); resume: (state, best weights) of a checkpoint, whose
    model (optimizer state included) is the one passed in. Returns the history rows.
    """
    (train_images, train_targets), (val_images, val_targets) = train, val
    state, best_weights = resume or (None, None)
    epochs_done = state["epochs_done"] if state else 0
    if state is None:
        model.compile(optimizer=make_optimizer(recipe), loss=masked_mse)
    if pipeline == "fast":
        # the device holds the training rows, then the validation rows, then one blank row (no targets)
        n_train, n_val = len(train_images), len(val_images)
        blank_image, blank_targets = np.zeros_like(train_images[:1]), np.full_like(train_targets[:1], np.nan)
        trainer = OnDevice(model, np.concatenate([train_images, val_images, blank_image]),
                           np.concatenate([train_targets, val_targets, blank_targets]).astype("float32"), columns,
                           recipe, (seed + epochs_done) % 2**32)
        distribution = keras.distribution.distribution()  # set by use_devices
        multiple = distribution.device_mesh.devices.size if distribution else 1
        batches = RowBatches(np.arange(n_train), recipe.batch_size, seed, multiple, pad=n_train + n_val)
        validation = RowBatches(np.arange(n_train, n_train + n_val), recipe.batch_size, None, multiple, pad=n_train + n_val)
        trainer.compile(optimizer=model.optimizer, steps_per_execution=len(batches))
    else:
        batches = FlipBatches(train_images, train_targets.astype("float32"), columns, recipe.batch_size,
                              flip=recipe.flip, seed=seed)
        trainer, validation = model, (to_inputs(val_images), val_targets.astype("float32"))
    early_stopping = None
    if recipe.patience:
        early_stopping = ResumableEarlyStopping(recipe.patience, state and state["early_stopping"], best_weights)
    if state is not None:
        batches.restore(state["batches"])
    log = log or RunLog()
    log.net, log.batches, log.early_stopping = model, batches, early_stopping
    ctrl_c = StopOnCtrlC()
    schedules = [AdjustVariable("learning_rate", *recipe.learning_rate, recipe.epochs)]
    if recipe.optimizer == "sgd":
        schedules.append(AdjustVariable("momentum", *recipe.momentum, recipe.epochs))
    if pipeline == "fast" and recipe.mild_epochs:
        schedules.append(AugmentStrength(recipe))
    if recipe.ema:  # validation (and early stopping, if any) sees the averaged weights; fit() ends with them
        schedules.append(keras.callbacks.SwapEMAWeights())
    callbacks = [*schedules, EpochStats(), ctrl_c, *([early_stopping] if early_stopping else []), log]
    if verbose:  # our line per epoch (elapsed, ETA, the long-run estimate) instead of Keras' per-step bar
        callbacks.append(EpochProgress(model.name, recipe.epochs, epochs_done))
    trainer.fit(batches, validation_data=validation, epochs=recipe.epochs, callbacks=callbacks, verbose=0,
                initial_epoch=epochs_done)
    log.interrupted = ctrl_c.interrupted
    return log.rows


def train(spec, out_dir="runs", *, name=None, checkpoint_every=25, resume=False, verbose=True, training=None,
          rows=None):
    """Train spec.net with spec.recipe on spec.data; returns the run folder (written complete, or not at all).

    The rows: spec.columns are learnt on the training rows that have all of them (recipe.all_rows: any of
    them; the recipe's impute fills the gaps first), at most spec.train_rows of them; spec.teachers' averaged
    predictions fill the gaps and label the test faces, which join the training rows (teachers.teacher_labels);
    spec.exclude's rows are left out of training, never out of validation, so that scores stay comparable.
    training, rows: the loaded data and splits.select_rows' choice, where the caller has them already
    (preflight checked them): computed once. name: the run folder's name in out_dir (default: net-date-time).
    checkpoint_every: epochs between checkpoints; resume=True continues from the latest one.
    """
    net = nets_load(spec.net)
    out_dir = Path(out_dir)
    run_dir = out_dir / (name or unused_name(out_dir, spec.net))
    if run_dir.exists():
        raise DataError(f"{run_dir} exists already")
    if not resume:
        unfinished_folder(run_dir).mkdir(parents=True, exist_ok=True)  # unused_name's reservation, or a group's
    with locked(run_dir) as unfinished:
        try:
            return _train(spec, net, run_dir, unfinished, checkpoint_every, resume, verbose, training, rows)
        except BaseException:
            if not resume and not has_checkpoint(run_dir):  # a failed start leaves nothing
                shutil.rmtree(unfinished, ignore_errors=True)
            raise


def nets_load(name):
    """nets/NAME.py, or a DataError (a checkpoint or caller naming a net that nets/ no longer has)."""
    import nets
    try:
        return nets.load(name)
    except ValueError as error:
        raise DataError(f"net {name!r}: {error}") from None


def _train(spec, net, run_dir, unfinished, checkpoint_every, resume, verbose, training, rows):
    """train()'s work, in the locked unfinished folder."""
    recipe, columns = spec.recipe, list(spec.columns)
    if not resume:
        start_afresh(run_dir, unfinished)
    training = training if training is not None else load_training(spec.data)
    data_sha256 = fingerprint(training)
    rows = rows if rows is not None else select_rows(training, spec.split, spec.exclude)
    is_val, fitted = rows
    val_images, val_keypoints = examples(training, is_val, columns)
    labelled = [part[:spec.train_rows] for part in examples(training, fitted, columns, complete=False)]  # x_offset's
    if spec.teachers:
        test_images = load_test(spec.data)["images"]
        predictions = [teacher_predictions(teacher, training["images"], is_val, test_images) for teacher in spec.teachers]
        training, is_val = teacher_labels(predictions, training, is_val, test_images)
        fitted = np.concatenate([fitted, np.ones(len(test_images), bool)])  # the test faces a teacher labelled
    if recipe.impute:
        keypoints = training["keypoints"].copy()
        keypoints[fitted] = impute(keypoints[fitted], recipe.impute)
        training = {**training, "keypoints": keypoints}
    train_images, train_keypoints = examples(training, fitted, columns, complete=not recipe.all_rows)
    train_images, train_keypoints = train_images[:spec.train_rows], train_keypoints[:spec.train_rows]

    if resume:
        model, state, best_weights = load_checkpoint(run_dir)
        check_same_data(run_dir, spec.data, state, data_sha256)
        keras.utils.set_random_seed((spec.seed + state["epochs_done"]) % 2**32)  # dropout: continue, not replay
        print(f"resuming {run_dir} after epoch {state['epochs_done']}", flush=True)
    else:
        keras.utils.set_random_seed(spec.seed)
        model, state, best_weights = net.build(len(columns)), None, None
        if spec.pretrained is not None:
            copy_weights(pretrained_net(spec.net, spec.pretrained), model, head=tuple(columns) == tuple(COLUMNS))
        print(f"training {spec.net} into {run_dir} (if stopped, resume with: python train.py --resume {run_dir})",
              flush=True)
    run_args = {**spec.to_dict(), "data_sha256": data_sha256, "command": command(), "commit": commit(),
                "hardware": hardware()}
    if state:  # a resumed run was made by the command and code that started it
        run_args.update({key: state[key] for key in ("command", "commit") if key in state})
    log = RunLog(unfinished, checkpoint_every, run_args, rows=state["history"] if state else ())
    started = time.perf_counter()
    moved = x_offsets(columns, recipe.label_x_offset)  # 0 but where a recipe asks
    history = fit(model, recipe, (train_images, scale(train_keypoints - moved)), (val_images, scale(val_keypoints - moved)),
                  columns, seed=spec.seed, log=log, resume=(state, best_weights) if resume else None,
                  pipeline=spec.pipeline, verbose=verbose)
    seconds = time.perf_counter() - started
    if state:  # a resumed run: the epochs before its checkpoint count too
        seconds += sum(row["seconds"] for row in state["history"])

    # with flips the net finds the points whatever the labels' offset (the mirror turns it round): measured; without,
    # it learns the labels as moved: the move goes back
    offset = x_offset(scaled_predictor(model), *labelled, columns) if recipe.flip else recipe.label_x_offset
    predicted = predict_pixels(Calibrated(scaled_predictor(model), x_offsets(columns, offset)), val_images, columns)
    mean_shape = np.broadcast_to(np.nanmean(train_keypoints, axis=0), val_keypoints.shape)
    best = min(history, key=lambda row: row["val_loss"])
    config = {
        **run_args, "backend": keras.backend.backend(), "keras": keras.__version__,
        "train_rows": len(train_images), "val_rows": len(val_images), "epochs_run": len(history),
        "interrupted": log.interrupted,
        "best_epoch": best["epoch"], "seconds": round(seconds, 2),
        "seconds_per_epoch": float(np.median([row["seconds"] for row in history])),
        "x_offset_px": offset,  # added to every x it predicts (prediction.x_offset); val_rmse_px includes it
        "val_rmse_px": rmse(predicted, val_keypoints),
        "mean_shape_val_rmse_px": rmse(mean_shape, val_keypoints),
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    write_run_folder(unfinished, run_dir, model, config, history, predicted, val_keypoints)
    return run_dir


def pretrained_net(net_name, path):
    """nets/NET_NAME.py predicting all 30 columns, with the weights of path: a .weights.h5 file (specialists.py
    saves the weights of the run the specialists start from) or a run folder (train.py --pretrained)."""
    import nets
    from facial_keypoints.runs import load_run
    if Path(path).is_dir():
        return load_run(path)[0]
    source = nets.load(net_name).build(len(COLUMNS))
    try:
        source.load_weights(path)
    except ValueError as error:  # weights of another net, or of fewer outputs
        raise DataError(f"{path}: not weights of {net_name} with {len(COLUMNS)} outputs ({str(error)[:200]})") from None
    return source


def copy_weights(source, model, head=False):
    """Start model from source's weights: every layer of the same shapes; the head at the end (the output
    layer, or a heatmap net's per-keypoint maps), whose size follows the number of columns, keeps its own
    unless `head` (a net of the same 30 columns, fine-tuned: train.py --pretrained)."""
    shapes = lambda layer: [w.shape for w in layer.weights]  # noqa: E731
    with_weights = [i for i, layer in enumerate(model.layers) if layer.weights]
    differ = [i for i in with_weights if i >= len(source.layers) or shapes(source.layers[i]) != shapes(model.layers[i])]
    if len(source.layers) != len(model.layers) or differ != with_weights[len(with_weights) - len(differ):]:
        raise DataError(f"the pretrained model ({source.name}) does not have the layers of {model.name}")
    kept = differ or ([] if head else with_weights[-1:])
    for i in with_weights:
        if i not in kept:
            model.layers[i].set_weights(source.layers[i].get_weights())


def write_run_folder(unfinished, run_dir, model, config, history, predicted, val_keypoints):
    """Write the run's files into its unfinished folder, rename it, then drop its checkpoints: a run folder
    is complete or absent, and a kill at any moment leaves either a finished run or one that resumes."""
    save_inference_model(model, unfinished / "model.keras")
    write_text(unfinished / "config.json", json.dumps(config, indent=2) + "\n")
    columns = list(history[0])
    write_csv(unfinished / "history.csv", columns, [[row.get(c, math.nan) for c in columns] for row in history])
    from facial_keypoints.show import curves  # matplotlib: only once a run is done
    curves([(None, history)], unfinished / "curve.png", f"{config['net']}: validation RMSE {config['val_rmse_px']:.3f} px")
    write_csv(unfinished / "keypoint_rmse.csv", ["keypoint", "rmse_x_px", "rmse_y_px", "rmse_px"],
              [(k, f"{x:.4f}", f"{y:.4f}", f"{r:.4f}")
               for k, x, y, r in keypoint_rmse_rows(predicted, val_keypoints, config["columns"])])
    unfinished.rename(run_dir)
    (run_dir / "checkpoint.json").unlink(missing_ok=True)
    for checkpoint in run_dir.glob("*checkpoint-*"):
        shutil.rmtree(checkpoint)
