"""The device side of training. The fast path: the whole data set lives on the device, and a training
step receives only row numbers. Gathering the batch, flipping and augmenting it, the net and the masked
loss all run in the one compiled step: no per-batch image copies from the host, no per-batch NumPy work.
And use_devices: data-parallel training over several accelerators."""
import keras
from keras import ops

from facial_keypoints.augment import augment
from facial_keypoints.keypoints import to_inputs
from facial_keypoints.losses import masked_mse


class OnDevice(keras.Model):
    """Trains `net` on images (uint8, n x 96 x 96 x 1) and scaled targets (NaN where missing) held as
    device variables. Training steps augment as the recipe asks; evaluation steps do not.

    Its weights are the net's (the data are not weights), so early stopping's best weights are the net's.
    """

    def __init__(self, net, images, targets, columns, recipe, seed=0):
        super().__init__(name=f"{net.name}_on_device")
        self.net, self.columns, self.recipe = net, list(columns), recipe
        self.images = keras.Variable(images, trainable=False, name="images")
        self.targets = keras.Variable(targets, trainable=False, name="targets")
        self.seed_generator = keras.random.SeedGenerator(seed)
        # how much of the recipe's rotation, zoom and shift this epoch uses (callbacks.AugmentStrength sets it)
        self.strength = keras.Variable(1.0, trainable=False, dtype="float32", name="strength")

    def call(self, rows, training=False):
        images = to_inputs(ops.cast(ops.take(self.images, rows, axis=0), "float32"))
        targets = ops.take(self.targets, rows, axis=0)
        if training:
            images, targets = augment(images, targets, self.columns, self.recipe, self.seed_generator, self.strength)
        predicted = self.net(images, training=training)
        self.add_loss(masked_mse(targets, predicted))
        return predicted

    def get_weights(self):
        return self.net.get_weights()

    def set_weights(self, weights):
        self.net.set_weights(weights)


def use_devices(count):
    """Train data-parallel over the first `count` accelerators (Keras' distribution API, JAX backend):
    every device holds the weights, each takes its share of every batch."""
    if keras.backend.backend() != "jax":
        raise ValueError(f"--devices needs KERAS_BACKEND=jax (this is {keras.backend.backend()})")
    devices = keras.distribution.list_devices()
    if count > len(devices):
        raise ValueError(f"--devices {count}: only {len(devices)} device(s) visible ({', '.join(devices)})")
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices[:count]))
