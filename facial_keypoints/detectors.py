"""Face detectors for whole photos: where the faces are, before the net sees them.

BlazeFace short-range (MediaPipe's face detector, Apache 2.0, models/detector/README.md) run with TFLite,
the default: fast, and it also places six points (eyes, nose tip, mouth, ears) from which the pipeline
starts its first crop. OpenCV's bundled Haar cascade, the detector used before, is kept to compare them.
Both give Detection(centre x, centre y, width, score, points) in the image's pixels (pixel centres).
"""
import dataclasses

import cv2
import numpy as np

from facial_keypoints.data import ROOT
from facial_keypoints.errors import DataError

BLAZEFACE = ROOT / "models" / "detector" / "face_detection_short_range.tflite"
MIN_SCORE = 0.5  # BlazeFace's own threshold (MediaPipe's default)
OVERLAP = 0.3  # boxes overlapping more than this (intersection over union) are one face
INPUT = 128  # BlazeFace short-range's input side


@dataclasses.dataclass
class Detection:
    x: float
    y: float
    width: float
    score: float
    points: np.ndarray | None = None  # BlazeFace: (6, 2) right eye, left eye, nose tip, mouth, right ear, left ear


class BlazeFace:
    """The image letterboxed to 128x128; the 896 anchors of MediaPipe's face-detection graph decoded; the boxes
    of one face merged by score-weighted non-maximum suppression, as that graph does. MediaPipe's own code for
    this comes only with the whole of MediaPipe (not a dependency here), hence these lines."""
    name = "blazeface"

    def __init__(self, path=BLAZEFACE):
        from facial_keypoints.deploy import tflite_interpreter
        if not path.is_file():
            raise DataError(f"{path}: the face detector is missing; restore it with: git checkout -- {path}")
        self.interpreter = tflite_interpreter(path, threads=1)
        self.input = self.interpreter.get_input_details()[0]["index"]
        outputs = {tuple(o["shape"])[-1]: o["index"] for o in self.interpreter.get_output_details()}
        self.regressors, self.scores = outputs[16], outputs[1]
        layers = ((8, 2), (16, 6))  # (stride, anchors per cell) of MediaPipe's SSD anchors for a 128 input
        self.anchors = np.array([((x + 0.5) / (INPUT // s), (y + 0.5) / (INPUT // s)) for s, n in layers
                                 for y in range(INPUT // s) for x in range(INPUT // s) for _ in range(n)])

    def __call__(self, image):
        color = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB if image.ndim == 2 else cv2.COLOR_BGR2RGB)
        height, width = color.shape[:2]
        side = max(height, width)
        top, left = (side - height) // 2, (side - width) // 2
        letterbox = cv2.copyMakeBorder(color, top, side - height - top, left, side - width - left, cv2.BORDER_CONSTANT)
        inputs = cv2.resize(letterbox, (INPUT, INPUT), interpolation=cv2.INTER_AREA if side > INPUT else cv2.INTER_LINEAR)
        self.interpreter.set_tensor(self.input, (inputs.astype(np.float32) / 127.5 - 1)[None])
        self.interpreter.invoke()
        raw = self.interpreter.get_tensor(self.regressors)[0].astype(np.float64)
        logits = np.clip(self.interpreter.get_tensor(self.scores)[0, :, 0].astype(np.float64), -100, 100)
        score = 1 / (1 + np.exp(-logits))
        keep = score >= MIN_SCORE
        raw, anchors, score = raw[keep], self.anchors[keep], score[keep]
        centre, size = raw[:, :2] / INPUT + anchors, raw[:, 2:4] / INPUT
        points = raw[:, 4:16].reshape(-1, 6, 2) / INPUT + anchors[:, None]
        to_image = np.array([left, top]) + 0.5  # letterbox units -> the image's pixel centres
        found = []
        for group in merged(np.column_stack([centre - size / 2, centre + size / 2]), score):
            weight = score[group] / score[group].sum()
            (x, y), w = weight @ centre[group] * side - to_image, float(weight @ size[group, 0]) * side
            found.append(Detection(x, y, w, float(score[group].max()),
                                   np.tensordot(weight, points[group], axes=1) * side - to_image))
        return found


class Haar:
    """OpenCV's Haar cascade for frontal faces (it comes with OpenCV), on a copy of at most 1600 pixels a side."""
    name = "haar"

    def __init__(self):
        self.cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")

    def __call__(self, image):
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        factor = min(1.0, 1600 / max(gray.shape))  # the cascade's memory grows with the pixels
        small = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else gray
        boxes, _, weights = self.cascade.detectMultiScale3(small, 1.1, 5, minSize=(24, 24), outputRejectLevels=True)
        return [Detection((x + w / 2) / factor - 0.5, (y + h / 2) / factor - 0.5, w / factor, float(weight))
                for (x, y, w, h), weight in zip(boxes, weights)]


DETECTORS = {"blazeface": BlazeFace, "haar": Haar}


def merged(corners, score):
    """Groups (index arrays, the best-scoring box first) of boxes (x0, y0, x1, y1) that overlap their group's
    best-scoring box by over OVERLAP (intersection over union)."""
    order, groups, taken = np.argsort(-score), [], np.zeros(len(score), bool)
    area = (corners[:, 2] - corners[:, 0]) * (corners[:, 3] - corners[:, 1])
    for i in order:
        if taken[i]:
            continue
        low, high = np.maximum(corners[i, :2], corners[:, :2]), np.minimum(corners[i, 2:], corners[:, 2:])
        inter = np.prod(np.clip(high - low, 0, None), axis=1)
        group = ~taken & (inter / np.maximum(area[i] + area - inter, 1e-12) > OVERLAP)
        group[i] = False
        taken |= group
        taken[i] = True
        groups.append(np.concatenate([[i], np.flatnonzero(group)]))
    return groups


def detect(detector, image, shares=(0.6, 0.35, 0.2), smallest=160):
    """The detector's faces in an image; where it finds none, it looks again in overlapping square tiles, each
    `share` of the shorter side (at least `smallest` pixels) and enlarged to its input, a finer grid while
    none is found: that is how small faces in big photos are found (BlazeFace's input is 128x128: it misses
    a face under about a sixth of the picture)."""
    found = detector(image)
    height, width = image.shape[:2]
    for share in shares:
        side = int(min(height, width) * share)
        if found or side < smallest:
            break
        count = int(np.ceil((1 - share) / (share / 2))) + 1  # tiles overlapping by half
        for y0 in np.linspace(0, max(0, height - side), count).astype(int):
            for x0 in np.linspace(0, max(0, width - side), count).astype(int):
                for face in detector(image[y0:y0 + side, x0:x0 + side]):
                    points = None if face.points is None else face.points + np.array([x0, y0])
                    found.append(dataclasses.replace(face, x=face.x + x0, y=face.y + y0, points=points))
        if found:  # the tiles overlap: one face may be in several
            corners = np.array([(f.x - f.width / 2, f.y - f.width / 2, f.x + f.width / 2, f.y + f.width / 2)
                                for f in found])
            found = [found[group[0]] for group in merged(corners, np.array([f.score for f in found]))]
    return found
