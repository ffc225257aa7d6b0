"""Where the data come from: --data, $FKD_DATA, Kaggle's files in ./data/, else the embedded faces."""
import io
import shutil
import subprocess
import sys
import zipfile

import pytest

from facial_keypoints.data import COMPETITION_ZIP, EMBEDDED, find_data_dir, load_test, load_training

from facial_keypoints.errors import DataError
from facial_keypoints.tables import load_lookup
from tests.conftest import HEADER, ROOT, good_rows, pixels, write_training

pytestmark = pytest.mark.jax


def test_the_order_is_data_then_environment_then_local_kaggle_files_then_embedded(tmp_path, monkeypatch, capsys):
    mine, env = tmp_path / "mine", tmp_path / "env"
    mine.mkdir(), env.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FKD_DATA", raising=False)
    assert find_data_dir() == EMBEDDED  # nothing in ./data: the embedded faces
    assert capsys.readouterr().err.startswith(f"data: {EMBEDDED} (embedded")
    (tmp_path / "data").mkdir()
    assert find_data_dir() == EMBEDDED  # an empty ./data is not Kaggle's files
    write_training(tmp_path / "data", good_rows())
    assert find_data_dir().resolve() == (tmp_path / "data").resolve()
    monkeypatch.setenv("FKD_DATA", str(env))
    assert find_data_dir() == env
    assert find_data_dir(str(mine)) == mine
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == f"data: {mine} (--data)" and err[-2] == f"data: {env} ($FKD_DATA)"


def test_a_missing_folder_is_one_line_naming_it_and_its_source(tmp_path):
    with pytest.raises(DataError, match=r"nowhere \(from --data\): no such folder"):
        find_data_dir(str(tmp_path / "nowhere"))


def test_the_embedded_data_match_their_checksums_and_a_damaged_copy_is_named(tmp_path):
    find_data_dir(str(EMBEDDED), quiet=True)  # the committed files pass their own list
    copy = tmp_path / "ytf-fkd"
    shutil.copytree(EMBEDDED, copy)
    (copy / "IdLookupTable.csv").chmod(0o644)
    with open(copy / "IdLookupTable.csv", "r+b") as f:
        f.seek(1000)
        f.write(b"9")
    with pytest.raises(DataError, match=r"IdLookupTable\.csv: damaged \(its sha256 differs from .*SHA256SUMS\)"):
        find_data_dir(str(copy))
    shutil.copy(EMBEDDED / "IdLookupTable.csv", copy / "IdLookupTable.csv")
    (copy / "test.zip").unlink()
    with pytest.raises(DataError, match=r"test\.zip: missing"):
        find_data_dir(str(copy))


def competition_zip(folder, rows=3):
    """Kaggle's download as it comes: training.zip and test.zip inside one zip, with the CSVs."""
    def zipped(name, text):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as inner:
            inner.writestr(name, text)
        return buffer.getvalue()

    training = HEADER + "\n" + "".join(",".join(row) + "\n" for row in good_rows(rows))
    test = "ImageId,Image\n" + "".join(f"{i},{pixels(10 + i)}\n" for i in (1, 2))
    lookup = "RowId,ImageId,FeatureName,Location\r\n1,1,nose_tip_x\r\n2,2,nose_tip_y\r\n"
    with zipfile.ZipFile(folder / COMPETITION_ZIP, "w") as outer:
        outer.writestr("training.zip", zipped("training.csv", training))
        outer.writestr("test.zip", zipped("test.csv", test))
        outer.writestr("IdLookupTable.csv", lookup)
        outer.writestr("SampleSubmission.csv", "RowId,Location\n1,0\n2,0\n")


def test_kaggles_competition_download_is_read_as_it_comes(tmp_path):
    competition_zip(tmp_path)
    folder = find_data_dir(str(tmp_path))
    assert folder != tmp_path and (folder / "training.zip").is_file()
    assert load_training(folder)["images"].shape == (3, 96, 96)
    assert list(load_test(folder)["image_ids"]) == [1, 2]
    assert list(load_lookup(folder / "IdLookupTable.csv")[0]) == [1, 2]
    assert find_data_dir(str(tmp_path)) == folder  # unpacked once


def test_a_damaged_competition_download_is_one_line(tmp_path):
    (tmp_path / COMPETITION_ZIP).write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match=f"{COMPETITION_ZIP}: not a readable zip file"):
        find_data_dir(str(tmp_path))


def test_train_py_names_the_missing_file_and_where_it_looked(tmp_path):
    result = subprocess.run([sys.executable, "train.py", "--net", "net1", "--data", str(tmp_path), "--out", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{tmp_path}/training.csv: not found (nor training.zip)" in result.stderr
    assert not list(tmp_path.iterdir())


def test_an_empty_data_argument_is_refused_not_taken_for_the_default(capsys):
    with pytest.raises(DataError, match=r"--data '': expected a folder with Kaggle's files"):
        find_data_dir("")
    assert capsys.readouterr().err == ""  # no folder was chosen


def test_a_checksum_list_with_blank_lines_is_read_and_a_malformed_line_named(tmp_path):
    copy = shutil.copytree(EMBEDDED, tmp_path / "ytf-fkd")
    sums = copy / "SHA256SUMS"
    sums.chmod(0o644)
    listed = sums.read_text()
    sums.write_text("\n" + listed.replace("\n", "\n\n", 1) + "\n")
    assert find_data_dir(str(copy), quiet=True) == copy
    sums.write_text(listed + "not-a-digest training.zip\n")
    line = listed.count("\n") + 1
    with pytest.raises(DataError, match=rf"SHA256SUMS, line {line}: expected 'SHA256  FILE' \(as sha256sum writes\)"):
        find_data_dir(str(copy))
