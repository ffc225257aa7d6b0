"""What the tests share: the data folders, a trained net1 run, small Kaggle files written on the spot,
and run_script, which runs a script in this process as `python SCRIPT ARGS` would (for speed)."""
import importlib
import os
import runpy
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from facial_keypoints.keypoints import COLUMNS  # noqa: E402  after the backend is chosen

HEADER = ",".join(COLUMNS) + ",Image"


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Parsed-array caches of a test session go to a temporary folder, not the user's ~/.cache."""
    os.environ["FKD_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["FKD_LEDGER"] = str(tmp_path_factory.mktemp("ledger") / "runs.csv")  # not the repository's ledger


@pytest.fixture(scope="session")
def ytf_dir():
    """The real faces that ship with the repository (data/ytf-fkd)."""
    from facial_keypoints.data import EMBEDDED
    return EMBEDDED


@pytest.fixture(scope="session")
def kaggle_dir():
    """Kaggle's own lookup table, sample submission and label rows (data/kaggle-fkd; no pixels)."""
    return ROOT / "data" / "kaggle-fkd"


def write(path, text):
    """path, with text written to it."""
    path.write_text(text)
    return path


# Small Kaggle files: training.csv rows of random pixels and keypoints, seeded so a test can rebuild them.

def pixels(seed=0, count=9216):
    """An Image cell: count gray values, space-separated."""
    return " ".join(map(str, np.random.default_rng(seed).integers(0, 256, count)))


def keypoint_cells(seed=0, missing=()):
    """The 30 keypoint cells of a row, those at the indices in missing left empty."""
    values = np.random.default_rng(seed).uniform(10, 86, 30)
    return ["" if i in missing else f"{v:.10g}" for i, v in enumerate(values)]


def write_training(folder, rows, header=HEADER, zipped=False):
    """folder/training.csv (or training.zip holding it) of rows, each a list of cells."""
    text = header + "\n" + "".join(",".join(row) + "\n" for row in rows)
    if zipped:
        with zipfile.ZipFile(folder / "training.zip", "w") as archive:
            archive.writestr("training.csv", text)
    else:
        (folder / "training.csv").write_text(text)


def good_rows(n=3):
    """n valid rows; row 1 lacks keypoints 4..19."""
    return [keypoint_cells(i, missing=range(4, 20) if i == 1 else ()) + [pixels(i)] for i in range(n)]


def tiny_data(folder, complete, incomplete=0):
    """A new data folder whose training.csv has complete rows, then incomplete ones (no left eye centre)."""
    rows = [keypoint_cells(i) + [pixels(i)] for i in range(complete)]
    rows += [keypoint_cells(i, missing=(0, 1)) + [pixels(i)] for i in range(complete, complete + incomplete)]
    folder.mkdir()
    write_training(folder, rows)
    return folder


# Runs.

def spec(net, data, recipe=None, **fields):
    """The RunSpec of nets/NET.py with its recipe (or `recipe`) on `data`; fields: RunSpec's others."""
    import nets
    from facial_keypoints.recipe import RunSpec
    return RunSpec(net=net, recipe=recipe or nets.load(net).RECIPE, data=str(data), **fields)


def short_net1_recipe():
    """net1 for 40 epochs, small batches and high momentum: already better than the mean shape."""
    import dataclasses

    import nets
    return dataclasses.replace(nets.load("net1").RECIPE, epochs=40, batch_size=32, momentum=(0.99, 0.99))


@pytest.fixture(scope="session")
def net1_run(ytf_dir, tmp_path_factory):
    """A real net1 run folder on ytf-fkd (the default, fast pipeline)."""
    from facial_keypoints.training import train

    return train(spec("net1", ytf_dir, short_net1_recipe()), tmp_path_factory.mktemp("runs"), verbose=0)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """(run folder, data folder): net1 trained for one epoch on 5 rows. Tests read it; copy it to change it."""
    import dataclasses

    import nets
    from facial_keypoints.training import train

    folder = tmp_path_factory.mktemp("tiny")
    data = tiny_data(folder / "data", 5)
    recipe = dataclasses.replace(nets.load("net1").RECIPE, epochs=1)
    return train(spec("net1", data, recipe), folder / "runs", verbose=0), data


# Scripts.

class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_script(capsys, script, *args):
    """(returncode, stdout, stderr) of ROOT/script (or "-m module") run with args; sys.exit("error: ...") gives 1."""
    capsys.readouterr()
    module = script.removeprefix("-m ") if script.startswith("-m ") else None
    argv, sys.argv = sys.argv, [module or str(ROOT / script), *map(str, args)]
    code = 0
    try:
        if module:  # as its `if __name__ == "__main__": errors.run(main)` does, in the module the tests may patch
            from facial_keypoints import errors
            errors.run(importlib.import_module(module).main)
        else:
            runpy.run_path(str(ROOT / script), run_name="__main__")
    except SystemExit as exit_:
        if isinstance(exit_.code, str):
            print(exit_.code, file=sys.stderr)
            code = 1
        else:
            code = exit_.code or 0
    except KeyboardInterrupt:  # not caught by the script: a Python traceback, not exit status 130
        print("Traceback: KeyboardInterrupt", file=sys.stderr)
        code = -2
    finally:
        sys.argv = argv
    out, err = capsys.readouterr()
    return Result(code, out, err)
