"""Kaggle's files -> arrays: find the data folder, read and check the CSVs, cache parsed pixels.

Every problem with a user's file is a DataError whose one-line message names the file, the row
and the column; the command-line scripts print it and exit with status 1.
"""
import csv
import hashlib
import io
import math
import os
import re
import shutil
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from facial_keypoints.keypoints import COLUMNS, IMAGE_SIZE

PIXELS = IMAGE_SIZE * IMAGE_SIZE
ROOT = Path(__file__).resolve().parents[1]
EMBEDDED = ROOT / "data" / "ytf-fkd"  # real faces that ship with the repository (README there)
# The model that ships with the repository (bench/ship.py puts a finished run there): the default of
# predict.py, submit.py and specialists.py --pretrained. Its config.json says how it was made.
SHIPPED_MODEL = ROOT / "models" / "shipped"
LOCAL_DATA = Path("data")  # where a user puts Kaggle's own files
COMPETITION_ZIP = "facial-keypoints-detection.zip"
KAGGLE_FILES = ("training.csv", "training.zip", "test.csv", "test.zip", "IdLookupTable.csv", COMPETITION_ZIP)
CACHE_VERSION = "1"
FOUR_DIGITS = re.compile(r"\d{4,}")
csv.field_size_limit(sys.maxsize)  # an Image field is about 35 kB


class DataError(Exception):
    """A problem with the user's data files, worth one line and no traceback."""


def find_data_dir(data_arg=None, quiet=False):
    """The data folder: --data DIR, else $FKD_DATA, else ./data/ when Kaggle's own files are there, else
    the ytf-fkd faces embedded in the repository. Kaggle's competition download (the zip of zips) is
    unpacked once into the cache. Says on stderr which folder is in use."""
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
                (building / Path(name).name).write_bytes(archive.read(name))
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
    for line in sums.read_text().splitlines():
        expected, name = line.split(maxsplit=1)
        path = folder / name.lstrip("*")
        if not path.is_file():
            raise DataError(f"{path}: missing (listed in {sums}); restore it with: git checkout -- {path}")
        if hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            raise DataError(f"{path}: damaged (its sha256 differs from {sums}); restore it with: git checkout -- {path}")


def open_kaggle_csv(data_dir, stem):
    """Text of STEM.csv, or of the CSV inside STEM.zip, and a name to show in errors."""
    text, source = _read_kaggle_csv(Path(data_dir), stem)
    if text and not text.endswith("\n"):  # Kaggle's files end with one; a cut-off one would parse "25" for "255"
        raise DataError(f"{source}, line {text.count(chr(10)) + 1}: the file ends in the middle of a line; "
                        "it looks cut off: download it again")
    return text, source


def _read_kaggle_csv(data_dir, stem):
    plain, zipped = data_dir / f"{stem}.csv", data_dir / f"{stem}.zip"
    if plain.is_file():
        return plain.read_bytes().decode("utf-8-sig", errors="replace"), str(plain)
    if zipped.is_file():
        try:
            with zipfile.ZipFile(zipped) as archive:
                members = [n for n in archive.namelist() if n.endswith(".csv")]
                if len(members) != 1:
                    raise DataError(f"{zipped}: expected exactly one .csv inside, found {members}")
                text = archive.read(members[0]).decode("utf-8-sig", errors="replace")
                return text, f"{zipped}:{members[0]}"
        except (zipfile.BadZipFile, OSError, zlib.error) as error:
            raise DataError(f"{zipped}: not a readable zip file ({error}); download it again") from None
    raise DataError(f"{plain}: not found (nor {zipped.name}); download Kaggle's files into {data_dir}/ "
                    "or point --data / $FKD_DATA at them")


def read_rows(text, source, expected_header, optional_last=False):
    """Check the header and every row's field count; returns the data rows as lists of strings.

    optional_last: rows may leave out the last field (Kaggle's IdLookupTable has no Location).
    """
    if '"' in text:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    else:  # the same rows as csv.reader for unquoted text, three times faster on a 240 MB file
        rows = [line.removesuffix("\r").split(",") for line in text.split("\n")]
    while rows and rows[-1] in ([], [""]):  # blank lines at the end (and the split after the last newline)
        rows.pop()
    if not rows:
        raise DataError(f"{source}: empty file (expected the header {','.join(expected_header)})")
    header = rows[0]
    missing = [c for c in expected_header if c not in header]
    extra = [c for c in header if c not in expected_header]
    if missing or extra or header != list(expected_header):
        detail = (f"missing column '{missing[0]}'" if missing else
                  f"unexpected column '{extra[0]}'" if extra else "columns out of Kaggle's order")
        raise DataError(f"{source}, line 1: {detail}; expected the header {','.join(expected_header)}")
    if len(rows) == 1:
        raise DataError(f"{source}: no data rows after the header")
    for number, row in enumerate(rows[1:], start=1):
        if len(row) != len(header) and not (optional_last and len(row) == len(header) - 1):
            raise DataError(f"{source}, row {number} (line {number + 1}): expected {len(header)} "
                            f"comma-separated fields, got {len(row)}")
    return rows[1:]


def parse_keypoint(text, source, row, column):
    """A keypoint cell: empty (missing) or a number in [0, 96]."""
    if text.strip() == "":
        return math.nan
    try:
        plain = text.isascii() and "_" not in text  # float() reads "1_0" as 10 and Arabic digits as ours
        value = float(text) if plain else math.nan
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= IMAGE_SIZE:  # also rejects nan and inf
        raise DataError(f"{source}, row {row} (line {row + 1}), column '{column}': expected a number "
                        f"in [0, {IMAGE_SIZE}] or an empty cell, got {text[:40]!r}")
    return value


def parse_pixels(fields, source, column="Image", chunk_rows=512):
    """Image strings ("9216 space-separated ints 0..255") -> uint8 array (N, 96, 96), vectorised."""
    images = np.empty((len(fields), IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    for first in range(0, len(fields), chunk_rows):
        chunk = fields[first:first + chunk_rows]
        images[first:first + len(chunk)] = _parse_pixel_chunk(chunk, source, column, first)
    return images


def _parse_pixel_chunk(fields, source, column, first_index):
    def fail(field_index, what):
        row = first_index + field_index + 1
        raise DataError(f"{source}, row {row} (line {row + 1}), column '{column}': {what}")

    for i, field in enumerate(fields):
        stray = field.encode("ascii", errors="replace").translate(None, b"0123456789 ")
        if stray:
            fail(i, f"expected integers 0..255 separated by spaces, found {stray[:1].decode()!r}")
        irregular_spacing = "  " in field or field.startswith(" ") or field.endswith(" ")
        count = len(field.split()) if irregular_spacing else field.count(" ") + (field != "")
        if count != PIXELS:
            fail(i, f"expected {PIXELS} pixel values, got {count}")
        too_long = FOUR_DIGITS.search(field)
        if too_long:
            fail(i, f"pixel value {too_long.group()[:20]} is out of range 0..255")
    values = np.fromstring(" ".join(fields), dtype=np.int32, sep=" ")  # numbers of 1 to 3 digits left
    if (values > 255).any():
        at = int(np.argmax(values > 255))
        fail(at // PIXELS, f"pixel value {values[at]} is out of range 0..255")
    return values.astype(np.uint8).reshape(len(fields), IMAGE_SIZE, IMAGE_SIZE)


def cache_dir():
    root = os.environ.get("FKD_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "facial-keypoints"
    return Path(root)


def _cached(data_dir, stem, parse):
    """parse() once per source file; later loads read an .npz keyed by the file's path, size and mtime."""
    source = next((p for p in (Path(data_dir) / f"{stem}.csv", Path(data_dir) / f"{stem}.zip") if p.is_file()), None)
    if source is None:
        return parse()  # raises the clear "not found" error
    stat = source.stat()
    key = hashlib.sha256(f"{CACHE_VERSION}|{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:20]
    path = cache_dir() / f"{stem}-{key}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as saved:
                return {name: saved[name] for name in saved.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:  # cut off or overwritten
            print(f"note: the cache {path} is damaged ({error}); rebuilding it", file=sys.stderr)
    arrays = parse()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz.tmp", delete=False) as tmp:
            np.savez(tmp, **arrays)
        os.replace(tmp.name, path)
    except OSError as error:  # an unwritable cache only costs speed
        print(f"note: could not cache parsed {stem} data in {path.parent}: {error}", file=sys.stderr)
    return arrays


def load_training(data_dir):
    """training.csv/.zip -> {"images": uint8 (N, 96, 96), "keypoints": float64 (N, 30) pixels, NaN = missing}."""
    def parse():
        text, source = open_kaggle_csv(data_dir, "training")
        rows = read_rows(text, source, COLUMNS + ("Image",))
        return {"images": parse_pixels([row[-1] for row in rows], source), "keypoints": parse_keypoints(rows, source)}
    return _cached(data_dir, "training", parse)


def parse_keypoints(rows, source):
    """The first 30 cells of each row -> float64 (N, 30), NaN where empty."""
    return np.array([[parse_keypoint(cell, source, number, column) for cell, column in zip(row, COLUMNS)]
                     for number, row in enumerate(rows, start=1)]).reshape(len(rows), len(COLUMNS))


def load_keypoint_table(path):
    """A training-format CSV (the 30 keypoint columns, with or without Image) -> float64 (N, 30)."""
    text = load_text(path)
    expected = COLUMNS + ("Image",) if text.split("\n", 1)[0].rstrip("\r").endswith(",Image") else COLUMNS
    return parse_keypoints(read_rows(text, str(path), expected), path)


def load_text(path):
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: not found")
    return path.read_bytes().decode("utf-8-sig", errors="replace")


def load_test(data_dir):
    """test.csv/.zip -> {"image_ids": int64 (N,), "images": uint8 (N, 96, 96)}."""
    def parse():
        text, source = open_kaggle_csv(data_dir, "test")
        rows = read_rows(text, source, ("ImageId", "Image"))
        image_ids = np.array([parse_positive_int(row[0], source, number, "ImageId")
                              for number, row in enumerate(rows, start=1)])
        return {"image_ids": image_ids, "images": parse_pixels([row[1] for row in rows], source)}
    test = _cached(data_dir, "test", parse)
    reject_duplicates(test["image_ids"], lambda: _read_kaggle_csv(Path(data_dir), "test")[1], "ImageId")
    return test


def reject_duplicates(ids, source, column):
    """A clear error at the first id that an earlier row has already; source: the file's name, or a function
    that gives it (the name is only needed for the error)."""
    seen = {}
    for number, value in enumerate(np.asarray(ids).tolist(), start=1):
        if value in seen:
            name = source() if callable(source) else source
            raise DataError(f"{name}, row {number} (line {number + 1}), column '{column}': {column} {value} again "
                            f"(first at row {seen[value]}); each {column} must appear once")
        seen[value] = number


def parse_positive_int(text, source, row, column):
    if not re.fullmatch(r"\s*[0-9]+\s*", text) or int(text) < 1:
        raise DataError(f"{source}, row {row} (line {row + 1}), column '{column}': "
                        f"expected a positive integer, got {text[:40]!r}")
    return int(text)


def load_lookup(path):
    """IdLookupTable.csv -> (row_ids, image_ids, feature_names); CRLF or LF, Location ignored."""
    rows = read_rows(load_text(path), str(path), ("RowId", "ImageId", "FeatureName", "Location"), optional_last=True)
    row_ids, image_ids, features = [], [], []
    for number, (row_id, image_id, feature, *_) in enumerate(rows, start=1):
        row_ids.append(parse_positive_int(row_id, path, number, "RowId"))
        image_ids.append(parse_positive_int(image_id, path, number, "ImageId"))
        if feature not in COLUMNS:
            raise DataError(f"{path}, row {number} (line {number + 1}), column 'FeatureName': "
                            f"expected one of Kaggle's 30 keypoint columns, got {feature[:40]!r}")
        features.append(feature)
    reject_duplicates(row_ids, path, "RowId")
    return np.array(row_ids), np.array(image_ids), features
