"""Kaggle's files -> arrays: find the data folder, read and check the CSVs, cache parsed pixels.

Every problem with a user's file is a DataError whose one-line message names the file, the row
and the column; the command-line scripts print it and exit with status 2.
"""
import csv
import hashlib
import io
import math
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from facial_keypoints.keypoints import COLUMNS, IMAGE_SIZE

PIXELS = IMAGE_SIZE * IMAGE_SIZE
CACHE_VERSION = "1"
FOUR_DIGITS = re.compile(r"\d{4,}")
csv.field_size_limit(sys.maxsize)  # an Image field is about 35 kB


class DataError(Exception):
    """A problem with the user's data files, worth one line and no traceback."""


def find_data_dir(data_arg=None):
    """--data DIR, else $FKD_DATA, else ./data/."""
    return Path(data_arg or os.environ.get("FKD_DATA") or "data")


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
        except (zipfile.BadZipFile, OSError) as error:
            raise DataError(f"{zipped}: not a readable zip file ({error})") from None
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
        if rows[-1] == [""]:
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
        value = float(text)
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
        with np.load(path, allow_pickle=False) as saved:
            return {name: saved[name] for name in saved.files}
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
    return _cached(data_dir, "test", parse)


def parse_positive_int(text, source, row, column):
    if not text.strip().isdigit() or int(text) < 1:
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
    return np.array(row_ids), np.array(image_ids), features
