"""The fast training path: the whole data set lives on the device, and a training step receives only
row numbers. Gathering the batch, flipping and augmenting it, the net and the masked loss all run in
the one compiled step: no per-batch image copies from the host, no per-batch NumPy work."""
import keras
from keras import ops

from facial_keypoints.augment import augment
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

    def call(self, rows, training=False):
        images = ops.cast(ops.take(self.images, rows, axis=0), "float32") / 255.0
        targets = ops.take(self.targets, rows, axis=0)
        if training:
            images, targets = augment(images, targets, self.columns, self.recipe, self.seed_generator)
        predicted = self.net(images, training=training)
        self.add_loss(masked_mse(targets, predicted))
        return predicted

    def get_weights(self):
        return self.net.get_weights()

    def set_weights(self, weights):
        self.net.set_weights(weights)
