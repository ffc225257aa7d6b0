"""results/runs.csv: rows appended whole, concurrent appends all land, a foreign file is refused."""
import csv
import threading

import pytest

from facial_keypoints.data import DataError
from facial_keypoints.ledger import FIELDS, append

pytestmark = pytest.mark.jax


def test_concurrent_appends_all_land_as_whole_rows(tmp_path):
    path = tmp_path / "results" / "runs.csv"
    threads = [threading.Thread(target=append, args=(path,), kwargs={"net": f"net{i}", "val_rmse_px": i / 3})
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == list(FIELDS)
    assert sorted(row["net"] for row in rows) == [f"net{i}" for i in range(8)]
    assert {row["val_rmse_px"] for row in rows} == {f"{i / 3:.4f}".rstrip("0").rstrip(".") for i in range(8)}
    assert all(row["backend"] and row["hardware"] for row in rows)


def test_an_unknown_field_or_a_foreign_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not ledger fields"):
        append(tmp_path / "runs.csv", rmse=1.0)
    foreign = tmp_path / "other.csv"
    foreign.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="other.csv, line 1: expected the ledger header"):
        append(foreign, net="net1")
    assert foreign.read_text() == "a,b\n1,2\n"
