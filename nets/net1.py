"""net1: one hidden layer of 100 units (Nouri's first net)."""
import keras
from keras import layers

from facial_keypoints.recipe import Recipe

RECIPE = Recipe(epochs=400, learning_rate=(0.01, 0.01), momentum=(0.9, 0.9))


def build(n_outputs=30):
    inputs = keras.Input((96, 96, 1))
    x = layers.Flatten()(inputs)
    x = layers.Dense(100, activation="relu")(x)
    outputs = layers.Dense(n_outputs)(x)
    return keras.Model(inputs, outputs, name="net1")
