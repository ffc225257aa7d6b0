"""The numbered nets of the study, one per file: each has RECIPE and build(n_outputs)."""
import importlib
import re
from pathlib import Path


def names():
    """net1, net2, ... in numeric order."""
    found = [p.stem for p in Path(__file__).parent.glob("net*.py")]
    return sorted(found, key=lambda name: int(re.sub(r"\D", "", name)))


# The study's step 8 is not one net but the specialists: one net per keypoint group.
NOT_A_NET = {"net8": "net8 is the study's specialists step, not a single net: "
                     "python specialists.py --pretrained RUN [--groups study2]"}


def load(name):
    """The module nets/NAME.py; ValueError naming the choices if there is none."""
    if name in NOT_A_NET:
        raise ValueError(NOT_A_NET[name])
    if name not in names():
        raise ValueError(f"unknown net {name!r}; choose one of {', '.join(names())}")
    return importlib.import_module(f"nets.{name}")
