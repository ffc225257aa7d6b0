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


def build(n_outputs=30, name="net15", width=32):
    """width: the filters of the first block, doubled at each pooling (net16, net18: narrower)."""
    inputs = keras.Input((96, 96, 1))
    x = net12.conv(inputs, width, strides=2)  # 48 x 48
    x = net12.conv(x, width)
    x = layers.MaxPooling2D(2)(x)             # 24 x 24
    x = net12.conv(x, 2 * width)
    at24 = net12.conv(x, 2 * width)
    x = layers.MaxPooling2D(2)(at24)          # 12 x 12
    x = net12.conv(x, 4 * width)
    at12 = net12.conv(x, 4 * width)
    x = layers.MaxPooling2D(2)(at12)          # 6 x 6
    x = net12.conv(x, 8 * width)
    x = net12.conv(up_and_add(x, at12), 4 * width)  # back to 12 x 12
    x = net12.conv(up_and_add(x, at24), 2 * width)  # back to 24 x 24: a cell is 4 x 4 pixels
    heatmaps = layers.Conv2D(n_outputs // 2, 1)(x)
    outputs = SoftArgmax()(heatmaps)
    return keras.Model(inputs, outputs, name=name)
