"""Rewrite the result tables of README.md and docs/*.md from the ledger (results/runs.csv) alone; draw
docs/study.png and docs/curves.png.

    python bench/report.py             # rewrite every table between <!-- report:NAME --> and <!-- /report:NAME -->
    python bench/report.py --check     # rewrite nothing; exit 1 naming each table that differs from the ledger
    python bench/report.py --ledger PATH --root DIR   # another ledger, another checkout's docs

NAME: study (net1...net11: each net's best full-recipe run, else its longest, marked REDUCED, beside the
published numbers), specialists, modern (net12 on), ensembles (averages, bench/peers.py's rows), speed,
quickstart (README's run command). No Keras here: recipes' epoch counts come from the text of nets/*.py."""
import argparse
import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.published import PUBLISHED  # noqa: E402
from facial_keypoints.errors import DataError  # noqa: E402
from facial_keypoints.ledger import read  # noqa: E402
from facial_keypoints.paths import write_atomic  # noqa: E402

QUICKSTART = "python train.py --net net16 --epochs 30"  # README.md's run command
MARKER = re.compile(r"^(<!-- report:(\w+) -->\n)(.*?)^(<!-- /report:\2 -->)$", re.S | re.M)  # each on its own line
NUMBERS = ("epochs", "recipe_epochs", "val_rmse_px", "ensemble_of", "wall_s", "s_per_epoch")


def recipe_epochs(name):
    """The epochs of nets/NAME.py's RECIPE, from its text: `Recipe(epochs=N...` or another net's RECIPE."""
    path = ROOT / "nets" / f"{name}.py"
    statement = re.search(r"^RECIPE = (.*(?:\n[ \t]+.*)*)", path.read_text(), re.M) if path.is_file() else None
    if statement and (number := re.search(r"\bepochs=(\d+)", statement[1])):
        return int(number[1])
    if statement and (other := re.search(r"\b(net\d+)\.RECIPE\b", statement[1])):
        return recipe_epochs(other[1])
    raise DataError(f"nets/{name}.py: no RECIPE with epochs=N or another net's RECIPE")


def load(path):
    """The ledger with numbers as numbers (NaN where empty) and a `kind` per row, each row checked."""
    table = read(path)
    for column in NUMBERS:
        values = pd.to_numeric(table[column].where(table[column] != ""), errors="coerce")
        bad = values.isna() & (table[column] != "")
        if bad.any():  # + 2: the header is line 1
            raise DataError(f"{path}, line {bad.idxmax() + 2}: {column} {table[column][bad.idxmax()]!r} is not a number")
        table[column] = values
    missing = table["net"].eq("") | table["val_rmse_px"].isna()
    if missing.any():
        raise DataError(f"{path}, line {int(missing.idxmax()) + 2}: a row needs net and val_rmse_px")
    peers = table["command"].str.contains("bench/peers.py", regex=False)
    specialists = table["net"].str.contains("specialists", regex=False)
    table["kind"] = "single"
    table.loc[table["ensemble_of"].notna() | peers, "kind"] = "ensembles"
    table.loc[specialists & ~peers, "kind"] = "specialists"
    return table


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
    return listing(latest, "ensembles", columns, "not run yet: `python bench/peers.py`",
                   "Averages of several models, and every model bench/peers.py scored (peers calibrated on the "
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
                    "Every run of the command above recorded in results/runs.csv (`python bench/report.py` writes "
                    "this table).")


TABLES = {"study": study, "specialists": specialists, "modern": modern, "ensembles": ensembles, "speed": speed,
          "quickstart": quickstart}


def rewrite(text, table, where):
    """(the text with its tables generated, names of the tables that changed)."""
    opened = re.findall(r"^<!-- report:(\w+) -->$", text, re.M)
    found = [match[2] for match in MARKER.finditer(text)]
    for name in opened:
        if name not in TABLES:
            raise DataError(f"{where}: unknown table <!-- report:{name} --> (known: {', '.join(TABLES)})")
        if opened.count(name) != found.count(name):
            raise DataError(f"{where}: <!-- report:{name} --> needs a closing <!-- /report:{name} --> on its own line")
    changed = []

    def generate(match):
        new = TABLES[match[2]](table)
        if new != match[3]:
            changed.append(match[2])
        return match[1] + new + match[4]
    return MARKER.sub(generate, text), changed


def write(path, data):
    """A doc (text) or a picture (bytes), atomically."""
    write_atomic(path, lambda tmp: Path(tmp).write_bytes(data) if isinstance(data, bytes) else Path(tmp).write_text(data))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="rewrite nothing; exit 1 if a table differs from the ledger")
    parser.add_argument("--root", default=str(ROOT), help="the checkout whose README.md and docs/ to rewrite")
    parser.add_argument("--ledger", help="the ledger to read (default: ROOT/results/runs.csv)")
    args = parser.parse_args()
    root = Path(args.root)
    ledger = Path(args.ledger) if args.ledger else root / "results" / "runs.csv"
    if not ledger.is_file():
        parser.error(f"{ledger}: no such ledger (give --ledger PATH, or --root a checkout with results/runs.csv)")
    table = load(ledger)
    updates, stale = {}, []
    for path in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        text = path.read_text()
        new, changed = rewrite(text, table, path.relative_to(root))
        stale += [f"{path.relative_to(root)}: table {name} differs from {ledger.name}" for name in changed]
        if new != text:
            updates[path] = new
    if args.check:
        print("\n".join(stale) or f"every table matches {ledger}")
        sys.exit(1 if stale else 0)
    for path, text in updates.items():  # all generated before any is written
        write(path, text)
    print("\n".join(line.replace("differs from", "rewritten from") for line in stale) or "every table was up to date")
    from bench.pictures import draw
    draw(root, table, study_rows(table), {net: recipe_epochs(net) for net in PUBLISHED}, write)


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
