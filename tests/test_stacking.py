"""stacking.py, bench/stack.py and --with-peers: the closed-form weights recover a known blend and are clipped;
a face a peer missed takes the other peer's points, one both missed ours; stack.json is written, read back and
applied exactly; a missing stack.json or missing peers' packages is one line; a short real fit (dlib and
MediaPipe, skipped without them) beats the mean shape and both of its members on the faces it was fitted on."""
import json

import numpy as np
import pytest

from facial_keypoints.data import EMBEDDED, SHIPPED_MODEL, load_training
from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS, IMAGE_SIZE, KEYPOINTS
from facial_keypoints.metrics import rmse
from facial_keypoints.stacking import (STACK_FILE, Stack, average_peers, blend, fit_stack, fit_weights, out_of_fold,
                                       read_stack, some, write_stack)
from tests.conftest import run_script

IDENTITY = np.tile(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), (len(KEYPOINTS), 1, 1))


class FakePeer:
    """A peer whose landmarks are the 15 points themselves, looked up by the face's first pixel (a face number),
    moved by the setting `dx`; NaN where it 'misses' the face."""
    name, chosen = "fake", {"dx": 0.0}
    mapping = {point: (i,) for i, point in enumerate(KEYPOINTS)}

    def __init__(self, points):
        self.points = points  # (faces, 30)

    def session(self, dx):
        def landmarks(image):
            return self.points[int(image[0, 0])].reshape(-1, 2) + [dx, 0.0]
        return landmarks, lambda: None


def faces(count):
    """uint8 faces whose first pixel numbers them (FakePeer's key)."""
    return np.repeat(np.arange(count, dtype=np.uint8), IMAGE_SIZE * IMAGE_SIZE).reshape(count, IMAGE_SIZE, IMAGE_SIZE)


def record_of(weights, settings=({"dx": 0.0}, {"dx": 0.0}), calibrations=(IDENTITY, IDENTITY)):
    return {"run": "runs/x", "split": "clips", "tta": "shift", "weights": [float(w) for w in weights],
            "peers": [{"key": key, "name": key, "settings": dict(s), "calibration": np.asarray(c).tolist()}
                      for key, s, c in zip(("dlib", "mediapipe"), settings, calibrations)]}


@pytest.mark.jax
def test_the_closed_form_weights_recover_a_known_blend_despite_missing_labels():
    rng = np.random.default_rng(0)
    ours, peers = rng.uniform(10, 86, (50, 30)), rng.uniform(10, 86, (50, 30))
    w = rng.uniform(0, 1, 30)
    true = blend(ours, peers, w)
    true[rng.random(true.shape) < 0.3] = np.nan  # a label missing: that row leaves that column's fit
    assert np.allclose(fit_weights(ours, peers, true), w, atol=1e-12)


@pytest.mark.jax
def test_the_weights_are_clipped_to_0_1_and_a_column_where_both_agree_gets_one_half():
    ours, peers = np.zeros((4, 30)), np.ones((4, 30))
    true = np.zeros((4, 30))
    true[:, 0], true[:, 1], true[:, 2] = -1.0, 2.0, 0.25  # beyond ours: w 2 -> 1; beyond peers: -1 -> 0
    ours[:, 3] = peers[:, 3] = 5.0
    weights = fit_weights(ours, peers, true)
    assert weights[0] == 1.0 and weights[1] == 0.0 and weights[2] == 0.75 and weights[3] == 0.5
    assert (weights[4:] == 1.0).all()  # true == ours


@pytest.mark.jax
def test_a_face_one_peer_missed_takes_the_others_points_and_one_both_missed_takes_ours():
    ours = np.full((3, 30), 7.0)
    a, b = np.full((3, 30), 1.0), np.full((3, 30), 3.0)
    a[1], a[2], b[2] = np.nan, np.nan, np.nan
    assert (average_peers([a, b], ours) == np.array([[2.0] * 30, [3.0] * 30, [7.0] * 30])).all()


@pytest.mark.jax
def test_out_of_fold_keeps_each_group_on_one_side_and_recovers_a_noiseless_blend():
    rng = np.random.default_rng(1)
    ours, peers = rng.uniform(10, 86, (40, 30)), rng.uniform(10, 86, (40, 30))
    true = blend(ours, peers, rng.uniform(0, 1, 30))
    stacked, scores = out_of_fold(ours, peers, true, np.repeat(np.arange(8), 5))
    assert len(scores) == 2 and np.allclose(stacked, true) and max(scores) < 1e-9
    with pytest.raises(DataError, match="2 groups or more"):
        out_of_fold(ours, peers, true, np.zeros(40))


@pytest.mark.jax
def test_stack_json_round_trip_and_its_application_is_the_blend_of_the_calibrated_peers(tmp_path):
    rng = np.random.default_rng(2)
    ours, a, b = (rng.uniform(10, 86, (4, 30)) for _ in range(3))
    a[1], b[2], a[3], b[3] = (np.nan,) * 4  # face 1: a missed; face 2: b missed; face 3: both
    shift = IDENTITY.copy()
    shift[:, 2] = [2.0, -1.0]  # calibration of b: every point moved by (2, -1)
    weights = rng.uniform(0, 1, 30)
    record = record_of(weights, ({"dx": 0.0}, {"dx": 0.5}), (IDENTITY, shift))
    path = write_stack(tmp_path, record)
    assert path == tmp_path / STACK_FILE and read_stack(tmp_path) == json.loads(json.dumps(record))
    peers = {"dlib": FakePeer(a), "mediapipe": FakePeer(b)}
    stacked = Stack(read_stack(tmp_path), make_peer=peers.get)(faces(4), ours)
    b_calibrated = b + np.tile([2.5, -1.0], 15)  # its setting dx 0.5, then its calibration
    expected = [(a[0] + b_calibrated[0]) / 2, b_calibrated[1], a[2], ours[3]]
    assert np.allclose(stacked, blend(ours, np.array(expected), weights), atol=1e-12)
    assert stacked[3].tolist() == ours[3].tolist()  # both missed: the stack is ours


@pytest.mark.jax
@pytest.mark.parametrize("change, message", [
    (lambda r: r.pop("weights"), "malformed"), (lambda r: r["weights"].append(0.5), "30 weights"),
    (lambda r: r["weights"].__setitem__(0, 1.5), "in \\[0, 1\\]"), (lambda r: r["peers"][0].update(key="x"), "known"),
])
def test_a_damaged_stack_json_is_named_with_how_to_fit_it_again(tmp_path, change, message):
    record = record_of(np.full(30, 0.5))
    change(record)
    (tmp_path / STACK_FILE).write_text(json.dumps(record))
    with pytest.raises(DataError, match=message) as error:
        read_stack(tmp_path)
    assert "python -m bench.stack" in str(error.value) and "\n" not in str(error.value)


@pytest.fixture
def submit(capsys):
    return lambda *args: run_script(capsys, "submit.py", *args)


@pytest.mark.jax
def test_submit_and_predict_with_peers_without_stack_json_say_what_to_run(submit, capsys, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    for result in (submit("--with-peers", "--run", run, "--out", tmp_path / "sub.csv"),
                   run_script(capsys, "predict.py", tmp_path / "me.jpg", "--with-peers", "--run", run)):
        assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert f"{run / STACK_FILE}: not found" in result.stderr and f"python -m bench.stack {run}" in result.stderr
    assert not (tmp_path / "sub.csv").exists()


@pytest.mark.jax
def test_with_peers_and_missing_packages_name_them_and_the_install_command(submit, capsys, tmp_path, monkeypatch):
    from facial_keypoints import peers
    monkeypatch.setattr(peers, "missing_packages", lambda: ["dlib-bin", "mediapipe"])
    write_stack(tmp_path, record_of(np.full(30, 0.5)))
    for result in (submit("--with-peers", "--run", tmp_path, "--out", tmp_path / "sub.csv"),
                   run_script(capsys, "predict.py", tmp_path / "me.jpg", "--with-peers", "--run", tmp_path)):
        assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "dlib-bin, mediapipe" in result.stderr and peers.INSTALL in result.stderr
    result = submit("--with-peers", "--runs", tmp_path, tmp_path)
    assert result.returncode == 2 and "--with-peers" in result.stderr


def test_a_short_real_fit_beats_the_mean_shape_and_its_members_and_applies_as_it_scored(tmp_path):
    """60 training rows (calibration) and 40 complete validation faces (weights) of the clips split: the
    in-sample stack is never worse than ours or the peers' average there (w = 0 and 1 are choices)."""
    pytest.importorskip("dlib")
    pytest.importorskip("mediapipe")
    from facial_keypoints.prediction import load_full_predictor, predict_pixels
    from facial_keypoints.splits import validation_mask
    training = load_training(EMBEDDED)
    record = fit_stack(SHIPPED_MODEL, training, limit=(60, 40))
    scores = record["val_rmse_px"]
    assert record["validation_faces"] == 40 and record["training_rows"] == 60 and record["split"] == "clips"
    assert scores["stack_in_sample"] < scores["mean_shape"] / 2
    assert scores["stack_in_sample"] <= min(scores["ours"], scores["peers_average"]) + 1e-9
    assert 0 < scores["stack_out_of_fold"] < scores["mean_shape"] / 2 and len(record["out_of_fold"]["fold_rmse_px"]) == 2
    write_stack(tmp_path, record)
    true = training["keypoints"]
    rows = some(np.flatnonzero(validation_mask(training, "clips") & ~np.isnan(true).any(axis=1)), 40)
    ours = predict_pixels(load_full_predictor(SHIPPED_MODEL), training["images"][rows], COLUMNS, record["tta"])
    stacked = Stack(read_stack(tmp_path))(training["images"][rows], ours)
    assert abs(rmse(stacked, true[rows]) - scores["stack_in_sample"]) < 1e-9
