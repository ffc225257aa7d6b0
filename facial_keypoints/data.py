"""Kaggle's files -> arrays: find the data folder, read and check the CSVs, cache parsed pixels.

Every problem with a user's file is a DataError whose one-line message names the file, the row
and the column; the command-line scripts print it and exit with status 1.
"""
import hashlib
import os
import re
import shutil
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

import h5py
import numpy as np

from facial_keypoints.keypoints import COLUMNS
from facial_keypoints.paths import write_atomic
from facial_keypoints.errors import DataError
from facial_keypoints.tables import (check_pairs, kaggle_csv_bytes, numbers, pixels, positive_ints, read_table,
                                     reject_duplicates, zip_member)

ROOT = Path(__file__).resolve().parents[1]
EMBEDDED = ROOT / "data" / "ytf-fkd"  # real faces that ship with the repository (README there)
# The model that ships with the repository (bench/ship.py puts a finished run there): the default of
# predict.py, submit.py and specialists.py --pretrained. Its config.json says how it was made.
SHIPPED_MODEL = ROOT / "models" / "shipped"
FAST_MODEL = ROOT / "models" / "fast"  # a narrower net, for the fastest deployment (docs/deploy.md): --run models/fast
PHOTO_MODEL = ROOT / "models" / "photos"  # predict.py's: trained to follow a face in its crop (docs/photos.md)
LOCAL_DATA = Path("data")  # where a user puts Kaggle's own files
COMPETITION_ZIP = "facial-keypoints-detection.zip"
KAGGLE_FILES = ("training.csv", "training.zip", "test.csv", "test.zip", "IdLookupTable.csv", COMPETITION_ZIP)
CACHE_VERSION = "3"  # 2: HDF5; 3: keyed on the source's content, keypoints checked in x/y pairs


def find_data_dir(data_arg=None, quiet=False):
    """The data folder: --data DIR, else $FKD_DATA, else ./data/ when Kaggle's own files are there, else
    the ytf-fkd faces embedded in the repository. Kaggle's competition download (the zip of zips) is
    unpacked once into the cache. Says on stderr which folder is in use."""
    if data_arg is not None and not str(data_arg).strip():
        raise DataError("--data '': expected a folder with Kaggle's files (leave --data out for the default)")
    if data_arg:
        folder, why = Path(data_arg), "--data"
    elif os.environ.get("FKD_DATA"):
        folder, why = Path(os.environ["FKD_DATA"]), "$FKD_DATA"
    elif any((LOCAL_DATA / name).is_file() for name in KAGGLE_FILES):
        folder, why = LOCAL_DATA, "Kaggle's files in ./data/"
    else:
        folder, why = EMBEDDED, "embedded; --data DIR or $FKD_DATA for your own"
    if not folder.is_dir():
        raise DataError(f"{folder} (from {why}): no such folder; it should hold Kaggle's training.zip, test.zip "
                        f"and IdLookupTable.csv, or {COMPETITION_ZIP}")
    if (folder / COMPETITION_ZIP).is_file() and not any((folder / f"{stem}.{kind}").is_file()
                                                         for stem in ("training", "test") for kind in ("csv", "zip")):
        folder = unpack_competition_zip(folder / COMPETITION_ZIP)
    verify_checksums(folder)
    if not quiet:
        print(f"data: {folder} ({why})", file=sys.stderr, flush=True)
    return folder


def unpack_competition_zip(path):
    """Kaggle's download as it comes (training.zip, test.zip and the CSVs in one zip) -> a cache folder
    holding its members, made once per download (keyed on its size and time) and written whole."""
    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:20]
    folder = cache_dir() / f"kaggle-{key}"
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".kaggle-"))
    try:
        with zipfile.ZipFile(path) as archive:
            wanted = [n for n in archive.namelist() if Path(n).name in KAGGLE_FILES + ("SampleSubmission.csv",)]
            if not any(Path(n).name.startswith("training.") for n in wanted):
                raise DataError(f"{path}: expected Kaggle's training.zip inside, found {archive.namelist()[:6]}")
            for name in wanted:
                (building / Path(name).name).write_bytes(zip_member(archive, name, path))
        os.replace(building, folder)
    except (zipfile.BadZipFile, OSError, zlib.error) as error:
        raise DataError(f"{path}: not a readable zip file ({error})") from None
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder


def verify_checksums(folder):
    """A folder that ships a SHA256SUMS list (the embedded data) must match it: a damaged or half-copied
    file is named, not parsed into wrong faces."""
    sums = folder / "SHA256SUMS"
    if not sums.is_file():
        return
    for number, line in enumerate(sums.read_bytes().decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue  # a blank line lists nothing
        fields = line.split(maxsplit=1)
        if len(fields) != 2 or not re.fullmatch(r"[0-9a-fA-F]{64}", fields[0]):
            raise DataError(f"{sums}, line {number}: expected 'SHA256  FILE' (as sha256sum writes), got {line[:60]!r}")
        expected, name = fields[0].lower(), fields[1]
        path = folder / name.lstrip("*")
        if not path.is_file():
            raise DataError(f"{path}: missing (listed in {sums}); restore it with: git checkout -- {path}")
        if hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            raise DataError(f"{path}: damaged (its sha256 differs from {sums}); restore it with: git checkout -- {path}")


def cache_dir():
    root = os.environ.get("FKD_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "facial-keypoints"
    return Path(root)


def fingerprint(training):
    """Which data a run trained on, whatever file or folder they came from: the sha256 of the parsed faces and
    keypoints (a resumed run must go on with the same)."""
    digest = hashlib.sha256()
    for name in ("images", "keypoints"):
        digest.update(np.ascontiguousarray(training[name]).data)
    return digest.hexdigest()


def _cached(data_dir, stem, parse):
    """parse() once per source file; later loads read an HDF5 file keyed by the sha256 of the source's bytes
    (a changed source is parsed again, even one whose size and time were put back: cp -p). A damaged cache
    is rebuilt; an unwritable one costs speed."""
    source = next((p for p in (Path(data_dir) / f"{stem}.csv", Path(data_dir) / f"{stem}.zip") if p.is_file()), None)
    if source is None:
        return parse()  # raises the clear "not found" error
    with open(source, "rb") as file:
        content = hashlib.file_digest(file, "sha256").hexdigest()
    key = hashlib.sha256(f"{CACHE_VERSION}|{stem}|{source.suffix}|{content}".encode()).hexdigest()[:20]
    path = cache_dir() / f"{stem}-{key}.h5"
    if path.is_file():
        try:
            with h5py.File(path, "r") as saved:
                return {name: saved[name][()] for name in saved}
        except (OSError, KeyError, ValueError) as error:  # cut off or overwritten
            print(f"note: the cache {path} is damaged ({error}); rebuilding it", file=sys.stderr)
    arrays = parse()

    def write(tmp):
        with h5py.File(tmp, "w") as cache:
            for name, array in arrays.items():
                cache.create_dataset(name, data=array)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, write)
    except OSError as error:
        print(f"note: could not cache parsed {stem} data in {path.parent}: {error}", file=sys.stderr)
    return arrays


def load_training(data_dir):
    """training.csv/.zip -> {"images": uint8 (N, 96, 96), "keypoints": float64 (N, 30) pixels, NaN = missing}."""
    def parse():
        data, source = kaggle_csv_bytes(data_dir, "training")
        frame = read_table(data, source, COLUMNS + ("Image",), whole_file=True)
        keypoints = check_pairs(numbers(frame[list(COLUMNS)], source), frame[list(COLUMNS)], source)
        return {"images": pixels(frame["Image"], source), "keypoints": keypoints}
    return _cached(data_dir, "training", parse)


def load_test(data_dir):
    """test.csv/.zip -> {"image_ids": int64 (N,), "images": uint8 (N, 96, 96)}; each ImageId once."""
    def parse():
        data, source = kaggle_csv_bytes(data_dir, "test")
        frame = read_table(data, source, ("ImageId", "Image"), whole_file=True)
        image_ids = positive_ints(frame["ImageId"], source)
        reject_duplicates(image_ids, source, "ImageId")
        return {"image_ids": image_ids, "images": pixels(frame["Image"], source)}
    return _cached(data_dir, "test", parse)
