"""Issue 18: a training killed with SIGKILL at any moment, a checkpoint write included, resumes with
--resume to a loadable run whose history has every epoch once."""
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from facial_keypoints.checkpoints import unfinished_folder
from facial_keypoints.runs import load_run
from tests.conftest import ROOT

EPOCHS = 30


def start(*args):
    return subprocess.Popen([sys.executable, "train.py", *map(str, args)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def kill_when(process, ready, timeout=120):
    """SIGKILL process as soon as ready() is true; False if it ended first."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if ready():
            process.kill()
            process.wait()
            return True
        time.sleep(0.002)
    return False


def test_sigkill_at_random_moments_and_during_a_checkpoint_write_then_resume(ytf_dir, tmp_path):
    out, rng = tmp_path / "runs", np.random.default_rng(0)
    process = start("--net", "net1", "--epochs", EPOCHS, "--checkpoint-every", 1, "--data", ytf_dir, "--out", out,
                    "--no-ledger")
    run_dir = None
    kills = ["random", "during a checkpoint write", "random", "random"]
    for kill in kills:
        def first_checkpoint():
            nonlocal run_dir
            partial = next(out.glob(".net1-*.partial"), None) if out.exists() else None
            if partial is not None and (partial / "checkpoint.json").is_file():
                run_dir = out / partial.name[1:].removesuffix(".partial")
                return True
            return False

        if run_dir is None:
            assert kill_when(process, first_checkpoint), process.stderr.read()
            process = start("--resume", run_dir, "--checkpoint-every", 1)
            continue
        partial = unfinished_folder(run_dir)
        if kill == "during a checkpoint write":
            ready = (lambda: (partial / ".checkpoint-building").exists())
        else:
            at = time.monotonic() + 5 + rng.uniform(0, 6)  # past the start-up, somewhere in the training
            ready = (lambda: time.monotonic() > at)
        if not kill_when(process, ready):
            break  # it finished before this kill
        process = start("--resume", run_dir, "--checkpoint-every", 1)
    assert process.wait(timeout=300) == 0, process.stderr.read()

    model, config = load_run(run_dir)
    history = pd.read_csv(run_dir / "history.csv")
    assert history["epoch"].tolist() == list(range(1, EPOCHS + 1))
    assert config["epochs_run"] == EPOCHS and model.count_params() > 0
    assert not unfinished_folder(run_dir).exists()
