"""Where a result came from and what it cost, as every run folder and ledger row records it: the commit,
the command, the hardware, and durations in words."""
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path


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
    import keras  # the backend's devices: whoever asks has trained or evaluated with it

    accelerators = [d for d in keras.distribution.list_devices() if not d.lower().startswith("cpu")]
    if accelerators:
        return f"{len(accelerators)} x {accelerators[0]}"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = f"{usable} of {os.cpu_count()}" if usable < os.cpu_count() else usable
    return f"{cpu_model()}, {cores} cores"


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
    """The command line that started this process, as a user would type it again: `python train.py ...`,
    or `python -m bench.peers ...` for a module run with -m (whose sys.argv[0] is the module's file, a path
    that would not run it again: bench tools import the package as `bench.NAME`)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and sys.argv and sys.argv[0] == spec.origin:  # `python -m NAME`, not runpy or -c
        return shlex.join(["python", "-m", spec.name.removesuffix(".__main__"), *sys.argv[1:]])
    return shlex.join(["python", *sys.argv])


def duration(seconds):
    """3725 -> '1 h 02 min'; 125 -> '2 min 05 s'; 9 -> '9 s'."""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"
