"""Whole photos: predict.py's pipeline (facial_keypoints/faces.py) on whole video frames of rows its model held
out, beside dlib and MediaPipe Face Mesh where their packages are installed.

    python -m bench.photos                              # the photo model on the embedded frames (data/ytf-photos)
    python -m bench.photos --run models/fast runs/net19-... --peers --core 0 --record
    python -m bench.photos --detector haar              # OpenCV's Haar cascade instead of BlazeFace, to compare
    python -m bench.photos --embed ../shared/data/ytf-photos   # maintainers: make data/ytf-photos from the frames
    python -m bench.photos --fit ../shared/data/ytf-photos     # maintainers: fit models/photo_pipeline.json

Per model: photos, faces found (the face nearest the true one, within half its box; else none), NME (mean
point error over the outer-eye-corner distance), the share of photos with NME > 10% or no face, RMSE of
the coordinates scaled to a 96-pixel face (x 96 / the side of the box that made the row's 96x96 face:
comparable with the crops' RMSE) and CPU milliseconds per photo on one pinned core (the decoded photo in,
keypoints out: detection, passes and TTA included). Only frames of rows the model's split held out
(validation) are used; every model is timed in this one run.
"""
import itertools
import time
from pathlib import Path

import numpy as np
import pandas as pd

from facial_keypoints import cli
from facial_keypoints.data import PHOTO_MODEL, ROOT
from facial_keypoints.errors import DataError
from facial_keypoints.faces import MAX_PASSES, PHOTO_TTA
from facial_keypoints.keypoints import COLUMNS

EMBEDDED_PHOTOS = ROOT / "data" / "ytf-photos"
BOX = ["box_x0", "box_y0", "box_side"]
LABEL_COLUMNS = ["row", "file", "identity", "width", "height", *BOX, *COLUMNS]
FAILED_NME = 0.10


def read_labels(folder):
    from facial_keypoints.data import verify_checksums
    verify_checksums(Path(folder))  # the embedded folder lists its files: a damaged frame is named
    path = Path(folder) / "labels.csv"
    if not path.is_file():
        raise DataError(f"{path}: not found (the labels of a ytf-photos folder)")
    labels = pd.read_csv(path, keep_default_na=False)
    missing = [c for c in LABEL_COLUMNS if c not in labels.columns]
    if missing:
        raise DataError(f"{path}, line 1: expected the column {missing[0]!r}")
    return labels


def held_out(labels, folder, split):
    """The rows of labels (those whose frame is in folder) that the split holds out for validation."""
    from facial_keypoints.data import EMBEDDED, load_training
    from facial_keypoints.splits import validation_mask
    is_val = validation_mask(load_training(EMBEDDED), split)
    has_frame = labels["file"].ne("") & labels["file"].map(lambda f: (Path(folder) / f).is_file() if f else False)
    return labels[has_frame & is_val[labels["row"].to_numpy() - 1]]


def nme_and_scaled(predicted, labels):
    """Per photo: NME over the outer-eye-corner distance, and the coordinate errors scaled to a 96-pixel face."""
    true = labels[list(COLUMNS)].to_numpy(float)
    points, truth = predicted.reshape(len(true), -1, 2), true.reshape(len(true), -1, 2)
    outer = [COLUMNS.index("left_eye_outer_corner_x") // 2, COLUMNS.index("right_eye_outer_corner_x") // 2]
    eyes = np.linalg.norm(truth[:, outer[0]] - truth[:, outer[1]], axis=1)
    nme = np.linalg.norm(points - truth, axis=2).mean(axis=1) / eyes
    return nme, (predicted - true) * (96 / labels["box_side"].to_numpy(float))[:, None]


def nearest_face(found, truth, side):
    """The keypoints (30,) of the found face nearest the true one (mean point within half the box side), or None."""
    if not found:
        return None
    centre = truth.reshape(-1, 2).mean(axis=0)
    distances = [np.linalg.norm(np.reshape(points, (-1, 2)).mean(axis=0) - centre) for points in found]
    best = int(np.argmin(distances))
    return np.asarray(found[best]) if distances[best] < side / 2 else None


def score(name, predict, photos, folder):
    """One row of the table: predict(BGR image) -> list of (30,) keypoints, timed per photo."""
    import cv2
    predicted, seconds = [], []
    for file in photos["file"]:
        image = cv2.imread(str(Path(folder) / file))
        started = time.process_time()
        found = predict(image)
        seconds.append(time.process_time() - started)
        predicted.append(found)
    truths = photos[list(COLUMNS)].to_numpy(float)
    matched = [nearest_face(f, t, s) for f, t, s in zip(predicted, truths, photos["box_side"])]
    hit = np.array([m is not None for m in matched])
    points = np.array([m if m is not None else np.full(len(COLUMNS), np.nan) for m in matched])
    nme, scaled = nme_and_scaled(points, photos)
    failed = ~hit | (np.nan_to_num(nme, nan=np.inf) > FAILED_NME)
    return {"net": name, "photos": len(photos), "found": int(hit.sum()), "nme": float(np.nanmean(nme)),
            "failed": float(failed.mean()), "rmse96": float(np.sqrt(np.nanmean(scaled[hit] ** 2))),
            "ms": 1e3 * float(np.median(seconds)), "multi": int(sum(len(f) > 1 for f in predicted))}


def shown(run):
    """A run as the table names it: its net and folder, "net28 (models/photos)"."""
    from facial_keypoints.runs import read_config
    folder = Path(run).resolve()
    where = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder.name
    return f"{read_config(run)['net']} ({where})"


def ours(run, detector, passes, tta=PHOTO_TTA):
    from facial_keypoints.faces import Pipeline
    pipeline = Pipeline(run, tta=tta, detector=detector, max_passes=passes)
    return lambda image: [face.keypoints for face in pipeline.faces(image)]


def picture(path, run, detector, photos, folder, count=8):
    """docs/photos.png: `count` held-out photos (evenly spread), each around its face, the pipeline's keypoints
    (green) over the true ones (red crosses)."""
    import cv2
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bench.pictures import png
    from facial_keypoints.paths import write_atomic
    predict = ours(run, detector, MAX_PASSES)
    chosen = photos.iloc[np.linspace(0, len(photos) - 1, count).astype(int)]
    figure, axes = plt.subplots(2, count // 2, figsize=(2.2 * count // 2, 4.6), layout="constrained")
    for axis, row in zip(axes.flat, chosen.itertuples()):
        image = cv2.cvtColor(cv2.imread(str(Path(folder) / row.file)), cv2.COLOR_BGR2RGB)
        truth = np.array([getattr(row, c) for c in COLUMNS]).reshape(-1, 2)
        found = nearest_face(predict(cv2.cvtColor(image, cv2.COLOR_RGB2BGR)), truth.ravel(), row.box_side)
        axis.imshow(image)
        axis.plot(*truth.T, "r+", markersize=7)
        if found is not None:
            axis.plot(*found.reshape(-1, 2).T, "o", color="lime", markersize=2.5)
        x, y, side = row.box_x0, row.box_y0, row.box_side
        axis.set_xlim(x - side / 2, x + 1.5 * side)
        axis.set_ylim(y + 1.5 * side, y - side / 2)
        axis.set_title(f"{row.width}x{row.height}, face {side:.0f} px", fontsize=7)
        axis.axis("off")
    figure.suptitle(f"Whole photos of held-out clips: the pipeline of {shown(run)} (green), labels (red)",
                    fontsize=9)
    write_atomic(Path(path), lambda tmp: Path(tmp).write_bytes(png(figure)))
    print(f"drew {path}")


def main():
    parser = cli.parser_for(__doc__, prog="python -m bench.photos")
    parser.add_argument("--run", nargs="+", default=[str(PHOTO_MODEL)],
                        help="run folders (default: the photo model, models/photos)")
    parser.add_argument("--photos", default=str(EMBEDDED_PHOTOS), help="a ytf-photos folder (default: data/ytf-photos)")
    parser.add_argument("--detector", choices=["blazeface", "haar"], default="blazeface", help="our pipeline's detector")
    parser.add_argument("--passes", type=int, nargs="+", default=[MAX_PASSES], metavar="N",
                        help=f"our pipeline's most passes (default: {MAX_PASSES}); several: one row each, to compare")
    parser.add_argument("--tta", nargs="+", default=[PHOTO_TTA], choices=["recorded", "none", "flip", "shift"],
                        help=f"our last pass's views (default: predict.py's, {PHOTO_TTA}; recorded: the run's own); "
                             "several: one row each")
    parser.add_argument("--peers", action="store_true", help="dlib and MediaPipe Face Mesh too (requirements-peers.txt)")
    parser.add_argument("--core", type=int, help="the CPU core to pin to (default: the first this process may use)")
    parser.add_argument("--limit", type=int, help="only the first N held-out photos (a quick look)")
    parser.add_argument("--picture", metavar="PNG", help="also draw a few photos with the first run's keypoints")
    parser.add_argument("--embed", metavar="SOURCE", help="make data/ytf-photos from SOURCE's frames, and stop")
    parser.add_argument("--fit", metavar="SOURCE", help="fit models/photo_pipeline.json on SOURCE's training frames")
    cli.add_ledger_options(parser)
    args = parser.parse_args()
    cli.check_positive(parser, passes=min(args.passes), limit=args.limit)
    if args.embed or args.fit:
        from bench import photo_rules
        return photo_rules.embed(Path(args.embed)) if args.embed else photo_rules.fit(Path(args.fit))
    from bench.peers import pin_to_one_core
    core = pin_to_one_core(args.core)
    from facial_keypoints.prediction import run_split
    labels = read_labels(args.photos)
    rows = []
    for run in args.run:
        photos = held_out(labels, args.photos, run_split(run))[:args.limit]
        if photos.empty:
            raise DataError(f"{args.photos}: no frame of a row that {run} held out")
        if args.picture and run == args.run[0]:
            picture(args.picture, run, args.detector, photos, args.photos)
        for passes, tta in itertools.product(args.passes, args.tta):
            name = f"ours: {shown(run)}, {args.detector}, {passes} pass{'es' if passes > 1 else ''}, TTA {tta}"
            predict = ours(run, args.detector, passes, None if tta == "none" else tta)
            rows.append({**score(name, predict, photos, args.photos), "split": run_split(run)})
            print(table(rows[-1:]), flush=True)
    if args.peers:
        from bench.photo_peers import peer_predictors
        photos = held_out(labels, args.photos, "clips")[:args.limit]
        for name, predict in peer_predictors():
            rows.append({**score(name, predict, photos, args.photos), "split": "clips"})
            print(table(rows[-1:]), flush=True)
    print(f"\n{table(rows)}\n\nCPU ms per photo on core {core}; NME over the outer-eye-corner distance; failed: NME > "
          f"{FAILED_NME:.0%} or no face")
    record(args, rows, core)


def table(rows):
    lines = ["| pipeline on whole photos | photos | found | RMSE px at 96 | NME | NME > 10% or no face | ms per photo |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['net']} | {r['photos']} | {r['found']} | {r['rmse96']:.3f} | {r['nme']:.4f} | {r['failed']:.1%} | "
              f"{r['ms']:.1f} |" for r in rows]
    return "\n".join(lines)


def record(args, rows, core):
    from facial_keypoints.ledger import append, ledger_path
    from facial_keypoints.provenance import cpu_model
    path = ledger_path(args.no_ledger, args.record)
    for row in rows:
        append(path, net=f"{row['net']}, whole photos", split=row["split"], val_rmse_px=row["rmse96"],
               rows=row["photos"], nme=row["nme"], failed=row["failed"], ms=row["ms"],
               hardware=f"{cpu_model()}, 1 core (pinned)")
    if path:
        print(f"added {len(rows)} rows to {path}")


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
