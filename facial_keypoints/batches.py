"""Training batches: the study's flip-batch iterator (plain path) and row numbers for the fast path."""
import keras
import numpy as np

from facial_keypoints.keypoints import flip_images, flip_targets, to_inputs


class RowBatches(keras.utils.PyDataset):
    """Batches of row numbers, in a fresh random order each epoch (seed=None: in the given order).

    With multiple > 1 (data-parallel devices), a short last batch is topped up with the row number
    `pad` to a multiple of it: the fast path's blank row, whose missing targets add nothing to the loss.
    Its state can be saved and restored (checkpoints).
    """

    def __init__(self, rows, batch_size=128, seed=None, multiple=1, pad=None, **kwargs):
        super().__init__(**kwargs)
        self.rows, self.batch_size, self.multiple, self.pad = np.asarray(rows), batch_size, multiple, pad
        self.rng = None if seed is None else np.random.default_rng(seed)
        self.order = self.shuffled()

    def shuffled(self):
        return self.rows if self.rng is None else self.rng.permutation(self.rows)

    def __len__(self):
        return -(-len(self.rows) // self.batch_size)

    def __getitem__(self, index):
        batch = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        short = -len(batch) % self.multiple
        return np.concatenate([batch, np.full(short, self.pad)]).astype("int32") if short else batch.astype("int32")

    def on_epoch_end(self):
        self.order = self.shuffled()

    def state(self):
        """The shuffling (and flipping) random state, as JSON-ready values (for checkpoints)."""
        return {"rng": self.rng.bit_generator.state, "order": self.order.tolist()}

    def restore(self, state):
        self.rng.bit_generator.state = state["rng"]
        self.order = np.array(state["order"])


class FlipBatches(RowBatches):
    """Shuffled batches of (images, scaled targets); with flip=True, a random half of each batch is
    mirrored and its targets flipped to match (x mirrored, left/right columns swapped)."""

    def __init__(self, images, targets, columns, batch_size=128, flip=True, seed=0, **kwargs):
        super().__init__(np.arange(len(images)), batch_size, seed, **kwargs)
        self.images, self.targets, self.columns, self.flip = images, targets, list(columns), flip

    def __getitem__(self, index):
        rows = super().__getitem__(index)
        images, targets = to_inputs(self.images[rows]), self.targets[rows].copy()
        if self.flip:
            half = self.rng.choice(len(rows), len(rows) // 2, replace=False)
            images[half] = flip_images(images[half])
            targets[half] = flip_targets(targets[half], self.columns)
        return images, targets
