"""Layers the nets share, registered so that load_model finds them."""
import keras
from keras import ops

from facial_keypoints.keypoints import IMAGE_SIZE, scale


@keras.saving.register_keras_serializable(package="facial_keypoints")
class CoordinateChannels(keras.layers.Layer):
    """Append two channels holding each pixel's x and y (in -1..1): the absolute position that
    convolutions and global pooling otherwise barely see (CoordConv, Liu et al. 2018)."""

    def call(self, images):
        batch, height, width = ops.shape(images)[0], images.shape[1], images.shape[2]
        x = ops.broadcast_to(ops.linspace(-1.0, 1.0, width)[None, None, :, None], (batch, height, width, 1))
        y = ops.broadcast_to(ops.linspace(-1.0, 1.0, height)[None, :, None, None], (batch, height, width, 1))
        return ops.concatenate([images, ops.cast(x, images.dtype), ops.cast(y, images.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 2)


@keras.saving.register_keras_serializable(package="facial_keypoints")
class SoftArgmax(keras.layers.Layer):
    """Heatmaps (batch, h, w, k) -> k keypoints as scaled targets x0, y0, x1, y1, ... (integral regression,
    Sun et al. 2018): a softmax over each map's cells, then the expected cell centre. Sub-pixel, and it
    moves with the face wherever the face sits, which global pooling does not."""

    def call(self, heatmaps):
        height, width, k = heatmaps.shape[1], heatmaps.shape[2], heatmaps.shape[3]
        probabilities = ops.softmax(ops.reshape(heatmaps, (-1, height * width, k)), axis=1)
        # a cell of an h x w map covers IMAGE_SIZE/w pixels; its centre in the pixel-centre convention, scaled
        xs = (ops.arange(width, dtype="float32") + 0.5) * (IMAGE_SIZE / width) - 0.5
        ys = (ops.arange(height, dtype="float32") + 0.5) * (IMAGE_SIZE / height) - 0.5
        grid_x = ops.reshape(ops.tile(scale(xs)[None, :], (height, 1)), (1, height * width, 1))
        grid_y = ops.reshape(ops.tile(scale(ys)[:, None], (1, width)), (1, height * width, 1))
        x = ops.sum(probabilities * ops.cast(grid_x, probabilities.dtype), axis=1)
        y = ops.sum(probabilities * ops.cast(grid_y, probabilities.dtype), axis=1)
        return ops.reshape(ops.stack([x, y], axis=-1), (-1, 2 * k))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 * input_shape[3])
