"""train.py: its arguments and the data's rows are checked before a run folder is made, a failed start
removes what it made, an interrupted run (Ctrl-C or SIGTERM) exits 130 and keeps its folder, and --resume
refuses the options it would ignore, other data, a run another process trains and a net that is gone."""
import json
import signal

import pytest

from tests.conftest import run_script, tiny_data


@pytest.fixture
def train_py(capsys):
    return lambda *args: run_script(capsys, "train.py", *args)


def nothing_written(out):
    return not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "--epochs: expected a whole number of at least 1, got 0"),
    (["--epochs", "-5"], "--epochs: expected a whole number of at least 1, got -5"),
    (["--checkpoint-every", "0"], "--checkpoint-every: expected a whole number of at least 1, got 0"),
    (["--seed", "-1"], "--seed: expected a whole number in 0..4294967295, got -1"),
    (["--seed", str(2**32)], "--seed: expected a whole number in 0..4294967295, got 4294967296"),
    (["--epochs", "1000000000000"], "--epochs: expected a whole number in 1..1000000, got 1000000000000"),
])
def test_degenerate_numbers_are_refused_before_anything_is_written(train_py, tmp_path, args, message):
    result = train_py("--net", "net1", "--out", tmp_path / "runs", *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert nothing_written(tmp_path / "runs")


@pytest.mark.parametrize("complete, incomplete", [(1, 0), (2, 0), (0, 5)])
def test_too_few_rows_state_the_minimum_and_leave_no_run_folder(train_py, tmp_path, complete, incomplete):
    data = tiny_data(tmp_path / "data", complete, incomplete)
    result = train_py("--net", "net1", "--epochs", "1", "--data", data, "--out", tmp_path / "runs")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "at least 1 of each is needed" in result.stderr and "at least 3 complete rows" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    assert nothing_written(tmp_path / "runs")


def test_knn_imputation_states_its_minimum(train_py, tmp_path):
    data = tiny_data(tmp_path / "data", 5, 3)
    result = train_py("--net", "net1", "--epochs", "1", "--impute", "knn", "--data", data, "--out", tmp_path / "runs")
    assert result.returncode == 1 and "--impute knn needs at least 10 complete training rows" in result.stderr
    assert nothing_written(tmp_path / "runs")


def test_five_rows_train(train_py, tmp_path):
    data = tiny_data(tmp_path / "data", 5)
    result = train_py("--net", "net1", "--epochs", "1", "--data", data, "--out", tmp_path / "runs", "--no-ledger")
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "runs").iterdir())) == 1


def test_a_failed_start_removes_its_unfinished_folder(train_py, tmp_path, monkeypatch):
    import facial_keypoints.training

    def broken_fit(*args, **kwargs):
        raise KeyboardInterrupt  # a second Ctrl-C, or any failure, before the first checkpoint

    monkeypatch.setattr(facial_keypoints.training, "fit", broken_fit)
    data = tiny_data(tmp_path / "data", 5)
    result = train_py("--net", "net1", "--epochs", "1", "--data", data, "--out", tmp_path / "runs")
    assert result.returncode == 130 and "interrupted" in result.stderr and "Traceback" not in result.stderr
    assert nothing_written(tmp_path / "runs")


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_ends_the_epoch_writes_the_run_and_exits_130(train_py, tmp_path, monkeypatch, stop):
    """SIGTERM (kill, systemd, a batch scheduler) is a first Ctrl-C: the epoch ends, the run is written."""
    from facial_keypoints.callbacks import StopOnCtrlC

    original = StopOnCtrlC.on_epoch_end

    def stop_in_the_first_epoch(self, epoch, logs=None):
        if epoch == 0 and stop == "sigterm":
            signal.raise_signal(signal.SIGTERM)  # its handler has run when this returns
        elif epoch == 0:
            self.request_stop(2, None)
        original(self, epoch, logs)

    monkeypatch.setattr(StopOnCtrlC, "on_epoch_end", stop_in_the_first_epoch)
    data = tiny_data(tmp_path / "data", 5)
    result = train_py("--net", "net1", "--epochs", "50", "--data", data, "--out", tmp_path / "runs", "--no-ledger")
    assert result.returncode == 130, result.stderr
    assert "interrupted by Ctrl-C or SIGTERM after epoch 1" in result.stderr and "exit status 130" in result.stderr
    if stop == "sigterm":
        assert "SIGTERM: stopping after this epoch" in result.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    config = json.loads((run_dir / "config.json").read_text())
    assert (run_dir / "model.keras").is_file() and config["interrupted"] is True and config["epochs_run"] == 1


def stopped_run(train_py, tmp_path, monkeypatch):
    """(run folder, data): net1 on 5 rows, killed in its second epoch (as by a second Ctrl-C) after the
    checkpoint of its first: an unfinished run that resumes."""
    from facial_keypoints.callbacks import StopOnCtrlC

    original = StopOnCtrlC.on_epoch_end

    def abort_in_the_second_epoch(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt
        original(self, epoch, logs)

    data = tiny_data(tmp_path / "data", 5)
    with monkeypatch.context() as patch:
        patch.setattr(StopOnCtrlC, "on_epoch_end", abort_in_the_second_epoch)
        result = train_py("--net", "net1", "--epochs", "3", "--checkpoint-every", "1", "--data", data,
                          "--out", tmp_path / "runs", "--no-ledger")
    assert result.returncode == 130, result.stderr
    (partial,) = (tmp_path / "runs").glob(".net1-*.partial")
    return partial.parent / partial.name[1:].removesuffix(".partial"), data


def test_resume_goes_on_only_with_the_data_it_started_on(train_py, tmp_path, monkeypatch):
    run_dir, data = stopped_run(train_py, tmp_path, monkeypatch)
    other = tiny_data(tmp_path / "other", 6)
    result = train_py("--resume", run_dir, "--data", other, "--no-ledger")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"error: --data {other}: not the data {run_dir} was started on" in result.stderr
    assert not run_dir.exists()
    result = train_py("--resume", run_dir, "--data", data, "--no-ledger")
    assert result.returncode == 0, result.stderr
    assert json.loads((run_dir / "config.json").read_text())["epochs_run"] == 3


def test_a_run_another_process_trains_is_not_resumed_beside_it(train_py, tmp_path, monkeypatch):
    from facial_keypoints.runs import locked, unfinished_folder

    run_dir, _ = stopped_run(train_py, tmp_path, monkeypatch)
    before = sorted(p.name for p in unfinished_folder(run_dir).iterdir())
    with locked(run_dir):  # as the other train.py --resume holds it (flock: another open file, refused)
        result = train_py("--resume", run_dir, "--no-ledger")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"error: {run_dir}: another process is training it now" in result.stderr
    assert sorted(p.name for p in unfinished_folder(run_dir).iterdir()) == before


def test_a_checkpoint_of_a_net_that_is_gone_is_one_line(train_py, tmp_path):
    checkpoint = tmp_path / ".net99-x.partial" / "checkpoint-5"
    checkpoint.mkdir(parents=True)
    (checkpoint.parent / "checkpoint.json").write_text('{"latest": "checkpoint-5"}')
    (checkpoint / "state.json").write_text(json.dumps({"net": "net99", "recipe": {"epochs": 10}, "data": "data"}))
    result = train_py("--resume", tmp_path / "net99-x")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: net 'net99': unknown net 'net99'")


@pytest.mark.parametrize("extra", [["--epochs", "5"], ["--seed", "3"], ["--net", "net2"], ["--seed", "0"],
                                   ["--split", "clips"], ["--pipeline", "plain"], ["--out", "runs"],
                                   ["--impute", "knn"]])
def test_resume_refuses_options_it_would_ignore(train_py, tmp_path, extra):
    result = train_py("--resume", tmp_path / "run", *extra)
    assert result.returncode == 2 and f"leave out {extra[0]}" in result.stderr


def test_a_mistyped_resume_path_says_not_found(train_py, tmp_path):
    result = train_py("--resume", tmp_path / "net1-typo")
    assert result.returncode == 1 and f"error: {tmp_path / 'net1-typo'}: not found" in result.stderr


def test_out_of_the_wrong_kind_is_one_clear_line(train_py, tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    for out, message in ((a_file, f"--out {a_file}: is a file; expected a folder"),
                         (a_file / "runs", f"{a_file} is a file, not a folder")):
        result = train_py("--net", "net1", "--epochs", "1", "--out", out)
        assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr
    assert a_file.read_text() == "mine"


def test_a_folder_that_cannot_be_written_is_one_line_and_leaves_nothing(train_py, tmp_path):
    data = tiny_data(tmp_path / "data", 5)
    result = train_py("--net", "net1", "--epochs", "1", "--data", data, "--out", "/proc/fkd-runs", "--no-ledger")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: /proc/fkd-runs")
