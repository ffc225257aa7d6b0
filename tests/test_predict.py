"""predict.py on photos, and the faces.py steps it runs: faces found (on a downscaled copy of a huge photo,
boxes mapped back to its pixels), each cut out as a 96x96 face padded with the photo's edge, keypoints
drawn and written as JSON; outputs never overwritten silently, photos of the same name kept apart, a bad
photo or --out refused before anything is written."""
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
import skimage.data

from facial_keypoints import faces
from tests.conftest import ROOT, run_script


def astronaut(path):
    """path: a PNG of scikit-image's astronaut photo (one face), its folders made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
    return path


def run_predict(*args):
    return subprocess.run([sys.executable, "predict.py", *map(str, args)], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.jax
def test_predict_finds_the_astronauts_face_and_puts_her_eyes_in_order(net1_run, tmp_path):
    photo = astronaut(tmp_path / "astronaut.png")
    result = run_predict(photo, "--run", net1_run, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    found = json.loads((tmp_path / "out" / "astronaut-keypoints.json").read_text())
    (face,) = found["faces"]
    x, y, w, h = face["box"]
    left, right = face["keypoints"]["left_eye_center"], face["keypoints"]["right_eye_center"]
    for px, py in (left, right):
        assert x <= px <= x + w and y <= py <= y + h
    assert left[0] > right[0]  # Kaggle's left eye is the subject's left: on the image's right
    assert left[1] < face["keypoints"]["mouth_center_bottom_lip"][1]
    drawn = cv2.imread(str(tmp_path / "out" / "astronaut-keypoints.png"))
    assert drawn.shape == (512, 512, 3)


@pytest.mark.jax
def test_predict_says_so_when_there_is_no_face(net1_run, tmp_path):
    blank = tmp_path / "wall.png"
    cv2.imwrite(str(blank), np.full((200, 300, 3), 128, np.uint8))
    result = run_predict(blank, "--run", net1_run, "--out", tmp_path / "out")
    assert result.returncode != 0
    assert "wall.png: no face found" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
    not_an_image = tmp_path / "notes.txt"
    not_an_image.write_text("hello")
    result = run_predict(not_an_image, "--run", net1_run, "--out", tmp_path / "out")
    assert result.returncode != 0 and "not an image OpenCV can read" in result.stderr


@pytest.fixture
def predict_py(capsys, tiny_run):
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
    from facial_keypoints.detectors import Haar
    haar = Haar()
    color = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)
    small = max(haar(color), key=lambda d: d.width)  # the astronaut's face
    huge = cv2.resize(color, (512 * 8, 512 * 8), interpolation=cv2.INTER_NEAREST)  # 4096 x 4096
    seen, detect = [], haar.cascade.detectMultiScale3
    monkeypatch.setattr(haar, "cascade", type("Spy", (), {"detectMultiScale3": staticmethod(
        lambda image, *a, **k: seen.append(image.shape) or detect(image, *a, **k))})())
    big = max(haar(huge), key=lambda d: d.width)
    assert max(seen[0]) <= 1600
    assert np.allclose([big.x, big.y, big.width], np.array([small.x, small.y, small.width]) * 8, atol=8 * 6)


def test_the_crop_pads_with_the_photos_edge():
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (120, 90)).astype(np.uint8)
    for x0, y0, side in ((-10, -5, 60), (60, 80, 50), (10, 10, 30), (-30, 70, 200)):
        pad = max(0, -x0, -y0, x0 + side - 90, y0 + side - 120)
        whole = np.pad(gray, pad, mode="edge")[y0 + pad:y0 + pad + side, x0 + pad:x0 + pad + side]
        expected = cv2.resize(whole, (96, 96), interpolation=cv2.INTER_AREA if side >= 96 else cv2.INTER_CUBIC)
        assert np.array_equal(faces.cut(gray, (x0, y0, side)), expected)



def png_bytes(width, height, rows):
    """A gray 8-bit PNG of the given size whose image data are `rows` (filter bytes included), zlib-compressed."""
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))


def test_a_photo_that_would_decode_beyond_the_pixel_budget_is_refused_from_its_header(tmp_path):
    from facial_keypoints.errors import DataError
    from facial_keypoints.photos import read_photo

    photo = tmp_path / "wide.png"  # a valid PNG of 9000 x 9000 black pixels: 81 million once decoded
    photo.write_bytes(png_bytes(9000, 9000, b"\0" * (9000 * 9001)))
    assert photo.stat().st_size < 1e6
    with pytest.raises(DataError, match=r"wide\.png: would decode to 81 million pixels, more than the 50 million"):
        read_photo(photo)
    small = tmp_path / "small.png"
    small.write_bytes(png_bytes(30, 20, b"\0" * (20 * 31)))
    color, factor = read_photo(small)
    assert color.shape == (20, 30, 3) and factor == 1


@pytest.mark.parametrize("kind", [".jpg", ".png"])
def test_a_photo_cut_off_before_its_end_is_refused_not_read_as_gray(tmp_path, kind):
    from facial_keypoints.errors import DataError
    from facial_keypoints.photos import read_photo

    whole = cv2.imencode(kind, cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))[1].tobytes()
    photo = tmp_path / f"whole{kind}"
    photo.write_bytes(whole)
    assert read_photo(photo)[0].shape == (512, 512, 3)
    half = tmp_path / f"half{kind}"
    half.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(DataError, match=rf"half\{kind}: cut off \(the {'JPEG' if kind == '.jpg' else 'PNG'} end "
                                        "marker is missing\\); copy or download it again"):
        read_photo(half)
