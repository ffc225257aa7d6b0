"""net13: net12 + augmentation: rotation, scale, shift, brightness, contrast, noise (keypoints move too)."""
import dataclasses

from nets import net12

RECIPE = dataclasses.replace(net12.RECIPE, rotate=12, zoom=0.1, shift=4, brightness=0.1, contrast=0.2, noise=0.02)
build = net12.build  # the same layers
