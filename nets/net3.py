"""net3: net2 + the flip iterator (half of every batch mirrored)."""
from facial_keypoints.recipe import Recipe
from nets import net2

RECIPE = Recipe(epochs=3000, flip=True, learning_rate=(0.01, 0.01), momentum=(0.9, 0.9))


def build(n_outputs=30):
    return net2.build(n_outputs, name="net3")  # net2's layers: only the recipe changes
