"""Find the faces in photos and videos, or live from a camera, and draw the 15 keypoints a trained net predicts.

    python predict.py me.jpg family.png                       # the shipped model (models/shipped)
    python predict.py me.jpg --run runs/net7-... --out predictions/
    python predict.py clip.mp4 [--smooth 0.5]                 # any video OpenCV reads
    python predict.py --camera 0                              # live, in a window (needs a display)

A photo gives NAME-keypoints.png (drawn) and NAME-keypoints.json (each face's box and keypoints in the
photo's pixels); a video gives NAME-keypoints.mp4 (every frame drawn) and NAME-keypoints.csv (one row per
frame and face: frame, time_s, face, box_x, box_y, box_w, box_h and Kaggle's 30 columns, in the frame's
pixels). NAME is the file name without its last extension (astro.v2.jpg -> astro.v2-keypoints.png); a
second file of that name (from another folder) gets NAME-2-keypoints.png, and so on. Every file is checked
before the first is worked on; an existing output is never replaced unless --overwrite is given; outputs
are written under temporary names and renamed when complete. Faces are found with OpenCV's bundled Haar
cascade on a copy at most 1600 pixels a side (a photo over 4096 pixels is even decoded at 1/2, 1/4 or 1/8
scale: bounded memory), cropped square, turned gray, resized to the 96x96 the nets expect, predicted in
one batch per photo or frame, and mapped back. --smooth ALPHA: a face's keypoints become ALPHA x this
frame's + (1 - ALPHA) x the previous frame's (the same face: the nearest box).
"""
import argparse
import functools
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from facial_keypoints.data import SHIPPED_MODEL, DataError
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


def output_names(inputs, out, kinds=None):
    """(drawing, record) paths for each input: out/NAME-keypoints.png and .json for a photo, .mp4 and .csv for
    a video (kinds[i] == "video"); a later input of a name already taken (same name, another folder) gets
    NAME-2, NAME-3, ..."""
    taken, names = set(), []
    for path, kind in zip(inputs, kinds or ["photo"] * len(inputs)):
        name, number = path.stem, 1
        while name.lower() in taken:  # lower: on macOS and Windows Me.jpg and me.jpg would share a file
            number += 1
            name = f"{path.stem}-{number}"
        taken.add(name.lower())
        suffixes = (".mp4", ".csv") if kind == "video" else (".png", ".json")
        names.append(tuple(out / f"{name}-keypoints{suffix}" for suffix in suffixes))
    return names


def kind_of(path):
    """"photo" or "video", by content (OpenCV's readers), or DataError."""
    if not path.is_file():
        raise DataError(f"{path}: not found")
    if cv2.haveImageReader(str(path)):
        return "photo"
    from facial_keypoints.video import check_video
    check_video(path)
    return "video"


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


def write_png(path, image):
    if not cv2.imwrite(str(path), image):
        raise OSError(f"could not write {path}")


def keypoints_in(image, predict_scaled, tta):
    """Face boxes (x, y, w, h) in a BGR or gray image and their keypoints, (n, 30) in its pixels: the faces
    go through the net in one batch."""
    from facial_keypoints.runs import predict_pixels
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


def load_predictor(run):
    """predict_scaled of a run folder (Keras' predict_on_batch: no per-call input pipeline, for a call per
    video frame) or of a specialists folder."""
    from facial_keypoints.predictors import load_full_predictor
    from facial_keypoints.runs import load_run
    if (run / "manifest.json").is_file():
        return load_full_predictor(run)
    model, config = load_run(run)
    if list(config["columns"]) != list(COLUMNS):
        return load_full_predictor(run)  # says what is wrong
    return model.predict_on_batch


def annotate_photo(photo, png, record, run, faces):
    from facial_keypoints.paths import write_atomic, write_text
    color, factor = read_photo(photo)
    boxes, keypoints = faces(color)
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", metavar="FILE", help="photos (jpg, png, ...) and videos (mp4, avi, ...)")
    parser.add_argument("--camera", type=int, metavar="INDEX", help="live from this camera, in a window")
    parser.add_argument("--smooth", type=float, metavar="ALPHA", help="videos and camera: exponential smoothing "
                        "across frames, 0 < ALPHA <= 1 (the weight of each new frame; 1: none)")
    parser.add_argument("--run", help="run or specialists folder (default: the shipped model, models/shipped)")
    parser.add_argument("--out", default="predictions", help="where the drawings, JSON, videos and CSV go")
    parser.add_argument("--overwrite", action="store_true", help="replace outputs of an earlier run of the same files")
    args = parser.parse_args()
    if (args.camera is None) == (not args.inputs):
        parser.error("give photos or videos, or --camera INDEX (not both)")
    if args.smooth is not None and not 0 < args.smooth <= 1:
        raise DataError(f"--smooth {args.smooth:g}: expected 0 < ALPHA <= 1 (1: no smoothing)")

    from facial_keypoints import video
    from facial_keypoints.paths import output_folder
    from facial_keypoints.runs import best_tta

    run = Path(args.run) if args.run else SHIPPED_MODEL

    def faces(image):
        return keypoints_in(image, predict_scaled, tta)

    if args.camera is not None:
        camera = video.open_camera(args.camera)  # before the model loads: a missing camera or display says so at once
        predict_scaled, tta = load_predictor(run), best_tta(run)
        return video.live(camera, f"camera {args.camera}", faces, draw, args.smooth)
    out = output_folder(args.out, "--out", make=False)
    inputs = [Path(p) for p in args.inputs]
    kinds = [kind_of(path) for path in inputs]  # every input is checked before the first is worked on
    names = output_names(inputs, out, kinds)
    existing = [path for pair in names for path in pair if path.exists()]
    if existing and not args.overwrite:
        raise DataError(f"{existing[0]}: exists already; give --overwrite to replace it, or another --out")
    predict_scaled, tta = load_predictor(run), best_tta(run)
    written = 0  # photos with a face, and videos (written even where no frame has one: the CSV says so)
    for path, kind, (drawing, record) in zip(inputs, kinds, names):
        if kind == "photo":
            written += annotate_photo(path, drawing, record, run, faces) > 0
            continue
        out.mkdir(parents=True, exist_ok=True)
        frames, with_faces, rows = video.annotate(path, drawing, record, faces, draw, args.smooth)
        written += 1
        print(f"{path}: {frames} frames, {with_faces} with a face, {rows} face(s) -> {drawing}, {record}")
    if written == 0:
        sys.exit("error: no face found in any photo")


if __name__ == "__main__":
    from facial_keypoints import cli
    cli.run(main)
