"""Checkpoints of a run in progress, so that a killed run can resume where it was.

A checkpoint is a folder checkpoint-EPOCH/ in the run's unfinished folder: model.keras (weights and
optimizer state), state.json (how the run was started, epochs done, history, early-stopping and
shuffling state) and best.npz (early stopping's best weights). It is written complete, then
checkpoint.json is switched to it atomically; a kill at any moment leaves the previous one usable.
"""
import json
import shutil
from pathlib import Path

import keras
import numpy as np

from facial_keypoints.errors import DataError
from facial_keypoints.paths import write_text
from facial_keypoints.runs import has_checkpoint, load_model_file, read_json, unfinished_folder

RESTART = "start the run again without --resume"


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """EarlyStopping (best weights restored at the end) that can start from a checkpoint's state."""

    def __init__(self, patience, saved=None, best_weights=None):
        super().__init__(patience=patience, restore_best_weights=True)
        self.saved, self.saved_weights = saved, best_weights

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self.saved:
            self.wait, self.best, self.best_epoch = self.saved["wait"], self.saved["best"], self.saved["best_epoch"]
            self.best_weights = self.saved_weights

    def state(self):
        return {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch}


class RunLog(keras.callbacks.Callback):
    """Keeps the history rows; with a folder, writes a checkpoint every `every` epochs."""

    def __init__(self, folder=None, every=25, run_args=None, rows=()):
        super().__init__()
        self.folder, self.every, self.run_args, self.rows = folder, every, run_args, list(rows)
        self.net = self.batches = self.early_stopping = None  # set by fit(): what a checkpoint saves
        self.interrupted = False  # set by fit() when Ctrl-C ended the training

    def on_epoch_end(self, epoch, logs=None):
        self.rows.append({"epoch": epoch + 1, **{k: float(v) for k, v in logs.items()}})
        if self.folder is not None and (epoch + 1) % self.every == 0:
            self.save(epoch + 1)

    def save(self, epochs_done):
        target = self.folder / f"checkpoint-{epochs_done}"
        building = self.folder / ".checkpoint-building"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir()
        self.net.save(building / "model.keras")  # with its optimizer's state
        early = self.early_stopping
        if early is not None and early.best_weights is not None:
            np.savez(building / "best.npz", *early.best_weights)
        state = {**self.run_args, "epochs_done": epochs_done, "history": self.rows,
                 "early_stopping": early.state() if early is not None else None, "batches": self.batches.state()}
        (building / "state.json").write_text(json.dumps(state) + "\n")
        shutil.rmtree(target, ignore_errors=True)
        building.rename(target)
        write_text(self.folder / "checkpoint.json", json.dumps({"latest": target.name}) + "\n")
        for old in self.folder.glob("checkpoint-*"):
            if old != target:
                shutil.rmtree(old, ignore_errors=True)


def latest_checkpoint(run_dir):
    """The newest complete checkpoint folder of an unfinished run; a clear error if there is none."""
    if not Path(run_dir).exists() and not unfinished_folder(run_dir).exists():
        raise DataError(f"{run_dir}: not found (nor its unfinished folder {unfinished_folder(run_dir).name})")
    if not has_checkpoint(run_dir):
        if Path(run_dir, "config.json").is_file():
            raise DataError(f"{run_dir}: this run finished already; nothing to resume")
        raise DataError(f"{run_dir}: no checkpoint to resume from (none was written before it stopped)")
    pointer = unfinished_folder(run_dir) / "checkpoint.json"
    latest = read_json(pointer, RESTART).get("latest")
    if not isinstance(latest, str) or not latest.startswith("checkpoint-") or "/" in latest or "\\" in latest:
        raise DataError(f"{pointer}: damaged, no checkpoint named in it; {RESTART}")
    return unfinished_folder(run_dir) / latest


def read_state(run_dir):
    """How an unfinished run was started (net, recipe, seed, ...) and how far it got."""
    return read_json(latest_checkpoint(run_dir) / "state.json", RESTART)


def load_checkpoint(run_dir):
    """(model with optimizer state, state dict, early stopping's best weights or None)."""
    folder = latest_checkpoint(run_dir)
    best = None
    if (folder / "best.npz").is_file():
        with np.load(folder / "best.npz", allow_pickle=False) as saved:
            best = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    state = read_json(folder / "state.json", RESTART)
    return load_model_file(folder / "model.keras", RESTART), state, best


def check_same_data(run_dir, data, state, data_sha256):
    """A resumed run goes on with the data it started on (older checkpoints recorded no fingerprint)."""
    started_on = state.get("data_sha256")
    if started_on is not None and started_on != data_sha256:
        raise DataError(f"--data {data}: not the data {run_dir} was started on (their sha256 differs); "
                        f"resume with the data folder it was started with, {state.get('data')}")
