"""Issue 18: predict.py never overwrites silently, keeps photos of the same name apart, checks --out,
and looks for faces on a downscaled copy of a huge photo."""
import json

import cv2
import numpy as np
import pytest
import skimage.data

from facial_keypoints import faces
from tests.hardening import run_script
from tests.test_hardening_runs import tiny_run  # noqa: F401  the fixture


def astronaut(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture
def predict_py(capsys, tiny_run):  # noqa: F811
    return lambda *args: run_script(capsys, "predict.py", *args, "--run", tiny_run[0])


def test_names_come_from_the_whole_file_name_and_say_what_was_written(predict_py, tmp_path):
    photo = astronaut(tmp_path / "astro.v2.png")
    result = predict_py(photo, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    png, record = tmp_path / "out" / "astro.v2-keypoints.png", tmp_path / "out" / "astro.v2-keypoints.json"
    assert f"-> {png}, {record}" in result.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([png.name, record.name])


def test_photos_of_the_same_name_from_different_folders_keep_their_own_results(predict_py, tmp_path):
    first, second = astronaut(tmp_path / "a" / "me.png"), astronaut(tmp_path / "b" / "me.png")
    result = predict_py(first, second, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert json.loads((out / "me-keypoints.json").read_text())["photo"] == str(first)
    assert json.loads((out / "me-2-keypoints.json").read_text())["photo"] == str(second)
    assert (out / "me-2-keypoints.png").is_file() and f"{second}: 1 face(s) -> {out / 'me-2-keypoints.png'}" in result.stdout


def test_an_existing_output_is_refused_unless_overwrite(predict_py, tmp_path):
    photo = astronaut(tmp_path / "me.png")
    out = tmp_path / "out"
    out.mkdir()
    (out / "me-keypoints.json").write_text("the user's own file")
    result = predict_py(photo, "--out", out)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"error: {out / 'me-keypoints.json'}: exists already; give --overwrite" in result.stderr
    assert (out / "me-keypoints.json").read_text() == "the user's own file"
    assert not (out / "me-keypoints.png").exists()
    result = predict_py(photo, "--out", out, "--overwrite")
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "me-keypoints.json").read_text())["photo"] == str(photo)


def test_a_bad_photo_anywhere_stops_before_anything_is_written(predict_py, tmp_path):
    good = astronaut(tmp_path / "me.png")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    for bad, message in ((notes, "not an image OpenCV can read"), (tmp_path / "typo.png", "not found")):
        result = predict_py(good, bad, "--out", tmp_path / "out")
        assert result.returncode == 1 and f"{bad}: {message}" in result.stderr
        assert not (tmp_path / "out").exists()


def test_out_of_the_wrong_kind_is_one_clear_line(predict_py, tmp_path):
    photo = astronaut(tmp_path / "me.png")
    result = predict_py(photo, "--out", photo)
    assert result.returncode == 1 and f"--out {photo}: is a file; expected a folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_huge_photo_is_searched_downscaled_and_boxes_come_back_in_its_pixels(monkeypatch):
    gray = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2GRAY)
    (small_box,) = faces.find_faces(gray)
    huge = cv2.resize(gray, (512 * 8, 512 * 8), interpolation=cv2.INTER_NEAREST)  # 4096 x 4096
    seen = []
    detect = faces.detect_faces
    monkeypatch.setattr(faces, "detect_faces", lambda image: seen.append(image.shape) or detect(image))
    (box,) = faces.find_faces(huge)
    assert max(seen[0]) <= faces.DETECT_SIDE
    assert np.allclose(box, np.array(small_box) * 8, atol=8 * 6)


def test_the_crop_pads_with_the_photos_edge_as_before():
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (120, 90)).astype(np.uint8)
    for box in ((-10, -5, 50, 60), (60, 80, 40, 50), (10, 10, 30, 30), (-30, 70, 200, 90)):
        x, y, w, h = box
        side = int(round(max(w, h) * faces.CROP_SCALE))
        x0, y0 = int(round(x + w / 2 - side / 2)), int(round(y + h / 2 - side / 2))
        pad = max(0, -x0, -y0, x0 + side - 90, y0 + side - 120)
        whole = np.pad(gray, pad, mode="edge")[y0 + pad:y0 + pad + side, x0 + pad:x0 + pad + side]
        expected = cv2.resize(whole, (96, 96), interpolation=cv2.INTER_AREA)
        assert np.array_equal(faces.crop_96(gray, box)[0], expected)
