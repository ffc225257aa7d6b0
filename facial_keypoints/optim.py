"""Nesterov SGD whose learning rate and momentum a callback can change during training.

Keras' SGD keeps momentum as a Python float, baked into the compiled train step, so assigning it
mid-training silently does nothing. Here momentum is a variable, read by the compiled step.
"""
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="facial_keypoints")
class ScheduledSGD(keras.optimizers.Optimizer):
    def __init__(self, learning_rate=0.01, momentum=0.9, name="scheduled_sgd", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)  # kwargs: Keras' own (clipnorm, ...)
        self.momentum = keras.Variable(momentum, name="momentum", dtype="float32", trainable=False)

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
        self.assign_add(variable, ops.subtract(ops.multiply(velocity, momentum), step))  # Nesterov

    def get_config(self):
        config = super().get_config()
        config.update(momentum=float(ops.convert_to_numpy(self.momentum)))
        return config

    @classmethod
    def from_config(cls, config):
        config.pop("nesterov", None)  # written by checkpoints made before the unused switch was removed
        return super().from_config(config)


def make_optimizer(recipe):
    """The recipe's optimizer; with recipe.ema, it also keeps the weights' moving average (Keras' use_ema),
    which validation uses (callbacks.SwapEMAWeights) and which the run ends with."""
    ema = {"use_ema": True, "ema_momentum": recipe.ema} if recipe.ema else {}
    if recipe.optimizer == "adamw":
        return keras.optimizers.AdamW(recipe.learning_rate[0], weight_decay=recipe.weight_decay, **ema)
    return ScheduledSGD(recipe.learning_rate[0], recipe.momentum[0], **ema)
