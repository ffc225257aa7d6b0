"""What happens at epoch boundaries: the recipe's schedules, the per-epoch figures in pixels, the line a
training prints per epoch, and a Ctrl-C that stops cleanly."""
import math
import signal
import sys
import threading
import time

import keras
import numpy as np
from keras import ops

from facial_keypoints.keypoints import UNIT_PX
from facial_keypoints.provenance import duration, hardware

LONG_RUN_S = 600  # warn when the recipe will take longer than this


class AdjustVariable(keras.callbacks.Callback):
    """Set an optimizer variable ("learning_rate" or "momentum") linearly from start to stop over the run."""

    def __init__(self, name, start, stop, epochs):
        super().__init__()
        self.name, self.values = name, np.linspace(start, stop, epochs)

    def on_epoch_begin(self, epoch, logs=None):
        value = self.values[min(epoch, len(self.values) - 1)]
        getattr(self.model.optimizer, self.name).assign(value)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs[self.name] = float(ops.convert_to_numpy(getattr(self.model.optimizer, self.name)))


class AugmentStrength(keras.callbacks.Callback):
    """Set the fast path's augmentation strength (fast.OnDevice.strength) for each epoch, as the recipe says
    (Recipe.strength: strong for most epochs, milder at the end)."""

    def __init__(self, recipe):
        super().__init__()
        self.recipe = recipe

    def on_epoch_begin(self, epoch, logs=None):
        self.model.strength.assign(self.recipe.strength(epoch))


class EpochStats(keras.callbacks.Callback):
    """Add rmse_px and val_rmse_px (sqrt of the MSE on scaled targets, in pixels) and seconds to each epoch's logs."""

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        for key in ("loss", "val_loss"):
            if key in logs:
                logs[key.replace("loss", "rmse_px")] = math.sqrt(logs[key]) * UNIT_PX
        logs["seconds"] = time.perf_counter() - self.started


class StopOnCtrlC(keras.callbacks.Callback):
    """First Ctrl-C or SIGTERM (a kill, a scheduler's stop): finish the current epoch, then stop as if
    training had ended (best weights restored, run folder written). A second one interrupts at once."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def on_train_begin(self, logs=None):
        self.interrupted, self.previous = False, {}
        if threading.current_thread() is threading.main_thread():  # only there can Python take signals
            self.previous = {signum: signal.signal(signum, self.request_stop) for signum in self.SIGNALS}

    def request_stop(self, signum, frame):
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        print(f"\n{name}: stopping after this epoch (again to abort)", file=sys.stderr, flush=True)

    def on_epoch_end(self, epoch, logs=None):
        if self.interrupted:
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


class EpochProgress(keras.callbacks.Callback):
    """After every epoch: epoch, losses in pixels, seconds per epoch, elapsed and ETA. After the
    second epoch (the first compiles), if the rest will take more than LONG_RUN_S, say so once.
    Keras' own bar is of no use here: the fast pipeline runs a whole epoch as one step."""

    def __init__(self, name, epochs, first_epoch=0):
        super().__init__()
        self.name, self.epochs, self.first_epoch = name, epochs, first_epoch
        self.warned = False

    def on_train_begin(self, logs=None):
        self.started, self.steady = time.perf_counter(), []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        now = time.perf_counter()
        if epoch > self.first_epoch:  # the first epoch of a process includes compiling
            self.steady.append(now - self.epoch_started)
        per_epoch = sum(self.steady) / len(self.steady) if self.steady else now - self.epoch_started
        left = (self.epochs - epoch - 1) * per_epoch
        if self.steady and not self.warned and left > LONG_RUN_S:
            self.warned = True
            self.say(f"{self.name}: {self.epochs} epochs x {per_epoch:.1f} s ≈ {duration(self.epochs * per_epoch)} "
                     f"on this machine ({hardware()}); a GPU or --epochs N is faster. Ctrl-C stops after "
                     "the epoch and keeps the best weights.")
        losses = "  ".join(f"{key} {logs[key]:.3f}" for key in ("rmse_px", "val_rmse_px") if key in logs)
        self.say(f"epoch {epoch + 1}/{self.epochs}  {losses}  {now - self.epoch_started:.1f} s  "
                 f"elapsed {duration(now - self.started)}  ETA {duration(left)}")

    def say(self, line):
        print(line, flush=True)
