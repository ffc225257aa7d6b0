"""Faces in photos and video frames: find them, cut each out as the nets' 96x96 gray face, predict its 15
keypoints, and map them back to the photo's pixels; and draw them.

    found = faces_in(image, predict_scaled, tta)   # boxes (x, y, w, h) and keypoints (n, 30) in its pixels
"""
import functools

import cv2
import numpy as np

from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS

# The Haar box is a little tighter than the Kaggle crop: widen it by this much around its centre.
CROP_SCALE = 1.1
DETECT_SIDE = 1600  # faces are looked for on a copy no larger than this: the cascade's memory grows with pixels
READ_SIDE = 4096  # a photo larger than this is decoded at 1/2, 1/4 or 1/8 scale


@functools.cache
def cascade():
    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def detect_faces(gray):
    min_side = max(24, min(gray.shape) // 10)
    found = cascade().detectMultiScale(gray, 1.1, 5, minSize=(min_side, min_side))
    return [tuple(int(v) for v in box) for box in found]


def find_faces(gray):
    """Face boxes (x, y, w, h) in gray's pixels, looked for on a copy of at most DETECT_SIDE pixels a side."""
    scale = min(1.0, DETECT_SIDE / max(gray.shape))
    if scale == 1.0:
        return detect_faces(gray)
    small = cv2.resize(gray, (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale))),
                       interpolation=cv2.INTER_AREA)
    return [tuple(int(round(v / scale)) for v in box) for box in detect_faces(small)]


def longest_side(photo):
    """The photo's longer side in pixels from its header (Pillow decodes no pixels); 0 if Pillow cannot tell."""
    from PIL import Image
    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # its decompression-bomb check: nothing is decoded
    try:
        with Image.open(photo) as image:
            return max(image.size)
    except (OSError, ValueError):
        return 0
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def read_photo(photo):
    """(BGR image, factor): a photo over READ_SIDE pixels a side is decoded at 1/2, 1/4 or 1/8 of its size
    (factor; a JPEG decodes straight to it), so a huge photo costs little memory."""
    side = longest_side(photo)
    factor = next((f for f in (1, 2, 4) if side <= READ_SIDE * f), 8)
    flags = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
             8: cv2.IMREAD_REDUCED_COLOR_8}
    color = cv2.imread(str(photo), flags[factor])
    if color is None:
        raise DataError(f"{photo}: not an image OpenCV can read")
    return color, factor


def crop_96(gray, box):
    """Square crop around a face box, edge-padded where it leaves the photo: (96x96 uint8, x0, y0, side)."""
    x, y, w, h = box
    side = int(round(max(w, h) * CROP_SCALE))
    x0, y0 = int(round(x + w / 2 - side / 2)), int(round(y + h / 2 - side / 2))
    height, width = gray.shape
    inside = gray[max(0, y0):min(height, y0 + side), max(0, x0):min(width, x0 + side)]
    square = np.pad(inside, ((max(0, -y0), max(0, y0 + side - height)), (max(0, -x0), max(0, x0 + side - width))),
                    mode="edge")  # the part outside the photo: its edge repeated, as np.pad of the whole photo would
    return cv2.resize(square, (96, 96), interpolation=cv2.INTER_AREA), x0, y0, side


def faces_in(image, predict_scaled, tta):
    """Face boxes (x, y, w, h) in a BGR or gray image and their keypoints, (n, 30) in its pixels: the faces
    go through the net in one batch."""
    from facial_keypoints.prediction import predict_pixels
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    boxes = find_faces(gray)
    if not boxes:
        return [], np.empty((0, len(COLUMNS)))
    crops = [crop_96(gray, box) for box in boxes]
    keypoints = predict_pixels(predict_scaled, np.stack([c[0] for c in crops]), COLUMNS, tta)
    return boxes, np.array([(points + 0.5) * side / 96 - 0.5 + np.tile([x0, y0], 15)  # pixel centres both sides
                            for points, (_, x0, y0, side) in zip(keypoints, crops)])


def draw(color, boxes, keypoints):
    radius = max(2, min(color.shape[:2]) // 150)
    for (x, y, w, h), points in zip(boxes, keypoints):
        cv2.rectangle(color, (x, y), (x + w, y + h), (255, 200, 0), max(1, radius // 2))
        for px, py in points.reshape(-1, 2):
            cv2.circle(color, (int(round(px)), int(round(py))), radius, (0, 0, 255), -1)


def write_png(path, image):
    if not cv2.imwrite(str(path), image):
        raise OSError(f"could not write {path}")

def annotate_photo(photo, png, record, run, predict_scaled, tta=None):
    """A photo's faces drawn into png, and listed (box and keypoints in the photo's pixels) in the JSON record;
    both written atomically. Returns the number of faces (none: nothing is written)."""
    import json
    import sys

    from facial_keypoints.paths import write_atomic, write_text
    color, factor = read_photo(photo)
    boxes, keypoints = faces_in(color, predict_scaled, tta)
    if not boxes:
        print(f"{photo}: no face found", file=sys.stderr)
        return 0
    found = []
    for box, points in zip(boxes, keypoints):
        in_photo = (points + 0.5) * factor - 0.5  # from the reduced decode back to the photo's pixels
        named = {c[:-2]: [round(float(in_photo[i]), 2), round(float(in_photo[i + 1]), 2)]
                 for i, c in enumerate(COLUMNS) if c.endswith("_x")}
        found.append({"box": [v * factor for v in box], "keypoints": named})
    draw(color, boxes, keypoints)
    png.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(png, lambda tmp: write_png(tmp, color))
    write_text(record, json.dumps({"photo": str(photo), "run": str(run), "faces": found}, indent=2) + "\n")
    scaled = f" (read at 1/{factor} scale)" if factor > 1 else ""
    print(f"{photo}: {len(found)} face(s){scaled} -> {png}, {record}")
    return len(found)
