"""net13: net12 + augmentation: rotation, scale, shift, brightness, contrast, noise (keypoints move too)."""
import dataclasses

from nets import net12

RECIPE = dataclasses.replace(net12.RECIPE, rotate=12, zoom=0.1, shift=4, brightness=0.1, contrast=0.2, noise=0.02)


def build(n_outputs=30):
    return net12.build(n_outputs, name="net13")  # net12's layers: only the recipe changes
