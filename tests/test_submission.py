"""submission.py: IdLookupTable's rows filled from predictions, checked as Kaggle would, written, read back
(a damaged file read right or refused in one line), averaged and scored."""
import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS
from facial_keypoints.submission import (
    align_submission,
    average_submissions,
    check_submission,
    load_solution,
    lookup_locations,
    read_submission,
    score,
    write_submission,
)
from facial_keypoints.tables import load_lookup
from tests.conftest import write

pytestmark = pytest.mark.jax
FILES = itertools.count()


def test_lookup_locations_put_each_prediction_in_its_row_and_clip():
    predictions = np.array([np.arange(30.0), np.arange(30.0) + 80])  # ImageId 7, then ImageId 3
    lookup = (np.array([1, 2, 3]), np.array([3, 3, 7]), ["nose_tip_x", "mouth_center_bottom_lip_y", "left_eye_center_y"])
    assert list(lookup_locations(lookup, np.array([7, 3]), predictions)) == [96.0, 96.0, 1.0]
    assert list(lookup_locations(lookup, np.array([7, 3]), predictions / 10)) == [10.0, 10.9, 0.1]
    with pytest.raises(DataError, match="ImageId 3"):
        lookup_locations(lookup, np.array([7]), predictions[:1])


def test_submission_for_the_real_kaggle_table_has_the_sample_submission_row_ids(kaggle_dir, tmp_path):
    lookup = load_lookup(kaggle_dir / "IdLookupTable.csv")
    image_ids = np.arange(1, 1784)
    dummy = np.tile(np.arange(30.0) + 10, (1783, 1)) + image_ids[:, None] / 1000  # predicts column + image
    locations = lookup_locations(lookup, image_ids, dummy)
    write_submission(tmp_path / "sub.csv", lookup[0], locations, lookup[0])
    row_ids, written = read_submission(tmp_path / "sub.csv")
    sample_ids, _ = read_submission(kaggle_dir / "SampleSubmission.csv")
    assert len(row_ids) == 27124 and np.array_equal(row_ids, sample_ids)
    expected = [COLUMNS.index(f) + 10 + i / 1000 for i, f in zip(lookup[1], lookup[2])]
    assert np.allclose(written, expected, atol=1e-3)
    assert (tmp_path / "sub.csv").read_text().startswith("RowId,Location\n1,")


def test_check_submission_rejects_what_kaggle_would():
    ids = np.array([1, 2, 3])
    check_submission(ids, np.array([0.0, 48.0, 96.0]), ids, "ok.csv")
    for row_ids, values, message in [(ids[:2], np.ones(2), "2 rows"), (np.array([1, 3, 2]), np.ones(3), "row 2: RowId 3"),
                                     (ids, np.array([1, np.nan, 1]), "row 2"), (ids, np.array([1, 1, 96.5]), "row 3")]:
        with pytest.raises(DataError, match=message):
            check_submission(row_ids, values, ids, "bad.csv")


def test_average_of_submissions_with_weights(tmp_path):
    a = write(tmp_path / "a.csv", "RowId,Location\n1,10\n2,20\n")
    b = write(tmp_path / "b.csv", "RowId,Location\r\n1,40\r\n2,50\r\n")
    row_ids, mean = average_submissions([a, b])
    assert list(row_ids) == [1, 2] and list(mean) == [25, 35]
    assert list(average_submissions([a, b], [2, 1])[1]) == [20, 30]
    with pytest.raises(DataError, match=r"c\.csv, row 2 \(line 3\), column 'RowId': RowId 3 is not in"):
        average_submissions([a, write(tmp_path / "c.csv", "RowId,Location\n1,10\n3,20\n")])
    with pytest.raises(DataError, match=r"d\.csv, line 1: missing column 'Location'"):
        average_submissions([a, write(tmp_path / "d.csv", "RowId,Loc\n1,10\n2,20\n")])


def test_score_is_kaggles_rmse_by_hand(tmp_path):
    submission = (np.array([1, 2, 3]), np.array([10.0, 20.0, 30.0]))
    assert score(submission, (np.array([3, 2, 1]), np.array([33.0, 20.0, 10.0]))) == pytest.approx(np.sqrt(9 / 3))
    with pytest.raises(DataError, match=r"mine\.csv: no row for RowId 4 \(1 of the 4 RowIds of answers\.csv missing\)"):
        score(submission, (np.array([3, 2, 1, 4]), np.array([33.0, 20.0, 10.0, 0.0])), "mine.csv", "answers.csv")
    # the same answers in training format + lookup table
    cells = [[""] * 30, [""] * 30]
    cells[0][COLUMNS.index("nose_tip_x")] = "10"
    cells[0][COLUMNS.index("nose_tip_y")] = "20"
    cells[1][COLUMNS.index("nose_tip_x")] = "33"
    solution = write(tmp_path / "answers.csv", ",".join(COLUMNS) + "\n" + "".join(",".join(r) + "\n" for r in cells))
    lookup = write(tmp_path / "lookup.csv",
                   "RowId,ImageId,FeatureName,Location\r\n1,1,nose_tip_x\r\n2,1,nose_tip_y\r\n3,2,nose_tip_x\r\n")
    assert score(submission, load_solution(solution, lookup)) == pytest.approx(np.sqrt(3.0))
    lookup = write(tmp_path / "lookup.csv", "RowId,ImageId,FeatureName,Location\n1,2,nose_tip_y\n")
    with pytest.raises(DataError, match="ImageId 2 has no nose_tip_y"):
        load_solution(solution, lookup)


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
    path = tmp_path / f"sub-{next(FILES)}.csv"  # a new name for each example
    path.write_bytes(text.encode("utf-8"))
    try:
        read_ids, read_locations = read_submission(path)
        aligned = align_submission(read_ids, read_locations, row_ids, str(path))
    except DataError as error:
        assert "\n" not in str(error) and path.name in str(error)
        return
    assert np.array_equal(aligned, locations)
