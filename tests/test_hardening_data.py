"""Issue 18: duplicate ids, keypoints like 1_0, trailing blank lines, a corrupt cache."""
import zipfile

import numpy as np
import pytest

from facial_keypoints.errors import DataError

from facial_keypoints.data import cache_dir, load_test, load_training
from facial_keypoints.tables import load_lookup
from facial_keypoints.submission import read_submission
from tests.test_data import good_rows, pixels, write_training


def write_test(folder, ids, end="\n", zipped=False):
    text = "ImageId,Image\n" + "".join(f"{i},{pixels(n)}\n" for n, i in enumerate(ids)) + end[1:]
    if zipped:
        with zipfile.ZipFile(folder / "test.zip", "w") as archive:
            archive.writestr("test.csv", text)
    else:
        (folder / "test.csv").write_text(text)


@pytest.mark.parametrize("zipped", [False, True])
def test_a_duplicate_image_id_in_the_test_file_is_named_with_its_row(tmp_path, zipped):
    write_test(tmp_path, [1, 2, 1], zipped=zipped)
    name = "test.zip:test.csv" if zipped else "test.csv"
    for _ in range(2):  # the second load comes from the cache, and is checked all the same
        with pytest.raises(DataError, match=rf"{name}, row 3 \(line 4\), column 'ImageId': ImageId 1 again "
                                            r"\(first at row 1\)"):
            load_test(tmp_path)


def test_a_duplicate_row_id_in_the_lookup_table_is_named_with_its_row(tmp_path):
    lookup = tmp_path / "IdLookupTable.csv"
    lookup.write_text("RowId,ImageId,FeatureName,Location\n1,1,nose_tip_x\n2,1,nose_tip_y\n2,2,nose_tip_x\n")
    with pytest.raises(DataError, match=r"IdLookupTable\.csv, row 3 \(line 4\), column 'RowId': RowId 2 again"):
        load_lookup(lookup)


@pytest.mark.parametrize("text", ["1_0", "1_0.5", "_1", "٣", "1e1_0"])
def test_a_keypoint_with_an_underscore_or_foreign_digits_is_rejected(tmp_path, text):
    path = tmp_path / "x.csv"
    path.write_text(f"RowId,Location\n1,10\n2,{text}\n")
    with pytest.raises(DataError, match=r"x\.csv, row 2 \(line 3\), column 'Location': expected a number in"):
        read_submission(path)


@pytest.mark.parametrize("row_id", ["²", "1_0", "٣"])
def test_a_row_id_that_python_would_misread_is_one_clear_line(tmp_path, row_id):
    path = tmp_path / "sub.csv"
    path.write_text(f"RowId,Location\n1,10\n{row_id},20\n")
    with pytest.raises(DataError, match=r"sub\.csv, row 2 \(line 3\), column 'RowId': expected a positive integer"):
        read_submission(path)


@pytest.mark.parametrize("end", ["\n\n", "\r\n\r\n", "\n\n\n"])
def test_trailing_blank_lines_are_accepted(tmp_path, end):
    sub = tmp_path / "sub.csv"
    sub.write_bytes(("RowId,Location\n1,10\n2,20" + end).encode())
    assert list(read_submission(sub)[0]) == [1, 2]
    quoted = tmp_path / "quoted.csv"  # the csv-module path
    quoted.write_bytes(('RowId,Location\n"1",10\n2,20' + end).encode())
    assert list(read_submission(quoted)[0]) == [1, 2]
    lookup = tmp_path / "IdLookupTable.csv"
    lookup.write_bytes(("RowId,ImageId,FeatureName,Location\n1,1,nose_tip_x" + end).encode())
    assert list(load_lookup(lookup)[0]) == [1]
    write_test(tmp_path, [1, 2], end=end)
    assert list(load_test(tmp_path)["image_ids"]) == [1, 2]


def test_a_blank_line_in_the_middle_is_still_rejected(tmp_path):
    sub = tmp_path / "sub.csv"
    sub.write_text("RowId,Location\n1,10\n\n2,20\n")
    with pytest.raises(DataError, match=r"row 2 \(line 3\): expected 2 comma-separated fields, got 1"):
        read_submission(sub)


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


def test_a_zip_whose_deflate_stream_is_damaged_is_one_line(tmp_path):
    write_training(tmp_path, good_rows(3))
    archive = tmp_path / "training.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(tmp_path / "training.csv", "training.csv")
    (tmp_path / "training.csv").unlink()
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as opened:
        info = opened.infolist()[0]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)  # the compressed bytes
    data[start + 100:start + 140] = b"\xff" * 40
    archive.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"training\.zip: not a readable zip file .*download it again"):
        load_training(tmp_path)
