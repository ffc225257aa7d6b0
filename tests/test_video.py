"""video.py and predict.py on videos: a video made of real test faces, end to end on the CPU; smoothing;
the camera and bad inputs as one clear line; a huge photo decoded at a reduced size."""
import json

import cv2
import numpy as np
import pandas as pd
import pytest

from facial_keypoints import photos
from facial_keypoints import video
from facial_keypoints.data import EMBEDDED, load_test
from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS
from tests.conftest import run_script

FPS, FRAMES, TWO_FACES_FROM = 10, 30, 20


def face_panel(face):
    """A 96x96 test face upscaled to 192 and padded with its edges: 272x272, as a face in a video would be."""
    return np.pad(cv2.resize(face, (192, 192), interpolation=cv2.INTER_CUBIC), 40, mode="edge")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """30 frames (10 fps, 544x272) of real test faces: one face a frame, a second one beside it from frame 20."""
    faces = load_test(EMBEDDED)["images"]
    path = tmp_path_factory.mktemp("video") / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (544, 272))
    for frame in range(FRAMES):
        right = face_panel(faces[100 + frame // 3]) if frame >= TWO_FACES_FROM else np.full((272, 272), 128, np.uint8)
        writer.write(cv2.cvtColor(np.hstack([face_panel(faces[frame // 3]), right]), cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


def predict_py(capsys, *args):
    return run_script(capsys, "predict.py", *args)


@pytest.mark.jax
def test_a_video_of_real_faces_is_annotated_frame_by_frame(clip, capsys, tmp_path):
    out = tmp_path / "out"
    result = predict_py(capsys, clip, "--out", out, "--smooth", "0.7")
    assert result.returncode == 0, result.stderr
    csv_path, mp4 = out / "clip-keypoints.csv", out / "clip-keypoints.mp4"
    assert f"{clip}: {FRAMES} frames, {FRAMES} with a face, 40 face(s) -> {mp4}, {csv_path}" in result.stdout
    assert f"{clip}: frame {FRAMES}/{FRAMES}" in result.stderr  # the progress line
    assert sorted(p.name for p in out.iterdir()) == [csv_path.name, mp4.name]  # no temporary file left
    table = pd.read_csv(csv_path)
    assert list(table.columns) == ["frame", "time_s", "face", "box_x", "box_y", "box_w", "box_h", *COLUMNS]
    assert len(table) == TWO_FACES_FROM + 2 * (FRAMES - TWO_FACES_FROM)
    assert table.groupby("frame").size().tolist() == [1] * TWO_FACES_FROM + [2] * (FRAMES - TWO_FACES_FROM)
    assert np.allclose(table["time_s"], table["frame"] / FPS, atol=1e-3)
    xs, ys = table[list(COLUMNS[0::2])].to_numpy(), table[list(COLUMNS[1::2])].to_numpy()
    box_x, box_y, box_w, box_h = (table[c].to_numpy()[:, None] for c in ("box_x", "box_y", "box_w", "box_h"))
    assert ((xs >= box_x) & (xs <= box_x + box_w) & (ys >= box_y) & (ys <= box_y + box_h)).all()
    assert (table["left_eye_center_x"] > table["right_eye_center_x"]).all()  # the subject's left: the image's right
    annotated = cv2.VideoCapture(str(mp4))
    assert int(annotated.get(cv2.CAP_PROP_FRAME_COUNT)) == FRAMES and annotated.read()[1].shape == (272, 544, 3)
    annotated.release()
    again = predict_py(capsys, clip, "--out", out)  # never overwritten silently
    assert again.returncode == 1 and f"error: {mp4}: exists already; give --overwrite" in again.stderr


def test_the_one_euro_filter_stills_jitter_and_follows_motion():
    rng, fps, side = np.random.default_rng(0), 30.0, 100.0
    still = 50 + rng.normal(0, 1.0, size=(90, 30))  # a still face, keypoints jittering by 1 px
    one_euro = video.OneEuro(min_cutoff=1.0)
    smoothed = np.array([one_euro(points, i / fps, side) for i, points in enumerate(still)])
    assert smoothed[30:].std(axis=0).mean() < 0.4 * still[30:].std(axis=0).mean()
    constant = video.OneEuro()
    assert all(np.array_equal(constant(np.full(30, 7.0), i / fps, side), np.full(30, 7.0)) for i in range(5))
    moving = [np.full(30, 50.0) + 3 * side * i / fps for i in range(60)]  # three face sides a second
    follow = video.OneEuro(min_cutoff=1.0, beta=1.0)
    lag = np.abs(np.array([follow(p, i / fps, side) for i, p in enumerate(moving)])[-1] - moving[-1]).max()
    slow = video.OneEuro(min_cutoff=1.0, beta=0.0)  # a fixed cutoff lags behind a moving face
    assert lag < 0.5 * np.abs(np.array([slow(p, i / fps, side) for i, p in enumerate(moving)])[-1] - moving[-1]).max()


def test_a_followed_face_is_detected_once_a_second_and_a_new_one_joins(clip):
    from facial_keypoints.data import SHIPPED_MODEL
    from facial_keypoints.faces import Pipeline
    pipeline = Pipeline(SHIPPED_MODEL)
    calls, detector = [], pipeline.detector
    pipeline.detector = lambda image: calls.append(1) or detector(image)
    tracker, capture, numbers = video.Tracker(pipeline), cv2.VideoCapture(str(clip)), []
    for frame in range(FRAMES):
        numbers.append([number for number, _ in tracker(capture.read()[1], frame / FPS)])
    capture.release()
    assert len(calls) == 3  # frames 0, 10 and 20: once a second at 10 frames a second
    assert numbers == [[0]] * TWO_FACES_FROM + [[0, 1]] * (FRAMES - TWO_FACES_FROM)


def test_a_video_that_fails_midway_leaves_nothing(clip, tmp_path, monkeypatch):
    frames = []

    def follow(self, frame, time_s):
        frames.append(frame)
        if len(frames) == 5:
            raise OSError("disk full")
        return []

    monkeypatch.setattr(video.Tracker, "__call__", follow)
    with pytest.raises(OSError, match="disk full"):
        video.annotate(clip, tmp_path / "clip-keypoints.mp4", tmp_path / "clip-keypoints.csv", None)
    assert list(tmp_path.iterdir()) == []


def test_bad_inputs_are_one_line_and_nothing_is_written(capsys, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    empty = tmp_path / "empty.avi"
    cv2.VideoWriter(str(empty), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (64, 64)).release()  # a header, no frames
    out = tmp_path / "out"
    for args, message in (((notes,), f"error: {notes}: not an image OpenCV can read, nor a video"),
                          ((empty,), f"error: {empty}: a video with no frames"),
                          (("--camera", "97"), "error: --camera 97: camera 97 could not be opened"),
                          ((notes, "--smooth", "-1"), "error: --smooth -1: expected a cutoff of 0 Hz (no smoothing) or more")):
        result = predict_py(capsys, *args, "--out", out)
        assert result.returncode == 1 and message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()


def test_without_a_display_the_camera_says_why(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    problem = video.display_problem()
    if problem is None:
        pytest.skip("this OpenCV has a GUI and this system needs no $DISPLAY")
    assert "opencv-python-headless" in problem or "$DISPLAY" in problem


def test_a_huge_photo_is_decoded_at_a_fraction_and_mapped_back(tmp_path, capsys):
    faces = load_test(EMBEDDED)["images"]
    photo = tmp_path / "huge.jpg"
    big = cv2.resize(np.pad(face_panel(faces[0]), 100, mode="edge"), (5000, 5000), interpolation=cv2.INTER_LINEAR)
    cv2.imwrite(str(photo), big)
    color, factor = photos.read_photo(photo)
    assert factor == 2 and color.shape == (2500, 2500, 3)
    result = predict_py(capsys, photo, "--out", tmp_path / "out")
    assert result.returncode == 0 and "(read at 1/2 scale)" in result.stdout, result.stderr
    (face,) = json.loads((tmp_path / "out" / "huge-keypoints.json").read_text())["faces"]
    x, y, w, h = face["box"]
    assert 1000 < x + w / 2 < 4000 and w > 1000  # in the photo's own pixels
    eye = face["keypoints"]["left_eye_center"]
    assert x <= eye[0] <= x + w and y <= eye[1] <= y + h
    with pytest.raises(DataError):
        photos.read_photo(tmp_path / "out" / "huge-keypoints.json")
