"""net7: net6 with 1000-unit dense layers, trained longer with early stopping (patience 200)."""
import keras
from keras import layers

from facial_keypoints.recipe import Recipe

RECIPE = Recipe(epochs=10000, flip=True, learning_rate=(0.03, 0.0001), momentum=(0.9, 0.999), patience=200)


def build(n_outputs=30):
    inputs = keras.Input((96, 96, 1))
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Conv2D(64, 2, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Conv2D(128, 2, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(1000, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Dense(1000, activation="relu")(x)
    outputs = layers.Dense(n_outputs)(x)
    return keras.Model(inputs, outputs, name="net7")
