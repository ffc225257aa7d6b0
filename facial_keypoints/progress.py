"""What a training says while it runs: one line per epoch with elapsed time and ETA, and, for a
long recipe, an estimate of the whole run after its first epochs."""
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

import keras

LONG_RUN_S = 600  # warn when the recipe will take longer than this


def cpu_model():
    """The CPU's model name (Linux /proc/cpuinfo), else what platform says."""
    try:
        names = [line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")]
    except OSError:  # not Linux
        names = []
    return names[0] if names else platform.processor() or platform.machine()


def hardware():
    """What a reader needs to compare timings: the accelerator's name, or the CPU model and the cores this
    process may use (`taskset -c 0 python train.py ...`: "1 of 2 cores")."""
    accelerators = [d for d in keras.distribution.list_devices() if not d.lower().startswith("cpu")]
    if accelerators:
        return f"{len(accelerators)} x {accelerators[0]}"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = f"{usable} of {os.cpu_count()}" if usable < os.cpu_count() else usable
    return f"{cpu_model()}, {cores} cores"


def duration(seconds):
    """3725 -> '1 h 02 min'; 125 -> '2 min 05 s'; 9 -> '9 s'."""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"


class Progress(keras.callbacks.Callback):
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


def commit():
    """The checkout's commit, '+dirty' when files differ from it; None outside a git checkout."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if head.returncode:
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def command():
    """The command line that started this process, as a user would type it again."""
    return shlex.join(["python", *sys.argv])
