"""The model that ships in models/shipped: what it records is what it does on a fresh clone."""
import io
import json
import os
import subprocess
import sys
import zipfile

import cv2
import h5py
import keras
import pytest
import skimage.data

from facial_keypoints.data import EMBEDDED, FAST_MODEL, SHIPPED_MODEL
from facial_keypoints.prediction import validation_rmse
from facial_keypoints.runs import read_config
from tests.conftest import ROOT

pytestmark = pytest.mark.jax


@pytest.mark.parametrize("model", [SHIPPED_MODEL, FAST_MODEL], ids=["shipped", "fast"])
def test_the_shipped_model_is_small_inference_only_and_says_how_it_was_made(model):
    config = read_config(model)
    for key in ("command", "seed", "commit", "epochs_run", "val_rmse_px", "val_rmse_px_tta", "hardware", "seconds"):
        assert config.get(key) is not None, key
    assert config["command"].startswith("python train.py --net ") and config["recipe"]["epochs"] >= config["epochs_run"]
    assert config["data"] == "data/ytf-fkd" and config["split"] == "clips"
    assert sum(p.stat().st_size for p in model.iterdir()) <= 10 * 2**20
    with zipfile.ZipFile(model / "model.keras") as archive:  # a .keras file: config + weights in HDF5
        weights = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
        assert "layers" in weights and "optimizer" not in weights  # no optimizer state shipped
    assert keras.saving.load_model(model / "model.keras").output_shape == (None, 30)


@pytest.mark.parametrize("model", [SHIPPED_MODEL, FAST_MODEL], ids=["shipped", "fast"])
def test_the_shipped_model_reproduces_its_recorded_validation_rmse(model):
    config = read_config(model)
    assert validation_rmse(model, EMBEDDED) == pytest.approx(config["val_rmse_px"], abs=2e-3)
    assert validation_rmse(model, EMBEDDED, config["tta"]) == pytest.approx(config["val_rmse_px_tta"], abs=2e-3)
    for tta, score in config["val_rmse_px_by_tta"].items():  # ship.py chose the best of these
        assert score >= config["val_rmse_px_tta"]
    assert config["val_rmse_px"] < config["mean_shape_val_rmse_px"] / 2  # far better than the mean shape


def test_predict_and_submit_use_the_shipped_model_with_no_arguments(tmp_path):
    photo = tmp_path / "astronaut.png"
    cv2.imwrite(str(photo), cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
    result = subprocess.run([sys.executable, "predict.py", photo, "--out", tmp_path], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    found = json.loads((tmp_path / "astronaut-keypoints.json").read_text())
    assert found["run"] == str(SHIPPED_MODEL) and len(found["faces"]) == 1
    out = tmp_path / "submission.csv"
    result = subprocess.run([sys.executable, "submit.py", "--out", out], cwd=ROOT, capture_output=True, text=True,
                            env={k: v for k, v in os.environ.items() if k != "FKD_DATA"})
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "RowId,Location" and len(lines) - 1 == len((EMBEDDED / "IdLookupTable.csv").read_text().splitlines()) - 1


def test_ship_replaces_a_model_folder_whole_with_the_run_scored_every_way(net1_run, tmp_path):
    from bench.ship import FILES, ship

    target = tmp_path / "models" / "shipped"
    target.mkdir(parents=True)
    (target / "stale.txt").write_text("from the model shipped before")
    scores = ship(net1_run, target)
    assert sorted(p.name for p in target.iterdir()) == sorted(FILES)  # the old folder is gone whole
    config = read_config(target)
    assert list(scores) == [None, "flip", "shift"] and config["val_rmse_px"] == scores[None]
    assert config["tta"] == min(scores, key=scores.get) and config["val_rmse_px_tta"] == min(scores.values())
    assert config["val_rmse_px_by_tta"] == {tta or "none": score for tta, score in scores.items()}
    assert config["shipped_from"] == net1_run.name
    assert validation_rmse(target, EMBEDDED) == pytest.approx(scores[None], abs=1e-6)
    assert validation_rmse(target, EMBEDDED, "shift") == pytest.approx(scores["shift"], abs=1e-6)
    with zipfile.ZipFile(target / "model.keras") as archive:
        assert "optimizer" not in h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
    assert sorted(p.name for p in target.parent.iterdir()) == ["shipped"]  # no partial or old folder left
    assert ship(target, target) == scores  # scored again in place: the same numbers, still named after its run
    assert read_config(target)["shipped_from"] == net1_run.name and sorted(p.name for p in target.iterdir()) == sorted(FILES)
