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
from facial_keypoints.training import copy_all_but_output_layer
from tests.conftest import ROOT


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
    copy_all_but_output_layer(pretrained, specialist)
    for source, layer in zip(pretrained.layers[:-1], specialist.layers[:-1]):
        for a, b in zip(source.get_weights(), layer.get_weights()):
            assert np.array_equal(a, b)
    assert specialist.layers[-1].get_weights()[0].shape == (500, 6)
    assert specialist.output_shape == (None, 6)
    with pytest.raises(DataError, match="does not have the layers"):
        copy_all_but_output_layer(nets.load("net1").build(30), specialist)


@pytest.mark.jax
def test_a_heatmap_specialist_starts_from_everything_but_the_per_keypoint_maps():
    net = nets.load("net16")
    keras.utils.set_random_seed(1)
    pretrained = net.build(30)
    keras.utils.set_random_seed(2)
    specialist = net.build(6)
    copy_all_but_output_layer(pretrained, specialist)
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
