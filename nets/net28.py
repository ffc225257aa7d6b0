"""net28: net26 for twice the epochs again (400, the last 140 milder: train.py --net net28 --split clips
--pretrained models/net18)."""
import dataclasses

from nets import net18, net26

RECIPE = dataclasses.replace(net26.RECIPE, epochs=400, mild_epochs=140)


def build(n_outputs=30):
    return net18.build(n_outputs, name="net28")  # net18's layers: only the recipe and the start change
