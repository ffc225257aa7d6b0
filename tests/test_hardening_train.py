"""Issue 18: train.py checks its arguments and the data's rows before a run folder is made, removes what
a failed start made, exits 130 when interrupted, and refuses --resume with --net/--epochs/--seed."""
import pytest

from tests.hardening import run_script
from tests.test_data import keypoint_cells, pixels, write_training


@pytest.fixture
def train_py(capsys):
    return lambda *args: run_script(capsys, "train.py", *args)


def tiny_data(folder, complete, incomplete=0):
    rows = [keypoint_cells(i) + [pixels(i)] for i in range(complete)]
    rows += [keypoint_cells(i, missing=(0, 1)) + [pixels(i)] for i in range(complete, complete + incomplete)]
    folder.mkdir()
    write_training(folder, rows)
    return folder


def nothing_written(out):
    return not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "--epochs: expected a whole number of at least 1, got 0"),
    (["--epochs", "-5"], "--epochs: expected a whole number of at least 1, got -5"),
    (["--checkpoint-every", "0"], "--checkpoint-every: expected a whole number of at least 1, got 0"),
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


def test_an_interrupted_run_exits_130_and_keeps_its_folder(train_py, tmp_path, monkeypatch):
    from facial_keypoints.callbacks import StopOnCtrlC

    original = StopOnCtrlC.on_epoch_end

    def ctrl_c_in_the_first_epoch(self, epoch, logs=None):
        if not self.interrupted:
            self.request_stop(2, None)
        original(self, epoch, logs)

    monkeypatch.setattr(StopOnCtrlC, "on_epoch_end", ctrl_c_in_the_first_epoch)
    data = tiny_data(tmp_path / "data", 5)
    result = train_py("--net", "net1", "--epochs", "50", "--data", data, "--out", tmp_path / "runs", "--no-ledger")
    assert result.returncode == 130, result.stderr
    assert "interrupted by Ctrl-C after epoch 1" in result.stderr and "exit status 130" in result.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert (run_dir / "model.keras").is_file()


@pytest.mark.parametrize("extra", [["--epochs", "5"], ["--seed", "3"], ["--net", "net2"], ["--seed", "0"]])
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
