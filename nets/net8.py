"""net8 is the specialists step of the study, not a single net: see specialists.py.

    python specialists.py --pretrained runs/net7-... --groups study2   # the study's two groups
    python specialists.py --pretrained runs/net7-...                   # Nouri's six groups
"""
