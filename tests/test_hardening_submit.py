"""Issue 18: submit.py --average checks every input against the lookup table; --weights; --out of the wrong kind."""
import re

import pytest

from facial_keypoints.submission import read_submission
from tests.hardening import run_script

LOOKUP = "RowId,ImageId,FeatureName,Location\n1,1,nose_tip_x\n2,1,nose_tip_y\n3,2,nose_tip_x\n"


def write(path, text):
    path.write_text(text)
    return path


@pytest.fixture
def submit(capsys):
    return lambda *args: run_script(capsys, "submit.py", *args)


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    write(folder / "IdLookupTable.csv", LOOKUP)
    return folder


@pytest.mark.parametrize("text, message", [
    ("RowId,Location\n1,10\n2,20\n", r"bad\.csv: no row for RowId 3"),
    ("RowId,Location\n1,10\n2,20\n2,20\n3,30\n", r"bad\.csv, row 3 \(line 4\), column 'RowId': RowId 2 again \(first at row 2\)"),
    ("RowId,Location\n1,10\n2,20\n3,30\n4,40\n", r"bad\.csv, row 4 \(line 5\), column 'RowId': RowId 4 is not in .*IdLookupTable\.csv"),
])
def test_average_rejects_a_submission_that_does_not_match_the_lookup_table(submit, data, tmp_path, text, message):
    good = write(tmp_path / "good.csv", "RowId,Location\n1,10\n2,20\n3,30\n")
    bad = write(tmp_path / "bad.csv", text)
    for order in ([good, bad], [bad, good], [bad]):  # the faulty file is named, wherever it is
        result = submit("--average", *order, "--data", data, "--out", tmp_path / "mean.csv")
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("error: ")
        assert re.search(message, result.stderr), result.stderr
    assert not (tmp_path / "mean.csv").exists()


def test_average_puts_shuffled_rows_in_the_lookup_order(submit, data, tmp_path):
    good = write(tmp_path / "good.csv", "RowId,Location\n1,10\n2,20\n3,30\n")
    shuffled = write(tmp_path / "shuffled.csv", "RowId,Location\n3,50\n1,30\n2,40\n")
    result = submit("--average", shuffled, good, "--data", data, "--out", tmp_path / "mean.csv")
    assert result.returncode == 0, result.stderr
    row_ids, locations = read_submission(tmp_path / "mean.csv")
    assert list(row_ids) == [1, 2, 3] and list(locations) == [20, 30, 40]


def test_average_takes_an_explicit_lookup_table(submit, tmp_path):
    lookup = write(tmp_path / "lookup.csv", "RowId,ImageId,FeatureName,Location\n7,1,nose_tip_x\n")
    sub = write(tmp_path / "sub.csv", "RowId,Location\n7,12\n")
    result = submit("--average", sub, "--lookup", lookup, "--out", tmp_path / "mean.csv")
    assert result.returncode == 0, result.stderr
    assert list(read_submission(tmp_path / "mean.csv")[0]) == [7]
    other = write(tmp_path / "other.csv", "RowId,Location\n1,12\n")
    result = submit("--average", other, "--lookup", lookup, "--out", tmp_path / "mean.csv")
    assert result.returncode == 1 and "other.csv, row 1 (line 2), column 'RowId': RowId 1 is not in" in result.stderr


@pytest.mark.parametrize("weights", [["nan", "1"], ["inf", "1"], ["-1", "2"], ["0", "0"], ["1"], ["1", "1", "1"]])
def test_bad_weights_are_blamed_not_the_output_file(submit, data, tmp_path, weights):
    a = write(tmp_path / "a.csv", "RowId,Location\n1,10\n2,20\n3,30\n")
    result = submit("--average", a, a, "--weights", *weights, "--data", data, "--out", tmp_path / "mean.csv")
    assert result.returncode == 2 and "error: --weights" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "mean.csv").exists()


def test_out_of_the_wrong_kind_is_one_clear_line(submit, data, tmp_path):
    a = write(tmp_path / "a.csv", "RowId,Location\n1,10\n2,20\n3,30\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    result = submit("--average", a, "--data", data, "--out", folder)
    assert result.returncode == 1 and f"--out {folder}: is a folder" in result.stderr and "Traceback" not in result.stderr
    result = submit("--average", a, "--data", data, "--out", a / "mean.csv")
    assert result.returncode == 1 and f"{a} is a file, not a folder" in result.stderr and "Traceback" not in result.stderr
