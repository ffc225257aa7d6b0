"""The ledgers: one row per finished training or evaluation, so that every number names the run that made it.

- Your own ledger, `runs/ledger.csv` (or $FKD_LEDGER): train.py, specialists.py and the bench tools add
  each finished run there (`--no-ledger`: nowhere). It is yours; no tracked file changes when you train.
- The project's ledger, `results/runs.csv`, which bench/report.py turns into the docs' tables: written only
  when a maintainer records on purpose, with `--record` on the same commands, or afterwards with

    python -m facial_keypoints.ledger record runs/net16-...   # finished run folders -> results/runs.csv
    python -m facial_keypoints.ledger add runs/net16-...      # -> your own ledger (runs made with --no-ledger)

Columns: epochs = epochs run; recipe_epochs = the epochs the run was started for (the net's recipe,
or --epochs N); tta = "flip" when the number is with flip test-time augmentation; ensemble_of = the
number of models averaged (specialists: how many); on whole photos (bench/photos.py) val_rmse_px is the
RMSE scaled to a 96-pixel face, nme the mean error over the outer-eye-corner distance, failed the share of
photos with NME > 10% or no face, ms the CPU milliseconds per photo. Every cell is text: read with dtype=str.

Appending takes a lock file and rewrites the ledger atomically: two runs finishing at once both land,
and a reader never sees half a row. A run that did not finish writes no row.
"""
import fcntl
import os
import time
import warnings
from pathlib import Path

import pandas as pd

from facial_keypoints.data import ROOT
from facial_keypoints.errors import DataError

PROJECT_LEDGER = ROOT / "results" / "runs.csv"
USER_LEDGER = Path("runs") / "ledger.csv"
FIELDS = ("date", "commit", "net", "epochs", "recipe_epochs", "split", "val_rmse_px", "tta", "ensemble_of", "rows",
          "wall_s", "s_per_epoch", "hardware", "backend", "command", "nme", "failed", "ms")
OLD_FIELDS = FIELDS[:15]  # ledgers written before the photo columns: read with those empty


def ledger_path(no_ledger=False, record=False):
    """Where a finished run is added: None with --no-ledger; the project's results/runs.csv with --record;
    else the user's own ledger, $FKD_LEDGER or runs/ledger.csv."""
    if no_ledger:
        return None
    if record:
        return PROJECT_LEDGER
    return Path(os.environ.get("FKD_LEDGER") or USER_LEDGER)


def lock_path(path):
    return path.with_name(path.name + ".lock")


def check_writable(path):
    """Before any work: a ledger a row can be added to at the end (a training of hours must not fail at its
    last step): not a folder, no file where its folders go, its folder and lock file writable."""
    if path is None:
        return
    from facial_keypoints.paths import output_file
    what = "$FKD_LEDGER" if os.environ.get("FKD_LEDGER") and path == Path(os.environ["FKD_LEDGER"]) else "the ledger"
    path = output_file(path, what)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        open(lock_path(path), "a").close()
    except OSError as error:
        raise DataError(f"{what} {path}: cannot be written ({error.filename}: {error.strerror})") from None


def read(path):
    """The ledger as text cells (nothing reinterpreted: '1.50' stays '1.50'); an empty table when there is no file."""
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame(columns=list(FIELDS), dtype=str)
    header = ",".join(FIELDS)
    with open(path) as file:
        first = file.readline().rstrip("\r\n")
    if first not in (header, ",".join(OLD_FIELDS)):
        raise DataError(f"{path}, line 1: expected the ledger header {header}")
    try:
        with warnings.catch_warnings(action="error", category=pd.errors.ParserWarning):  # a row with extra cells
            table = pd.read_csv(path, dtype=str, keep_default_na=False, index_col=False)
        return table.reindex(columns=list(FIELDS), fill_value="")
    except (pd.errors.ParserError, pd.errors.ParserWarning, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not a ledger of {len(FIELDS)} columns ({str(error).strip().splitlines()[-1]})") from None


def append(path, **row):
    """Add one row (missing fields empty); the lock makes concurrent appends safe."""
    if path is None:
        return
    unknown = set(row) - set(FIELDS)
    if unknown:
        raise ValueError(f"not ledger fields: {sorted(unknown)}")
    import keras  # only for the backend's name; whoever appends has trained or evaluated with it

    from facial_keypoints.provenance import command, commit, hardware
    defaults = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "commit": commit(), "hardware": hardware(),
                "backend": keras.backend.backend(), "command": command()}
    row = {**defaults, **row}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path(path), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        new = pd.DataFrame([[_cell(row.get(f)) for f in FIELDS]], columns=list(FIELDS), dtype=str)
        table = pd.concat([read(path), new], ignore_index=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            table.to_csv(tmp, index=False, lineterminator="\n")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


def _cell(value):
    if value is None:
        return ""
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def run_row(config):
    """The ledger cells of a finished train.py run, from its config.json; an interrupted run has none."""
    if config.get("interrupted"):
        raise DataError(f"an interrupted run (stopped after epoch {config['epochs_run']}) goes into no ledger; "
                        "resume or finish it first")
    return dict(net=config["net"], epochs=config["epochs_run"], recipe_epochs=config["recipe"]["epochs"],
                split=config["split"], val_rmse_px=config["val_rmse_px"], rows=config["train_rows"],
                wall_s=round(config["seconds"], 1), s_per_epoch=round(config["seconds_per_epoch"], 2),
                hardware=config.get("hardware"), command=config.get("command"), commit=config.get("commit"))


def append_run(path, config):
    """Add the row of a finished train.py run, from its config.json."""
    append(path, **run_row(config))


def listed(table, config):
    """Is this run in the ledger table already? Its every cell but the date the same: net, epochs, RMSE, time,
    hardware, command and commit."""
    row = {field: _cell(value) for field, value in run_row(config).items()}
    return bool((table[list(row)] == pd.Series(row)).all(axis=1).any())


def main():
    import argparse

    from facial_keypoints.runs import read_config
    parser = argparse.ArgumentParser(prog="python -m facial_keypoints.ledger", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("where", choices=["record", "add"],
                        help="record: into the project's results/runs.csv; add: into your own ledger")
    parser.add_argument("runs", nargs="+", metavar="RUN", help="finished run folders (train.py)")
    args = parser.parse_args()
    path = ledger_path(record=args.where == "record")
    check_writable(path)
    configs = [read_config(run) for run in args.runs]  # every folder checked before the first row is written
    table = read(path)
    for i, (run, config) in enumerate(zip(args.runs, configs)):
        try:
            again = listed(table, config) or config in configs[:i]
        except DataError as error:
            raise DataError(f"{run}: {error}") from None
        if again:
            raise DataError(f"{run}: in {path} already (the same net, epochs, RMSE, time and command); "
                            "a ledger lists each run once")
    for run, config in zip(args.runs, configs):
        append_run(path, config)
        print(f"added {run} to {path}")


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
