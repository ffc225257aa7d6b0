import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
import skimage.data

from tests.conftest import ROOT

pytestmark = pytest.mark.jax


def run_predict(*args):
    return subprocess.run([sys.executable, "predict.py", *map(str, args)], cwd=ROOT, capture_output=True, text=True)


def test_predict_finds_the_astronauts_face_and_puts_her_eyes_in_order(net1_run, tmp_path):
    photo = tmp_path / "astronaut.png"
    cv2.imwrite(str(photo), cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
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
