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


def short_net1_recipe():
    """net1 for 40 epochs, small batches and high momentum: already better than the mean shape."""
    import dataclasses

    import nets
    return dataclasses.replace(nets.load("net1").RECIPE, epochs=40, batch_size=32, momentum=(0.99, 0.99))


@pytest.fixture(scope="session")
def net1_run(ytf_dir, tmp_path_factory):
    """A real net1 run folder on ytf-fkd (the default, fast pipeline)."""
    import nets
    from facial_keypoints.training import train

    return train(nets.load("net1"), ytf_dir, tmp_path_factory.mktemp("runs"), short_net1_recipe(), verbose=0)
