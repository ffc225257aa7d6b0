"""The masked loss: train on every row, whatever keypoints it lacks."""
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="facial_keypoints")
def masked_mse(y_true, y_pred):
    """Mean squared error over the present (non-NaN) targets of the batch.

    Missing targets add nothing to the loss or its gradient: their differences are replaced by
    zeros before squaring, so no NaN reaches the gradient. With no NaN this is plain MSE.
    """
    present = ops.logical_not(ops.isnan(y_true))
    difference = ops.where(present, ops.where(present, y_true, 0.0) - y_pred, 0.0)
    count = ops.maximum(ops.sum(ops.cast(present, y_pred.dtype)), 1.0)
    return ops.sum(ops.square(difference)) / count
