"""The photo pipeline (faces.py, detectors.py) on synthetic cases and on the embedded whole frames
(data/ytf-photos: frames of rows the clips split holds out)."""
import cv2
import numpy as np
import pandas as pd
import pytest

from facial_keypoints import faces
from facial_keypoints.data import ROOT, SHIPPED_MODEL
from facial_keypoints.detectors import BlazeFace, Detection, detect, merged
from facial_keypoints.keypoints import COLUMNS

PHOTOS = ROOT / "data" / "ytf-photos"


@pytest.fixture(scope="module")
def frames():
    """(BGR frames, their label rows) of 40 embedded frames."""
    labels = pd.read_csv(PHOTOS / "labels.csv", keep_default_na=False)
    rows = labels[labels["file"] != ""].iloc[:40]
    return [cv2.imread(str(PHOTOS / f)) for f in rows["file"]], rows


def true_box(row):
    """(centre x, centre y, side) of the box that made the row's 96x96 face (pixel-centre coordinates)."""
    return np.array([row.box_x0 + row.box_side / 2 - 0.5, row.box_y0 + row.box_side / 2 - 0.5, row.box_side])


def test_a_rule_box_moves_and_scales_with_the_points():
    rng = np.random.default_rng(0)
    rule = {"weights": rng.normal(size=(30, 3)).tolist(), "bias": [0.1, -0.2, 3.0]}
    points = rng.uniform(20, 70, size=(4, 15, 2))
    box = faces.box_from_points(points, rule)
    moved = faces.box_from_points(points * 2.5 + np.array([7.0, -3.0]), rule)
    assert np.allclose(moved[:, :2], box[:, :2] * 2.5 + np.array([7.0, -3.0])) and np.allclose(moved[:, 2], box[:, 2] * 2.5)


def test_the_fitted_crop_rule_gives_back_the_datas_boxes_on_held_out_rows(frames):
    _, rows = frames
    found = faces.box_from_keypoints(rows[list(COLUMNS)].to_numpy(float))
    truth = np.stack([true_box(r) for r in rows.itertuples()])
    error = (found - truth) / truth[:, 2:3]
    assert np.sqrt((error[:, :2] ** 2).mean()) < 0.01 and np.sqrt((error[:, 2] ** 2).mean()) < 0.08


def test_a_cut_and_its_mapping_back_keep_a_point_where_it_was():
    image = np.zeros((300, 400), np.uint8)
    cv2.circle(image, (250, 120), 3, 255, -1)  # a blob centred on pixel (250, 120)
    for box in [(200, 60, 120), (230, 100, 48), (-20, -40, 300)]:  # larger, smaller than 96, and off the edges
        crop = faces.cut(image, box)
        y, x = np.unravel_index(np.argmax(cv2.GaussianBlur(crop.astype(float), (5, 5), 0)), crop.shape)
        back = faces.to_image(np.tile([x, y], 15)[None].astype(float), [box])[0, :2]
        assert np.abs(back - (250, 120)).max() <= box[2] / 96 + 0.5


def test_overlapping_boxes_are_one_face_and_the_surest_stays():
    corners = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], float)
    groups = merged(corners, np.array([0.6, 0.9, 0.7]))
    assert [sorted(g.tolist()) for g in groups] == [[0, 1], [2]] and groups[0][0] == 1


def test_blazeface_finds_every_face_and_starts_near_the_datas_box(frames):
    detector, rule = BlazeFace(), faces.rules()["detectors"]["blazeface"]
    errors = []
    for image, row in zip(frames[0], frames[1].itertuples()):
        found = detector(image)
        assert len(found) >= 1
        truth = true_box(row)
        best = min(found, key=lambda d: np.hypot(d.x - truth[0], d.y - truth[1]))
        errors.append((faces.start_box(best, rule) - truth) / truth[2])
    errors = np.array(errors)
    assert np.sqrt((errors[:, :2] ** 2).mean()) < 0.05 and np.sqrt((errors[:, 2] ** 2).mean()) < 0.12


def test_a_small_face_in_a_big_photo_is_found_in_tiles(frames):
    image = frames[0][0]
    canvas = np.full((1500, 1500, 3), 120, np.uint8)
    small = cv2.resize(image, None, fx=1.2, fy=1.2)  # a face of about a twentieth of the photo's side
    canvas[1100:1100 + small.shape[0], 200:200 + small.shape[1]] = small
    assert BlazeFace()(canvas) == []  # too small for the whole photo at 128x128
    (face,) = detect(BlazeFace(), canvas)
    assert 200 < face.x < 200 + small.shape[1] and 1100 < face.y < 1100 + small.shape[0]


def test_a_haar_box_starts_from_its_offset_and_scale():
    rule = {"dx": 0.1, "dy": -0.2, "side": 1.5}
    assert np.allclose(faces.start_box(Detection(50, 60, 20, 1.0), rule), [52, 56, 30])


def test_whole_photos_with_the_shipped_model_beat_the_mean_shape_in_the_true_box(frames):
    """The pipeline, which must find the face, against the mean shape put where the data's own box says (which it
    cannot know): errors scaled to a 96-pixel face."""
    from facial_keypoints.data import EMBEDDED, load_training
    images, rows = frames
    pipeline, mean_shape = faces.Pipeline(SHIPPED_MODEL), np.nanmean(load_training(EMBEDDED)["keypoints"], axis=0)
    ours, mean = [], []
    for image, row in zip(images, rows.itertuples()):
        truth, scale = np.array([getattr(row, c) for c in COLUMNS]), 96 / row.box_side
        found = pipeline.faces(image)
        centre = truth.reshape(-1, 2).mean(axis=0)  # another face in the frame: score the one of the labels
        face = min(found, key=lambda f: np.linalg.norm(f.keypoints.reshape(-1, 2).mean(axis=0) - centre))
        ours.append((face.keypoints - truth) * scale)
        mean.append((faces.to_image(mean_shape[None], [(row.box_x0, row.box_y0, row.box_side)])[0] - truth) * scale)
    rmse = lambda errors: float(np.sqrt(np.mean(np.square(errors))))  # noqa: E731
    assert rmse(ours) < 0.8 * rmse(mean), (rmse(ours), rmse(mean))
