"""The flip-batch iterator: each training batch has exactly half of its images mirrored."""
import keras
import numpy as np

from facial_keypoints.keypoints import flip_images, flip_targets, mirror_permutation


class FlipBatches(keras.utils.PyDataset):
    """Shuffled batches of (images, scaled targets); with flip=True, a random half of each batch is
    mirrored and its targets flipped to match (x mirrored, left/right columns swapped)."""

    def __init__(self, images, targets, columns, batch_size=128, flip=True, seed=0, **kwargs):
        super().__init__(**kwargs)
        if flip:
            mirror_permutation(columns)  # fail now, not mid-epoch, if the columns can't be mirrored
        self.images, self.targets, self.columns = images, targets, list(columns)
        self.batch_size, self.flip = batch_size, flip
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(images))

    def __len__(self):
        return -(-len(self.images) // self.batch_size)

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        images, targets = self.images[rows].astype("float32") / 255.0, self.targets[rows].copy()
        if self.flip:
            half = self.rng.choice(len(rows), len(rows) // 2, replace=False)
            images[half] = flip_images(images[half])
            targets[half] = flip_targets(targets[half], self.columns)
        return images, targets

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.images))

    def state(self):
        """Shuffling and flipping state, as JSON-ready values (for checkpoints)."""
        return {"rng": self.rng.bit_generator.state, "order": self.order.tolist()}

    def restore(self, state):
        self.rng.bit_generator.state = state["rng"]
        self.order = np.array(state["order"])
