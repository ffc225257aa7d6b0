"""Export a trained net for deployment: TFLite (LiteRT), ONNX or a TensorFlow SavedModel, parity checked.

    python export.py --format tflite                    # the shipped model -> exports/shipped.tflite
    python export.py --format tflite --quantize int8    # int8 weights -> exports/shipped-int8.tflite
    python export.py --format onnx                      # -> exports/shipped.onnx (needs requirements-export.txt)
    python export.py --format savedmodel --run runs/net16-... --out my-model

The exported model takes float32 pixels 0..255 of 96x96 gray faces, shape (N, 96, 96, 1) (a uint8 face
cast to float32, no other scaling), and returns (N, 30) keypoints in the face's pixels, x0, y0, x1, y1,
... in Kaggle's column order; the run's recorded test-time augmentation (shift for the shipped model: 18 views) is
inside the graph. Before anything is written the exported file is run with its own runtime (LiteRT or
tf.lite, onnxruntime, TensorFlow) on real faces: its keypoints may differ from Keras' by at most 0.05 px
on the test faces, and an int8 model may lose at most 0.1 px RMSE on the run's validation split;
otherwise the export stops with status 1 and writes nothing. Both figures are printed.
"""
import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from facial_keypoints import cli
from facial_keypoints.keypoints import TTAS

FLOAT_LIMIT_PX = 0.05  # largest |exported - Keras| of a float export, on the test faces
INT8_LIMIT_PX = 0.1  # largest validation RMSE an int8 export may lose


def output_path(args, run, suffix):
    """Where the export goes, checked before any work: an existing path only with --overwrite, and only
    when it is an earlier export of this format (never a folder of the user's files)."""
    from facial_keypoints import deploy
    from facial_keypoints.errors import DataError
    from facial_keypoints.paths import output_file, output_folder
    name = f"{run.name}{'-int8' if args.quantize else ''}{suffix or '-savedmodel'}"
    out = Path(args.out) if args.out else Path("exports") / name
    if suffix and out.suffix != suffix:  # Keras' exporters insist on it, after the whole conversion
        raise DataError(f"--out {out}: a {args.format} file name must end with {suffix}")
    out = output_folder(out, make=False) if args.format == "savedmodel" else output_file(out)
    if out.exists() and not args.overwrite:
        raise DataError(f"{out}: exists already; give --overwrite to replace it, or another --out")
    if out.exists() and not deploy.is_export(out, args.format):
        raise DataError(f"--overwrite {out}: not an earlier {args.format} export (--overwrite replaces only one of "
                        "those); choose another --out")
    return out


@contextlib.contextmanager
def staging_folder(out):
    """A hidden folder beside out to write into, removed afterwards; after a failure, so are the folders made
    for out (if nothing else is in them)."""
    made = [folder for folder in (out.parent, *out.parent.parents) if not folder.exists()]  # deepest first
    out.parent.mkdir(parents=True, exist_ok=True)
    staging, done = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.")), False
    try:
        yield staging
        done = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in [] if done else made:
            with contextlib.suppress(OSError):  # rmdir leaves a folder that holds anything
                folder.rmdir()


def check_parity(kind, quantize, gap, keras_rmse, exported_rmse, test_set, val_set):
    """Print both figures (gap: max |exported - Keras| on test_set; RMSEs on val_set); DataError when the
    export is off by more than its limit."""
    from facial_keypoints.errors import DataError
    loss = exported_rmse - keras_rmse
    print(f"parity on {test_set}: max |{kind} - Keras| = {gap:.5f} px "
          f"(limit {FLOAT_LIMIT_PX} px{', not applied to int8' if quantize else ''})")
    print(f"validation RMSE, {val_set}: Keras {keras_rmse:.4f} px, {kind} "
          f"{exported_rmse:.4f} px ({loss:+.4f} px{f'; limit +{INT8_LIMIT_PX}' if quantize else ''})")
    if quantize and loss > INT8_LIMIT_PX:
        raise DataError(f"{kind} loses {loss:.3f} px of validation RMSE (limit {INT8_LIMIT_PX} px); nothing written")
    if not quantize and gap > FLOAT_LIMIT_PX:
        raise DataError(f"{kind} differs from Keras by up to {gap:.3f} px (limit {FLOAT_LIMIT_PX} px); "
                        "nothing written")


def main():
    parser = cli.parser_for(__doc__)
    parser.add_argument("--run", help="run folder (default: the shipped model, models/shipped)")
    parser.add_argument("--format", required=True, choices=["tflite", "onnx", "savedmodel"])
    parser.add_argument("--out", help="file (a folder for savedmodel) to write; default exports/RUN[-int8].EXT")
    parser.add_argument("--quantize", choices=["int8"], help="tflite only: int8 weights (dynamic-range quantization)")
    parser.add_argument("--tta", choices=[*TTAS, "none"],
                        help="test-time augmentation inside the graph (default: the run's recorded one)")
    cli.add_data_option(parser, help="data for the parity check (default: $FKD_DATA, else ./data, else embedded)")
    parser.add_argument("--faces", type=int, default=256, help="test faces of the float parity check (default 256)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier export of this format at the same path (nothing else)")
    args = parser.parse_args()

    from facial_keypoints import deploy
    from facial_keypoints.data import SHIPPED_MODEL
    from facial_keypoints.errors import DataError
    run = Path(args.run) if args.run else SHIPPED_MODEL
    deploy.check_format(args.format, args.quantize)  # before anything is loaded: one line, status 1
    if args.faces < 1:
        raise DataError(f"--faces {args.faces}: expected a positive number of faces")
    out = output_path(args, run, deploy.FORMATS[args.format][0])

    import numpy as np

    from facial_keypoints.data import find_data_dir, load_test, load_training
    from facial_keypoints.keypoints import COLUMNS
    from facial_keypoints.metrics import rmse
    from facial_keypoints.prediction import Calibrated, offsets_of, predict_pixels, run_split, scaled_predictor, validation_faces
    from facial_keypoints.runs import best_tta, load_run
    model, config = load_run(run)
    if list(config["columns"]) != list(COLUMNS):
        raise DataError(f"{run} predicts {len(config['columns'])} of the 30 columns (one specialist?); "
                        "export a net that predicts all 30")
    tta = best_tta(run) if args.tta is None else {"none": None}.get(args.tta, args.tta)
    data = find_data_dir(args.data)
    test_faces = load_test(data)["images"][:args.faces]
    training = load_training(data)
    split = run_split(run)
    val_faces, val_true = validation_faces(training, run)
    offsets = offsets_of(config)  # the run's x offset, added after the views in the graph as in predict_pixels
    keras_test, keras_val = np.split(predict_pixels(  # both sets of faces in one call: Keras traces once
        Calibrated(scaled_predictor(model), offsets), np.concatenate([test_faces, val_faces[..., 0]]), COLUMNS, tta), [len(test_faces)])

    kind = {"tflite": "TFLite", "onnx": "ONNX", "savedmodel": "SavedModel"}[args.format]
    kind += " int8" if args.quantize else ""
    with staging_folder(out) as staging:
        unfinished = staging / out.name
        deploy.write(deploy.deploy_model(model, tta, offsets), args.format, unfinished, args.quantize)
        predict = deploy.runtime(args.format, unfinished)
        gap = float(abs(deploy.predict_all(predict, test_faces) - keras_test).max())
        exported_rmse = rmse(deploy.predict_all(predict, val_faces), val_true)
        check_parity(kind, args.quantize, gap, rmse(keras_val, val_true), exported_rmse,
                     f"{len(test_faces)} test faces", f"{split} split ({len(val_faces)} faces)")
        if out.exists():  # --overwrite: the old export moves aside first (a folder cannot be replaced in one step)
            os.replace(out, staging / "replaced")
        os.replace(unfinished, out)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) if out.is_dir() else out.stat().st_size
    print(f"{run} (TTA {tta or 'none'}) -> {out} ({size / 1e6:.2f} MB, {kind}): "
          "input float32 pixels 0..255 (N, 96, 96, 1), output (N, 30) keypoints in pixels")


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
