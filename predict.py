"""Find the faces in ordinary photos and draw the 15 keypoints a trained net predicts for each.

    python predict.py me.jpg family.png                       # the shipped model (models/shipped)
    python predict.py me.jpg --run runs/net7-... --out predictions/

For each photo: PHOTO-keypoints.png (the photo with the face boxes and keypoints drawn) and
PHOTO-keypoints.json (each face's box and keypoints in the photo's pixel coordinates), where PHOTO is
the file name without its last extension (astro.v2.jpg -> astro.v2-keypoints.png). A second photo of
the same name (from another folder) gets PHOTO-2-keypoints.png, and so on. An existing output is never
replaced unless --overwrite is given: the command stops before it writes anything.
Faces are found with OpenCV's bundled Haar cascade (on a copy at most 1600 pixels wide and high, so a
huge photo costs little memory); each is cropped square, turned gray, resized to the 96x96 the nets
expect, and the predictions are mapped back to the photo.
"""
import argparse
import json
import sys
from pathlib import Path

from facial_keypoints.data import SHIPPED_MODEL, DataError

# The Haar box is a little tighter than the Kaggle crop: widen it by this much around its centre.
CROP_SCALE = 1.1
DETECT_SIDE = 1600  # faces are looked for on a copy no larger than this: the cascade's memory grows with pixels


def detect_faces(gray):
    import cv2
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    min_side = max(24, min(gray.shape) // 10)
    return [tuple(int(v) for v in box) for box in cascade.detectMultiScale(gray, 1.1, 5, minSize=(min_side, min_side))]


def find_faces(gray):
    """Face boxes (x, y, w, h) in gray's pixels, looked for on a copy of at most DETECT_SIDE pixels a side."""
    import cv2
    scale = min(1.0, DETECT_SIDE / max(gray.shape))
    if scale == 1.0:
        return detect_faces(gray)
    small = cv2.resize(gray, (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale))),
                       interpolation=cv2.INTER_AREA)
    return [tuple(int(round(v / scale)) for v in box) for box in detect_faces(small)]


def output_names(photos, out):
    """(png, json) paths for each photo: out/PHOTO-keypoints.png and .json; a later photo of a name already
    taken (same name, another folder) gets PHOTO-2, PHOTO-3, ..."""
    taken, names = set(), []
    for photo in photos:
        name, number = photo.stem, 1
        while name.lower() in taken:  # lower: on macOS and Windows Me.jpg and me.jpg would share a file
            number += 1
            name = f"{photo.stem}-{number}"
        taken.add(name.lower())
        names.append((out / f"{name}-keypoints.png", out / f"{name}-keypoints.json"))
    return names


def crop_96(gray, box):
    """Square crop around a face box, edge-padded where it leaves the photo: (96x96 uint8, x0, y0, side)."""
    import cv2
    import numpy as np
    x, y, w, h = box
    side = int(round(max(w, h) * CROP_SCALE))
    x0, y0 = int(round(x + w / 2 - side / 2)), int(round(y + h / 2 - side / 2))
    height, width = gray.shape
    inside = gray[max(0, y0):min(height, y0 + side), max(0, x0):min(width, x0 + side)]
    square = np.pad(inside, ((max(0, -y0), max(0, y0 + side - height)), (max(0, -x0), max(0, x0 + side - width))),
                    mode="edge")  # the part outside the photo: its edge repeated, as np.pad of the whole photo would
    return cv2.resize(square, (96, 96), interpolation=cv2.INTER_AREA), x0, y0, side


def write_png(path, image):
    import cv2
    if not cv2.imwrite(str(path), image):
        raise OSError(f"could not write {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photos", nargs="+", help="image files (jpg, png, ...)")
    parser.add_argument("--run", help="run or specialists folder (default: the shipped model, models/shipped)")
    parser.add_argument("--out", default="predictions", help="where the drawings and JSON go")
    parser.add_argument("--overwrite", action="store_true", help="replace outputs of an earlier run of the same photos")
    args = parser.parse_args()

    import cv2
    import numpy as np

    from facial_keypoints.keypoints import COLUMNS
    from facial_keypoints.paths import output_folder
    from facial_keypoints.runs import best_tta, load_full_predictor, predict_pixels, write_atomic, write_text

    out = output_folder(args.out, "--out", make=False)
    photos = [Path(p) for p in args.photos]
    for photo in photos:  # every photo is checked before the first is worked on
        if not photo.is_file():
            raise DataError(f"{photo}: not found")
        if not cv2.haveImageReader(str(photo)):
            raise DataError(f"{photo}: not an image OpenCV can read")
    names = output_names(photos, out)
    existing = [path for pair in names for path in pair if path.exists()]
    if existing and not args.overwrite:
        raise DataError(f"{existing[0]}: exists already; give --overwrite to replace it, or another --out")
    run = Path(args.run) if args.run else SHIPPED_MODEL
    predict_scaled, tta = load_full_predictor(run), best_tta(run)
    faces_found = 0
    for photo, (png, record) in zip(photos, names):
        color = cv2.imread(str(photo), cv2.IMREAD_COLOR)
        if color is None:
            raise DataError(f"{photo}: not an image OpenCV can read")
        gray = cv2.cvtColor(color, cv2.COLOR_BGR2GRAY)
        boxes = find_faces(gray)
        if not boxes:
            print(f"{photo}: no face found", file=sys.stderr)
            continue
        crops = [crop_96(gray, box) for box in boxes]
        keypoints = predict_pixels(predict_scaled, np.stack([c[0] for c in crops]), COLUMNS, tta)
        faces = []
        radius = max(2, min(gray.shape) // 150)
        for (x, y, w, h), (_, x0, y0, side), points in zip(boxes, crops, keypoints):
            in_photo = (points + 0.5) * side / 96 - 0.5 + np.tile([x0, y0], 15)  # pixel centres both sides
            named = {c[:-2]: [round(float(in_photo[i]), 2), round(float(in_photo[i + 1]), 2)]
                     for i, c in enumerate(COLUMNS) if c.endswith("_x")}
            faces.append({"box": [x, y, w, h], "keypoints": named})
            cv2.rectangle(color, (x, y), (x + w, y + h), (255, 200, 0), max(1, radius // 2))
            for px, py in in_photo.reshape(-1, 2):
                cv2.circle(color, (int(round(px)), int(round(py))), radius, (0, 0, 255), -1)
        faces_found += len(faces)
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(png, lambda tmp: write_png(tmp, color))
        write_text(record, json.dumps({"photo": str(photo), "run": str(run), "faces": faces}, indent=2) + "\n")
        print(f"{photo}: {len(faces)} face(s) -> {png}, {record}")
    if faces_found == 0:
        sys.exit("error: no face found in any photo")


if __name__ == "__main__":
    from facial_keypoints import cli
    cli.run(main)
