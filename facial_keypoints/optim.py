"""Nesterov SGD whose learning rate and momentum a callback can change during training.

Keras' SGD keeps momentum as a Python float, baked into the compiled train step, so assigning it
mid-training silently does nothing. Here momentum is a variable, read by the compiled step.
"""
import math
import time

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="facial_keypoints")
class ScheduledSGD(keras.optimizers.Optimizer):
    def __init__(self, learning_rate=0.01, momentum=0.9, nesterov=True, name="scheduled_sgd", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = keras.Variable(momentum, name="momentum", dtype="float32", trainable=False)
        self.nesterov = nesterov

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.velocities = self.add_optimizer_variables(variables, "velocity")

    def update_step(self, gradient, variable, learning_rate):
        learning_rate = ops.cast(learning_rate, variable.dtype)
        momentum = ops.cast(self.momentum, variable.dtype)
        step = ops.multiply(ops.cast(gradient, variable.dtype), learning_rate)
        velocity = self.velocities[self._get_variable_index(variable)]
        self.assign(velocity, ops.subtract(ops.multiply(velocity, momentum), step))
        if self.nesterov:
            self.assign_add(variable, ops.subtract(ops.multiply(velocity, momentum), step))
        else:
            self.assign_add(variable, velocity)

    def get_config(self):
        config = super().get_config()
        config.update(momentum=float(ops.convert_to_numpy(self.momentum)), nesterov=self.nesterov)
        return config


class AdjustVariable(keras.callbacks.Callback):
    """Set an optimizer variable ("learning_rate" or "momentum") linearly from start to stop over the run."""

    def __init__(self, name, start, stop, epochs):
        super().__init__()
        self.name, self.values = name, np.linspace(start, stop, epochs)

    def on_epoch_begin(self, epoch, logs=None):
        value = self.values[min(epoch, len(self.values) - 1)]
        getattr(self.model.optimizer, self.name).assign(value)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs[self.name] = float(ops.convert_to_numpy(getattr(self.model.optimizer, self.name)))


class EpochStats(keras.callbacks.Callback):
    """Add rmse_px and val_rmse_px (sqrt of the MSE on scaled targets, times 48) and seconds to each epoch's logs."""

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        for key in ("loss", "val_loss"):
            if key in logs:
                logs[key.replace("loss", "rmse_px")] = math.sqrt(logs[key]) * 48.0
        logs["seconds"] = time.perf_counter() - self.started
