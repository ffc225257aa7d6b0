"""net26: net25 for twice the epochs (200, the last 70 milder: train.py --net net26 --split clips --pretrained
models/net18)."""
import dataclasses

from nets import net18, net25

RECIPE = dataclasses.replace(net25.RECIPE, epochs=200, mild_epochs=70)


def build(n_outputs=30):
    return net18.build(n_outputs, name="net26")  # net18's layers: only the recipe and the start change
