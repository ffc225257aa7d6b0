"""The published validation RMSE (pixels, Kaggle's data) that our study table stands beside: the one
copy, read by bench/study.py and bench/report.py (no Keras here). Sources in docs/anchors.md:
Nouri's tutorial for net1-net7, Bao & Dorairaj's incremental study for net1-net11 (net8, their
specialists step, is in the specialists section there)."""

# net: (Nouri px, Bao & Dorairaj px); None where that source has no such net
PUBLISHED = {"net1": (2.74, 2.53), "net2": (1.90, 1.90), "net3": (1.72, 1.69), "net4": (1.79, 1.84),
             "net5": (1.65, 1.66), "net6": (1.61, 1.60), "net7": (1.35, 1.35), "net9": (None, 1.34),
             "net10": (None, 1.61), "net11": (None, 1.27)}
