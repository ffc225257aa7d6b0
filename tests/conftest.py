import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Parsed-array caches of a test session go to a temporary folder, not the user's ~/.cache."""
    os.environ["FKD_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def ytf_dir():
    """The benchmark data: $FKD_DATA, else ../shared/data/ytf-fkd beside the checkout."""
    path = Path(os.environ.get("FKD_DATA") or ROOT.parent / "shared" / "data" / "ytf-fkd")
    if not (path / "training.zip").is_file():
        pytest.skip(f"no ytf-fkd data at {path}")
    return path


@pytest.fixture(scope="session")
def kaggle_dir():
    path = ROOT.parent / "shared" / "data" / "kaggle-fkd"
    if not (path / "IdLookupTable.csv").is_file():
        pytest.skip(f"no Kaggle label files at {path}")
    return path


@pytest.fixture(scope="session")
def net1_run(ytf_dir, tmp_path_factory):
    """A real net1 run folder on ytf-fkd, short enough for a test but already better than the mean shape."""
    import dataclasses

    import nets
    from facial_keypoints.training import train

    net = nets.load("net1")
    recipe = dataclasses.replace(net.RECIPE, epochs=40, batch_size=32, momentum=(0.99, 0.99))
    return train(net, ytf_dir, tmp_path_factory.mktemp("runs"), recipe, verbose=0)
