"""Rewrite the result tables of README.md and docs/*.md from the ledger (results/runs.csv) alone; draw
docs/study.png and docs/curves.png.

    python -m bench.report             # rewrite every table between <!-- report:NAME --> and <!-- /report:NAME -->
    python -m bench.report --check     # rewrite nothing; exit 1 naming each table that differs from the ledger
    python -m bench.report --ledger PATH --root DIR   # another ledger, another checkout's docs

NAME: study (net1...net11: each net's best full-recipe run, else its longest, marked REDUCED, beside the
published numbers), specialists, modern (net12 on), ensembles (averages, bench.peers' rows), speed,
quickstart (README's run command). No Keras here: recipes' epoch counts come from the text of nets/*.py."""
import re
import sys
from pathlib import Path

import pandas as pd

from bench.ledger_tables import ROOT, TABLES, recipe_epochs, study_rows
from bench.pictures import draw
from bench.published import PUBLISHED
from facial_keypoints import cli
from facial_keypoints.errors import DataError
from facial_keypoints.ledger import read
from facial_keypoints.paths import write_atomic

MARKER = re.compile(r"^(<!-- report:(\w+) -->\n)(.*?)^(<!-- /report:\2 -->)$", re.S | re.M)  # each on its own line
NUMBERS = ("epochs", "recipe_epochs", "val_rmse_px", "ensemble_of", "wall_s", "s_per_epoch", "nme", "failed", "ms")


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
    peers = table["command"].str.contains(r"\bbench[./]peers\b")  # python bench/peers.py, python -m bench.peers
    specialists = table["net"].str.contains("specialists", regex=False)
    table["kind"] = "single"
    table.loc[table["ensemble_of"].notna() | peers, "kind"] = "ensembles"
    table.loc[specialists & ~peers, "kind"] = "specialists"
    table.loc[table["nme"].notna(), "kind"] = "photos"  # python -m bench.photos: whole photos, not crops
    return table


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
    parser = cli.parser_for(__doc__, prog="python -m bench.report")
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
    draw(root, table, study_rows(table), {net: recipe_epochs(net) for net in PUBLISHED}, write)


if __name__ == "__main__":
    from facial_keypoints import errors
    errors.run(main)
