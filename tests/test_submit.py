"""submit.py: a submission from a run, an ensemble or averaged CSVs, scored; --average checks every input
against the lookup table and loads no deep-learning backend; bad --weights and an --out of the wrong kind
are one line each."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from facial_keypoints.submission import read_submission
from facial_keypoints.tables import load_lookup
from tests.conftest import ROOT, run_script, write

LOOKUP = "RowId,ImageId,FeatureName,Location\n1,1,nose_tip_x\n2,1,nose_tip_y\n3,2,nose_tip_x\n"


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


def run(*args):
    return subprocess.run([sys.executable, "submit.py", *map(str, args)], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.jax
def test_submit_end_to_end_on_real_data(net1_run, ytf_dir, tmp_path):
    plain, tta, mean = tmp_path / "plain.csv", tmp_path / "tta.csv", tmp_path / "mean.csv"
    for out, extra in ((plain, []), (tta, ["--tta", "flip"])):
        result = run("--run", net1_run, "--data", ytf_dir, "--out", out, *extra)
        assert result.returncode == 0, result.stderr
    assert run("--average", plain, tta, "--out", mean).returncode == 0
    twice = tmp_path / "twice.csv"  # an ensemble of one run with itself predicts what the run does
    assert run("--runs", net1_run, net1_run, "--tta", "flip", "--data", ytf_dir, "--out", twice).returncode == 0
    assert np.allclose(read_submission(twice)[1], read_submission(tta)[1], atol=1e-4)
    lookup_ids = load_lookup(ytf_dir / "IdLookupTable.csv")[0]
    for path in (plain, tta, mean):
        row_ids, locations = read_submission(path)
        assert np.array_equal(row_ids, lookup_ids) and (0 <= locations).all() and (locations <= 96).all()
    assert not np.allclose(read_submission(plain)[1], read_submission(tta)[1])
    scored = run("--score", plain, "--solution", plain)
    assert scored.returncode == 0 and scored.stdout.strip() == "RMSE 0.00000"
    bad = run("--run", tmp_path, "--data", ytf_dir)
    assert bad.returncode != 0 and "not a run folder" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.jax
def test_averaging_submissions_loads_no_deep_learning_backend(tmp_path, ytf_dir):
    row_ids = load_lookup(ytf_dir / "IdLookupTable.csv")[0]
    for name, value in (("a", 40), ("b", 41)):
        (tmp_path / f"{name}.csv").write_text("RowId,Location\n" + "".join(f"{r},{value}\n" for r in row_ids))
    code = ("import runpy, sys; sys.argv = ['submit.py', '--average', 'a.csv', 'b.csv', '--out', 'avg.csv', "
            f"'--data', {str(ytf_dir)!r}]\n"
            f"runpy.run_path({str(ROOT / 'submit.py')!r}, run_name='__main__')\n"
            "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
    assert set((tmp_path / "avg.csv").read_text().splitlines()[1:]) == {f"{r},40.5" for r in row_ids}


def test_score_refuses_a_submission_that_answers_part_of_the_solution(submit, tmp_path):
    solution = write(tmp_path / "answers.csv", "RowId,Location\n" + "".join(f"{r},{r % 90}\n" for r in range(1, 201)))
    part = write(tmp_path / "part.csv", "RowId,Location\n" + "".join(f"{r},{r % 90}\n" for r in range(1, 101)))
    result = submit("--score", part, "--solution", solution)
    assert result.returncode == 1 and "Traceback" not in result.stderr and "RMSE" not in result.stdout
    assert result.stderr.strip() == (f"error: {part}: no row for RowId 101 (100 of the 200 RowIds of {solution} "
                                     "missing)")
    extra = write(tmp_path / "extra.csv", part.read_text() + "201,5\n")
    result = submit("--score", extra, "--solution", part)
    assert result.returncode == 1 and f"RowId 201 is not in {part}" in result.stderr
    assert submit("--score", part, "--solution", part).stdout.strip() == "RMSE 0.00000"
