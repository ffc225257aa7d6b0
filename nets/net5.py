"""net5: net4 + flips."""
from facial_keypoints.recipe import Recipe
from nets import net2

RECIPE = Recipe(epochs=2000, flip=True, learning_rate=(0.03, 0.0001), momentum=(0.9, 0.999))


def build(n_outputs=30):
    return net2.build(n_outputs, name="net5")  # net2's layers: only the recipe changes
