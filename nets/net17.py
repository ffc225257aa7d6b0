"""net17: net16 + mild augmentation (rotation, scale, shift, brightness, contrast): keypoints move with the pixels."""
import dataclasses

from nets import net16

RECIPE = dataclasses.replace(net16.RECIPE, rotate=8.0, zoom=0.08, shift=3.0, brightness=0.1, contrast=0.2)


def build(n_outputs=30):
    return net16.build(n_outputs, name="net17")  # net16's layers: only the recipe changes
