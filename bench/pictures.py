"""bench/report.py's pictures: docs/study.png (validation RMSE per net, ours beside the published
numbers) and docs/curves.png (learning curves of the ledger's best run, when its run folder is here)."""
import io
import json
from pathlib import Path

import pandas as pd

from bench.published import PUBLISHED


def png(figure):
    """The figure as PNG bytes, with no version stamp in them (the same picture gives the same file)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def study_picture(plt, chosen, recipes):
    nets = list(PUBLISHED)
    figure, axes = plt.subplots(figsize=(7.5, 3.4), layout="constrained")
    width = 0.27
    for i, (label, values) in enumerate([
            ("Nouri (Kaggle data)", [PUBLISHED[n][0] for n in nets]),
            ("Bao & Dorairaj (Kaggle data)", [PUBLISHED[n][1] for n in nets]),
            ("ours (ytf-fkd)", [None if chosen[n] is None else chosen[n].val_rmse_px for n in nets])]):
        xs = [k + (i - 1) * width for k, v in enumerate(values) if v is not None]
        bars = axes.bar(xs, [v for v in values if v is not None], width, label=label, color=f"C{i}")
        if label.startswith("ours"):
            for bar, net in zip(bars, [n for n in nets if chosen[n] is not None]):
                row = chosen[net]
                if row.epochs < recipes[net]:  # hatched: fewer epochs than the recipe's
                    bar.set_hatch("//")
                axes.annotate(f"{row.epochs:.0f}/{recipes[net]}", (bar.get_x() + width / 2, bar.get_height()), ha="center",
                              va="bottom", fontsize=7)
    for k, net in enumerate(nets):
        if chosen[net] is None:
            axes.annotate("not run", (k + width, 0.05), ha="center", va="bottom", rotation=90, fontsize=7)
    axes.margins(y=0.12)
    axes.set_xticks(range(len(nets)), nets)
    axes.set_ylabel("validation RMSE (px)")
    axes.set_title("The classic study: ours (epochs run / the recipe's on each bar) against the published numbers", fontsize=9)
    axes.legend(fontsize=8, loc="upper right")
    return figure


def run_folder(root, row):
    """The run folder (runs/* or models/shipped) whose config.json matches the ledger row, else None."""
    for config in sorted(Path(root).glob("runs/*/config.json")) + [Path(root) / "models/shipped/config.json"]:
        try:
            c = json.loads(config.read_text())
            if (c.get("net") == row.net and c.get("epochs_run") == row.epochs and abs(c["val_rmse_px"] - row.val_rmse_px)
                    < 6e-5 and c.get("command") == row.command and (config.parent / "history.csv").is_file()):
                return config.parent
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def curves_picture(plt, row, folder):
    history = pd.read_csv(folder / "history.csv")
    figure, axes = plt.subplots(figsize=(6, 3.4), layout="constrained")
    axes.plot(history["epoch"], history["rmse_px"], label="training")
    axes.plot(history["epoch"], history["val_rmse_px"], label=f"validation ({row.split} split)")
    axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("RMSE (px)")
    axes.set_title(f"{row.net}: {row.val_rmse_px:.3f} px after {row.epochs:.0f} epochs ({row.command})", fontsize=8)
    axes.legend(fontsize=8)
    return figure


def draw(root, table, chosen, recipes, write):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    docs = Path(root) / "docs"
    write(docs / "study.png", png(study_picture(plt, chosen, recipes)))
    print("drew docs/study.png")
    single = table[(table["kind"] == "single") & (table["tta"] == "")]
    if not len(single):
        return print("docs/curves.png kept: the ledger has no training run")
    row = next(single.sort_values("val_rmse_px").itertuples())
    folder = run_folder(root, row)
    if folder is None:
        return print(f"docs/curves.png kept as it was: the best run ({row.net}, {row.val_rmse_px:.4f} px, "
                     f"{row.command}) has no run folder with history.csv here")
    write(docs / "curves.png", png(curves_picture(plt, row, folder)))
    print(f"drew docs/curves.png from {folder}")
