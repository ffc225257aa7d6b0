"""Kaggle's CSV files read with pandas and checked cell by cell: the header, every row's field count,
numbers, ids and the 96x96 Image strings.

Every problem is a DataError whose one-line message names the file, the row (and its line: row N is
line N + 1, after the header) and the column, and says what was expected.
"""
import io
import re
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from facial_keypoints.errors import DataError, where
from facial_keypoints.keypoints import COLUMNS, IMAGE_SIZE

PIXELS = IMAGE_SIZE * IMAGE_SIZE
CHUNK_ROWS = 512  # images parsed at a time: bounds the joined string and its int32 array (~20 MB each)
# A plain decimal number. Python's float() would also take "1_0" (as 10), "inf" and other scripts' digits.
NUMBER = r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*"
POSITIVE_INT = r"\s*[0-9]{1,18}\s*"  # int64
TOO_MANY_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
MAX_MEMBER_BYTES = 2**29  # 512 MiB: twice Kaggle's training.csv; a zip member declaring more is not inflated
ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "Deflate", zipfile.ZIP_BZIP2: "bzip2",
               zipfile.ZIP_LZMA: "LZMA"}  # what zipfile inflates; not Deflate64 (9) or others


def file_bytes(path):
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: not found")
    return path.read_bytes()


def kaggle_csv_bytes(data_dir, stem):
    """The bytes of STEM.csv, or of the one CSV inside STEM.zip, and a name to show in errors."""
    plain, zipped = Path(data_dir) / f"{stem}.csv", Path(data_dir) / f"{stem}.zip"
    if plain.is_file():
        return plain.read_bytes(), str(plain)
    if not zipped.is_file():
        raise DataError(f"{plain}: not found (nor {zipped.name}); download Kaggle's files into {data_dir}/ "
                        "or point --data / $FKD_DATA at them")
    try:
        with zipfile.ZipFile(zipped) as archive:
            members = [n for n in archive.namelist() if n.endswith(".csv")]
            if len(members) != 1:
                raise DataError(f"{zipped}: expected exactly one .csv inside, found {members}")
            return zip_member(archive, members[0], zipped), f"{zipped}:{members[0]}"
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:  # zlib.error: a damaged deflate stream
        raise DataError(f"{zipped}: not a readable zip file ({error}); download it again") from None


def zip_member(archive, name, source):
    """The bytes of one zip member, checked before anything is inflated: not encrypted, compressed in a way
    zipfile reads, and at most MAX_MEMBER_BYTES as declared (zipfile inflates no more than a member declares:
    one that holds more fails its CRC)."""
    info = archive.getinfo(name)
    if info.flag_bits & 0x1:
        raise DataError(f"{source}: {name} is encrypted; expected Kaggle's zip as downloaded (no password)")
    if info.compress_type not in ZIP_METHODS:
        raise DataError(f"{source}: {name} is compressed with zip method {info.compress_type} (9: Deflate64), which "
                        f"cannot be read here; expected one of {', '.join(ZIP_METHODS.values())}: zip it again")
    if info.file_size > MAX_MEMBER_BYTES:
        raise DataError(f"{source}: {name} declares {info.file_size:,} bytes unpacked, more than the {MAX_MEMBER_BYTES:,} "
                        "bytes a Kaggle file can have; not unpacked")
    return archive.read(info)


def read_table(data, source, header, optional_last=False, whole_file=False):
    """CSV bytes -> DataFrame of strings (empty cells ""), the header and each row's field count checked.

    optional_last: rows may leave out the last field (Kaggle's IdLookupTable has no Location).
    whole_file: the file must end with a newline (Kaggle's data files do; a cut-off one could read "25" for "255").
    """
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise DataError(f"{source}: empty file (expected the header {','.join(header)})")
    if whole_file and not data.endswith(b"\n"):
        line = data.count(b"\n") + 1
        raise DataError(f"{source}, line {line}: the file ends in the middle of a line; it looks cut off: "
                        "download it again")
    data = data.rstrip(b"\r\n") + b"\n"  # trailing blank lines are harmless
    try:
        frame = pd.read_csv(io.BytesIO(data), header=None, dtype=str, keep_default_na=False, skip_blank_lines=False,
                            encoding="utf-8-sig", encoding_errors="replace")
    except pd.errors.ParserError as error:
        many = TOO_MANY_FIELDS.search(str(error))
        if many:
            expected, line, got = map(int, many.groups())
            raise DataError(f"{where(source, line - 1)}: expected {expected} comma-separated fields, got {got}") from None
        raise DataError(f"{source}: not a readable CSV file ({str(error).strip()[:200]})") from None
    found = frame.iloc[0].fillna("").tolist()
    missing = [c for c in header if c not in found]
    extra = [c for c in found if c not in header]
    if missing or extra or found != list(header):
        detail = (f"missing column '{missing[0]}'" if missing else
                  f"unexpected column '{extra[0]}'" if extra else "columns out of Kaggle's order")
        raise DataError(f"{source}, line 1: {detail}; expected the header {','.join(header)}")
    frame = frame.iloc[1:].set_axis(list(header), axis=1).reset_index(drop=True)
    if frame.empty:
        raise DataError(f"{source}: no data rows after the header")
    fields = field_counts(data)
    if len(fields) == len(frame) + 1:  # one line per row (no quoted line breaks): short rows can be named
        short = fields[1:] < len(header) - optional_last
        if short.any():
            row = int(np.argmax(short)) + 1
            raise DataError(f"{where(source, row)}: expected {len(header)} comma-separated fields, got {fields[row]}")
    return frame


def field_counts(data):
    """Commas + 1 per line of CSV bytes (ending with a newline). pandas fills a short row's missing fields
    with "" like empty ones, so short rows are found here (a quoted comma only over-counts)."""
    raw = np.frombuffer(data, np.uint8)
    line_ends = np.flatnonzero(raw == ord("\n"))
    commas = np.searchsorted(line_ends, np.flatnonzero(raw == ord(",")))
    return np.bincount(commas, minlength=len(line_ends))[:len(line_ends)] + 1


def first_bad(bad, frame, source, what):
    """Raise for the first True cell of bad (row-major) in frame, with what the cell should have been."""
    row, column = np.argwhere(np.asarray(bad))[0]
    text = frame.iat[row, column]
    raise DataError(f"{where(source, row + 1, frame.columns[column])}: expected {what}, got {text[:40]!r}")


def numbers(frame, source, low=0.0, high=float(IMAGE_SIZE)):
    """Cells -> float64 array, NaN where empty; any other cell must be a plain number in [low, high]."""
    empty = frame.apply(lambda column: column.str.strip() == "").to_numpy()
    plain = frame.apply(lambda column: column.str.fullmatch(NUMBER)).to_numpy()
    values = np.full(frame.shape, np.nan)
    values[plain] = frame.to_numpy()[plain].astype(np.float64)
    with np.errstate(invalid="ignore"):
        bad = ~empty & ~((values >= low) & (values <= high))  # also catches text: NaN
    if bad.any():
        first_bad(bad, frame, source, f"a number in [{low:g}, {high:g}] or an empty cell")
    return values


def positive_ints(column, source):
    """One column of cells -> int64 array; each must be an integer >= 1."""
    frame = column.to_frame()
    ok = column.str.fullmatch(POSITIVE_INT).to_numpy()
    values = np.zeros(len(column), np.int64)
    values[ok] = column[ok].str.strip().astype(np.int64)
    if not (values >= 1).all():
        first_bad((values < 1)[:, None], frame, source, "a positive integer")
    return values


def reject_duplicates(ids, source, column):
    """A clear error at the first id that an earlier row has already."""
    ids = pd.Series(np.asarray(ids))
    again = ids.duplicated()
    if again.any():
        row = int(np.argmax(again.to_numpy()))
        first = int(np.argmax((ids == ids[row]).to_numpy()))
        raise DataError(f"{where(source, row + 1, column)}: {column} {ids[row]} again (first at row {first + 1}); "
                        f"each {column} must appear once")


def check_pairs(values, frame, source):
    """A keypoint is its x and its y, or neither: a row giving one of the two is refused (named by row and the
    empty column), not half-used (imputation and the masked loss would train on half a point)."""
    present = ~np.isnan(values)
    half = present[:, 0::2] != present[:, 1::2]
    if half.any():
        row, keypoint = np.argwhere(half)[0]
        x, y = 2 * keypoint, 2 * keypoint + 1
        given, empty = (x, y) if present[row, x] else (y, x)
        raise DataError(f"{where(source, row + 1, frame.columns[empty])}: empty, but {frame.columns[given]} is "
                        "given; a keypoint needs both its x and its y, or neither")
    return values


def pixels(column, source):
    """Image strings ("9216 space-separated ints 0..255") -> uint8 array (N, 96, 96), vectorised."""
    fields = column.tolist()
    images = np.empty((len(fields), IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    for first in range(0, len(fields), CHUNK_ROWS):
        chunk = fields[first:first + CHUNK_ROWS]
        images[first:first + len(chunk)] = _pixel_chunk(chunk, source, column.name, first)
    return images


def _pixel_chunk(fields, source, column, first_index):
    def fail(field_index, what):
        raise DataError(f"{where(source, first_index + field_index + 1, column)}: {what}")

    for i, field in enumerate(fields):
        stray = field.encode("ascii", errors="replace").translate(None, b"0123456789 ")
        if stray:
            fail(i, f"expected integers 0..255 separated by spaces, found {stray[:1].decode()!r}")
        irregular_spacing = "  " in field or field.startswith(" ") or field.endswith(" ")
        count = len(field.split()) if irregular_spacing else field.count(" ") + (field != "")
        if count != PIXELS:
            fail(i, f"expected {PIXELS} pixel values, got {count}")
    joined = " ".join(fields)
    digit = np.frombuffer(joined.encode("ascii"), np.uint8) != ord(" ")
    four_digits = digit[:-3] & digit[1:-2] & digit[2:-1] & digit[3:]  # would overflow the parser's int32
    if four_digits.any():
        at = int(np.argmax(four_digits))
        starts = np.cumsum([0] + [len(field) + 1 for field in fields])
        fail(int(np.searchsorted(starts, at, side="right")) - 1,
             f"pixel value {joined[at:].split(' ', 1)[0][:20]} is out of range 0..255")
    values = np.fromstring(joined, dtype=np.int32, sep=" ")  # the fastest parser of those measured
    if (values > 255).any():
        at = int(np.argmax(values > 255))
        fail(at // PIXELS, f"pixel value {values[at]} is out of range 0..255")
    return values.astype(np.uint8).reshape(len(fields), IMAGE_SIZE, IMAGE_SIZE)


def load_keypoint_table(path):
    """A training-format CSV (the 30 keypoint columns, with or without Image) -> float64 (N, 30)."""
    data = file_bytes(path)
    with_image = data.split(b"\n", 1)[0].rstrip(b"\r").endswith(b",Image")
    frame = read_table(data, str(path), COLUMNS + (("Image",) if with_image else ()))
    return numbers(frame[list(COLUMNS)], path)


def load_lookup(path):
    """IdLookupTable.csv -> (row_ids, image_ids, feature_names); CRLF or LF, Location ignored."""
    frame = read_table(file_bytes(path), str(path), ("RowId", "ImageId", "FeatureName", "Location"), optional_last=True)
    row_ids = positive_ints(frame["RowId"], path)
    image_ids = positive_ints(frame["ImageId"], path)
    unknown = ~frame["FeatureName"].isin(COLUMNS).to_numpy()
    if unknown.any():
        first_bad(unknown[:, None], frame[["FeatureName"]], path, "one of Kaggle's 30 keypoint columns")
    reject_duplicates(row_ids, path, "RowId")
    return row_ids, image_ids, frame["FeatureName"].tolist()


def load_row_numbers(path):
    """A CSV with a column `row` (other columns ignored), e.g. bench/audit.py's list -> sorted unique row
    numbers, counted from 1 as in every error message (row 1 is the line after the header)."""
    data = file_bytes(path)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DataError(f"{path}, line {line}: not UTF-8 text ({error.reason}); expected a CSV file") from None
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DataError(f"{path}: not a readable CSV file ({str(error).strip()[:200]})") from None
    if "row" not in frame.columns:
        raise DataError(f"{path}, line 1: expected a column 'row' (training.csv's row numbers, from 1), "
                        f"got {','.join(frame.columns)}")
    return sorted(set(positive_ints(frame["row"], path).tolist()))
