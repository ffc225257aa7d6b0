"""net27: the shipped net12 fine-tuned for 60 epochs on x labels moved by the labels' x offset (1.06 px, as net25;
train.py --net net27 --split clips --pretrained models/net12), net12's recipe otherwise (flips only, every
row), from a third of its learning rate."""
import dataclasses

from nets import net12

RECIPE = dataclasses.replace(net12.RECIPE, epochs=60, learning_rate=(0.0003, 0.00001), label_x_offset=1.06)


def build(n_outputs=30):
    return net12.build(n_outputs, name="net27")  # net12's layers: only the recipe and the start change
