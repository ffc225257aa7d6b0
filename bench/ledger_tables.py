"""The tables bench/report.py writes into README.md and docs/*.md, one function per table, each from the ledger
(bench.report.load's table) alone. No Keras here: recipes' epoch counts come from the text of nets/*.py."""
import re
from pathlib import Path

import pandas as pd

from bench.published import PUBLISHED
from facial_keypoints.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = "python train.py --net net16 --epochs 30"  # README.md's run command


def recipe_epochs(name):
    """The epochs of nets/NAME.py's RECIPE, from its text: `Recipe(epochs=N...` or another net's RECIPE."""
    path = ROOT / "nets" / f"{name}.py"
    statement = re.search(r"^RECIPE = (.*(?:\n[ \t]+.*)*)", path.read_text(), re.M) if path.is_file() else None
    if statement and (number := re.search(r"\bepochs=(\d+)", statement[1])):
        return int(number[1])
    if statement and (other := re.search(r"\b(net\d+)\.RECIPE\b", statement[1])):
        return recipe_epochs(other[1])
    raise DataError(f"nets/{name}.py: no RECIPE with epochs=N or another net's RECIPE")


def number(name):
    return int(re.sub(r"\D", "", name) or 0)


def px(value):
    return f"{value:.3f}"


def wall(s):
    return "-" if pd.isna(s) else f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min" if s < 7200 else f"{s / 3600:.1f} h"


def epochs(row):
    """'400', '212 (early stop)', or 'REDUCED: 40 of 300 epochs' when the run was not started for the net's recipe."""
    if pd.isna(row.epochs):
        return "-"
    recipe = recipe_epochs(row.net)
    if row.recipe_epochs != recipe:
        return f"REDUCED: {row.epochs:.0f} of {recipe} epochs"
    return f"{row.epochs:.0f}" + (" (early stop)" if row.epochs < recipe else "")


def code(command):
    return f"`{command}`".replace("|", "\\|") if command else "-"


def machine(row):
    return ", ".join(part for part in (row.hardware, row.backend) if part) or "-"


def markdown(header, rows, note):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + f"\n\n{note}\n"


def best(rows):
    """Per net: the best run started for the net's recipe, else the longest (then the best) run."""
    full = rows[[recipe == recipe_epochs(net) for net, recipe in zip(rows["net"], rows["recipe_epochs"])]]
    if len(full):
        return next(full.sort_values("val_rmse_px").itertuples())
    return next(rows.sort_values(["epochs", "val_rmse_px"], ascending=[False, True]).itertuples(), None)


def study_rows(table):
    """net -> its chosen plain training row (or None), for net1...net11."""
    plain = table[(table["kind"] == "single") & (table["tta"] == "")]
    return {net: best(plain[plain["net"] == net]) for net in PUBLISHED}


def study(table):
    rows = []
    for net, row in study_rows(table).items():
        nouri, bao = (f"{value:.2f}" if value else "-" for value in PUBLISHED[net])
        full = "-" if row is not None and row.recipe_epochs == recipe_epochs(net) else \
            f"{recipe_epochs(net)} epochs: `KERAS_BACKEND=jax python train.py --net {net}` on a GPU"
        ours = [f"not run yet: `python train.py --net {net}`", "-", "-"] if row is None else \
            [px(row.val_rmse_px), epochs(row), row.split]
        run = ["-"] * 3 if row is None else [wall(row.wall_s), machine(row), code(row.command)]
        rows.append([net, *ours, nouri, bao, *run, full])
    return markdown(["net", "ours px", "epochs", "split", "Nouri px", "Bao & Dorairaj px", "wall", "hardware", "command",
                     "full recipe still to run"],
                    rows, "Ours: validation RMSE in pixels on ytf-fkd's complete validation rows; published: Kaggle's "
                    "data (docs/anchors.md). net8 is the specialists step (next table).")


def listing(table, kind, columns, empty, note, order=("split", "val_rmse_px")):
    chosen = table[table["kind"] == kind].sort_values(list(order))
    rows = [[cell(row) for cell in columns.values()] for row in chosen.itertuples()]
    return markdown(list(columns), rows or [[empty] + ["-"] * (len(columns) - 1)], note)


def specialists(table):
    columns = {"model": lambda r: r.net, "val RMSE px": lambda r: px(r.val_rmse_px),
               "specialists": lambda r: f"{r.ensemble_of:.0f}" if pd.notna(r.ensemble_of) else "-",
               "epochs (all together)": lambda r: "-" if pd.isna(r.epochs) else f"{r.epochs:.0f} of {r.recipe_epochs:.0f}",
               "split": lambda r: r.split, "wall": lambda r: wall(r.wall_s), "hardware": machine,
               "command": lambda r: code(r.command)}
    return listing(table, "specialists", columns, "not run yet: `python specialists.py --pretrained RUN`",
                   "Epochs: the specialists' epochs added up, of those their command asked for.")


def modern(table):
    names = sorted((p.stem for p in (ROOT / "nets").glob("net*.py") if number(p.stem) >= 12), key=number)
    single = table[(table["kind"] == "single") & table["net"].isin(names)]
    rows = []
    for net in names:
        runs = single[single["net"] == net].sort_values(["split", "tta", "val_rmse_px"])
        rows += [[net, px(r.val_rmse_px), r.tta or "-", epochs(r), r.split, wall(r.wall_s),
                  "-" if pd.isna(r.s_per_epoch) else f"{r.s_per_epoch:g}", machine(r), code(r.command)]
                 for r in runs.itertuples()]
        if not len(runs):
            rows.append([net, f"not run yet: `python train.py --net {net}`"] + ["-"] * 7)
    return markdown(["net", "val RMSE px", "TTA", "epochs", "split", "wall", "s/epoch", "hardware", "command"], rows,
                    "Validation RMSE in pixels on the complete validation rows of the split named (clips: no "
                    "near-copy of a validation face in training).")


def ensembles(table):
    columns = {"model": lambda r: r.net, "val RMSE px": lambda r: px(r.val_rmse_px), "TTA": lambda r: r.tta or "-",
               "models averaged": lambda r: f"{r.ensemble_of:.0f}" if pd.notna(r.ensemble_of) else "-",
               "split": lambda r: r.split, "measured": lambda r: f"{r.date[:10]}, {r.commit[:7]}", "hardware": machine,
               "command": lambda r: code(r.command)}
    latest = table.drop_duplicates(["net", "tta", "split", "command"], keep="last")  # the ledger keeps every one
    return listing(latest, "ensembles", columns, "not run yet: `python -m bench.peers`",
                   "Averages of several models, and every model `python -m bench.peers` scored (peers calibrated on the "
                   "training rows; see docs/peers.md), each as last measured (the ledger keeps every measurement).")


def speed(table):
    timed = table[(table["kind"] == "single") & table["s_per_epoch"].notna()]
    groups = timed.groupby(["net", "hardware", "backend", "rows"], sort=False)["s_per_epoch"].agg(["median", "size"])
    groups = groups.reset_index().sort_values(["net", "hardware"], key=lambda c: c.map(number) if c.name == "net" else c)
    rows = [[g.net, f"{g.median:g}", g.size, g.rows or "-", g.hardware or "-", g.backend or "-"] for g in groups.itertuples()]
    return markdown(["net", "s/epoch", "runs", "training rows", "hardware", "backend"],
                    rows or [["no timed run yet", "-", "-", "-", "-", "-"]],
                    "s/epoch: the median over the ledger's runs of each run's median epoch; the commands are in "
                    "the tables above.")


def quickstart(table):
    runs = table[table["command"] == QUICKSTART].sort_values("date")
    rows = [[px(r.val_rmse_px), epochs(r), r.split, wall(r.wall_s), machine(r), r.date, code(r.command)]
            for r in runs.itertuples()]
    return markdown(["val RMSE px", "epochs", "split", "wall", "hardware", "date", "command"],
                    rows or [[f"not run yet: `{QUICKSTART}`"] + ["-"] * 6],
                    "Every run of the command above recorded in results/runs.csv (`python -m bench.report` writes "
                    "this table).")


def photos(table):
    columns = {"pipeline on whole photos": lambda r: r.net.removesuffix(", whole photos"), "photos": lambda r: r.rows,
               "RMSE px at 96": lambda r: px(r.val_rmse_px), "NME": lambda r: f"{r.nme:.4f}",
               "NME > 10% or no face": lambda r: f"{r.failed:.1%}", "ms per photo": lambda r: f"{r.ms:.1f}",
               "measured": lambda r: f"{r.date[:10]}, {r.commit[:7]}", "hardware": machine, "command": lambda r: code(r.command)}
    latest = table.drop_duplicates(["net", "split", "hardware"], keep="last")  # the ledger keeps every one
    return listing(latest, "photos", columns, "not run yet: `python -m bench.photos --peers`",
                   "python -m bench.photos on whole video frames of the clips the split held out (data/ytf-photos): RMSE "
                   "scaled to a 96-pixel face, NME over the outer-eye-corner distance, CPU ms per photo on one pinned "
                   "core (detection, passes and TTA included), every pipeline of a run timed side by side.",
                   order=("val_rmse_px",))


TABLES = {"study": study, "specialists": specialists, "modern": modern, "ensembles": ensembles, "speed": speed,
          "quickstart": quickstart, "photos": photos}
