"""net25: net24 with its x labels moved by the offset net24 measured on its own training rows (1.06 px instead
of net23's 0.8: train.py --net net25 --split clips --pretrained models/net18), so that less of it is left for
the mirror to turn round."""
import dataclasses

from nets import net18, net24

RECIPE = dataclasses.replace(net24.RECIPE, label_x_offset=1.06)


def build(n_outputs=30):
    return net18.build(n_outputs, name="net25")  # net18's layers: only the recipe and the start change
