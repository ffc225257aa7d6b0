"""A predictor from any folder the scripts accept: a run folder (train.py) or a specialists folder
(specialists.py, a manifest and one run per group)."""
from pathlib import Path

from facial_keypoints.keypoints import COLUMNS
from facial_keypoints.runs import load_run, read_config, scaled_predictor
from facial_keypoints.specialists import load_specialists, read_manifest
from facial_keypoints.splits import examples, validation_mask
from facial_keypoints.tables import DataError


def run_split(run_dir):
    """The validation split ("rows" or "clips") a run or specialists folder was trained with."""
    manifest = Path(run_dir) / "manifest.json"
    if manifest.is_file():
        return read_manifest(run_dir).get("split", "rows")
    return read_config(run_dir).get("split", "rows")  # folders from before splits were named: rows


def validation_faces(training, run_dir):
    """(images, keypoints) of the complete validation rows of the split run_dir was trained with."""
    return examples(training, validation_mask(training, run_split(run_dir)), COLUMNS)


def load_predictor(run_dir):
    """(predict_scaled, columns) of a run folder or a specialists folder: predict_scaled maps float
    images in [0, 1] to scaled keypoints."""
    if (Path(run_dir) / "manifest.json").is_file():
        return load_specialists(Path(run_dir)), list(COLUMNS)
    model, config = load_run(run_dir)
    return scaled_predictor(model), config["columns"]


def load_full_predictor(run_dir):
    """predict_scaled of a folder that predicts all 30 columns: a full net, or a specialists folder."""
    predict_scaled, columns = load_predictor(run_dir)
    if list(columns) != list(COLUMNS):
        raise DataError(f"{run_dir} predicts {len(columns)} of the 30 columns (one specialist?); "
                        "give a full net or the specialists folder that holds it")
    return predict_scaled
