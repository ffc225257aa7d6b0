"""results/runs.csv: rows appended whole, concurrent appends all land, a foreign file is refused."""
import csv
import threading

import pytest

from facial_keypoints.errors import DataError
from facial_keypoints.ledger import FIELDS, append, read
from tests.conftest import ROOT

pytestmark = pytest.mark.jax


def test_concurrent_appends_all_land_as_whole_rows(tmp_path):
    path = tmp_path / "results" / "runs.csv"
    threads = [threading.Thread(target=append, args=(path,), kwargs={"net": f"net{i}", "val_rmse_px": i / 3})
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == list(FIELDS)
    assert sorted(row["net"] for row in rows) == [f"net{i}" for i in range(8)]
    assert {row["val_rmse_px"] for row in rows} == {f"{i / 3:.4f}".rstrip("0").rstrip(".") for i in range(8)}
    assert all(row["backend"] and row["hardware"] for row in rows)


def test_an_unknown_field_or_a_foreign_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not ledger fields"):
        append(tmp_path / "runs.csv", rmse=1.0)
    foreign = tmp_path / "other.csv"
    foreign.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="other.csv, line 1: expected the ledger header"):
        append(foreign, net="net1")
    assert foreign.read_text() == "a,b\n1,2\n"


def test_an_append_keeps_every_existing_byte_and_adds_one_line(tmp_path):
    path = tmp_path / "runs.csv"
    committed = (ROOT / "results" / "runs.csv").read_bytes()
    path.write_bytes(committed)
    append(path, net="net1", epochs=400, val_rmse_px=3.16683964, wall_s=91.4, hardware="AMD EPYC, 2 cores")
    text = path.read_bytes()
    assert text.startswith(committed) and text.count(b"\n") == committed.count(b"\n") + 1
    last = list(csv.DictReader(path.open()))[-1]
    assert (last["net"], last["epochs"], last["val_rmse_px"], last["wall_s"], last["tta"]) == ("net1", "400", "3.1668",
                                                                                              "91.4", "")
    assert read(path)["val_rmse_px"].iloc[-1] == "3.1668" and read(path)["epochs"].dtype != float


def test_a_row_with_extra_cells_is_refused_and_the_ledger_left_alone(tmp_path):
    path = tmp_path / "runs.csv"
    append(path, net="net1")
    path.write_text(path.read_text() + "," * len(FIELDS) + "\n")
    before = path.read_bytes()
    with pytest.raises(DataError, match=f"runs.csv: not a ledger of {len(FIELDS)} columns"):
        append(path, net="net2")
    assert path.read_bytes() == before and not list(tmp_path.glob(".*.tmp"))


def test_specialists_record_one_row_for_the_finished_set(tmp_path):
    import argparse
    import json

    import specialists
    folder = tmp_path / "net1-specialists-nouri6"
    for group, epochs, seconds in (("eyes", 100, 20.0), ("mouth", 300, 40.0)):
        (folder / group).mkdir(parents=True)
        (folder / group / "model.keras").write_bytes(b"")
        config = {"epochs_run": epochs, "seconds": seconds, "train_rows": epochs * 10, "recipe": {"epochs": 2 * epochs}}
        (folder / group / "config.json").write_text(json.dumps(config))
    (folder / "scores.json").write_text(json.dumps({"val_rmse_px": {"specialists": 2.3612, "single net": 3.17}}))
    ledger = tmp_path / "runs.csv"
    manifest = {"net": "net1", "groups": ["eyes", "mouth"], "split": "rows"}
    args = argparse.Namespace(pretrained="runs/net1-x", groups="nouri6", no_ledger=False, record=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FKD_LEDGER", str(ledger))
        specialists.record_specialists(args, folder, manifest)
        specialists.record_specialists(argparse.Namespace(**{**vars(args), "no_ledger": True}), folder, manifest)
        specialists.record_specialists(argparse.Namespace(**{**vars(args), "pretrained": None, "groups": "study2"}), folder, manifest)
    rows = read(ledger)
    assert len(rows) == 2
    assert rows.iloc[0][["net", "epochs", "recipe_epochs", "split", "val_rmse_px", "ensemble_of", "rows", "wall_s",
                         "s_per_epoch"]].tolist() == ["net1 specialists", "400", "800", "rows", "2.3612", "2", "3000",
                                                      "60", "0.15"]
    assert rows["net"].iloc[1] == "net1 specialists from scratch (study2)"


def test_peers_record_one_row_per_scored_model(tmp_path):
    import numpy as np

    from bench.peers import record_scores
    true = np.full((4, 30), 48.0)
    true[0, :2] = np.nan
    scored = [{"net": "dlib 68-point, calibrated (side 80)", "predicted": true + 1, "rows": 2765},
              {"net": "peers' average", "predicted": true + 2, "ensemble_of": 2},
              {"net": "net16 (models/shipped)", "predicted": true - 0.5, "tta": "flip", "epochs": 40, "recipe_epochs": 40}]
    record_scores(tmp_path / "runs.csv", scored, true, "AMD EPYC, 1 core (pinned)")
    record_scores(None, scored, true, "AMD EPYC, 1 core (pinned)")  # --no-ledger
    rows = read(tmp_path / "runs.csv")
    assert rows[["net", "val_rmse_px", "tta", "ensemble_of", "split", "epochs"]].values.tolist() == [
        ["dlib 68-point, calibrated (side 80)", "1", "", "", "clips", ""], ["peers' average", "2", "", "2", "clips", ""],
        ["net16 (models/shipped)", "0.5", "flip", "", "clips", "40"]]
    assert set(rows["hardware"]) == {"AMD EPYC, 1 core (pinned)"} and all("predicted" in s for s in scored)


def test_a_users_run_goes_to_their_own_ledger_and_a_maintainers_record_to_the_projects(ytf_dir, tmp_path, capsys,
                                                                                       monkeypatch):
    from facial_keypoints import ledger
    from tests.conftest import run_script

    project = tmp_path / "project" / "runs.csv"
    monkeypatch.setattr(ledger, "PROJECT_LEDGER", project)
    monkeypatch.delenv("FKD_LEDGER")
    monkeypatch.chdir(tmp_path)
    result = run_script(capsys, "train.py", "--net", "net1", "--epochs", "1", "--data", ytf_dir)
    assert result.returncode == 0, result.stderr
    (run,) = (tmp_path / "runs").glob("net1-*")
    assert len(read(tmp_path / "runs" / "ledger.csv")) == 1 and not project.exists()

    assert run_script(capsys, "-m facial_keypoints.ledger", "record", run).returncode == 0
    assert read(project)["net"].tolist() == ["net1"] and len(read(tmp_path / "runs" / "ledger.csv")) == 1
    assert run_script(capsys, "train.py", "--net", "net1", "--epochs", "1", "--data", ytf_dir, "--record",
                      "--out", tmp_path / "more").returncode == 0
    assert len(read(project)) == 2 and len(read(tmp_path / "runs" / "ledger.csv")) == 1
    result = run_script(capsys, "train.py", "--net", "net1", "--no-ledger", "--record")
    assert result.returncode == 2 and "not allowed with argument" in result.stderr


def test_the_same_run_goes_into_a_ledger_once(tiny_run, tmp_path, capsys, monkeypatch):
    from tests.conftest import run_script

    run, _ = tiny_run
    ledger = tmp_path / "runs.csv"
    monkeypatch.setenv("FKD_LEDGER", str(ledger))
    result = run_script(capsys, "-m facial_keypoints.ledger", "add", run, run)
    assert result.returncode == 1 and f"error: {run}: in {ledger} already" in result.stderr
    assert len(read(ledger)) == 0
    assert run_script(capsys, "-m facial_keypoints.ledger", "add", run).returncode == 0
    result = run_script(capsys, "-m facial_keypoints.ledger", "add", run)
    assert result.returncode == 1 and "a ledger lists each run once" in result.stderr and "Traceback" not in result.stderr
    assert len(read(ledger)) == 1


def test_an_interrupted_run_goes_into_no_ledger(tiny_run, tmp_path, capsys, monkeypatch):
    import json
    import shutil

    from tests.conftest import run_script
    run = shutil.copytree(tiny_run[0], tmp_path / "net1-stopped")
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "interrupted": True}))
    monkeypatch.setenv("FKD_LEDGER", str(tmp_path / "runs.csv"))
    result = run_script(capsys, "-m facial_keypoints.ledger", "add", run)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"error: {run}: an interrupted run (stopped after epoch 1) goes into no ledger" in result.stderr
    assert len(read(tmp_path / "runs.csv")) == 0


def test_the_ledger_command_without_arguments_is_a_usage_error(capsys):
    from tests.conftest import run_script
    result = run_script(capsys, "-m facial_keypoints.ledger")
    assert result.returncode == 2 and "usage: python -m facial_keypoints.ledger" in result.stderr


def test_specialists_with_an_interrupted_one_go_into_no_ledger(tmp_path, capsys):
    import argparse
    import json

    import specialists
    folder = tmp_path / "net1-specialists-study2"
    for group, interrupted in (("four_points", False), ("the_rest", True)):
        (folder / group).mkdir(parents=True)
        (folder / group / "model.keras").write_bytes(b"")
        (folder / group / "config.json").write_text(json.dumps({"epochs_run": 5, "seconds": 1.0, "train_rows": 9,
                                                                "recipe": {"epochs": 9}, "interrupted": interrupted}))
    (folder / "scores.json").write_text(json.dumps({"val_rmse_px": {"specialists": 2.5}}))
    args = argparse.Namespace(pretrained="runs/net1-x", groups="study2", no_ledger=False, record=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FKD_LEDGER", str(tmp_path / "runs.csv"))
        specialists.record_specialists(args, folder, {"net": "net1", "groups": ["four_points", "the_rest"],
                                                      "split": "rows"})
    assert not (tmp_path / "runs.csv").exists()
    assert "specialist the_rest was stopped early (interrupted)" in capsys.readouterr().err


def test_a_ledger_that_cannot_be_written_is_refused_before_the_training(tmp_path, capsys, monkeypatch):
    from tests.conftest import run_script, tiny_data

    data = tiny_data(tmp_path / "data", 5)
    a_folder = tmp_path / "ledger-folder"
    a_folder.mkdir()
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    in_a_file = a_file / "runs.csv"
    for ledger, message in ((a_folder, f"$FKD_LEDGER {a_folder}: is a folder; expected a file name"),
                            (in_a_file, f"$FKD_LEDGER {in_a_file}: {a_file} is a file, not a folder")):
        monkeypatch.setenv("FKD_LEDGER", str(ledger))
        result = run_script(capsys, "train.py", "--net", "net1", "--epochs", "1", "--data", data,
                            "--out", tmp_path / "runs")
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.strip().splitlines()[-1] == f"error: {message}"
        assert not (tmp_path / "runs").exists() and list(a_folder.iterdir()) == [] and a_file.read_text() == "mine"
