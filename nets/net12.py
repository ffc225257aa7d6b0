"""net12: beyond the study. Conv/batch-norm blocks, global pooling, every row (masked loss), AdamW."""
import keras
from keras import layers

from facial_keypoints.recipe import Recipe

RECIPE = Recipe(epochs=300, batch_size=32, flip=True, optimizer="adamw", learning_rate=(0.001, 0.00001),
                weight_decay=0.0001, patience=100, all_rows=True)


def conv(x, filters, strides=1):
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(x)


def build(n_outputs=30, name="net12"):
    inputs = keras.Input((96, 96, 1))
    x = conv(inputs, 32, strides=2)  # 48 x 48
    x = conv(x, 32)
    x = layers.MaxPooling2D(2)(x)    # 24 x 24
    x = conv(x, 64)
    x = conv(x, 64)
    x = layers.MaxPooling2D(2)(x)    # 12 x 12
    x = conv(x, 128)
    x = conv(x, 128)
    x = layers.MaxPooling2D(2)(x)    # 6 x 6
    x = conv(x, 256)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(512, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(n_outputs)(x)
    return keras.Model(inputs, outputs, name=name)
