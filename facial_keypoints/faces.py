"""Faces in whole photos and video frames: find each face, cut it out as the nets' 96x96 gray face with the
data's own crop, predict its 15 keypoints, and map them back to the image's pixels.

    pipeline = Pipeline(run)           # the photo model (models/photos) by default
    found = pipeline.faces(image)      # [Face(box, keypoints (30,) in the image's pixels, passes, score)]

1. The detector (detectors.py; BlazeFace by default) finds the faces; each detection gives a first square
   box: from BlazeFace's six points by a linear rule, from a Haar box by an offset and a scale, both fitted
   on training frames to the boxes that made ytf-fkd's faces (models/photo_pipeline.json).
2. The box is cut out (square, edge-padded where it leaves the image, resized to 96x96), the net predicts.
3. The data's crop rule (photo_pipeline.json: the same kind of linear map, from the 15 points) gives the
   next box from those keypoints; cut, predict again, until the box settles (moves by under SETTLED of its
   side) or MAX_PASSES. The last pass uses PHOTO_TTA (tta="recorded": the run's own), the others one view;
   the keypoints are the mean of the last two passes (two nearby crops: a cheap average over the crop's
   position).
Video (video.py) starts each frame from the previous frame's keypoints instead of the detector.
"""
import dataclasses
import functools
import json
from pathlib import Path

import cv2
import numpy as np

from facial_keypoints.data import PHOTO_MODEL, ROOT
from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS, IMAGE_SIZE, scale

PHOTO_PIPELINE = ROOT / "models" / "photo_pipeline.json"
MAX_PASSES = 3  # two re-cuts: the third pass halved the failed photos (docs/photos.md, "Passes and views")
SETTLED = 0.01  # a box that moves less than this share of its side between passes has settled
PHOTO_TTA = "flip"  # the last pass's views on photos: shift's 18 views won 0.01 px for 2.2 times the time per photo


@dataclasses.dataclass
class Face:
    box: tuple             # the square box (x0, y0, side) of the last crop, in the image's pixels
    keypoints: np.ndarray  # (30,) x0, y0, x1, y1, ... in the image's pixels (pixel centres)
    passes: int            # how many crops of it the net saw
    score: float           # the detector's confidence in the face it started from


@functools.cache
def rules(path=PHOTO_PIPELINE):
    """The crop rule and the detectors' start rules (python -m bench.photos --fit writes them)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: not readable ({error}); restore it with: git checkout -- {path}") from None


def box_from_points(points, rule):
    """Square boxes (n, 3: centre x, centre y, side) from points (n, k, 2) by a linear rule {"weights": (2k, 3),
    "bias": (3,)} of the points around their centre in units of their RMS radius: the box moves and scales
    with the points."""
    points = np.asarray(points, dtype=np.float64)
    centre = points.mean(axis=1)
    radius = np.sqrt(((points - centre[:, None]) ** 2).sum(axis=2).mean(axis=1))
    features = ((points - centre[:, None]) / radius[:, None, None]).reshape(len(points), -1)
    offset = features @ np.asarray(rule["weights"]) + np.asarray(rule["bias"])  # (n, 3): dx, dy, side
    return np.column_stack([centre + offset[:, :2] * radius[:, None], offset[:, 2] * radius])


def box_from_keypoints(keypoints, rule=None):
    """The data's square box (centre x, centre y, side) around faces with these keypoints ((n, 30) pixels)."""
    points = np.asarray(keypoints, dtype=np.float64).reshape(-1, len(COLUMNS) // 2, 2)
    return box_from_points(points, rule or rules()["crop_rule"])


def start_box(detection, rule):
    """The first square box (centre x, centre y, side) of a detection, by its detector's start rule."""
    if detection.points is not None and "weights" in rule:
        return box_from_points(detection.points[None], rule)[0]
    return np.array([detection.x + rule["dx"] * detection.width, detection.y + rule["dy"] * detection.width,
                     rule["side"] * detection.width])


def square(centre_x, centre_y, side):
    """(x0, y0, side) in whole pixels of a square box given by its centre (pixel-centre coordinates) and side."""
    side = max(1, int(round(side)))
    return int(round(centre_x + 0.5 - side / 2)), int(round(centre_y + 0.5 - side / 2)), side


def cut(gray, box):
    """The 96x96 face of a square box (x0, y0, side), edge-padded where it leaves the image."""
    x0, y0, side = box
    height, width = gray.shape
    inside = gray[max(0, y0):min(height, y0 + side), max(0, x0):min(width, x0 + side)]
    if inside.size == 0:
        return np.full((IMAGE_SIZE, IMAGE_SIZE), int(gray.mean()), np.uint8)
    padded = np.pad(inside, ((max(0, -y0), max(0, y0 + side - height)), (max(0, -x0), max(0, x0 + side - width))),
                    mode="edge")  # the part outside the image: its edge repeated
    interpolation = cv2.INTER_AREA if side >= IMAGE_SIZE else cv2.INTER_CUBIC
    return cv2.resize(padded, (IMAGE_SIZE, IMAGE_SIZE), interpolation=interpolation)


def to_image(points, boxes):
    """Keypoints (n, 30) in 96x96 crop pixels -> the image's pixels, through the crops' boxes (n x (x0, y0, side))."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 3)
    origin = np.tile(boxes[:, :2], len(COLUMNS) // 2)
    return (np.asarray(points) + 0.5) * (boxes[:, 2:3] / IMAGE_SIZE) - 0.5 + origin


class Pipeline:
    """A run's net (its TFLite file where it has one, else Keras), a detector and the crop rule."""

    def __init__(self, run=PHOTO_MODEL, tta=PHOTO_TTA, detector="blazeface", max_passes=MAX_PASSES, stack=None):
        from facial_keypoints.detectors import DETECTORS
        from facial_keypoints.runs import best_tta
        self.run, self.max_passes = Path(run), max_passes
        self.stack = stack  # stacking.Stack (predict.py --with-peers): the last pass's crops blended with the peers'
        self.predict_scaled = net_predictor(self.run)
        self.tta = best_tta(self.run) if tta == "recorded" else tta
        self.detector = DETECTORS[detector]()
        self.start_rule = rules()["detectors"][detector]

    def predict(self, gray, boxes, tta=None, stack=None):
        """Keypoints (n, 30) in the image's pixels of the crops of these square boxes (x0, y0, side); stack(crops,
        keypoints in crop pixels), if given, blends them first."""
        from facial_keypoints.prediction import predict_pixels
        crops = np.stack([cut(gray, box) for box in boxes])
        points = predict_pixels(self.predict_scaled, crops, COLUMNS, tta)
        return to_image(stack(crops, points) if stack else points, boxes)

    def refine(self, gray, starts, passes=None):
        """(keypoints (n, 30), final boxes, passes) from starting boxes (n, 3: centre x, centre y, side): cut,
        predict, re-cut by the crop rule, until every box settles or the last pass."""
        passes = passes or self.max_passes
        boxes, previous = [square(*start) for start in starts], None
        for done in range(1, passes + 1):
            last = done == passes
            keypoints = self.predict(gray, boxes, self.tta if last else None, self.stack if last else None)
            if last:
                break
            new = [square(*b) for b in box_from_keypoints(keypoints)]
            moved = max(max(abs(a - b) for a, b in zip(old, now)) / old[2] for old, now in zip(boxes, new))
            boxes, previous = new, keypoints
            if moved < SETTLED:  # one more pass, on the settled boxes, with the run's TTA
                passes = done + 1
        if previous is not None and not self.stack:  # a stack's blend with the peers is an average already
            keypoints = (keypoints + previous) / 2
        return keypoints, boxes, passes

    def faces(self, image):
        """Every face in a BGR or gray image, strongest first; none where the detector finds none."""
        from facial_keypoints.detectors import detect
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        detections = detect(self.detector, image)
        if not detections:
            return []
        keypoints, boxes, passes = self.refine(gray, [start_box(d, self.start_rule) for d in detections])
        return unique([Face(box, points, passes, d.score) for box, points, d in zip(boxes, keypoints, detections)])


def unique(found):
    """Faces whose final boxes overlap by over OVERLAP are one face: the one the detector was surer of stays."""
    from facial_keypoints.detectors import merged
    if len(found) < 2:
        return found
    corners = np.array([(x, y, x + s, y + s) for x, y, s in (f.box for f in found)], dtype=np.float64)
    keep = [group[0] for group in merged(corners, np.array([f.score for f in found]))]
    return [found[i] for i in sorted(keep, key=lambda i: -found[i].score)]


def net_predictor(run):
    """predict_scaled of a run: its int8 TFLite file where it has one (bench/ship.py writes it; its parity is
    checked there and in the tests), several times faster per face than Keras; else the Keras model."""
    path = Path(run) / "model-int8.tflite"
    if not path.is_file():
        from facial_keypoints.prediction import load_full_predictor
        return load_full_predictor(run)
    from facial_keypoints.deploy import runtime
    from facial_keypoints.prediction import Calibrated, offsets_of
    from facial_keypoints.runs import read_config
    exported = runtime("tflite", path, threads=1)

    def predict_scaled(inputs):  # the exported graph takes pixels 0..255 and gives keypoints in pixels
        return scale(exported(np.asarray(inputs, np.float32) * np.float32(255)))
    return Calibrated(predict_scaled, offsets_of(read_config(run)))
