"""bench.study: the study's runs outlive an interruption (the same command resumes them, then skips them),
and --plan says what is left from the ledgers' timings without training."""
import json
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.jax


def study(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "bench.study", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, **kwargs)


def test_plan_estimates_from_the_ledger_and_trains_nothing(tmp_path, monkeypatch):
    import keras

    from facial_keypoints.ledger import append
    from facial_keypoints.provenance import hardware
    ledger = tmp_path / "ledger.csv"
    append(ledger, net="net1", epochs=400, recipe_epochs=400, split="rows", val_rmse_px=3.2, s_per_epoch=10.0,
           hardware=hardware(), backend=keras.backend.backend())
    monkeypatch.setenv("FKD_LEDGER", str(ledger))
    result = study("--nets", "net1", "--plan", "--out", tmp_path / "study")
    assert result.returncode == 0, result.stderr
    assert "| net1 | 400 | not started | 10.00 (ledger, 1 run(s)) | 1 h 06 min |" in result.stdout
    assert "at most 1.1 hours left" in result.stdout and not (tmp_path / "study").exists()


def test_the_same_command_resumes_an_interrupted_run_then_skips_it(ytf_dir, tmp_path):
    out = tmp_path / "study"
    command = [sys.executable, "-m", "bench.study", "--nets", "net1", "--epochs", "12", "--checkpoint-every", "2",
               "--data", ytf_dir, "--out", out, "--no-ledger"]
    process = subprocess.Popen(list(map(str, command)), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:  # killed on observed progress, not on a clock
        pointer = next(out.glob(".net1-*.partial/checkpoint.json"), None) if out.exists() else None
        if pointer is not None and json.loads(pointer.read_text())["latest"] in ("checkpoint-2", "checkpoint-4"):
            process.kill()
            break
        time.sleep(0.002)
    process.wait()
    assert process.returncode != 0, "the run ended before it was killed"
    again = subprocess.run(list(map(str, command)), cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "resuming" in again.stdout and "net1: " in again.stdout.splitlines()[-1]
    (run,) = out.glob("net1-*")
    config = json.loads((run / "config.json").read_text())
    assert config["epochs_run"] == 12 and not list(out.glob(".*.partial"))
    third = subprocess.run(list(map(str, command)), cwd=ROOT, capture_output=True, text=True)
    assert third.returncode == 0 and f"net1: done already ({run.name})" in third.stdout


@pytest.mark.parametrize("args, message", [(["--epochs", "0"], "--epochs: expected a whole number of at least 1, got 0"),
                                           (["--nets", "net8"], "--nets: net8 is not a net that train.py can train")])
def test_a_bad_study_option_is_one_line(args, message):
    result = study(*args)
    assert result.returncode == 2 and message in result.stderr.splitlines()[-1]
