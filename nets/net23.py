"""net23: net21 (the fast net, fine-tuned to follow the face) with half of each batch left where the data's
crop put it, as net22 does for net12 (train.py --net net23 --split clips --pretrained models/net18)."""
import dataclasses

from nets import net18, net21

RECIPE = dataclasses.replace(net21.RECIPE, unmoved=0.5)


def build(n_outputs=30):
    return net18.build(n_outputs, name="net23")  # net18's layers: only the recipe and the start change
