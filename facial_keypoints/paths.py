"""Where outputs go: a file or a folder the user named, checked before anything is computed or written."""
from pathlib import Path

from facial_keypoints.data import DataError


def _check_parents(path, what):
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            raise DataError(f"{what} {path}: {parent} is a file, not a folder")


def output_file(path, what="--out"):
    """path for a file to write: not a folder, and no file where one of its folders should be."""
    path = Path(path)
    _check_parents(path, what)
    if path.is_dir():
        raise DataError(f"{what} {path}: is a folder; expected a file name")
    return path


def output_folder(path, what="--out", make=True):
    """path for a folder to write into: not a file; made (with its parents) unless make=False."""
    path = Path(path)
    _check_parents(path, what)
    if path.exists() and not path.is_dir():
        raise DataError(f"{what} {path}: is a file; expected a folder")
    if make:
        path.mkdir(parents=True, exist_ok=True)
    return path
