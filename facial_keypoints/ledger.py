"""results/runs.csv: one row per finished training or evaluation, appended by train.py,
specialists.py and the bench scripts, so that every number in the docs names the run that made it.

    python -m facial_keypoints.ledger runs/net16-...   # add finished runs made with --no-ledger

Appending takes a lock file and rewrites the ledger atomically: two runs finishing at once both land,
and a reader never sees half a row. A run that did not finish writes no row.
"""
import csv
import fcntl
import io
import os
import time
from pathlib import Path

from facial_keypoints.data import ROOT, DataError
from facial_keypoints.progress import command, commit, hardware

LEDGER = ROOT / "results" / "runs.csv"
FIELDS = ("date", "commit", "net", "epochs", "recipe_epochs", "split", "val_rmse_px", "tta", "ensemble_of", "rows",
          "wall_s", "s_per_epoch", "hardware", "backend", "command")


def ledger_path(no_ledger=False):
    """Where the scripts append: $FKD_LEDGER (the tests point it elsewhere), else results/runs.csv; None with --no-ledger."""
    return None if no_ledger else Path(os.environ.get("FKD_LEDGER") or LEDGER)


def append(path, **row):
    """Add one row (missing fields empty); the lock makes concurrent appends safe."""
    if path is None:
        return
    import keras  # only for the backend's name; whoever appends has trained or evaluated with it

    unknown = set(row) - set(FIELDS)
    if unknown:
        raise ValueError(f"not ledger fields: {sorted(unknown)}")
    defaults = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "commit": commit(), "hardware": hardware(),
                "backend": keras.backend.backend(), "command": command()}
    row = {**defaults, **row}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        text = path.read_text() if path.is_file() else ""
        header = ",".join(FIELDS)
        if text and text.split("\n", 1)[0] != header:
            raise DataError(f"{path}, line 1: expected the ledger header {header}")
        line = io.StringIO()
        writer = csv.writer(line, lineterminator="\n")
        if not text:
            writer.writerow(FIELDS)
        writer.writerow(["" if row.get(f) is None else _cell(row.get(f)) for f in FIELDS])
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text + line.getvalue())
        os.replace(tmp, path)


def _cell(value):
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def append_run(path, config):
    """The ledger row of a finished train.py run, from its config.json."""
    append(path, net=config["net"], epochs=config["epochs_run"], recipe_epochs=config["recipe"]["epochs"],
           split=config["split"], val_rmse_px=config["val_rmse_px"], rows=config["train_rows"],
           wall_s=round(config["seconds"], 1), s_per_epoch=round(config["seconds_per_epoch"], 2),
           hardware=config.get("hardware"), command=config.get("command"), commit=config.get("commit"))


if __name__ == "__main__":
    import sys

    from facial_keypoints.runs import read_config
    try:
        for run in sys.argv[1:]:
            append_run(ledger_path(), read_config(run))
            print(f"added {run} to {ledger_path()}")
    except DataError as error:
        sys.exit(f"error: {error}")
