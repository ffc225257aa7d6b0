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
import sys
from pathlib import Path

from facial_keypoints import cli
from facial_keypoints.data import SHIPPED_MODEL
from facial_keypoints.errors import DataError


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
    import cv2
    if cv2.haveImageReader(str(path)):
        return "photo"
    from facial_keypoints.video import check_video
    check_video(path)
    return "video"


def main():
    parser = cli.parser_for(__doc__)
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

    import cv2  # noqa: F401  (before Keras: the photo readers of kind_of)

    from facial_keypoints import faces, video
    from facial_keypoints.paths import output_folder
    from facial_keypoints.prediction import load_full_predictor
    from facial_keypoints.runs import best_tta

    run = Path(args.run) if args.run else SHIPPED_MODEL
    if args.camera is not None:
        camera = video.open_camera(args.camera)  # before the model loads: a missing camera or display says so at once
        return video.live(camera, f"camera {args.camera}", load_full_predictor(run), best_tta(run), args.smooth)
    out = output_folder(args.out, "--out", make=False)
    inputs = [Path(p) for p in args.inputs]
    kinds = [kind_of(path) for path in inputs]  # every input is checked before the first is worked on
    names = output_names(inputs, out, kinds)
    existing = [path for pair in names for path in pair if path.exists()]
    if existing and not args.overwrite:
        raise DataError(f"{existing[0]}: exists already; give --overwrite to replace it, or another --out")
    predict_scaled, tta = load_full_predictor(run), best_tta(run)
    written = 0  # photos with a face, and videos (written even where no frame has one: the CSV says so)
    for path, kind, (drawing, record) in zip(inputs, kinds, names):
        if kind == "photo":
            written += faces.annotate_photo(path, drawing, record, run, predict_scaled, tta) > 0
            continue
        out.mkdir(parents=True, exist_ok=True)
        frames, with_faces, rows = video.annotate(path, drawing, record, predict_scaled, tta, args.smooth)
        written += 1
        print(f"{path}: {frames} frames, {with_faces} with a face, {rows} face(s) -> {drawing}, {record}")
    if written == 0:
        sys.exit("error: no face found in any photo")


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
