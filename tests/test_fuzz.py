"""Property-based tests of the CSV readers: every mangled file gives a clear error or the right numbers."""
import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facial_keypoints.errors import DataError

from facial_keypoints.data import load_test, load_training
from facial_keypoints.keypoints import COLUMNS

pytestmark = pytest.mark.jax
HEADER = ",".join(COLUMNS) + ",Image"
folders = itertools.count()


@st.composite
def training_files(draw):
    """A valid training.csv (text, images, keypoints) of 1 to 3 rows."""
    rows = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (rows, 9216))
    keypoints = np.round(rng.uniform(0, 96, (rows, 30)), draw(st.integers(0, 10)))
    keypoints[rng.uniform(size=(rows, 30)) < 0.3] = np.nan
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


@st.composite
def submissions(draw):
    """A valid submission of 1 to 20 rows: (text, row_ids, locations)."""
    rows = draw(st.integers(1, 20))
    row_ids = np.arange(1, rows + 1)
    locations = np.array(draw(st.lists(st.integers(0, 96000), min_size=rows, max_size=rows))) / 1000
    text = "RowId,Location\n" + "".join(f"{r},{v:g}\n" for r, v in zip(row_ids, locations))
    return text, row_ids, locations


NOT_A_DIGIT = st.sampled_from(list("x,;|\"") + [chr(c) for c in range(0x80, 0x100, 17)])


@settings(max_examples=80, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(submission=submissions(), data=st.data())
def test_a_damaged_submission_is_read_right_or_refused_in_one_line(tmp_path, submission, data):
    """Truncation, a byte that is not a digit, a duplicated, dropped or moved row: the rows read (and put in
    the lookup table's order) are the true ones, or the reader says what is wrong in one line."""
    from facial_keypoints.submission import align_submission, read_submission

    text, row_ids, locations = submission
    lines = text.splitlines(keepends=True)
    damage = data.draw(st.sampled_from(["truncate", "byte", "duplicate", "drop", "move"]))
    if damage == "truncate":
        text = text[:data.draw(st.integers(0, len(text) - 1))]
    elif damage == "byte":
        at = data.draw(st.integers(0, len(text) - 1))
        text = text[:at] + data.draw(NOT_A_DIGIT) + text[at + 1:]
    else:
        row = data.draw(st.integers(1, len(lines) - 1))
        if damage == "duplicate":
            lines.insert(data.draw(st.integers(1, len(lines))), lines[row])
        elif damage == "drop":
            del lines[row]
        else:
            lines.insert(data.draw(st.integers(1, len(lines) - 1)), lines.pop(row))
        text = "".join(lines)
    path = tmp_path / f"sub-{next(folders)}.csv"
    path.write_bytes(text.encode("utf-8"))
    try:
        read_ids, read_locations = read_submission(path)
        aligned = align_submission(read_ids, read_locations, row_ids, str(path))
    except DataError as error:
        assert "\n" not in str(error) and path.name in str(error)
        return
    assert np.array_equal(aligned, locations)
