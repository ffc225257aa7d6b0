"""net24: net23 (the photo model) trained on where the points are (train.py --net net24 --split clips
--pretrained models/net18): every x label moved 0.8 px left first, the labels' x offset that mirrored faces
turn round (net23's, measured on its own training rows: docs/notes.md, "The labels' x offset"), so that a face
and its mirror image ask for the same point; the run measures what is left and adds the whole offset back to
every x it predicts."""
import dataclasses

from nets import net18, net23

RECIPE = dataclasses.replace(net23.RECIPE, label_x_offset=0.8)


def build(n_outputs=30):
    return net18.build(n_outputs, name="net24")  # net18's layers: only the recipe and the start change
