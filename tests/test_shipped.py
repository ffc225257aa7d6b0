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
import numpy as np
import pytest
import skimage.data

import facial_keypoints.layers  # noqa: F401  registers SoftArgmax (models/fast) for keras.saving.load_model
from bench.ship import chosen_tta
from facial_keypoints.data import EMBEDDED, FAST_MODEL, PHOTO_MODEL, SHIPPED_MODEL, load_test
from facial_keypoints.keypoints import IMAGE_SIZE
from facial_keypoints.ledger import append_run, read
from facial_keypoints.prediction import validation_rmse
from facial_keypoints.runs import read_config
from tests.conftest import ROOT

pytestmark = pytest.mark.jax
MODELS, IDS = [SHIPPED_MODEL, PHOTO_MODEL, FAST_MODEL], ["shipped", "photos", "fast"]


@pytest.mark.parametrize("model", MODELS, ids=IDS)
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


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_the_shipped_model_reproduces_its_recorded_validation_rmse(model):
    config = read_config(model)
    by_tta = config["val_rmse_px_by_tta"]  # bench/ship.py scored it every way and recorded the best
    assert sorted(by_tta) == ["flip", "none", "shift"]
    fresh = {tta: validation_rmse(model, EMBEDDED, None if tta == "none" else tta) for tta in by_tta}
    assert "x_offset_px" in config  # measured when it was trained, or by bench/ship.py for a run from before
    assert fresh[config["tta"]] == pytest.approx(config["val_rmse_px_tta"], abs=2e-3)
    for tta, score in by_tta.items():
        assert fresh[tta] == pytest.approx(score, abs=2e-3), tta
    recorded = {None if tta == "none" else tta: score for tta, score in by_tta.items()}
    assert config["tta"] == chosen_tta(recorded) and config["val_rmse_px_tta"] == recorded[config["tta"]]
    assert chosen_tta({None if t == "none" else t: v for t, v in fresh.items()}) == config["tta"]  # still its choice
    assert config["val_rmse_px"] < config["mean_shape_val_rmse_px"] / 2  # far better than the mean shape


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_the_ledger_row_of_the_shipped_models_training_says_what_its_config_says(model, tmp_path):
    """The row train.py added to results/runs.csv for the run shipped here: the row its config.json gives."""
    config = read_config(model)
    ledger = read(ROOT / "results" / "runs.csv")
    (row,) = ledger[(ledger["commit"] == config["commit"]) & (ledger["command"] == config["command"])].to_dict("records")
    append_run(tmp_path / "runs.csv", config)
    (expected,) = read(tmp_path / "runs.csv").to_dict("records")
    assert row.pop("backend") == config["backend"]
    for field in ("date", "backend"):  # when it was appended; the backend of this test session
        expected.pop(field), row.pop(field, None)
    assert row == expected and float(row["val_rmse_px"]) == pytest.approx(config["val_rmse_px"], abs=5e-5)


def test_predict_uses_the_photo_model_and_submit_the_shipped_one_with_no_arguments(tmp_path):
    photo = tmp_path / "astronaut.png"
    cv2.imwrite(str(photo), cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
    result = subprocess.run([sys.executable, "predict.py", photo, "--out", tmp_path], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    found = json.loads((tmp_path / "astronaut-keypoints.json").read_text())
    assert found["run"] == str(PHOTO_MODEL) and len(found["faces"]) == 1
    out = tmp_path / "submission.csv"
    result = subprocess.run([sys.executable, "submit.py", "--out", out], cwd=ROOT, capture_output=True, text=True,
                            env={k: v for k, v in os.environ.items() if k != "FKD_DATA"})
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "RowId,Location" and len(lines) - 1 == len((EMBEDDED / "IdLookupTable.csv").read_text().splitlines()) - 1


def test_ship_replaces_a_model_folder_whole_with_the_run_scored_every_way(net1_run, tmp_path):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("bench/ship.py writes the int8 TFLite file, which TensorFlow's converter makes")
    from bench.ship import FILES, ship

    target = tmp_path / "models" / "shipped"
    target.mkdir(parents=True)
    (target / "stale.txt").write_text("from the model shipped before")
    scores = ship(net1_run, target)
    shipped = sorted([*FILES, "model-int8.tflite"])
    assert sorted(p.name for p in target.iterdir()) == shipped  # the old folder is gone whole
    config = read_config(target)
    assert list(scores) == [None, "flip", "shift"] and config["val_rmse_px"] == pytest.approx(scores[None], abs=1e-6)
    assert config["tta"] == chosen_tta(scores) and config["val_rmse_px_tta"] == scores[config["tta"]]
    assert abs(config["val_rmse_px_int8"] - scores[None]) < 0.02  # the photo pipeline's int8 file, checked
    from facial_keypoints.faces import net_predictor
    from facial_keypoints.prediction import load_full_predictor
    faces = load_test(EMBEDDED)["images"][:16][..., None] / np.float32(255)
    assert np.abs(net_predictor(target)(faces) - load_full_predictor(target)(faces)).max() * 48 < 0.5
    assert config["val_rmse_px_by_tta"] == {tta or "none": score for tta, score in scores.items()}
    assert config["shipped_from"] == net1_run.name
    assert validation_rmse(target, EMBEDDED) == pytest.approx(scores[None], abs=1e-6)
    assert validation_rmse(target, EMBEDDED, "shift") == pytest.approx(scores["shift"], abs=1e-6)
    with zipfile.ZipFile(target / "model.keras") as archive:
        assert "optimizer" not in h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
    assert sorted(p.name for p in target.parent.iterdir()) == ["shipped"]  # no partial or old folder left
    assert ship(target, target) == scores  # scored again in place: the same numbers, still named after its run
    assert read_config(target)["shipped_from"] == net1_run.name and sorted(p.name for p in target.iterdir()) == shipped


def test_the_recorded_tta_is_the_cheapest_within_half_a_percent_of_the_best():
    assert chosen_tta({None: 1.324, "flip": 1.316, "shift": 1.3132}) == "flip"  # shift: 9x flip's time for 0.2%
    assert chosen_tta({None: 1.40, "flip": 1.35, "shift": 1.30}) == "shift"
    assert chosen_tta({None: 1.300, "flip": 1.299, "shift": 1.298}) is None


def moved(images, angle, factor, dx, dy):
    """The faces rotated by angle degrees and scaled by factor about the crop's centre, then shifted (pixels);
    the affine map of pixel-centre coordinates (2, 3) that moved them."""
    centre = (IMAGE_SIZE - 1) / 2
    matrix = cv2.getRotationMatrix2D((centre, centre), angle, factor)
    matrix[:, 2] += (dx, dy)
    warped = [cv2.warpAffine(face, matrix, (IMAGE_SIZE, IMAGE_SIZE), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE) for face in images]
    return np.stack(warped), matrix


def follow(model, images, angle, factor, dx, dy):
    """How far a model's points move with the faces (1: all the way): the projection of the points' move on
    the move the transform makes of the first prediction."""
    from facial_keypoints.prediction import load_predictor, predict_pixels
    predict, columns = load_predictor(model)
    before = predict_pixels(predict, images, columns).reshape(len(images), -1, 2)
    warped, matrix = moved(images, angle, factor, dx, dy)
    after = predict_pixels(predict, warped, columns).reshape(len(images), -1, 2)
    expected = before @ matrix[:, :2].T + matrix[:, 2]
    return np.sum((after - before) * (expected - before)) / np.sum((expected - before) ** 2)


@pytest.mark.parametrize("angle, factor, dx, dy", [(0, 1, 4.8, 0), (0, 1, 0, -4.8), (10, 1, 0, 0), (-10, 1, 0, 0),
                                                   (0, 1.1, 0, 0)], ids=["right-5%", "up-5%", "rotate-10", "rotate+10",
                                                                          "zoom-10%"])
def test_the_photo_models_follow_a_face_that_moves_rotates_or_grows_in_its_crop(angle, factor, dx, dy):
    """What a detector's box and a re-cut do to a face. The crop-trained shipped net follows a 5% move by about
    nothing (-0.12 to the right); the photo models (models/photos, models/fast: augmented) must follow every
    move at least half the way and far better than it. (The photos issue asks 0.9; measured in docs/photos.md.)"""
    from facial_keypoints.data import load_training
    from facial_keypoints.prediction import validation_faces
    images = validation_faces(load_training(EMBEDDED), PHOTO_MODEL)[0][::8][:48]
    crop_trained = follow(SHIPPED_MODEL, images, angle, factor, dx, dy)
    for model in (PHOTO_MODEL, FAST_MODEL):
        followed = follow(model, images, angle, factor, dx, dy)
        assert followed >= 0.5 and followed > crop_trained + 0.05, (model.name, followed, crop_trained)
