"""export.py (and deploy.py) writes the shipped model as TFLite, ONNX and SavedModel, parity checked with each
format's own runtime on real faces, and refuses cleanly (one line, status 1, nothing written)."""
import re

import keras
import numpy as np
import pytest

from facial_keypoints import deploy as export
from facial_keypoints.data import EMBEDDED, FAST_MODEL, SHIPPED_MODEL, load_test
from facial_keypoints.keypoints import COLUMNS
from facial_keypoints.runs import best_tta
from facial_keypoints.prediction import load_full_predictor, predict_pixels
from tests.conftest import run_script

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                reason="export.py converts with TensorFlow: KERAS_BACKEND=tensorflow")
CASES = {"tflite": ("tflite", None), "tflite-int8": ("tflite", "int8"), "onnx": ("onnx", None),
         "savedmodel": ("savedmodel", None)}


def export_py(capsys, *args):
    return run_script(capsys, "export.py", "--data", EMBEDDED, "--faces", 16, *args)


@pytest.fixture(scope="module")
def reference():
    """Five real test faces and the shipped model's keypoints for them, from Keras (with its recorded TTA)."""
    faces = load_test(EMBEDDED)["images"][:5]
    return faces, predict_pixels(load_full_predictor(SHIPPED_MODEL), faces, COLUMNS, best_tta(SHIPPED_MODEL))  # x offset too


def needs(fmt):
    missing = export.missing_packages(fmt)
    if missing:
        pytest.skip(f"--format {fmt} needs {', '.join(missing)} (pip install -r requirements-export.txt)")


@pytest.mark.parametrize("case", CASES)
def test_the_shipped_model_exports_with_parity_and_runs_from_its_runtime(case, capsys, tmp_path, reference):
    fmt, quantize = CASES[case]
    needs(fmt)
    out = tmp_path / "exports" / f"shipped{export.FORMATS[fmt][0]}"
    result = export_py(capsys, "--format", fmt, "--out", out, *(["--quantize", quantize] if quantize else []))
    assert result.returncode == 0, result.stderr
    gap = float(re.search(r"parity on 16 test faces: max \|.*\| = ([\d.]+) px", result.stdout).group(1))
    keras_rmse, exported_rmse = map(float, re.search(
        r"validation RMSE, clips split \(\d+ faces\): Keras ([\d.]+) px, .* ([\d.]+) px \(", result.stdout).groups())
    assert exported_rmse - keras_rmse <= 0.1 and (quantize or gap <= 0.05)
    assert out.exists() and sorted(p.name for p in out.parent.iterdir()) == [out.name]  # no staging left
    # The documented interface: a uint8 face cast to float32 in, keypoints in pixels out.
    faces, expected = reference
    predicted = export.runtime(fmt, out)(faces[..., None].astype(np.float32))
    assert predicted.shape == (5, 30)
    assert np.abs(predicted - expected).max() <= (1.0 if quantize else 0.05)


def test_the_fast_model_exports_without_tta_as_the_deploy_docs_say(capsys, tmp_path, reference):
    out = tmp_path / "fast.tflite"
    result = export_py(capsys, "--run", FAST_MODEL, "--format", "tflite", "--tta", "none", "--out", out)
    assert result.returncode == 0, result.stderr
    faces = reference[0]
    expected = predict_pixels(load_full_predictor(FAST_MODEL), faces, COLUMNS, None)  # its x offset is in the graph
    assert np.abs(export.runtime("tflite", out)(faces[..., None].astype(np.float32)) - expected).max() <= 0.05
    assert out.stat().st_size < 0.5e6  # a quarter-size net: about 0.23 MB


def test_an_existing_export_is_not_replaced_without_overwrite(capsys, tmp_path):
    out = tmp_path / "mine.tflite"
    out.write_text("the user's own file")
    result = export_py(capsys, "--format", "tflite", "--out", out)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"error: {out}: exists already; give --overwrite" in result.stderr
    assert out.read_text() == "the user's own file"


def test_a_format_whose_package_is_missing_is_one_line_and_writes_nothing(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(export.FORMATS, "onnx", (".onnx", (("no_such_module_fkd", "no-such-exporter"),)))
    result = export_py(capsys, "--format", "onnx", "--out", tmp_path / "out" / "m.onnx")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "error: --format onnx needs no-such-exporter, not installed here: pip install -r requirements-export.txt" \
        in result.stderr
    assert not (tmp_path / "out").exists()


def test_int8_is_refused_where_it_is_not_offered(capsys, tmp_path):
    result = export_py(capsys, "--format", "savedmodel", "--quantize", "int8", "--out", tmp_path / "m")
    assert result.returncode == 1 and "--quantize int8 is offered for --format tflite only" in result.stderr
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("fmt, name", [("tflite", "model"), ("tflite", "model.onnx"), ("onnx", "model.tflite")])
def test_an_out_without_the_formats_suffix_is_one_line_before_any_work(capsys, tmp_path, fmt, name):
    needs(fmt)  # without its package, that is the one line (tested above)
    result = export_py(capsys, "--format", fmt, "--out", tmp_path / name)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"a {fmt} file name must end with .{fmt}" in result.stderr.strip().splitlines()[-1]
    assert list(tmp_path.iterdir()) == []


def test_an_export_that_fails_its_parity_check_writes_nothing(capsys, tmp_path, monkeypatch):
    def write(deploy, fmt, path, quantize=None):  # a converter gone wrong: its file predicts the mean face
        path.write_bytes(b"not a model")

    monkeypatch.setattr(export, "write", write)
    monkeypatch.setattr(export, "runtime", lambda fmt, path, threads=None: lambda x: np.full((len(x), 30), 48.0))
    out = tmp_path / "new" / "deeper" / "shipped.tflite"
    result = export_py(capsys, "--format", "tflite", "--out", out)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert re.search(r"error: TFLite differs from Keras by up to [\d.]+ px \(limit 0\.05 px\); nothing written",
                     result.stderr)
    assert not (tmp_path / "new").exists()  # not even the folders it made


@pytest.mark.parametrize("fmt, name", [("savedmodel", "runs"), ("tflite", "notes.tflite")])
def test_overwrite_replaces_only_an_earlier_export_of_that_format(capsys, tmp_path, fmt, name):
    out = tmp_path / name
    if fmt == "savedmodel":  # a folder of the user's, e.g. --out runs
        (out / "net1-mine").mkdir(parents=True)
        (out / "net1-mine" / "config.json").write_text("the user's run")
        (out / "saved_model.pb").write_text("not alone in here")
    else:
        out.write_text("the user's own file")
    before = sorted((p.relative_to(tmp_path), p.read_bytes() if p.is_file() else None) for p in tmp_path.rglob("*"))
    result = export_py(capsys, "--format", fmt, "--out", out, "--overwrite")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"error: --overwrite {out}: not an earlier {fmt} export" in result.stderr
    assert sorted((p.relative_to(tmp_path), p.read_bytes() if p.is_file() else None)
                  for p in tmp_path.rglob("*")) == before


def test_overwrite_replaces_an_earlier_savedmodel_export(capsys, tmp_path):
    out = tmp_path / "fast-savedmodel"
    args = ("--run", FAST_MODEL, "--format", "savedmodel", "--tta", "none", "--out", out)
    assert export_py(capsys, *args).returncode == 0
    assert export.is_export(out, "savedmodel") and not export.is_export(out, "tflite")
    first = (out / "saved_model.pb").stat().st_ino  # the new file is made while the old one still exists
    result = export_py(capsys, *args, "--overwrite")
    assert result.returncode == 0, result.stderr
    assert export.is_export(out, "savedmodel") and (out / "saved_model.pb").stat().st_ino != first
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]
