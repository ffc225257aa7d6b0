"""runs.py: a run folder whose model.keras or config.json is damaged is named, with what to do, in one line,
by the library and by the scripts that read it."""
import shutil

import pytest

from facial_keypoints.errors import DataError
from facial_keypoints.runs import load_run, read_config
from tests.conftest import run_script


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


def with_model_config(run, change):
    """run's model.keras rewritten with its config.json changed by change(config)."""
    import json
    import zipfile

    path = run / "model.keras"
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(files["config.json"])
    change(config)
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("module, name", [("os", "system"), ("builtins", "eval"), ("keras.layers", "NoSuchLayer")])
def test_a_model_naming_a_hostile_or_unknown_class_is_refused_in_one_line(copy_of, module, name):
    run = copy_of()
    with_model_config(run, lambda config: config.update(module=module, class_name=name, registered_name=None))
    with pytest.raises(DataError, match=r"model\.keras: could not be loaded \(.*\); the run folder is damaged") as e:
        load_run(run)
    assert "\n" not in str(e.value)
