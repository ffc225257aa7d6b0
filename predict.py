"""Find the faces in ordinary photos and draw the 15 keypoints a trained net predicts for each.

    python predict.py me.jpg family.png --run runs/net7-... --out predictions/

For each photo: PHOTO-keypoints.png (the photo with the face boxes and keypoints drawn) and
PHOTO-keypoints.json (each face's box and keypoints in the photo's pixel coordinates).
Faces are found with OpenCV's bundled Haar cascade; each is cropped square, turned gray, resized
to the 96x96 the nets expect, and the predictions are mapped back to the photo.
"""
import argparse
import json
import sys
from pathlib import Path

from facial_keypoints.data import DataError

# The Haar box is a little tighter than the Kaggle crop: widen it by this much around its centre.
CROP_SCALE = 1.1


def latest_run(runs="runs"):
    folders = [p.parent for p in Path(runs).glob("*/config.json")] + [p.parent for p in Path(runs).glob("*/manifest.json")]
    if not folders:
        raise DataError(f"no run folder in {runs}/; train one (python train.py --net net6) or give --run")
    return max(folders, key=lambda p: p.stat().st_mtime)


def detect_faces(gray):
    import cv2
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    min_side = max(24, min(gray.shape) // 10)
    return [tuple(int(v) for v in box) for box in cascade.detectMultiScale(gray, 1.1, 5, minSize=(min_side, min_side))]


def crop_96(gray, box):
    """Square crop around a face box, edge-padded where it leaves the photo: (96x96 uint8, x0, y0, side)."""
    import cv2
    import numpy as np
    x, y, w, h = box
    side = int(round(max(w, h) * CROP_SCALE))
    x0, y0 = int(round(x + w / 2 - side / 2)), int(round(y + h / 2 - side / 2))
    pad = max(0, -x0, -y0, x0 + side - gray.shape[1], y0 + side - gray.shape[0])
    padded = np.pad(gray, pad, mode="edge")
    square = padded[y0 + pad:y0 + pad + side, x0 + pad:x0 + pad + side]
    return cv2.resize(square, (96, 96), interpolation=cv2.INTER_AREA), x0, y0, side


def write_png(path, image):
    import cv2
    if not cv2.imwrite(str(path), image):
        raise OSError(f"could not write {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photos", nargs="+", help="image files (jpg, png, ...)")
    parser.add_argument("--run", help="run or specialists folder (default: the newest in runs/)")
    parser.add_argument("--out", default="predictions", help="where the drawings and JSON go")
    args = parser.parse_args()

    import cv2
    import numpy as np

    from facial_keypoints.keypoints import COLUMNS
    from facial_keypoints.runs import load_full_predictor, predict_pixels, write_atomic, write_text

    run = Path(args.run) if args.run else latest_run()
    predict_scaled = load_full_predictor(run)
    out = Path(args.out)
    faces_found = 0
    for photo in map(Path, args.photos):
        color = cv2.imread(str(photo), cv2.IMREAD_COLOR)
        if color is None:
            raise DataError(f"{photo}: not an image OpenCV can read")
        gray = cv2.cvtColor(color, cv2.COLOR_BGR2GRAY)
        boxes = detect_faces(gray)
        if not boxes:
            print(f"{photo}: no face found", file=sys.stderr)
            continue
        crops = [crop_96(gray, box) for box in boxes]
        keypoints = predict_pixels(predict_scaled, np.stack([c[0] for c in crops]), COLUMNS)
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
        stem = out / f"{photo.stem}-keypoints"
        write_atomic(stem.with_suffix(".png"), lambda tmp: write_png(tmp, color))
        write_text(stem.with_suffix(".json"), json.dumps({"photo": str(photo), "run": str(run), "faces": faces}, indent=2) + "\n")
        print(f"{photo}: {len(faces)} face(s) -> {stem}.png, {stem}.json")
    if faces_found == 0:
        sys.exit("error: no face found in any photo")


if __name__ == "__main__":
    try:
        main()
    except DataError as error:
        sys.exit(f"error: {error}")
