"""Inference speed on one CPU core and model size: runs (default: the shipped model) in Keras, as a TF
SavedModel, TFLite float and int8 and ONNX Runtime (export.py's files), with and without its recorded
TTA, beside dlib and MediaPipe (bench.peers) on the same real faces.

    python -m bench.inference                      # prints the table and puts it in docs/deploy.md
    python -m bench.inference --faces 100 --no-docs
    python -m bench.inference --run models/shipped runs/net18-...   # several runs side by side (same split)

- Faces: the complete validation faces of the run's split (clips for the shipped model: 207 on the
  embedded data). val RMSE: all of them. Timed: --faces of them one at a time (batch 1), and as many
  whole batches of 64 as they hold (batch 64).
- Time: CPU time of the process (time.process_time) pinned to one core (bench.peers.pin_to_one_core),
  every runtime at one intra-op thread, after a warm-up call of each batch shape. Input float32 pixels,
  output keypoints in pixels: the exported graph whole (scaling and TTA included).
- The exported files are written to a temporary folder by deploy.py, then removed.
- Peers: one face at a time (neither takes batches), with the settings bench.peers chose
  (docs/peers.md, which also has their accuracy), their upscaling and padding included.
"""
import sys
import tempfile
import time
from pathlib import Path

from bench.peers import pin_to_one_core
from facial_keypoints import cli
from facial_keypoints.errors import DataError
from facial_keypoints.peers import INSTALL, Dlib, MediaPipe, megabytes, missing_packages, run_peer

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "deploy.md"
BEGIN, END = "<!-- inference -->", "<!-- /inference -->"
KERAS = "Keras 3 (model.keras, predict_on_batch)"
FORMATS = (("savedmodel", None, "TF SavedModel (tf.saved_model)"), ("tflite", None, "TFLite float32 (LiteRT)"),
           ("tflite", "int8", "TFLite int8 weights (LiteRT)"), ("onnx", None, "ONNX Runtime"))


def ms_per_face(predict, faces, batch, count):
    """CPU milliseconds per face over `count` faces (whole batches of `batch`), after one warm-up call."""
    batches = [faces[i:i + batch] for i in range(0, count - batch + 1, batch)]
    predict(batches[0])
    started = time.process_time()
    for chunk in batches:
        predict(chunk)
    return (time.process_time() - started) * 1e3 / (len(batches) * batch)


def size_mb(path):
    path = Path(path)
    return megabytes([f for f in path.rglob("*") if f.is_file()] if path.is_dir() else [path])


def table(rows):
    lines = ["| model | TTA | val RMSE px | ms/face, batch 1 | ms/face, batch 64 | MB |", "|---|---|---|---|---|---|"]
    for name, tta, error, single, batched, size in rows:
        cells = [f"{v:.3f}" if isinstance(v, float) else v for v in (error, single, batched)]
        lines.append(f"| {name} | {tta} | {' | '.join(cells)} | {size:.2f} |")
    return "\n".join(lines)


def put_in_docs(block, path=DOCS):
    from facial_keypoints.paths import write_text
    text = path.read_text() if path.is_file() else ""
    if BEGIN not in text or END not in text:
        raise DataError(f"{path}: no {BEGIN} ... {END} markers to put the table between")
    head, rest = text.split(BEGIN, 1)
    write_text(path, f"{head}{BEGIN}\n{block}\n{END}{rest.split(END, 1)[1]}")


def our_rows(model, run, faces, true, count, notes, label=""):
    """(name, TTA, val RMSE, ms batch 1, ms batch 64, MB) of the run in Keras and in each exported format,
    with its recorded TTA and without; names start with label."""
    from facial_keypoints import deploy as export
    from facial_keypoints.metrics import rmse
    from facial_keypoints.prediction import offsets_of
    from facial_keypoints.runs import best_tta, read_config
    rows = []
    for tta in dict.fromkeys([best_tta(run), None]):
        deploy = export.deploy_model(model, tta, offsets_of(read_config(run)))  # as export.py writes it
        with tempfile.TemporaryDirectory(prefix="fkd-inference-") as folder:
            runtimes = [(KERAS, deploy.predict_on_batch, size_mb(run / "model.keras"))]
            for fmt, quantize, name in FORMATS:
                missing = export.missing_packages(fmt)
                if missing:
                    notes.append(f"{name}: not measured, {', '.join(missing)} not installed "
                                 "(pip install -r requirements-export.txt)")
                    continue
                path = Path(folder) / f"{fmt}-{quantize}{export.FORMATS[fmt][0]}"
                export.write(deploy, fmt, path, quantize)
                runtimes.append((name, export.runtime(fmt, path, threads=1), size_mb(path)))
            for name, predict, size in runtimes:
                rows.append((label + name, tta or "none", rmse(export.predict_all(predict, faces), true),
                             ms_per_face(predict, faces, 1, count), ms_per_face(predict, faces, 64, len(faces)), size))
                print(f"  {label}{name}, TTA {tta or 'none'}: {rows[-1][2]:.3f} px, {rows[-1][3]:.2f} ms/face one at a "
                      f"time, {rows[-1][4]:.2f} in batches of 64", file=sys.stderr, flush=True)
    return rows


def label(run):
    """A run as the docs name it: models/shipped, runs/net18-..."""
    return str(run.resolve().relative_to(ROOT)) if run.resolve().is_relative_to(ROOT) else str(run)


def peer_rows(faces, count, notes):
    """The same columns for dlib and MediaPipe, one face at a time, where their packages are installed."""
    missing = missing_packages()
    if missing:
        notes.append(f"dlib, MediaPipe: not measured, {', '.join(missing)} not installed ({INSTALL})")
        return []
    rows = []
    for peer_class in (Dlib, MediaPipe):
        peer, settings = peer_class(), peer_class.chosen
        seconds = run_peer(peer, settings, faces[:count, ..., 0].astype("uint8"))[1]  # they take uint8 crops
        rows.append((f"{peer.name} ({', '.join(f'{k} {v}' for k, v in settings.items())})", "none",
                     "[peers.md](peers.md)", seconds * 1e3, "one at a time", megabytes(peer.files)))
    return rows


def main():
    parser = cli.parser_for(__doc__, prog="python -m bench.inference")
    parser.add_argument("--run", nargs="+", help="run folders, validated on one split (default: the shipped model)")
    parser.add_argument("--faces", type=int, default=200, help="faces timed one at a time (default 200)")
    parser.add_argument("--core", type=int, help="the CPU core to pin to (default: the first one allowed)")
    parser.add_argument("--no-docs", action="store_true", help="print the table only; leave docs/deploy.md alone")
    cli.add_data_option(parser)
    args = parser.parse_args()
    cli.check_positive(parser, faces=args.faces)
    core = pin_to_one_core(args.core)
    import keras
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    from facial_keypoints.data import SHIPPED_MODEL, find_data_dir, load_training
    from facial_keypoints.prediction import run_split, validation_faces
    from facial_keypoints.provenance import hardware
    from facial_keypoints.runs import load_run
    runs = [Path(run) for run in args.run or [SHIPPED_MODEL]]
    splits = {run: run_split(run) for run in runs}
    split = splits[runs[0]]
    if len(set(splits.values())) > 1:
        named = ", ".join(f"{run}: {name}" for run, name in splits.items())
        raise DataError(f"--run: the runs were validated on different splits ({named}); time them separately")
    faces, true = validation_faces(load_training(find_data_dir(args.data)), runs[0])
    faces, count = faces.astype("float32"), min(args.faces, len(faces))
    if count < 1 or len(faces) < 64:
        raise DataError(f"--faces {args.faces}: need at least 1 face to time, and 64 validation faces ({len(faces)})")

    notes = []
    ours = [row for run in runs for row in our_rows(load_run(run)[0], run, faces, true, count, notes,
                                                      f"{label(run)}: " if len(runs) > 1 else "")]
    rows = ours + peer_rows(faces, count, notes)
    block = "\n".join([
        f"Command: `python -m bench.inference{' --run ' + ' '.join(map(label, runs)) if args.run else ''} "
        f"--faces {args.faces}{' --data ' + args.data if args.data else ''}`. "
        f"Hardware: {hardware()}, pinned to core {core}; CPU time per face, one intra-op thread per runtime; "
        f"Keras backend {keras.backend.backend()}. Faces: the {len(faces)} complete validation faces of the "
        f"{split} split (val RMSE on all; batch 1 timed on {count}, batch 64 on {len(faces) // 64 * 64}).", "",
        table(rows), "",
        f"Fastest of ours: {min(row[4] for row in ours):.3f} ms/face in batches of 64 (target 0.5), "
        f"{min(row[3] for row in ours):.3f} ms for a single face (target 2).", *[f"\nNote: {note}" for note in dict.fromkeys(notes)]])
    print("\n" + block)
    if not args.no_docs:
        put_in_docs(block)
        print(f"\n-> {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
