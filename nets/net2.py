"""net2: three conv + max-pool blocks, two dense layers of 500."""
import keras
from keras import layers

from facial_keypoints.recipe import Recipe

RECIPE = Recipe(epochs=1000, learning_rate=(0.01, 0.01), momentum=(0.9, 0.9))


def build(n_outputs=30, name="net2"):
    inputs = keras.Input((96, 96, 1))
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(64, 2, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(128, 2, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(500, activation="relu")(x)
    x = layers.Dense(500, activation="relu")(x)
    outputs = layers.Dense(n_outputs)(x)
    return keras.Model(inputs, outputs, name=name)
