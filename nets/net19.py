"""net19: net12 + the geometric augmentation a face detector's box and a re-crop call for (shift +-10% of
the side, scale +-15%, rotation +-25 degrees, on top of flips), at half strength for the last 60 epochs,
and weight EMA: a net that follows the face in its crop, for whole photos and video."""
import dataclasses

from nets import net12

RECIPE = dataclasses.replace(net12.RECIPE, rotate=25, zoom=0.15, shift=9.6, brightness=0.1, contrast=0.2,
                             mild_epochs=60, mild=0.5, ema=0.999, patience=None)


def build(n_outputs=30):
    return net12.build(n_outputs, name="net19")  # net12's layers: only the recipe changes
