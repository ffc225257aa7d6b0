"""groups.py and specialists.py: Nouri's keypoint groups, a specialist started from a pretrained net, the
groups' outputs put back together; a specialists folder's manifest checked before its group names become
paths; and the script, which checks everything before it writes its manifest, then trains, resumes and
submits."""
import json
import subprocess
import sys
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest

import nets
from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS, mirror_name, mirror_permutation
from facial_keypoints.groups import SPECIALIST_SETTINGS, aggregate, default_epochs, group_columns
from facial_keypoints.prediction import load_predictor
from facial_keypoints.training import copy_weights
from tests.conftest import ROOT, run_script, tiny_data


@pytest.mark.jax
@pytest.mark.parametrize("settings", list(SPECIALIST_SETTINGS))
def test_groups_cover_every_column_once_and_flip_by_name(settings):
    groups = SPECIALIST_SETTINGS[settings]
    columns = [c for keypoints in groups.values() for c in group_columns(keypoints)]
    assert sorted(columns) == sorted(COLUMNS)
    for keypoints in groups.values():
        group = group_columns(keypoints)
        partner = [group[i] for i in mirror_permutation(group)]
        assert partner == [mirror_name(c) for c in group]
        # an eye corner is never paired with an eyebrow (the study's defect), nor x with y
        assert all(c.replace("left", "").replace("right", "") == p.replace("left", "").replace("right", "")
                   for c, p in zip(group, partner))


@pytest.mark.jax
def test_nouri_groups_and_the_study_groups():
    nouri = SPECIALIST_SETTINGS["nouri6"]
    assert [len(group_columns(k)) for k in nouri.values()] == [4, 2, 6, 2, 8, 8]
    study = SPECIALIST_SETTINGS["study2"]
    assert [len(group_columns(k)) for k in study.values()] == [8, 22]
    assert default_epochs(2000, pretrained=True) == 2000 and default_epochs(2000, pretrained=False) == 5000
    assert default_epochs(3000, pretrained=True, scale=0.5) == 666


@pytest.mark.jax
def test_specialist_starts_from_the_pretrained_weights_except_the_output_layer():
    net = nets.load("net2")
    keras.utils.set_random_seed(1)
    pretrained = net.build(30)
    keras.utils.set_random_seed(2)
    specialist = net.build(6)
    copy_weights(pretrained, specialist)
    for source, layer in zip(pretrained.layers[:-1], specialist.layers[:-1]):
        for a, b in zip(source.get_weights(), layer.get_weights()):
            assert np.array_equal(a, b)
    assert specialist.layers[-1].get_weights()[0].shape == (500, 6)
    assert specialist.output_shape == (None, 6)
    with pytest.raises(DataError, match="does not have the layers"):
        copy_weights(nets.load("net1").build(30), specialist)


@pytest.mark.jax
def test_a_heatmap_specialist_starts_from_everything_but_the_per_keypoint_maps():
    net = nets.load("net16")
    keras.utils.set_random_seed(1)
    pretrained = net.build(30)
    keras.utils.set_random_seed(2)
    specialist = net.build(6)
    copy_weights(pretrained, specialist)
    maps = [i for i, layer in enumerate(specialist.layers) if layer.weights][-1]
    for i, (source, layer) in enumerate(zip(pretrained.layers, specialist.layers)):
        for a, b in zip(source.get_weights(), layer.get_weights()):
            assert np.array_equal(a, b) != (i == maps)
    assert specialist.layers[maps].get_weights()[0].shape[-1] == 3 and specialist.output_shape == (None, 6)


@pytest.mark.jax
def test_aggregation_puts_each_specialist_output_in_its_column():
    groups = SPECIALIST_SETTINGS["nouri6"].values()

    def fake(columns):  # outputs the column index of each of its columns
        return lambda inputs: np.tile([COLUMNS.index(c) for c in columns], (len(inputs), 1))
    parts = [(group_columns(k), fake(group_columns(k))) for k in groups]
    predicted = aggregate(parts)(np.zeros((3, 96, 96, 1)))
    assert np.array_equal(predicted, np.tile(np.arange(30), (3, 1)))
    with pytest.raises(DataError, match="predicted by two specialists"):
        aggregate(parts + parts[:1])
    with pytest.raises(DataError, match="no specialist predicts left_eyebrow_inner_end_x"):
        aggregate(parts[:-1])


def run(*args):
    return subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, capture_output=True, text=True)


def test_specialists_resume_after_a_partial_run_and_submit(net1_run, ytf_dir, tmp_path):
    folder = tmp_path / "specialists"
    common = ["--pretrained", net1_run, "--data", ytf_dir, "--out", folder, "--epochs-scale", "0.002"]
    first = run("specialists.py", *common, "--only", "eye_centers,nose,mouth")
    assert first.returncode == 0, first.stderr
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["eye_centers", "mouth", "nose"]
    weights = folder / "pretrained.weights.h5"  # the start of every specialist: weights only, no optimizer
    with h5py.File(weights) as saved:
        assert "layers" in saved and "optimizer" not in saved
    assert weights.stat().st_size < (Path(net1_run) / "model.keras").stat().st_size
    assert run("submit.py", "--run", folder, "--data", ytf_dir).returncode != 0  # not all trained yet
    stamps = {g: (folder / g / "model.keras").stat().st_mtime_ns for g in ("eye_centers", "nose", "mouth")}

    second = run("specialists.py", *common)
    assert second.returncode == 0, second.stderr
    assert "nose: done already" in second.stdout and "trained 3 specialists" in second.stdout
    assert stamps == {g: (folder / g / "model.keras").stat().st_mtime_ns for g in stamps}
    config = json.loads((folder / "mouth" / "config.json").read_text())
    assert config["columns"] == group_columns(SPECIALIST_SETTINGS["nouri6"]["mouth"])
    assert config["train_rows"] > 800  # its own rows, not only the complete ones (827 train rows)
    scores = json.loads((folder / "scores.json").read_text())
    assert set(scores["val_rmse_px"]) == {"specialists", "single net"} and scores["val_rows"] == 207
    assert (folder / "keypoint_rmse.csv").read_text().count("\n") == 17

    submission = run("submit.py", "--run", folder, "--data", ytf_dir, "--out", tmp_path / "sub.csv", "--tta", "flip")
    assert submission.returncode == 0, submission.stderr
    one = run("submit.py", "--run", folder / "nose", "--data", ytf_dir)
    assert one.returncode != 0 and "predicts 2 of the 30 columns" in one.stderr
    changed = run("specialists.py", *common[:-1], "0.01")
    assert changed.returncode != 0 and "another epochs_scale" in changed.stderr
    other_split = run("specialists.py", *common, "--split", "clips")
    assert other_split.returncode == 1 and "leave out --split" in other_split.stderr
    assert json.loads((folder / "manifest.json").read_text())["split"] == "rows"  # the pretrained run's


@pytest.mark.parametrize("manifest, message", [
    ('{"groups": ["nose"', "manifest.json: damaged, not readable JSON"),
    ('{"groups": ["../../etc"]}', "group '../../etc' is not a plain name"),
    ('{"groups": ["/tmp/x"]}', "group '/tmp/x' is not a plain name"),
    ('{"groups": "nose"}', "expected a list of groups"),
])
def test_a_broken_specialists_manifest_is_named_before_any_path_is_made(tmp_path, manifest, message):
    (tmp_path / "manifest.json").write_text(manifest)
    with pytest.raises(DataError, match=message):
        load_predictor(tmp_path)


def test_specialists_with_a_net_that_does_not_fit_the_pretrained_run_write_nothing(tiny_run, tmp_path, capsys):
    run, data = tiny_run
    out = tmp_path / "specialists"
    result = run_script(capsys, "specialists.py", "--pretrained", run, "--net", "net2", "--data", data, "--out", out)
    assert result.returncode == 1 and "does not have the layers" in result.stderr, result.stderr
    assert not out.exists()


def test_specialists_with_too_few_rows_for_a_group_write_nothing(tiny_run, tmp_path, capsys):
    run, _ = tiny_run
    data = tiny_data(tmp_path / "data", 2)
    out = tmp_path / "specialists"
    result = run_script(capsys, "specialists.py", "--pretrained", run, "--data", data, "--out", out)
    assert result.returncode == 1 and "at least 3 complete rows" in result.stderr, result.stderr
    assert not out.exists()


@pytest.mark.parametrize("args, message", [(["--jobs", "0"], "--jobs: expected a whole number of at least 1"),
                                           (["--epochs-scale", "0"], "--epochs-scale: expected a positive number"),
                                           (["--only", "nose,ears"], "--only: no group 'ears'"),
                                           (["--seed", "-1"], "--seed: expected a whole number in 0..4294967295")])
def test_specialists_bad_arguments_write_nothing(tiny_run, tmp_path, capsys, args, message):
    run, data = tiny_run
    out = tmp_path / "specialists"
    result = run_script(capsys, "specialists.py", "--pretrained", run, "--data", data, "--out", out, *args)
    assert result.returncode == 2 and message in result.stderr
    assert not out.exists()


def test_specialists_out_of_the_wrong_kind(tiny_run, tmp_path, capsys):
    run, data = tiny_run
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    result = run_script(capsys, "specialists.py", "--pretrained", run, "--data", data, "--out", a_file)
    assert result.returncode == 1 and f"--out {a_file}: is a file; expected a folder" in result.stderr


def test_specialists_still_train_and_report_after_the_checks(tiny_run, tmp_path, capsys):
    run, _ = tiny_run
    data = tiny_data(tmp_path / "data", 8)
    out = tmp_path / "specialists"
    result = run_script(capsys, "specialists.py", "--pretrained", run, "--data", data, "--out", out,
                        "--groups", "study2", "--epochs-scale", "1e-9")
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "manifest.json").read_text())["groups"] == ["four_points", "the_rest"]
    assert (out / "scores.json").is_file()


def test_an_epochs_scale_beyond_any_schedule_writes_nothing(tiny_run, tmp_path, capsys):
    run, data = tiny_run
    out = tmp_path / "specialists"
    result = run_script(capsys, "specialists.py", "--pretrained", run, "--data", data, "--out", out,
                        "--epochs-scale", "1e12")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "--epochs-scale 1e+12 gives eye_centers 800,000,000,000,000,000 epochs; at most 1,000,000" in result.stderr
    assert not out.exists()


def test_out_onto_a_folder_that_is_not_a_specialists_folder_is_refused(tiny_run, tmp_path, capsys):
    import shutil

    run, data = tiny_run
    other_run = shutil.copytree(run, tmp_path / "net1-mine")
    before = sorted(p.name for p in other_run.iterdir())
    result = run_script(capsys, "specialists.py", "--pretrained", run, "--data", data, "--out", other_run)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"error: --out {other_run}: holds files but is not a specialists folder" in result.stderr
    assert sorted(p.name for p in other_run.iterdir()) == before


def test_a_pretrained_run_whose_model_has_fewer_outputs_writes_nothing(tiny_run, tmp_path, capsys):
    import shutil

    from facial_keypoints.runs import save_inference_model

    run, data = tiny_run
    forged = shutil.copytree(run, tmp_path / "net1-forged")  # config.json: 30 columns; model.keras: 4 outputs
    save_inference_model(nets.load("net1").build(4), forged / "model.keras")
    out = tmp_path / "specialists"
    result = run_script(capsys, "specialists.py", "--pretrained", forged, "--data", data, "--out", out)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "model.keras predicts 4 values, but config.json lists 30 columns" in result.stderr
    assert not out.exists()


CHILD = """import pathlib, signal, sys
folder, group = pathlib.Path(sys.argv[1]), sys.argv[2]
def stop(signum, frame):
    (folder / f"{group}.stopped").write_text(str(signum))
    sys.exit(130)
signal.signal(signal.SIGTERM, stop)
(folder / f"{group}.started").write_text("")
while True:
    signal.pause()
"""
PARENT = """import sys
sys.path.insert(0, {root!r})
from facial_keypoints import errors, groups
commands = {{group: [sys.executable, "-c", {child!r}, {folder!r}, group] for group in "abc"}}
errors.run(lambda: groups.run_processes(commands, jobs=2))
"""


def test_sigterm_to_specialists_jobs_reaches_every_running_one_and_starts_no_other(tmp_path):
    """groups.run_processes, which specialists.py --jobs N runs its specialists with."""
    import signal
    import time

    parent = subprocess.Popen([sys.executable, "-c", PARENT.format(root=str(ROOT), child=CHILD, folder=str(tmp_path))],
                              cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    while not ((tmp_path / "a.started").exists() and (tmp_path / "b.started").exists()):  # both running
        assert parent.poll() is None, parent.stderr.read()
        time.sleep(0.01)
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=120) == 130
    assert "SIGTERM: the running specialists stopped and saved themselves" in parent.stderr.read()
    assert [(tmp_path / f"{g}.stopped").read_text() for g in "ab"] == [str(int(signal.SIGTERM))] * 2
    assert not (tmp_path / "c.started").exists()
