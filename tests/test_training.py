import csv
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import nets
from facial_keypoints.data import load_training
from facial_keypoints.prediction import load_predictor
from facial_keypoints.prediction import predict_pixels
from facial_keypoints.runs import read_config
from facial_keypoints.metrics import rmse
from facial_keypoints.splits import examples, near_duplicate_groups, split_rows, validation_mask
from facial_keypoints.training import train
from tests.conftest import ROOT, short_net1_recipe, spec


@pytest.mark.jax
def test_split_holds_out_a_fixed_fifth_of_complete_and_of_incomplete_rows():
    rng = np.random.default_rng(0)
    keypoints = rng.uniform(0, 96, (1000, 30))
    keypoints[:700, 4:20] = np.nan
    is_val = split_rows(keypoints)
    assert is_val[700:].sum() == 60 and is_val[:700].sum() == 140
    assert np.array_equal(is_val, split_rows(keypoints))
    assert not np.array_equal(is_val, split_rows(keypoints, seed=1))


@pytest.mark.jax
def test_every_net_builds_with_any_number_of_outputs():
    for name in nets.names():
        net = nets.load(name)
        model = net.build(8)
        assert model.output_shape == (None, 8) and model.name == name
        if not net.RECIPE.all_rows:  # net1-net11: the study's batches of 128, 400 epochs or more
            assert net.RECIPE.epochs >= 400 and net.RECIPE.batch_size == 128
    with pytest.raises(ValueError, match="net1, net2"):
        nets.load("net99")
    with pytest.raises(ValueError, match="specialists.py"):
        nets.load("net8")


def check_run_folder(run_dir, data_dir):
    config = json.loads((run_dir / "config.json").read_text())
    assert {p.name for p in run_dir.iterdir()} == {"model.keras", "config.json", "history.csv", "curve.png",
                                                    "keypoint_rmse.csv"}
    history = (run_dir / "history.csv").read_text().splitlines()
    assert history[0].startswith("epoch,loss,val_loss") and "val_rmse_px" in history[0]
    assert len(history) == 1 + config["epochs_run"]
    assert (run_dir / "keypoint_rmse.csv").read_text().count("\n") == 1 + 15 + 1
    # reloads with no pickle and predicts the same numbers
    training = load_training(data_dir)
    val_images, val_keypoints = examples(training, validation_mask(training, config["split"]), config["columns"])
    predict_scaled, columns = load_predictor(run_dir)
    predicted = predict_pixels(predict_scaled, val_images, columns)
    assert rmse(predicted, val_keypoints) == pytest.approx(config["val_rmse_px"], rel=1e-5)  # its x offset included
    recipe = config["recipe"]  # the x offset measured where mirrored faces hide it, else the recipe's own move
    assert (config["x_offset_px"] == recipe.get("label_x_offset", 0.0)) == (not recipe["flip"])
    return config


def test_net1_beats_the_mean_shape_on_real_data(net1_run, ytf_dir):
    config = check_run_folder(net1_run, ytf_dir)
    assert config["val_rows"] == 207 and config["train_rows"] == 827
    assert config["val_rmse_px"] < 0.9 * config["mean_shape_val_rmse_px"]


def test_the_plain_pipeline_learns_like_the_fast_one(net1_run, ytf_dir, tmp_path):
    fast = check_run_folder(net1_run, ytf_dir)
    plain = check_run_folder(train(spec("net1", ytf_dir, short_net1_recipe(), pipeline="plain"), tmp_path,
                                   verbose=0), ytf_dir)
    assert (fast["pipeline"], plain["pipeline"]) == ("fast", "plain")
    assert plain["val_rmse_px"] < 0.9 * plain["mean_shape_val_rmse_px"]
    assert abs(fast["val_rmse_px"] - plain["val_rmse_px"]) < 0.05 * plain["val_rmse_px"]


def test_augmentation_needs_the_fast_pipeline(ytf_dir, tmp_path):
    result = subprocess.run([sys.executable, "train.py", "--net", "net17", "--epochs", "1", "--pipeline", "plain",
                             "--data", str(ytf_dir), "--out", str(tmp_path / "runs")], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "augmentation beyond the flip needs the fast pipeline" in result.stderr.splitlines()[-1]
    assert not (tmp_path / "runs").exists()  # nothing half-made left behind


def test_imputed_rows_join_the_training_set(ytf_dir, tmp_path):
    result = subprocess.run([sys.executable, "train.py", "--net", "net1", "--epochs", "2", "--impute", "knn",
                             "--data", str(ytf_dir), "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (run_dir,) = tmp_path.iterdir()
    config = check_run_folder(run_dir, ytf_dir)
    assert config["train_rows"] == 3457 - 692 and config["recipe"]["impute"] == "knn"
    assert config["val_rows"] == 207  # validation stays the complete rows, never filled


def test_the_modern_recipe_trains_on_every_row_with_augmentation(ytf_dir, tmp_path):
    recipe = dataclasses.replace(nets.load("net13").RECIPE, epochs=2)
    config = check_run_folder(train(spec("net13", ytf_dir, recipe, train_rows=256, split="clips"), tmp_path,
                                    verbose=0), ytf_dir)
    assert config["recipe"]["all_rows"] and config["recipe"]["rotate"] == 12 and config["split"] == "clips"
    assert config["train_rows"] == 256 and config["val_rows"] == 206 and config["epochs_run"] == 2


def test_net2_beats_the_mean_shape_on_real_data(ytf_dir, tmp_path):
    # net2's own recipe (lr 0.01, batch 128) is still at 3.50 px after 40 epochs (100 s here), above the mean
    # shape (3.32 px); smaller batches and a larger step get below it in 15.
    net = nets.load("net2")
    recipe = dataclasses.replace(net.RECIPE, epochs=15, batch_size=32, learning_rate=(0.1, 0.1))
    config = check_run_folder(train(spec("net2", ytf_dir, recipe), tmp_path, verbose=0), ytf_dir)
    assert config["val_rmse_px"] < config["mean_shape_val_rmse_px"]


def test_train_script_list_and_a_short_run(ytf_dir, tmp_path):
    listing = subprocess.run([sys.executable, "train.py", "--list"], cwd=ROOT, capture_output=True, text=True)
    assert listing.returncode == 0
    assert "net11" in listing.stdout and "19,944,222 params" in listing.stdout and "specialists" in listing.stdout
    result = subprocess.run([sys.executable, "train.py", "--net", "net1", "--epochs", "2", "--data", str(ytf_dir),
                             "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "val_rmse_px" in result.stdout and result.stdout.strip().splitlines()[-1].startswith("wrote ")
    assert len(list(tmp_path.iterdir())) == 1


def test_ctrl_c_stops_after_the_epoch_and_writes_a_complete_run_folder(ytf_dir, tmp_path):
    command = [sys.executable, "train.py", "--net", "net1", "--epochs", "400", "--data", str(ytf_dir), "--out", str(tmp_path)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    for line in process.stdout:
        if line.startswith("epoch 3/"):
            process.send_signal(signal.SIGINT)
            break
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err  # as shells report Ctrl-C; the run folder is still complete
    assert "Ctrl-C: stopping after this epoch" in err and "Traceback" not in err
    (run_dir,) = tmp_path.iterdir()
    config = check_run_folder(run_dir, ytf_dir)
    assert 3 <= config["epochs_run"] < 400 and config["interrupted"]


@pytest.mark.jax
def test_same_seed_same_backend_gives_identical_histories(ytf_dir, tmp_path):
    net = nets.load("net1")
    recipe = dataclasses.replace(net.RECIPE, epochs=3, flip=True, patience=2)
    histories = []
    for seed in (0, 0, 1):
        run_dir = train(spec("net1", ytf_dir, recipe, seed=seed, train_rows=256), tmp_path, verbose=0)
        rows = [line.split(",") for line in (run_dir / "history.csv").read_text().splitlines()]
        seconds = rows[0].index("seconds")
        histories.append([row[:seconds] + row[seconds + 1:] for row in rows])
    assert histories[0] == histories[1]
    assert histories[0] != histories[2]


KILLABLE_RUN = """
import dataclasses, nets
from facial_keypoints.recipe import RunSpec
from facial_keypoints.training import train
recipe = dataclasses.replace(nets.load("net1").RECIPE, epochs=200, learning_rate=(0.02, 0.002), momentum=(0.9, 0.95),
                             patience=500)
train(RunSpec(net="net1", recipe=recipe, data={data!r}, train_rows=300), {out!r}, checkpoint_every=5, verbose=2)
"""


def test_a_killed_run_resumes_with_its_schedule_and_a_complete_history(ytf_dir, tmp_path):
    script = KILLABLE_RUN.format(data=str(ytf_dir), out=str(tmp_path))
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        pointers = list(tmp_path.glob(".net1-*.partial/checkpoint.json"))
        if pointers and int(json.loads(pointers[0].read_text())["latest"].split("-")[1]) >= 10:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    (unfinished,) = tmp_path.glob(".net1-*.partial")
    run_dir = tmp_path / unfinished.name[1:-len(".partial")]
    killed_after = int(json.loads((unfinished / "checkpoint.json").read_text())["latest"].split("-")[1])
    assert 10 <= killed_after < 200 and not run_dir.exists()

    result = subprocess.run([sys.executable, "train.py", "--resume", str(run_dir)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"resuming {run_dir} after epoch {killed_after}" in result.stdout
    config = check_run_folder(run_dir, ytf_dir)
    assert config["epochs_run"] == 200 and not unfinished.exists() and not config["interrupted"]
    rows = list(csv.DictReader((run_dir / "history.csv").open()))
    assert [int(r["epoch"]) for r in rows] == list(range(1, 201))
    assert config["seconds"] >= sum(float(r["seconds"]) for r in rows)  # the epochs before the kill count too
    assert config["command"] == "python -c"  # the command that started the run, not the --resume
    assert np.allclose([float(r["learning_rate"]) for r in rows], np.linspace(0.02, 0.002, 200), rtol=1e-5)
    assert np.allclose([float(r["momentum"]) for r in rows], np.linspace(0.9, 0.95, 200), rtol=1e-5)
    again = subprocess.run([sys.executable, "train.py", "--resume", str(run_dir)], cwd=ROOT, capture_output=True, text=True)
    assert again.returncode != 0 and "finished already" in again.stderr


@pytest.mark.jax
def test_a_group_goes_to_one_side_whole():
    rng = np.random.default_rng(0)
    keypoints = rng.uniform(0, 96, (600, 30))
    keypoints[:400, 4:20] = np.nan
    groups = rng.integers(0, 120, 600)
    is_val = split_rows(keypoints, groups=groups)
    assert all(len(set(is_val[groups == g])) == 1 for g in np.unique(groups))
    assert 0.15 < is_val[400:].mean() < 0.25 and 0.15 < is_val[:400].mean() < 0.25


def test_the_clips_split_keeps_near_identical_frames_out_of_validation(ytf_dir):
    training = load_training(ytf_dir)
    groups = near_duplicate_groups(training["images"])
    rows, clips = validation_mask(training, "rows"), validation_mask(training, "clips")
    assert len(np.unique(groups)) < 0.8 * len(groups)  # ytf-fkd: several frames per clip
    assert not set(groups[clips]) & set(groups[~clips])
    assert set(groups[rows]) & set(groups[~rows])      # the row split puts clips on both sides
    assert abs(clips.sum() - rows.sum()) < 0.05 * rows.sum()


@pytest.mark.jax
def test_a_net_with_coordinate_channels_saves_and_reloads(tmp_path):
    import keras

    import facial_keypoints.runs  # noqa: F401  registers the custom layer, as every loader does
    model = nets.load("net14").build()
    images = np.random.default_rng(0).random((2, 96, 96, 1)).astype("float32")
    model.save(tmp_path / "model.keras")
    reloaded = keras.saving.load_model(tmp_path / "model.keras")
    assert np.allclose(reloaded.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-6)


def test_a_teacher_labels_the_gaps_and_the_test_faces(net1_run, ytf_dir, tmp_path):
    out = tmp_path / "runs"
    result = subprocess.run([sys.executable, "train.py", "--net", "net1", "--epochs", "2", "--teacher", net1_run, net1_run,
                             "--data", ytf_dir, "--out", out, "--no-ledger"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (run_dir,) = out.iterdir()
    config = check_run_folder(run_dir, ytf_dir)
    training = load_training(ytf_dir)
    train_side = int((~validation_mask(training, "rows")).sum())
    assert config["train_rows"] == train_side + 769  # every training row, complete now, and the test faces
    teacher = read_config(net1_run)
    assert config["teachers"] == 2 * [{"path": str(Path(net1_run).resolve()), "net": "net1", "run": Path(net1_run).name,
                                       "commit": teacher["commit"], "val_rmse_px": teacher["val_rmse_px"], "tta": "flip"}]
    wrong = subprocess.run([sys.executable, "train.py", "--net", "net1", "--epochs", "2", "--teacher", net1_run,
                            "--split", "clips", "--data", ytf_dir, "--out", out], cwd=ROOT, capture_output=True,
                           text=True)
    assert wrong.returncode == 2 and "validated on the clips split" in wrong.stderr


def test_runs_started_in_the_same_second_reserve_two_names(tmp_path, monkeypatch):
    from facial_keypoints import runs
    from facial_keypoints.runs import unfinished_folder

    monkeypatch.setattr(runs.time, "strftime", lambda form, *args: "20260101-120000")
    first, second = runs.unused_name(tmp_path, "net1"), runs.unused_name(tmp_path, "net1")
    assert (first, second) == ("net1-20260101-120000", "net1-20260101-120000-2")
    assert unfinished_folder(tmp_path / first).is_dir() and unfinished_folder(tmp_path / second).is_dir()


def test_a_start_never_clears_a_folder_another_process_trains_in(tmp_path):
    import fcntl

    from facial_keypoints.errors import DataError
    from facial_keypoints.runs import unfinished_folder

    theirs = unfinished_folder(tmp_path / "runs" / "eye_centers")
    theirs.mkdir(parents=True)
    (theirs / "history.csv").write_text("theirs")
    handle = os.open(theirs, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the other process's lock
        with pytest.raises(DataError, match="another process is training it now"):
            train(spec("net1", "no-data-needed", short_net1_recipe()), tmp_path / "runs", name="eye_centers")
    finally:
        os.close(handle)
    assert (theirs / "history.csv").read_text() == "theirs"


def test_a_recipe_that_moves_the_x_labels_trains_on_them_and_the_run_adds_the_offset_back(ytf_dir, tmp_path):
    """Recipe.label_x_offset: without flips the net learns every x label 3 px left and the run adds the 3 px
    back; with flips the mirror turns a move round, so the run measures what to add on the real labels.
    Either way it scores as the run trained on the labels as they are."""
    for flip in (False, True):
        scores = {}
        for moved in (0.0, 3.0):
            recipe = dataclasses.replace(short_net1_recipe(), flip=flip, label_x_offset=moved)
            config = check_run_folder(train(spec("net1", ytf_dir, recipe, train_rows=512),
                                            tmp_path / f"{flip}-{moved}", verbose=0), ytf_dir)
            assert config["recipe"]["label_x_offset"] == moved
            scores[moved] = config["val_rmse_px"], config["x_offset_px"]
        assert scores[3.0][0] == pytest.approx(scores[0.0][0], rel=0.05), flip
        if not flip:
            assert scores[0.0][1] == 0.0 and scores[3.0][1] == 3.0
        else:  # measured on the real labels: about the same with or without the move
            assert abs(scores[3.0][1] - scores[0.0][1]) < 1.0 and scores[0.0][1] != 0.0
