"""Layers the nets share, registered so that load_model finds them."""
import keras
from keras import ops


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
