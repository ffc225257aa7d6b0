"""python -m bench.report: the docs' tables from a ledger, --check catching a hand edit, bad input refused."""
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from bench import ledger_tables, report
from bench.published import PUBLISHED
from facial_keypoints.ledger import FIELDS
from tests.conftest import ROOT

pytestmark = pytest.mark.jax
HW = {"hardware": "AMD EPYC, 2 cores", "backend": "tensorflow"}
ROWS = [
    {"net": "net1", "epochs": "400", "recipe_epochs": "400", "split": "rows", "val_rmse_px": "3.2", "wall_s": "91.4",
     "s_per_epoch": "0.2", "rows": "827", "command": "python train.py --net net1"},
    {"net": "net1", "epochs": "400", "recipe_epochs": "400", "split": "rows", "val_rmse_px": "3.1", "wall_s": "80",
     "s_per_epoch": "0.3", "rows": "827", "command": "python train.py --net net1 --seed 1"},
    {"net": "net1", "epochs": "400", "recipe_epochs": "400", "split": "rows", "val_rmse_px": "2.9", "tta": "flip",
     "command": "python submit.py --run runs/net1-a --tta flip"},  # TTA: not the study's number
    {"net": "net2", "epochs": "20", "recipe_epochs": "20", "split": "rows", "val_rmse_px": "3.7", "wall_s": "53",
     "command": "python train.py --net net2 --epochs 20"},
    {"net": "net2", "epochs": "50", "recipe_epochs": "50", "split": "rows", "val_rmse_px": "3.8", "wall_s": "7300",
     "command": "python train.py --net net2 --epochs 50"},
    {"net": "net7", "epochs": "2500", "recipe_epochs": "10000", "split": "rows", "val_rmse_px": "1.5", "wall_s": "3600",
     "command": "python bench/study.py --budget-minutes 90"},
    {"net": "net12", "epochs": "300", "recipe_epochs": "300", "split": "clips", "val_rmse_px": "1.4567", "wall_s": "600",
     "s_per_epoch": "2", "rows": "2765", "command": "python train.py --net net12 --split clips", "hardware": "1 x gpu:0"},
    {"net": "net1 specialists", "epochs": "1500", "recipe_epochs": "15000", "split": "rows", "val_rmse_px": "2.36",
     "ensemble_of": "6", "wall_s": "290", "command": "python specialists.py --pretrained runs/net1-a --epochs-scale 0.1"},
    {"net": "peers' average (dlib + MediaPipe, calibrated)", "split": "clips", "val_rmse_px": "1.47", "ensemble_of": "2",
     "command": "python bench/peers.py", "hardware": "AMD EPYC, 1 core (pinned)"},
]


def write_ledger(path, rows):
    table = pd.DataFrame([{**dict.fromkeys(FIELDS, ""), "date": "2026-11-25 10:00:00", **HW, **row} for row in rows],
                         columns=list(FIELDS))
    table.to_csv(path, index=False, lineterminator="\n")
    return path


def report_cli(*args):
    return subprocess.run([sys.executable, "-m", "bench.report", *map(str, args)], cwd=ROOT, capture_output=True, text=True)


def test_the_study_table_shows_the_best_full_recipe_else_the_longest_run(tmp_path):
    text = ledger_tables.study(report.load(write_ledger(tmp_path / "runs.csv", ROWS)))
    lines = text.splitlines()
    assert lines[0] == ("| net | ours px | epochs | split | Nouri px | Bao & Dorairaj px | wall | hardware | command "
                        "| full recipe still to run |")
    assert lines[2] == ("| net1 | 3.100 | 400 | rows | 2.74 | 2.53 | 80 s | AMD EPYC, 2 cores, tensorflow "
                        "| `python train.py --net net1 --seed 1` | - |")
    assert lines[3] == ("| net2 | 3.800 | REDUCED: 50 of 1000 epochs | rows | 1.90 | 1.90 | 2.0 h | AMD EPYC, 2 cores, "
                        "tensorflow | `python train.py --net net2 --epochs 50` "
                        "| 1000 epochs: `KERAS_BACKEND=jax python train.py --net net2` on a GPU |")
    assert lines[4] == ("| net3 | not run yet: `python train.py --net net3` | - | - | 1.72 | 1.69 | - | - | - "
                        "| 3000 epochs: `KERAS_BACKEND=jax python train.py --net net3` on a GPU |")
    assert lines[8].startswith("| net7 | 1.500 | 2500 (early stop) | rows | 1.35 | 1.35 | 60.0 min |")
    assert lines[8].endswith(" | - |")  # early stopping ended the full recipe: nothing left to run
    assert lines[9] == ("| net9 | not run yet: `python train.py --net net9` | - | - | - | 1.34 | - | - | - "
                        "| 10000 epochs: `KERAS_BACKEND=jax python train.py --net net9` on a GPU |")
    assert [line.split(" | ")[0][2:] for line in lines[2:12]] == list(PUBLISHED)
    assert lines[12] == ""


def test_specialists_modern_ensembles_and_speed_tables(tmp_path):
    measured_again = {**ROWS[-1], "val_rmse_px": "1.44", "date": "2026-11-26 09:00:00", "commit": "abcdef0123"}
    table = report.load(write_ledger(tmp_path / "runs.csv", ROWS + [measured_again]))
    specialists = ledger_tables.specialists(table).splitlines()
    assert specialists[2] == ("| net1 specialists | 2.360 | 6 | 1500 of 15000 | rows | 4.8 min | AMD EPYC, 2 cores, "
                              "tensorflow | `python specialists.py --pretrained runs/net1-a --epochs-scale 0.1` |")
    assert len(specialists) == 5  # header, rule, one row, blank, note
    modern = ledger_tables.modern(table).splitlines()
    assert modern[2] == ("| net12 | 1.457 | - | 300 | clips | 10.0 min | 2 | 1 x gpu:0, tensorflow "
                         "| `python train.py --net net12 --split clips` |")
    assert modern[3] == "| net13 | not run yet: `python train.py --net net13` | - | - | - | - | - | - | - |"
    ensembles = ledger_tables.ensembles(table).splitlines()
    assert ensembles[2:] == ["| peers' average (dlib + MediaPipe, calibrated) | 1.440 | - | 2 | clips | 2026-11-26, abcdef0 "
                             "| AMD EPYC, 1 core (pinned), tensorflow | `python bench/peers.py` |", "", ensembles[-1]]
    speed = ledger_tables.speed(table).splitlines()
    assert speed[2:4] == ["| net1 | 0.25 | 2 | 827 | AMD EPYC, 2 cores | tensorflow |",
                          "| net12 | 2 | 1 | 2765 | 1 x gpu:0 | tensorflow |"]


def test_a_command_with_a_pipe_does_not_break_the_table(tmp_path):
    rows = [{**ROWS[0], "command": "python train.py --net net1 | tee log"}]
    line = ledger_tables.study(report.load(write_ledger(tmp_path / "runs.csv", rows))).splitlines()[2]
    assert line.endswith("| `python train.py --net net1 \\| tee log` | - |") and line.count(" | ") == 9


def test_recipe_epochs_read_from_the_text_are_the_recipes():
    import nets
    for name in nets.names():
        if hasattr(nets.load(name), "build"):
            assert ledger_tables.recipe_epochs(name) == nets.load(name).RECIPE.epochs, name


def test_published_numbers_are_the_ones_in_docs_anchors():
    anchors = (ROOT / "docs" / "anchors.md").read_text()
    nouri, bao = anchors.split("## The incremental study")[0], anchors.split("## The incremental study")[1]
    for net, (ours_nouri, ours_bao) in PUBLISHED.items():
        for text, value in ((nouri, ours_nouri), (bao, ours_bao)):
            row = re.search(rf"^\| {net} \|.*$", text, re.M)
            assert (row is not None) == (value is not None), net
            if row:
                assert f"| {value:.2f} |" in row[0], (net, row[0])


def test_check_passes_on_the_repository_as_committed():
    result = report_cli("--check")
    assert result.returncode == 0, result.stdout + result.stderr


def docs_copy(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "docs", root / "docs", ignore=shutil.ignore_patterns("*.png"))
    shutil.copy(ROOT / "README.md", root)
    (root / "results").mkdir()
    shutil.copy(ROOT / "results" / "runs.csv", root / "results")
    return root


def test_check_names_a_hand_edited_table_and_the_report_puts_it_back(tmp_path):
    root = docs_copy(tmp_path)
    study = root / "docs" / "study.md"
    committed = study.read_text()
    assert "<!-- report:study -->" in committed
    row = committed[committed.index("<!-- report:study -->"):].splitlines()[3]  # net1's row
    study.write_text(committed.replace(row, row.replace("| net1 |", "| net1 (typed by hand) |"), 1))
    edited = study.read_text()
    assert edited != committed
    check = report_cli("--check", "--root", root)
    assert check.returncode == 1 and check.stdout.splitlines() == ["docs/study.md: table study differs from runs.csv"]
    assert study.read_text() == edited  # --check rewrites nothing
    assert report_cli("--root", root).returncode == 0
    assert study.read_text() == committed
    assert report_cli("--check", "--root", root).returncode == 0
    assert 0 < (root / "docs" / "study.png").stat().st_size < 100_000


@pytest.mark.parametrize("bad, message", [
    ("ledger", "repo/results/runs.csv, line 3: val_rmse_px 'fast' is not a number"),
    ("marker", "docs/study.md: unknown table <!-- report:nosuch --> (known: study, specialists, modern, ensembles, "
               "speed, quickstart, photos)"),
    ("unclosed", "README.md: <!-- report:quickstart --> needs a closing <!-- /report:quickstart --> on its own line"),
])
def test_bad_input_is_one_line_and_nothing_is_written(tmp_path, bad, message):
    root = docs_copy(tmp_path)
    if bad == "ledger":
        write_ledger(root / "results" / "runs.csv", [ROWS[0], {**ROWS[1], "val_rmse_px": "fast"}])
    elif bad == "marker":
        (root / "docs" / "study.md").write_text("<!-- report:nosuch -->\n<!-- /report:nosuch -->\n")
    else:
        (root / "README.md").write_text((root / "README.md").read_text().replace("<!-- /report:quickstart -->", ""))
    before = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
    result = report_cli("--root", root)
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ") and result.stderr.endswith(f"{message}\n")
    assert {path: path.read_bytes() for path in root.rglob("*") if path.is_file()} == before
