"""Run folders, the one thing every command reads and writes: a finished run is a folder of model.keras
(architecture and weights, no optimizer), config.json (how it was made and how it scored), history.csv,
curve.png and keypoint_rmse.csv. Until it finishes it trains in a hidden unfinished folder beside it
(.NAME.partial, with its checkpoints), renamed when complete: a run folder is whole or absent.

Reading a run loads Keras only when its model is asked for (load_model_file), so that reading configs,
checking paths and --help start no backend.
"""
import contextlib
import fcntl
import itertools
import json
import os
import shutil
import time
import zipfile
from pathlib import Path

from facial_keypoints.errors import DataError

RETRAIN = "the run folder is damaged: train it again, or restore it from a copy"


def unfinished_folder(run_dir):
    """Where a run named run_dir trains until it is complete."""
    run_dir = Path(run_dir)
    return run_dir.parent / f".{run_dir.name}.partial"


def has_checkpoint(run_dir):
    return (unfinished_folder(run_dir) / "checkpoint.json").is_file()


def unused_name(out_dir, net_name):
    """A new run name in out_dir (net-date-time, then -2, -3, ...), reserved by making its unfinished folder:
    mkdir either makes it or fails, so two runs started in the same second get two names."""
    stamp = f"{net_name}-{time.strftime('%Y%m%d-%H%M%S')}"
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for name in itertools.chain([stamp], (f"{stamp}-{i}" for i in itertools.count(2))):
        if (Path(out_dir) / name).exists():
            continue
        try:
            unfinished_folder(Path(out_dir) / name).mkdir()
        except FileExistsError:
            continue
        return name


def start_afresh(run_dir, unfinished):
    """A new start in its locked unfinished folder: what a start that died before its first checkpoint left
    is cleared (no process holds it: the lock says so); a checkpoint is never cleared, but resumed."""
    if has_checkpoint(run_dir):
        raise DataError(f"{run_dir}: has a checkpoint already; continue it with: python train.py --resume {run_dir}")
    for leftover in unfinished.iterdir():
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()


@contextlib.contextmanager
def locked(run_dir):
    """The run's unfinished folder locked while this process trains it: a second train.py --resume (or
    specialists.py) of the same run is refused instead of overwriting its checkpoints. flock: the OS lets
    go when the process ends, however it ends, so a killed run never stays locked; the lock is on the
    folder itself, so it holds through the rename that finishes the run."""
    folder = unfinished_folder(run_dir)
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        raise DataError(f"{run_dir}: another process is training it now ({folder.name} is locked); "
                        "wait for it to end, or stop it") from None
    try:
        yield folder
    finally:
        os.close(handle)


def read_json(path, fix=RETRAIN):
    """A JSON object from a file that this toolkit wrote; a damaged one is named, with what to do."""
    try:
        value = json.loads(Path(path).read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: damaged, not readable JSON ({error}); {fix}") from None
    if not isinstance(value, dict):
        raise DataError(f"{path}: damaged, expected a JSON object; {fix}")
    return value


def read_config(run_dir):
    """config.json of a run folder, without loading its model."""
    run_dir = Path(run_dir)
    if not (run_dir / "config.json").is_file() or not (run_dir / "model.keras").is_file():
        raise DataError(f"{run_dir}: not a run folder (expected config.json and model.keras from train.py)")
    return read_json(run_dir / "config.json")


def best_tta(run_dir):
    """The test-time augmentation a run recorded as its better inference (bench/ship.py), else None."""
    config_path = Path(run_dir) / "config.json"
    return read_json(config_path).get("tta") if config_path.is_file() else None


def load_model_file(path, fix=RETRAIN):
    """keras.saving.load_model (safe mode kept) of a .keras file; a cut-off or damaged one is named."""
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise DataError(f"{path}: damaged, not a complete .keras file ({error}); {fix}") from None
    if damaged is not None:
        raise DataError(f"{path}: damaged ({damaged} inside fails its checksum); {fix}")
    import keras

    import facial_keypoints.layers  # noqa: F401  registers CoordinateChannels, SoftArgmax for load_model
    import facial_keypoints.losses  # noqa: F401  registers masked_mse
    import facial_keypoints.optim  # noqa: F401  registers ScheduledSGD
    try:
        return keras.saving.load_model(path)
    except (ValueError, KeyError, OSError, TypeError) as error:  # TypeError: a class safe mode will not locate
        raise DataError(f"{path}: could not be loaded ({str(error).splitlines()[0][:200]}); {fix}") from None


def load_run(run_dir):
    """(model, config) of a run folder."""
    config = read_config(run_dir)
    model = load_model_file(Path(run_dir) / "model.keras")
    outputs, columns = model.outputs[0].shape[-1], config.get("columns")
    if isinstance(columns, list) and outputs != len(columns):
        raise DataError(f"{run_dir}: model.keras predicts {outputs} values, but config.json lists {len(columns)} "
                        f"columns; {RETRAIN}")
    return model, config


def save_inference_model(model, path):
    """model.keras of a finished run: architecture and weights, no optimizer state (a third of the size;
    checkpoints keep the optimizer for --resume). Keras writes the optimizer of a compiled model, so
    save an uncompiled model over the same layers."""
    import keras
    keras.Model(model.inputs, model.outputs, name=model.name).save(path)
