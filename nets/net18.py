"""net18: net16 at half the width again, for fast inference: a sixteenth of net15's multiply-adds."""
import keras
from keras import layers

from facial_keypoints.layers import SoftArgmax
from nets import net12
from nets.net15 import up_and_add

RECIPE = net12.RECIPE


def build(n_outputs=30, name="net18"):
    inputs = keras.Input((96, 96, 1))
    x = net12.conv(inputs, 8, strides=2)   # 48 x 48
    x = net12.conv(x, 8)
    x = layers.MaxPooling2D(2)(x)          # 24 x 24
    x = net12.conv(x, 16)
    at24 = net12.conv(x, 16)
    x = layers.MaxPooling2D(2)(at24)       # 12 x 12
    x = net12.conv(x, 32)
    at12 = net12.conv(x, 32)
    x = layers.MaxPooling2D(2)(at12)       # 6 x 6
    x = net12.conv(x, 64)
    x = net12.conv(up_and_add(x, at12), 32)  # back to 12 x 12
    x = net12.conv(up_and_add(x, at24), 16)  # back to 24 x 24: a cell is 4 x 4 pixels
    heatmaps = layers.Conv2D(n_outputs // 2, 1)(x)
    outputs = SoftArgmax()(heatmaps)
    return keras.Model(inputs, outputs, name=name)
