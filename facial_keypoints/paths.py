"""Where outputs go: a file or a folder the user named, checked before anything is computed or written;
and writing files atomically, so that a reader never sees half a file."""
import os
import tempfile
from pathlib import Path

import pandas as pd

from facial_keypoints.errors import DataError

UMASK = os.umask(0o022)
os.umask(UMASK)


def write_atomic(path, write):
    """Call write(tmp_path), then rename tmp_path to path: readers never see half a file."""
    path = Path(path)
    suffix = "".join(path.suffixes[-2:])  # Keras insists on its own: ".weights.h5", ".keras"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~UMASK)  # mkstemp makes 0600 files
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path, text):
    write_atomic(path, lambda tmp: Path(tmp).write_text(text))


def write_csv(path, header, rows):
    frame = pd.DataFrame(list(rows), columns=list(header))
    write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False, lineterminator="\n"))


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
