"""tables.py: Kaggle's CSV files read and checked cell by cell, through each reader built on it (the
training and test files, the lookup table, submissions). Property-based: a harmlessly changed file reads
to the same numbers, a broken one is refused in one line naming the file; and the cases found by hand:
duplicate ids, numbers Python alone would misread, blank lines, a damaged zip."""
import itertools
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facial_keypoints.data import load_test, load_training
from facial_keypoints.errors import DataError
from facial_keypoints.submission import read_submission
from facial_keypoints.tables import load_lookup
from tests.conftest import HEADER, good_rows, pixels, write_training

pytestmark = pytest.mark.jax
folders = itertools.count()


@st.composite
def training_files(draw):
    """A valid training.csv (text, images, keypoints) of 1 to 3 rows."""
    rows = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (rows, 9216))
    keypoints = np.round(rng.uniform(0, 96, (rows, 30)), draw(st.integers(0, 10)))
    keypoints[np.repeat(rng.uniform(size=(rows, 15)) < 0.3, 2, axis=1)] = np.nan  # a keypoint: x and y, or neither
    lines = [HEADER] + [",".join("" if np.isnan(v) else repr(float(v)) for v in k) + "," + " ".join(map(str, im))
                        for k, im in zip(keypoints, images)]
    return "\n".join(lines) + "\n", images.reshape(rows, 96, 96), keypoints


def parse(tmp_path, text, name="training.csv", loader=load_training):
    folder = tmp_path / str(next(folders))  # a new path each time: no cache hit from another example
    folder.mkdir()
    (folder / name).write_bytes(text.encode("utf-8"))
    return loader(folder)


def same_numbers(result, images, keypoints):
    assert np.array_equal(result["images"], images)
    assert np.array_equal(result["keypoints"], keypoints, equal_nan=True)


HARMLESS = {
    "crlf": lambda text: text.replace("\n", "\r\n"),
    "bom": lambda text: "\ufeff" + text,
    "quoted fields": lambda text: "\n".join(",".join(f'"{f}"' for f in line.split(",")) if line else ""
                                            for line in text.split("\n")),
    "double spaces": lambda text: text.replace(" ", "  "),
}


@settings(max_examples=40, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file=training_files(), change=st.sampled_from(sorted(HARMLESS)))
def test_harmless_changes_parse_to_the_same_numbers(tmp_path, file, change):
    text, images, keypoints = file
    same_numbers(parse(tmp_path, HARMLESS[change](text)), images, keypoints)


def replace_cell(text, data, column, values):
    lines = text.split("\n")
    row = data.draw(st.integers(1, len(lines) - 2))
    cells = lines[row].split(",")
    cells[column] = data.draw(values)
    lines[row] = ",".join(cells)
    return "\n".join(lines)


BAD_KEYPOINTS = st.sampled_from(["nan", "NaN", "inf", "-inf", "1e308", "-0.5", "96.01", "abc", "4,5", "1.2.3", "--1"])
BAD_PIXELS = st.sampled_from(["1 2 3", "256", "-1", "1.5", "nan", "0x10", "1\t2"])


@settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file=training_files(), data=st.data())
def test_broken_files_give_one_clear_line(tmp_path, file, data):
    text, images, keypoints = file
    breakage = data.draw(st.sampled_from(["keypoint", "image", "pixel count", "separator", "truncated", "garbage"]))
    if breakage == "keypoint":
        text = replace_cell(text, data, data.draw(st.integers(0, 29)), BAD_KEYPOINTS)
    elif breakage == "image":
        def insert_bad_pixel(image):
            return image.replace(" ", f" {data.draw(BAD_PIXELS)} ", 1)
        lines = text.split("\n")
        row = data.draw(st.integers(1, len(lines) - 2))
        head, image = lines[row].rsplit(",", 1)
        lines[row] = head + "," + insert_bad_pixel(image)
        text = "\n".join(lines)
    elif breakage == "pixel count":
        drop = data.draw(st.sampled_from(["drop", "add", "empty"]))
        lines = text.split("\n")
        row = data.draw(st.integers(1, len(lines) - 2))
        head, image = lines[row].rsplit(",", 1)
        image = {"drop": image.rsplit(" ", 1)[0], "add": image + " 7", "empty": ""}[drop]
        lines[row] = head + "," + image
        text = "\n".join(lines)
    elif breakage == "separator":
        text = text.replace(",", data.draw(st.sampled_from([";", "\t", "|"])))
    elif breakage == "truncated":
        text = text[:data.draw(st.integers(0, len(text) - 1))]
        kept = text.count("\n") - 1
        if text.endswith("\n") and kept > 0:  # cut between rows: a shorter file, and it must read as one
            same_numbers(parse(tmp_path, text), images[:kept], keypoints[:kept])
            return
    else:
        text = data.draw(st.text(max_size=200))
    with pytest.raises(DataError) as error:
        parse(tmp_path, text)
    assert "\n" not in str(error.value) and "training.csv" in str(error.value)


@settings(max_examples=20, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(image_id=st.sampled_from(["0", "-3", "x", "", "1.5", " 2e3"]))
def test_test_file_image_ids_must_be_positive_integers(tmp_path, image_id):
    with pytest.raises(DataError, match="column 'ImageId'"):
        parse(tmp_path, f"ImageId,Image\n{image_id},{' '.join(['1'] * 9216)}\n", "test.csv", load_test)


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


MISREAD = [*((f"2,{text}", "Location", "expected a number in") for text in ["1_0", "1_0.5", "_1", "٣", "1e1_0"]),
           *((f"{row_id},20", "RowId", "expected a positive integer") for row_id in ["²", "1_0", "٣"])]


@pytest.mark.parametrize("row, column, expected", MISREAD, ids=[row for row, _, _ in MISREAD])
def test_a_number_with_an_underscore_or_foreign_digits_is_one_clear_line(tmp_path, row, column, expected):
    """Python's float() and int() accept these; Kaggle's files never hold them."""
    path = tmp_path / "sub.csv"
    path.write_text(f"RowId,Location\n1,10\n{row}\n")
    with pytest.raises(DataError, match=rf"sub\.csv, row 2 \(line 3\), column '{column}': {expected}"):
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


def patched_zip(folder, *, offset_local, offset_central, value, size):
    """folder/training.zip of good rows with one field of both its member's headers set to value (little-endian,
    `size` bytes): the local header's field at offset_local, the central directory's at offset_central."""
    write_training(folder, good_rows(3), zipped=True)
    archive = folder / "training.zip"
    data = bytearray(archive.read_bytes())
    for signature, offset in ((b"PK\x03\x04", offset_local), (b"PK\x01\x02", offset_central)):
        at = data.index(signature) + offset
        data[at:at + size] = value.to_bytes(size, "little")
    archive.write_bytes(bytes(data))
    return archive


@pytest.mark.parametrize("field, local, central, size, value, message", [
    ("declared size", 22, 24, 4, 1_260_000_000, "training.csv declares 1,260,000,000 bytes unpacked"),
    ("encrypted", 6, 8, 2, 0x1, "training.csv is encrypted"),
    ("Deflate64", 8, 10, 2, 9, "compressed with zip method 9 (9: Deflate64)"),
])
def test_a_zip_member_that_cannot_or_should_not_be_inflated_is_one_line(tmp_path, field, local, central, size, value,
                                                                         message):
    patched_zip(tmp_path, offset_local=local, offset_central=central, value=value, size=size)
    with pytest.raises(DataError) as error:
        load_training(tmp_path)
    assert str(error.value).startswith(f"{tmp_path / 'training.zip'}: ") and message in str(error.value)


def test_a_row_list_that_is_not_utf8_is_one_line(tmp_path):
    from facial_keypoints.tables import load_row_numbers

    path = tmp_path / "exclude.csv"
    path.write_bytes("row,note\n3,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"exclude\.csv, line 2: not UTF-8 text \(invalid continuation byte\)"):
        load_row_numbers(path)
