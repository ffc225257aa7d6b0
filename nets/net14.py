"""net14: net12 + two input channels holding each pixel's x and y, so the net sees absolute position."""
import keras
from keras import layers

from facial_keypoints.layers import CoordinateChannels
from nets import net12

RECIPE = net12.RECIPE


def build(n_outputs=30):
    inputs = keras.Input((96, 96, 1))
    x = CoordinateChannels()(inputs)
    x = net12.conv(x, 32, strides=2)  # 48 x 48
    x = net12.conv(x, 32)
    x = layers.MaxPooling2D(2)(x)     # 24 x 24
    x = net12.conv(x, 64)
    x = net12.conv(x, 64)
    x = layers.MaxPooling2D(2)(x)     # 12 x 12
    x = net12.conv(x, 128)
    x = net12.conv(x, 128)
    x = layers.MaxPooling2D(2)(x)     # 6 x 6
    x = net12.conv(x, 256)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(512, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(n_outputs)(x)
    return keras.Model(inputs, outputs, name="net14")
