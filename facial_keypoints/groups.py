"""Nouri's specialists' keypoint groups and their folders: one model per group, each trained on every row
that has its group (specialists.py trains them); a specialists folder holds manifest.json and one run
folder per group, and predicts all 30 columns put back together.

The groups are written by keypoint name; their columns and flip pairs follow from the names, so a
group can never pair an eye corner with an eyebrow.
"""
import concurrent.futures
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

from facial_keypoints.cli import MAX_EPOCHS
from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS, KEYPOINTS
from facial_keypoints.runs import read_json
from facial_keypoints.splits import has_columns

GROUP_NAME = re.compile(r"[A-Za-z0-9_]+")  # a group is a folder inside the specialists folder: no / or ..

NOURI6 = {
    "eye_centers": ("left_eye_center", "right_eye_center"),
    "nose": ("nose_tip",),
    "mouth": ("mouth_left_corner", "mouth_right_corner", "mouth_center_top_lip"),
    "bottom_lip": ("mouth_center_bottom_lip",),
    "eye_corners": ("left_eye_inner_corner", "right_eye_inner_corner", "left_eye_outer_corner", "right_eye_outer_corner"),
    "eyebrows": ("left_eyebrow_inner_end", "right_eyebrow_inner_end", "left_eyebrow_outer_end", "right_eyebrow_outer_end"),
}
# The incremental study's two groups: the four points almost every row has, and the other eleven.
FOUR_POINTS = ("left_eye_center", "right_eye_center", "nose_tip", "mouth_center_bottom_lip")
STUDY2 = {"four_points": FOUR_POINTS, "the_rest": tuple(k for k in KEYPOINTS if k not in FOUR_POINTS)}
SPECIALIST_SETTINGS = {"nouri6": NOURI6, "study2": STUDY2}


def group_columns(keypoints):
    """Keypoint names -> their x and y columns, in Kaggle's column order."""
    return [c for c in COLUMNS if c[:-2] in keypoints]


def default_epochs(rows, pretrained, scale=1.0):
    """Nouri: int(4e6 / rows) epochs starting from a pretrained net, int(1e7 / rows) from scratch."""
    return max(1, int((4e6 if pretrained else 1e7) / rows * scale))


def group_epochs(keypoints, name, columns, pretrained, scale=1.0):
    """(rows that have all of a group's columns, the epochs default_epochs gives them), at most cli.MAX_EPOCHS."""
    count = int(has_columns(keypoints, columns).sum())
    epochs = default_epochs(count, pretrained, scale)
    if epochs > MAX_EPOCHS:
        raise DataError(f"--epochs-scale {scale:g} gives {name} {epochs:,} epochs; at most {MAX_EPOCHS:,}")
    return count, epochs


def aggregate(parts):
    """One predict_scaled for all 30 columns from specialists' (columns, predict_scaled) pairs."""
    owner = {}
    for index, (columns, _) in enumerate(parts):
        for column in columns:
            if column in owner:
                raise DataError(f"column {column} is predicted by two specialists")
            owner[column] = index
    missing = [c for c in COLUMNS if c not in owner]
    if missing:
        raise DataError(f"no specialist predicts {', '.join(missing)}")

    def predict_scaled(inputs):
        predicted = np.full((len(inputs), len(COLUMNS)), np.nan)
        for columns, predict in parts:
            predicted[:, [COLUMNS.index(c) for c in columns]] = np.asarray(predict(inputs))
        return predicted
    return predict_scaled


def is_specialists_folder(folder):
    return (Path(folder) / "manifest.json").is_file()


def read_manifest(folder):
    """manifest.json of a specialists folder, its group names checked before they are joined into paths."""
    path = Path(folder) / "manifest.json"
    fix = "the specialists folder is damaged: choose another --out, or restore it from a copy"
    manifest = read_json(path, fix)
    groups = manifest.get("groups")
    if not isinstance(groups, list) or not groups:
        raise DataError(f"{path}: damaged, expected a list of groups; {fix}")
    for group in groups:
        if not isinstance(group, str) or not GROUP_NAME.fullmatch(group):
            raise DataError(f"{path}: group {str(group)[:40]!r} is not a plain name (letters, digits, _); {fix}")
    return manifest


def check_folder(folder, manifest):
    """A specialists folder to write into: new, empty, or one of the same settings (an older manifest has
    fewer keys); never a folder of other files (a run folder, --out runs)."""
    if not (Path(folder) / "manifest.json").is_file():
        if Path(folder).is_dir() and any(Path(folder).iterdir()):
            raise DataError(f"--out {folder}: holds files but is not a specialists folder (it has no manifest.json); "
                            "choose another --out")
        return
    before = read_manifest(folder)
    changed = [k for k in manifest if k in before and before[k] != manifest[k]]
    if changed:
        raise DataError(f"{folder} holds specialists made with another {changed[0]} ({before.get(changed[0])}); "
                        "choose another --out")


def run_processes(commands, jobs, env=None):
    """{name: exit status} of commands ({name: argv}) run `jobs` at a time (None: never started). Ctrl-C or
    SIGTERM here is passed on to each running one (a specialist stops after its epoch and saves itself, as
    alone; a second signal aborts) and starts no other; then KeyboardInterrupt. They run in their own process
    group, so that a Ctrl-C at the terminal reaches them once, through here."""
    running, stopped, guard = {}, [], threading.Lock()

    def forward(signum, frame):
        stopped.append(signum)
        with guard:
            for child in running.values():
                child.send_signal(signum)

    def one(name):
        with guard:
            if stopped:
                return None
            child = running[name] = subprocess.Popen(commands[name], env=env, process_group=0)
        code = child.wait()
        with guard:
            del running[name]
        return code

    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            codes = dict(zip(commands, pool.map(one, commands)))
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if stopped:
        print(f"{signal.Signals(stopped[0]).name}: the running specialists stopped and saved themselves; re-run to "
              "train the rest", file=sys.stderr)
        raise KeyboardInterrupt
    return codes
