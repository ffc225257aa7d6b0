"""net15: net12's encoder, a heatmap head: features brought back to 24 x 24, one map per keypoint, soft-argmax."""
import keras
from keras import layers

from facial_keypoints.layers import SoftArgmax
from nets import net12

RECIPE = net12.RECIPE


def up_and_add(coarse, fine):
    """Feature-pyramid step: coarse features to fine's channels and size, added to fine's."""
    coarse = layers.Conv2D(fine.shape[-1], 1, use_bias=False)(coarse)
    return layers.Add()([layers.UpSampling2D(2)(coarse), fine])


def build(n_outputs=30):
    inputs = keras.Input((96, 96, 1))
    x = net12.conv(inputs, 32, strides=2)  # 48 x 48
    x = net12.conv(x, 32)
    x = layers.MaxPooling2D(2)(x)          # 24 x 24
    x = net12.conv(x, 64)
    at24 = net12.conv(x, 64)
    x = layers.MaxPooling2D(2)(at24)       # 12 x 12
    x = net12.conv(x, 128)
    at12 = net12.conv(x, 128)
    x = layers.MaxPooling2D(2)(at12)       # 6 x 6
    x = net12.conv(x, 256)
    x = net12.conv(up_and_add(x, at12), 128)  # back to 12 x 12
    x = net12.conv(up_and_add(x, at24), 64)   # back to 24 x 24: a cell is 4 x 4 pixels
    heatmaps = layers.Conv2D(n_outputs // 2, 1)(x)
    outputs = SoftArgmax()(heatmaps)
    return keras.Model(inputs, outputs, name="net15")
