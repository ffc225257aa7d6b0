import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


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
