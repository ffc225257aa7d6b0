"""Side by side on the clips validation split: the off-the-shelf landmark detectors someone would
`pip install` today (dlib's 68-point shape predictor, MediaPipe Face Mesh), mapped to the 15 Kaggle
points and calibrated on the training split, against our shipped model with its recorded TTA.

    pip install --no-deps -r requirements-peers.txt    # once: the peers' packages (see that file for why --no-deps)
    python -m bench.peers                              # the table in docs/peers.md
    python -m bench.peers runs/net12-0 runs/net16-1    # also score these run folders (their recorded TTA)
    python -m bench.peers --ensemble models/shipped models/fast   # also the average of these runs' predictions
    python -m bench.peers --record                     # maintainers: the rows into results/runs.csv

What it does (docs/peers.md has the mapping and the numbers):
- Split: validation_mask(training, "clips"). Scores: the complete validation rows. Calibration and every
  setting of the peers are chosen on training rows only.
- dlib: the 68-point predictor of face_recognition_models on a fixed square box (not dlib's face
  detector, which misses some of these 96x96 crops and places its box less consistently), the crop
  upscaled first (dlib returns whole-pixel positions).
  MediaPipe: Face Mesh (static images) on the crop upscaled and padded by edge replication.
  Box, upscale, padding and refine_landmarks are searched on --search-rows complete training faces.
- Landmarks -> 15 points (IBUG68, MESH468 in facial_keypoints/peers.py), then a per-keypoint affine calibration
  [x', y'] = [x, y, 1] @ W, least squares on every training row that has that point, refitted once
  without the faces the peer got badly wrong (fit_calibration). A face a peer misses gets the training
  mean of each column.
- "peers' average": the mean of the two calibrated peers.
- ms/face: the whole process is pinned to one CPU core (like `taskset -c CORE`, threads made after it
  inherit it, so TensorFlow, XLA and MediaPipe size their pools to one core) and the CPU time of the
  process is counted (time.process_time: on an idle core the same as wall time, and not inflated when
  other jobs share the core); peers one face at a time, including the upscaling and padding; our nets
  on the validation faces in one batch, TTA included, after one warm-up call.
"""
import os
import sys
import time
from pathlib import Path

import numpy as np

from facial_keypoints import cli
from facial_keypoints.keypoints import COLUMNS, KEYPOINTS
from facial_keypoints.ledger import append, ledger_path
from facial_keypoints.metrics import rmse
from facial_keypoints.peers import (Dlib, MediaPipe, calibrate, fit_calibration, megabytes, require_packages,
                                   run_peer, search, to_kaggle)
from facial_keypoints.provenance import cpu_model


def keypoint_rmse(predicted, true):
    """RMSE of each of the 15 points (x and y together), in KEYPOINTS order."""
    return [rmse(predicted[:, i:i + 2], true[:, i:i + 2]) for i in range(0, predicted.shape[1], 2)]


def nearest_landmarks(landmarks, true, mapping, top=3):
    """Per Kaggle point: the RMSE (px) of the mapped landmarks and of the single landmarks nearest to it,
    each after removing its mean offset (a peer's points sit a little off the labels' convention)."""
    def offset_rmse(candidates, target):  # candidates (N, K, 2), target (N, 2) -> (K,)
        residual = candidates - target[:, None]
        residual = residual - np.nanmean(residual, axis=0, keepdims=True)
        return np.sqrt(np.nanmean((residual ** 2).sum(axis=2), axis=0) / 2)
    lines = []
    for k, name in enumerate(KEYPOINTS):
        target = true[:, 2 * k:2 * k + 2]
        distances = offset_rmse(landmarks, target)
        chosen = offset_rmse(landmarks[:, list(mapping[name])].mean(axis=1, keepdims=True), target)[0]
        lines.append(f"  {name}: mapped {chosen:.2f} px; nearest "
                     + ", ".join(f"{i} ({distances[i]:.2f} px)" for i in np.argsort(distances)[:top]))
    return lines


def model_files(run_dir):
    return sorted(Path(run_dir).rglob("*.keras"))


def pin_to_one_core(core):
    """Pin this process (and every thread it starts later) to one CPU core; set thread-count variables
    for the libraries that read them. Before Keras, TensorFlow, JAX or MediaPipe are imported."""
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                     "TF_NUM_INTEROP_THREADS"):
        os.environ[variable] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("GLOG_minloglevel", "2")
    allowed = sorted(os.sched_getaffinity(0))
    core = allowed[0] if core is None else core
    os.sched_setaffinity(0, {core})
    return core


def score_ours(run_dir, val_images, val_true):
    """(predicted, CPU seconds per face, tta, split) of a run folder with its recorded TTA."""
    from facial_keypoints.prediction import load_full_predictor, predict_pixels, run_split
    from facial_keypoints.runs import best_tta
    predict_scaled = load_full_predictor(run_dir)
    tta = best_tta(run_dir)
    predict_pixels(predict_scaled, val_images[:8], COLUMNS, tta)  # warm-up: tracing, compilation
    started = time.process_time()
    predicted = predict_pixels(predict_scaled, val_images, COLUMNS, tta)
    return predicted, (time.process_time() - started) / len(val_images), tta, run_split(run_dir)


def described(run_dir, shown):
    """The ledger's name (shown: the folder's name there), epochs and training rows of a run or specialists folder."""
    from facial_keypoints.runs import read_json
    if (Path(run_dir) / "manifest.json").is_file():
        manifest = read_json(Path(run_dir) / "manifest.json")
        return {"net": f"{manifest['net']} specialists ({shown})", "ensemble_of": len(manifest["groups"])}
    config = read_json(Path(run_dir) / "config.json")
    return {"net": f"{config['net']} ({shown})", "epochs": config.get("epochs_run"), "rows": config.get("train_rows"),
            "recipe_epochs": config.get("recipe", {}).get("epochs")}


def record_scores(path, scored, true, hardware):
    """One ledger row per scored model, all at the end (a run that fails records nothing); path None: none."""
    for entry in scored:
        entry = dict(entry)
        append(path, split="clips", val_rmse_px=rmse(entry.pop("predicted"), true), hardware=hardware, **entry)


def main():
    parser = cli.parser_for(__doc__, prog="python -m bench.peers")
    parser.add_argument("runs", nargs="*", help="more run folders (or specialists folders) to score beside the shipped model")
    cli.add_data_option(parser)
    parser.add_argument("--search-rows", type=int, default=300,
                        help="complete training faces on which the peers' settings are searched (default 300)")
    parser.add_argument("--core", type=int, help="the CPU core to pin to (default: the first one allowed)")
    parser.add_argument("--nearest", action="store_true",
                        help="also list, per Kaggle point, the peers' landmarks that fit it best (training faces)")
    parser.add_argument("--ensemble", nargs="+", default=[], metavar="RUN",
                        help="also score the average of these runs' predictions (each with its recorded TTA)")
    cli.add_ledger_options(parser)
    args = parser.parse_args()
    cli.check_positive(parser, search_rows=args.search_rows)
    require_packages()

    core = pin_to_one_core(args.core)
    from facial_keypoints.data import SHIPPED_MODEL, find_data_dir, load_training
    from facial_keypoints.splits import examples, validation_mask
    import keras

    training = load_training(find_data_dir(args.data))
    is_val = validation_mask(training, "clips")
    val_images, val_true = examples(training, is_val, COLUMNS)
    train_images, train_true = examples(training, ~is_val, COLUMNS, complete=False)
    val_images, train_images = val_images[..., 0], train_images[..., 0]
    complete = np.flatnonzero(~np.isnan(train_true).any(axis=1))
    subset = np.random.default_rng(0).permutation(complete)[:args.search_rows]
    fallback = np.nanmean(train_true, axis=0)
    print(f"clips split: {len(val_images)} complete validation faces; {len(train_images)} training rows "
          f"(calibration), settings searched on {len(subset)} complete training faces; pinned to CPU core {core}",
          file=sys.stderr, flush=True)

    rows, calibrated, scored = [], {}, []
    for peer in (Dlib(), MediaPipe()):
        score, settings = search(peer, train_images[subset], train_true[subset])
        print(f"{peer.name}: chose {settings} ({score:.3f} px on the search faces)", file=sys.stderr, flush=True)
        if args.nearest:
            landmarks = run_peer(peer, settings, train_images[subset])[0]
            print(f"{peer.name}: mapped and nearest landmarks on the search faces (RMSE, mean offset removed):\n"
                  + "\n".join(nearest_landmarks(landmarks, train_true[subset], peer.mapping)),
                  file=sys.stderr, flush=True)
        train_points = to_kaggle(run_peer(peer, settings, train_images)[0], peer.mapping)
        params = fit_calibration(train_points, train_true)
        print(f"{peer.name}: training rows {rmse(calibrate(train_points, params, fallback), train_true):.3f} px "
              f"calibrated ({rmse(np.where(np.isnan(train_points), fallback, train_points), train_true):.3f} px raw), "
              f"{int(np.isnan(train_points[:, 0]).sum())} missed", file=sys.stderr, flush=True)
        val_landmarks, seconds = run_peer(peer, settings, val_images)
        val_points = to_kaggle(val_landmarks, peer.mapping)
        missed = int(np.isnan(val_points[:, 0]).sum())
        calibrated[peer.name] = calibrate(val_points, params, fallback)
        setting = ", ".join(f"{k} {v}" for k, v in settings.items())
        rows.append((f"{peer.name}, calibrated ({setting}; missed {missed})", calibrated[peer.name], seconds * 1e3,
                     megabytes(peer.files)))
        scored.append({"net": f"{peer.name}, calibrated ({setting})", "predicted": calibrated[peer.name],
                       "rows": len(train_images)})
    average = np.mean([calibrated[name] for name in calibrated], axis=0)
    rows.append(("peers' average (dlib + MediaPipe, calibrated)", average, rows[0][2] + rows[1][2],
                 rows[0][3] + rows[1][3]))
    scored.append({"net": "peers' average (dlib + MediaPipe, calibrated)", "predicted": average, "ensemble_of": 2,
                   "rows": len(train_images)})

    notes, ours = [], {}

    def score(run_dir):
        """score_ours once per run, however often it is named (alone and in --ensemble)."""
        key = run_dir.resolve()
        if key not in ours:
            ours[key] = score_ours(run_dir, val_images, val_true)
            if ours[key][3] != "clips":
                notes.append(f"{run_dir} was trained on the {ours[key][3]!r} split: some of these validation "
                             "faces (or their near-copies) were in its training rows")
        return ours[key]

    for run_dir in [SHIPPED_MODEL] + [Path(run) for run in args.runs]:
        label = "ours: shipped model (models/shipped)" if run_dir == SHIPPED_MODEL else f"ours: {run_dir}"
        if not (run_dir / "config.json").is_file() and not (run_dir / "manifest.json").is_file():
            notes.append(f"{label}: not found (no run folder at {run_dir}); row skipped")
            continue
        predicted, seconds, tta, _ = score(run_dir)
        rows.append((f"{label}, TTA {tta or 'none'}", predicted, seconds * 1e3, megabytes(model_files(run_dir))))
        shown = "models/shipped" if run_dir == SHIPPED_MODEL else run_dir
        scored.append({**described(run_dir, shown), "predicted": predicted, "tta": tta or ""})

    if args.ensemble:
        members = [score(Path(run)) for run in args.ensemble]
        name = "average of " + " + ".join(args.ensemble)
        average = np.mean([member[0] for member in members], axis=0)
        rows.append((f"ours: {name}, their TTA", average, sum(member[1] for member in members) * 1e3,
                     sum(megabytes(model_files(run)) for run in args.ensemble)))
        scored.append({"net": name, "predicted": average, "ensemble_of": len(members),
                       "tta": "+".join(member[2] or "none" for member in members)})

    print(f"\n{len(val_images)} complete validation faces of the clips split; peers calibrated on "
          f"{len(train_images)} training rows; one CPU core ({cpu_model()}, core {core} of "
          f"{os.cpu_count()}); backend {keras.backend.backend()}\n")
    print("| model | val RMSE px | ms/face, 1 core (CPU time) | model MB |")
    print("|---|---|---|---|")
    for name, predicted, ms, size in rows:
        print(f"| {name} | {rmse(predicted, val_true):.3f} | {ms:.2f} | {size:.1f} |")
    print("\nPer keypoint (RMSE px, x and y together):\n")
    short = ["dlib", "MediaPipe", "peers' avg"] + [name.split(",")[0].replace("ours: ", "") for name, *_ in rows[3:]]
    print("| keypoint | " + " | ".join(short) + " |")
    print("|---|" + "---|" * len(short))
    per_point = [keypoint_rmse(predicted, val_true) for _, predicted, *_ in rows]
    for k, name in enumerate(KEYPOINTS):
        print(f"| {name} | " + " | ".join(f"{scores[k]:.2f}" for scores in per_point) + " |")
    for note in notes:
        print(f"\nnote: {note}")
    record_scores(ledger_path(args.no_ledger, args.record), scored, val_true, f"{cpu_model()}, 1 core (pinned)")


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
