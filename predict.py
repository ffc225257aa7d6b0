"""Find the faces in photos and videos, or live from a camera, and draw the 15 keypoints a trained net predicts.

    python predict.py me.jpg family.png                       # the photo model (models/photos)
    python predict.py me.jpg --run runs/net19-... --out predictions/
    python predict.py clip.mp4 [--smooth 0.5]                 # any video OpenCV reads
    python predict.py me.jpg --with-peers                     # blended with dlib + MediaPipe by RUN/stack.json
    python predict.py --camera 0                              # live, in a window (needs a display)

A photo gives NAME-keypoints.png (drawn) and NAME-keypoints.json (each face's box and keypoints in the
photo's pixels); a video gives NAME-keypoints.mp4 (every frame drawn) and NAME-keypoints.csv (one row per
frame and face: frame, time_s, face, box_x, box_y, box_w, box_h and Kaggle's 30 columns, in the frame's
pixels; `face` numbers a face for as long as it is followed). NAME is the file name without its last
extension (astro.v2.jpg -> astro.v2-keypoints.png); a second file of that name (from another folder) gets
NAME-2-keypoints.png, and so on. Every file is checked before the first is worked on; an existing output is
never replaced unless --overwrite is given; outputs are written under temporary names and renamed when
complete. A photo over 4096 pixels a side is decoded at 1/2, 1/4 or 1/8 scale (bounded memory).

How (facial_keypoints/faces.py, docs/photos.md): a face detector (BlazeFace, shipped in models/detector/)
places a first square crop; the net predicts on it at 96x96; the data's crop rule re-cuts the face from
those keypoints and the net predicts again, until the crop settles. In a video each frame's crop comes
from the previous frame's keypoints (the detector runs when no face is followed, and once a second), and
the keypoints are smoothed with a One-Euro filter: --smooth HZ is its cutoff for a still face (lower:
smoother; 0: no smoothing).
"""
import sys
from pathlib import Path

from facial_keypoints import cli
from facial_keypoints.data import PHOTO_MODEL
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


def peers_stack(run):
    """The run's stacking.Stack (RUN/stack.json), checked before any work, as submit.py --with-peers does."""
    from facial_keypoints.peers import require_packages
    from facial_keypoints.stacking import Stack, read_stack
    record = read_stack(run)
    require_packages()
    return Stack(record)


def main():
    parser = cli.parser_for(__doc__)
    parser.add_argument("inputs", nargs="*", metavar="FILE", help="photos (jpg, png, ...) and videos (mp4, avi, ...)")
    parser.add_argument("--camera", type=int, metavar="INDEX", help="live from this camera, in a window")
    parser.add_argument("--smooth", type=float, default=1.0, metavar="HZ",
                        help="videos and camera: the One-Euro filter's cutoff for a still face, in Hz (default 1; "
                             "lower: smoother; 0: no smoothing)")
    parser.add_argument("--detector", choices=["blazeface", "haar"], default="blazeface",
                        help="the face detector (default: BlazeFace; haar: OpenCV's cascade, to compare)")
    parser.add_argument("--run", help="run or specialists folder (default: the photo model, models/photos: a net that "
                                          "follows the face in its crop)")
    parser.add_argument("--with-peers", action="store_true", help="blend with the calibrated dlib and MediaPipe on "
                        "each face's final crop, by RUN/stack.json (python -m bench.stack RUN fits it)")
    parser.add_argument("--out", default="predictions", help="where the drawings, JSON, videos and CSV go")
    parser.add_argument("--overwrite", action="store_true", help="replace outputs of an earlier run of the same files")
    args = parser.parse_args()
    if (args.camera is None) == (not args.inputs):
        parser.error("give photos or videos, or --camera INDEX (not both)")
    if not 0 <= args.smooth < float("inf"):
        raise DataError(f"--smooth {args.smooth:g}: expected a cutoff of 0 Hz (no smoothing) or more")

    from facial_keypoints import photos, video
    from facial_keypoints.faces import Pipeline
    from facial_keypoints.paths import output_folder

    run = Path(args.run) if args.run else PHOTO_MODEL
    stack = peers_stack(run) if args.with_peers else None
    if args.camera is not None:
        camera = video.open_camera(args.camera)  # before the model loads: a missing camera or display says so at once
        return video.live(camera, f"camera {args.camera}", Pipeline(run, detector=args.detector, stack=stack),
                          args.smooth or None)
    out = output_folder(args.out, "--out", make=False)
    inputs = [Path(p) for p in args.inputs]
    kinds = [kind_of(path) for path in inputs]  # every input is checked before the first is worked on
    names = output_names(inputs, out, kinds)
    existing = [path for pair in names for path in pair if path.exists()]
    if existing and not args.overwrite:
        raise DataError(f"{existing[0]}: exists already; give --overwrite to replace it, or another --out")
    pipeline = Pipeline(run, detector=args.detector, stack=stack)
    written = 0  # photos with a face, and videos (written even where no frame has one: the CSV says so)
    for path, kind, (drawing, record) in zip(inputs, kinds, names):
        if kind == "photo":
            written += photos.annotate_photo(path, drawing, record, pipeline) > 0
            continue
        out.mkdir(parents=True, exist_ok=True)
        frames, with_faces, rows = video.annotate(path, drawing, record, pipeline, args.smooth or None)
        written += 1
        print(f"{path}: {frames} frames, {with_faces} with a face, {rows} face(s) -> {drawing}, {record}")
    if written == 0:
        sys.exit("error: no face found in any photo")


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
