"""data.py: Kaggle's training and test files read into arrays (every cell checked, tables.py), the HDF5
cache of parsed arrays, and a bad file reported by train.py in one line."""
import os
import subprocess
import sys

import numpy as np
import pytest

from facial_keypoints.data import cache_dir, load_test, load_training
from facial_keypoints.errors import DataError
from facial_keypoints.tables import load_lookup
from tests.conftest import HEADER, ROOT, good_rows, keypoint_cells, pixels, write_training

pytestmark = pytest.mark.jax


@pytest.mark.parametrize("zipped", [False, True])
def test_reads_training_csv_or_zip(tmp_path, zipped):
    write_training(tmp_path, good_rows(), zipped=zipped)
    training = load_training(tmp_path)
    assert training["images"].shape == (3, 96, 96) and training["images"].dtype == np.uint8
    assert np.array_equal(training["images"][2].ravel(), np.fromstring(pixels(2), dtype=int, sep=" "))
    expected = np.array([[float(c) if c else np.nan for c in keypoint_cells(i, range(4, 20) if i == 1 else ())]
                         for i in range(3)])
    assert np.array_equal(training["keypoints"], expected, equal_nan=True)


def test_second_load_comes_from_the_cache_and_a_changed_file_is_parsed_again(tmp_path):
    write_training(tmp_path, good_rows())
    first = load_training(tmp_path)
    assert len(os.listdir(os.environ["FKD_CACHE"])) >= 1
    again = load_training(tmp_path)
    assert np.array_equal(first["images"], again["images"])
    write_training(tmp_path, good_rows(2))
    os.utime(tmp_path / "training.csv", ns=(1, 1))
    assert len(load_training(tmp_path)["images"]) == 2


@pytest.mark.parametrize("damage", [b"", b"PK\x03\x04 cut", b"not a zip at all"])
def test_a_corrupt_cache_file_is_rebuilt(tmp_path, damage, capsys, monkeypatch):
    monkeypatch.setenv("FKD_CACHE", str(tmp_path / "cache"))
    write_training(tmp_path, good_rows(3))
    first = load_training(tmp_path)
    (cached,) = cache_dir().glob("training-*.h5")
    cached.write_bytes(damage)
    again = load_training(tmp_path)
    assert np.array_equal(again["images"], first["images"])
    assert "rebuilding" in capsys.readouterr().err
    assert np.array_equal(load_training(tmp_path)["images"], first["images"])  # and the cache is whole again
    assert cached.stat().st_size > 1000


BAD_CASES = [
    # (what to do to a good 2-row file, expected message fragments)
    ("empty", ["training.csv: empty file"]),
    ("missing_column", ["line 1", "missing column 'nose_tip_y'"]),
    ("extra_column", ["line 1", "unexpected column 'Extra'"]),
    ("short_row", ["row 2 (line 3)", "expected 31 comma-separated fields, got 30"]),
    ("9215_pixels", ["row 2 (line 3)", "column 'Image'", "expected 9216 pixel values, got 9215"]),
    ("9217_pixels", ["row 1 (line 2)", "column 'Image'", "expected 9216 pixel values, got 9217"]),
    ("empty_image", ["row 1 (line 2)", "column 'Image'", "got 0"]),
    ("text_pixel", ["row 2 (line 3)", "column 'Image'", "found 'a'"]),
    ("negative_pixel", ["row 2 (line 3)", "column 'Image'", "found '-'"]),
    ("decimal_pixel", ["row 1 (line 2)", "column 'Image'", "found '.'"]),
    ("pixel_256", ["row 2 (line 3)", "column 'Image'", "256 is out of range 0..255"]),
    ("huge_pixel", ["row 1 (line 2)", "column 'Image'", "out of range 0..255"]),
    ("keypoint_97", ["row 2 (line 3)", "column 'nose_tip_x'", "in [0, 96]", "'97'"]),
    ("keypoint_negative", ["row 1 (line 2)", "column 'left_eye_center_x'", "'-1.5'"]),
    ("keypoint_text", ["row 1 (line 2)", "column 'mouth_center_bottom_lip_y'", "'abc'"]),
    ("keypoint_nan", ["row 2 (line 3)", "column 'nose_tip_y'", "'nan'"]),
]


def make_bad(folder, case):
    rows, header = good_rows(2), HEADER
    if case == "empty":
        (folder / "training.csv").write_text("")
        return
    if case == "missing_column":
        header = HEADER.replace(",nose_tip_y", "")
        rows = [row[:21] + row[22:] for row in rows]
    elif case == "extra_column":
        header = HEADER + ",Extra"
        rows = [row + ["1"] for row in rows]
    elif case == "short_row":
        rows[1] = rows[1][1:]
    edits = {"9215_pixels": (1, 30, pixels(1, 9215)), "9217_pixels": (0, 30, pixels(0, 9217)),
             "empty_image": (0, 30, ""), "text_pixel": (1, 30, pixels(1)[:-3] + " a"),
             "negative_pixel": (1, 30, "-1 " + pixels(1, 9215)), "decimal_pixel": (0, 30, "1.5 " + pixels(0, 9215)),
             "pixel_256": (1, 30, pixels(1, 9000) + " 256 " + pixels(2, 215)),
             "huge_pixel": (0, 30, "99999999999999999999 " + pixels(0, 9215)),
             "keypoint_97": (1, 20, "97"), "keypoint_negative": (0, 0, "-1.5"),
             "keypoint_text": (0, 29, "abc"), "keypoint_nan": (1, 21, "nan")}
    if case in edits:
        row, column, value = edits[case]
        rows[row][column] = value
    write_training(folder, rows, header)


@pytest.mark.parametrize("case,fragments", BAD_CASES, ids=[c for c, _ in BAD_CASES])
def test_bad_training_file_gives_one_clear_line(tmp_path, case, fragments):
    make_bad(tmp_path, case)
    with pytest.raises(DataError) as error:
        load_training(tmp_path)
    message = str(error.value)
    assert "\n" not in message and str(tmp_path / "training.csv") in message
    for fragment in fragments:
        assert fragment in message


def test_missing_files_are_named(tmp_path):
    with pytest.raises(DataError, match=r"training\.csv: not found \(nor training\.zip\)"):
        load_training(tmp_path)
    with pytest.raises(DataError, match=r"test\.csv: not found"):
        load_test(tmp_path)
    with pytest.raises(DataError, match=r"IdLookupTable\.csv: not found"):
        load_lookup(tmp_path / "IdLookupTable.csv")


def test_train_script_reports_bad_data_in_one_line_and_exits_non_zero(tmp_path):
    make_bad(tmp_path, "keypoint_97")
    result = subprocess.run([sys.executable, "train.py", "--net", "net1", "--epochs", "1", "--data", str(tmp_path),
                             "--out", str(tmp_path / "runs")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")
    assert "column 'nose_tip_x'" in result.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_reads_test_file(tmp_path):
    (tmp_path / "test.csv").write_text("ImageId,Image\n" + "".join(f"{i},{pixels(i)}\n" for i in (1, 2)))
    test = load_test(tmp_path)
    assert list(test["image_ids"]) == [1, 2] and test["images"].shape == (2, 96, 96)


def test_reads_kaggle_lookup_table_with_crlf(kaggle_dir):
    assert b"\r\n" in (kaggle_dir / "IdLookupTable.csv").read_bytes()[:100]
    row_ids, image_ids, features = load_lookup(kaggle_dir / "IdLookupTable.csv")
    assert len(row_ids) == 27124 and list(row_ids[:3]) == [1, 2, 3]
    assert image_ids[-1] == 1783 and features[0] == "left_eye_center_x" and features[-1] == "mouth_center_bottom_lip_y"


def test_reads_the_real_benchmark_data(ytf_dir):
    training = load_training(ytf_dir)
    assert training["images"].shape == (3457, 96, 96)
    assert (~np.isnan(training["keypoints"]).any(axis=1)).sum() == 1034
    test = load_test(ytf_dir)
    assert test["images"].shape == (769, 96, 96)
    row_ids, image_ids, _ = load_lookup(ytf_dir / "IdLookupTable.csv")
    assert len(row_ids) == 11176 and set(image_ids) <= set(test["image_ids"])


def test_a_changed_file_whose_size_and_time_were_put_back_is_parsed_again(tmp_path):
    write_training(tmp_path, good_rows(3))
    path = tmp_path / "training.csv"
    first = load_training(tmp_path)
    stat = path.stat()
    text = path.read_text()
    digit = text.rindex("1")  # one pixel value changed, the file's size kept
    path.write_text(text[:digit] + "2" + text[digit + 1:])
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as cp -p leaves it
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    again = load_training(tmp_path)
    assert (again["images"] != first["images"]).sum() == 1


@pytest.mark.parametrize("column, empty, given", [(2, "right_eye_center_x", "right_eye_center_y"),
                                                  (3, "right_eye_center_y", "right_eye_center_x")])
def test_a_keypoint_with_only_its_x_or_only_its_y_is_refused(tmp_path, column, empty, given):
    rows = good_rows(3)
    rows[2][column] = ""  # row 3: one of right_eye_center's cells empty, the other given
    write_training(tmp_path, rows)
    with pytest.raises(DataError, match=rf"training\.csv, row 3 \(line 4\), column '{empty}': empty, but {given} "
                                        "is given; a keypoint needs both its x and its y, or neither"):
        load_training(tmp_path)
