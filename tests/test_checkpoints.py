"""checkpoints.py: a training killed with SIGKILL at any moment, a checkpoint write included, resumes with
--resume to a loadable run whose history has every epoch once; a damaged checkpoint pointer is one line.

Every kill waits for observed progress (a checkpoint of a later epoch, or a checkpoint being written), never
for a clock, so a fast machine cannot finish the run before the kills land: each kill must land."""
import json
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from facial_keypoints.runs import unfinished_folder
from facial_keypoints.runs import load_run
from tests.conftest import ROOT, run_script

EPOCHS = 30


def start(*args):
    return subprocess.Popen([sys.executable, "train.py", *map(str, args)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def kill_when(process, ready, timeout=300):
    """SIGKILL process as soon as ready() is true; False if it ended (or the timeout passed) first."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if ready():
            process.kill()
            process.wait()
            return True
        time.sleep(0.002)
    return False


def latest_epoch(partial):
    """The epoch of the newest complete checkpoint in an unfinished run folder, 0 if none yet."""
    try:
        return int(json.loads((partial / "checkpoint.json").read_text())["latest"].split("-")[1])
    except (OSError, ValueError, KeyError):  # not written yet, or being replaced this instant
        return 0


def test_sigkill_at_moments_of_its_progress_and_during_a_checkpoint_write_then_resume(ytf_dir, tmp_path):
    out, rng = tmp_path / "runs", np.random.default_rng(0)
    process = start("--net", "net1", "--epochs", EPOCHS, "--checkpoint-every", 1, "--data", ytf_dir, "--out", out,
                    "--no-ledger")
    assert kill_when(process, lambda: out.exists() and latest_epoch(next(out.glob(".net1-*.partial"), out)) >= 1), \
        process.stderr.read()
    (partial,) = out.glob(".net1-*.partial")
    run_dir = out / partial.name[1:].removesuffix(".partial")
    killed_after = [latest_epoch(partial)]
    for kill in ["after a few more epochs", "during a checkpoint write", "after a few more epochs"]:
        process = start("--resume", run_dir, "--checkpoint-every", 1)
        if kill == "during a checkpoint write":
            ready = (lambda: latest_epoch(partial) > killed_after[-1] and (partial / ".checkpoint-building").exists())
        else:
            target = killed_after[-1] + int(rng.integers(2, 6))  # 4 kills of at most 6 epochs each: < EPOCHS
            ready = (lambda: latest_epoch(partial) >= target)
        assert kill_when(process, ready), f"the run ended before the kill {kill!r}: {process.stderr.read()}"
        assert not run_dir.exists()
        killed_after.append(latest_epoch(partial))
    assert killed_after == sorted(killed_after) and killed_after[-1] < EPOCHS

    process = start("--resume", run_dir, "--checkpoint-every", 1)
    assert process.wait(timeout=300) == 0, process.stderr.read()
    model, config = load_run(run_dir)
    history = pd.read_csv(run_dir / "history.csv")
    assert history["epoch"].tolist() == list(range(1, EPOCHS + 1))
    assert config["epochs_run"] == EPOCHS and model.count_params() > 0
    assert not unfinished_folder(run_dir).exists()


def test_a_damaged_checkpoint_pointer_is_named(tmp_path, capsys):
    unfinished = tmp_path / ".net1-x.partial"
    unfinished.mkdir()
    (unfinished / "checkpoint.json").write_text('{"latest": "../../somewhere"}')
    result = run_script(capsys, "train.py", "--resume", tmp_path / "net1-x")
    assert result.returncode == 1 and "checkpoint.json: damaged" in result.stderr and "Traceback" not in result.stderr
    (unfinished / "checkpoint.json").write_text('{"latest": ')
    result = run_script(capsys, "train.py", "--resume", tmp_path / "net1-x")
    assert result.returncode == 1 and "not readable JSON" in result.stderr and "without --resume" in result.stderr
