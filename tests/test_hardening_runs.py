"""Issue 18: damaged run files are named with what to do; specialists.py checks everything before it
writes its manifest; group names from a manifest are checked before they become paths."""
import dataclasses
import json
import shutil

import pytest

import nets
from facial_keypoints.errors import DataError
from facial_keypoints.prediction import load_predictor
from facial_keypoints.runs import load_run, read_config
from tests.conftest import spec
from tests.hardening import run_script
from tests.test_hardening_train import tiny_data


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A net1 run folder trained for one epoch on 5 rows, and its data folder."""
    from facial_keypoints.training import train

    folder = tmp_path_factory.mktemp("tiny")
    data = tiny_data(folder / "data", 5)
    recipe = dataclasses.replace(nets.load("net1").RECIPE, epochs=1)
    return train(spec("net1", data, recipe), folder / "runs", verbose=0), data


@pytest.fixture
def copy_of(tiny_run, tmp_path):
    def copy():
        target = tmp_path / "run"
        shutil.copytree(tiny_run[0], target)
        return target
    return copy


@pytest.mark.parametrize("damage", ["half", "empty", "junk"])
def test_a_damaged_model_file_is_named_not_called_missing(copy_of, damage, capsys):
    run = copy_of()
    data = (run / "model.keras").read_bytes()
    (run / "model.keras").write_bytes({"half": data[:len(data) // 2], "empty": b"", "junk": b"hello"}[damage])
    with pytest.raises(DataError, match=r"model\.keras: damaged.*train it again") as error:
        load_run(run)
    assert "\n" not in str(error.value) and "not found" not in str(error.value)
    result = run_script(capsys, "submit.py", "--run", run, "--data", tiny_run_data(run), "--out", run / "sub.csv")
    assert result.returncode == 1 and "model.keras: damaged" in result.stderr and "Traceback" not in result.stderr


def tiny_run_data(run):
    return run.parent  # any folder: the run is loaded (and fails) before the data are needed


@pytest.mark.parametrize("text", ['{"net": "net1", ', "", "[1, 2]", "\xff\xfe"])
def test_a_broken_config_is_named(copy_of, text):
    run = copy_of()
    (run / "config.json").write_bytes(text.encode("latin-1"))
    with pytest.raises(DataError, match=r"config\.json: damaged.*train it again"):
        read_config(run)


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


def test_a_damaged_checkpoint_pointer_is_named(tmp_path, capsys):
    unfinished = tmp_path / ".net1-x.partial"
    unfinished.mkdir()
    (unfinished / "checkpoint.json").write_text('{"latest": "../../somewhere"}')
    result = run_script(capsys, "train.py", "--resume", tmp_path / "net1-x")
    assert result.returncode == 1 and "checkpoint.json: damaged" in result.stderr and "Traceback" not in result.stderr
    (unfinished / "checkpoint.json").write_text('{"latest": ')
    result = run_script(capsys, "train.py", "--resume", tmp_path / "net1-x")
    assert result.returncode == 1 and "not readable JSON" in result.stderr and "without --resume" in result.stderr


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
                                           (["--only", "nose,ears"], "--only: no group 'ears'")])
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
