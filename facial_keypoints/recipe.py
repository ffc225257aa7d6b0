"""How a net is trained: a Recipe, plain values written out in each nets/netN.py; and a RunSpec, one run of a
net with its recipe on some data."""
from dataclasses import asdict, dataclass, fields

from facial_keypoints.keypoints import COLUMNS


@dataclass(frozen=True)
class Recipe:
    epochs: int
    batch_size: int = 128
    flip: bool = False                 # mirror exactly half of every training batch
    learning_rate: tuple = (0.01, 0.01)  # (start, stop), linear over the epochs (Nouri's AdjustVariable)
    momentum: tuple = (0.9, 0.9)         # (start, stop), Nesterov momentum (optimizer "sgd")
    patience: int | None = None        # early stopping on validation loss, best weights restored
    optimizer: str = "sgd"             # "sgd" (Nesterov, scheduled momentum) or "adamw"
    weight_decay: float = 0.0          # AdamW's decoupled weight decay
    all_rows: bool = False             # train on every row: missing targets are masked out of the loss...
    impute: str | None = None          # ...or filled first: "median" or "knn" (facial_keypoints/impute.py)
    # augmentation (fast pipeline), each off at 0: keypoints move with the pixels
    rotate: float = 0.0                # degrees, uniform in +-rotate
    zoom: float = 0.0                  # scale factor uniform in 1 +- zoom
    shift: float = 0.0                 # pixels, uniform in +-shift along x and y
    brightness: float = 0.0            # added, uniform in +-brightness (pixel values are 0..1)
    contrast: float = 0.0              # gain about the image mean, uniform in 1 +- contrast
    noise: float = 0.0                 # Gaussian noise, standard deviation
    mild_epochs: int = 0               # the last this many epochs move, scale and rotate by `mild` x the above
    mild: float = 1.0                  # (strong augmentation for most epochs, milder at the end)
    unmoved: float = 0.0               # this share of each batch is not moved, scaled or rotated (aligned crops)
    ema: float = 0.0                   # weight EMA (keras.optimizers' use_ema) of this momentum; 0: none
    label_x_offset: float = 0.0        # px taken off every x label to train on (the labels' x offset that
                                       # mirrored faces turn round: prediction.x_offset); the run adds back its own

    def __post_init__(self):
        if self.optimizer not in ("sgd", "adamw"):
            raise ValueError(f"optimizer must be 'sgd' or 'adamw', not {self.optimizer!r}")
        if self.impute not in (None, "median", "knn"):
            raise ValueError(f"impute must be None, 'median' or 'knn', not {self.impute!r}")
        if self.impute and not self.all_rows:
            raise ValueError("impute fills the rows that all_rows=True adds: set all_rows=True too")
        if not 0 <= self.ema < 1:
            raise ValueError(f"ema is a momentum in [0, 1), not {self.ema!r}")
        if self.ema and self.patience:
            raise ValueError("ema: early stopping would keep raw weights, not their average: set patience=None")
        if not 0 <= self.mild_epochs <= self.epochs or self.mild < 0:
            raise ValueError(f"mild_epochs must be in 0..epochs and mild >= 0, not {self.mild_epochs!r}, {self.mild!r}")
        if not 0 <= self.unmoved < 1:
            raise ValueError(f"unmoved is a share of each batch in [0, 1), not {self.unmoved!r}")

    def strength(self, epoch):
        """How much of rotate, zoom and shift the augmentation uses in this epoch (from 0)."""
        return self.mild if epoch >= self.epochs - self.mild_epochs else 1.0

    def augments(self):
        """Does this recipe ask for more than the study's flip?"""
        return any((self.rotate, self.zoom, self.shift, self.brightness, self.contrast, self.noise))

    def to_dict(self):
        return asdict(self)


@dataclass(frozen=True)
class RunSpec:
    """One run: what training.train needs, and what the run's config.json and checkpoints record, so that
    `--resume` is RunSpec.from_record(checkpoint state)."""
    net: str                       # nets/NAME.py
    recipe: Recipe
    data: str                      # the data folder
    seed: int = 0                  # weights, shuffling, flips and augmentation
    columns: tuple = COLUMNS       # the keypoint columns to learn (a specialist: its group's)
    train_rows: int | None = None  # at most this many training rows (a quick look, or a test)
    pipeline: str = "fast"         # "fast" (fast.OnDevice) or "plain" (batches.FlipBatches)
    split: str = "rows"            # splits.validation_mask
    teachers: tuple = ()           # teachers.read_teacher's record of each teacher (distillation)
    exclude: tuple = ()            # training.csv row numbers (from 1) left out of training
    pretrained: str | None = None  # a weights file (.weights.h5) that starts every layer but the head, or a run
                                   # folder that starts them all (train.py --pretrained: a fine-tune)

    def to_dict(self):
        return {**asdict(self), "recipe": self.recipe.to_dict(), "columns": list(self.columns),
                "teachers": list(self.teachers), "exclude": list(self.exclude)}

    @classmethod
    def from_record(cls, record):
        """The spec a config.json or checkpoint state recorded (its other keys ignored; older ones lack some)."""
        given = {f.name: record[f.name] for f in fields(cls) if f.name in record}
        recipe = given["recipe"]
        given["recipe"] = recipe if isinstance(recipe, Recipe) else Recipe(**{k: tuple(v) if isinstance(v, list) else v
                                                                              for k, v in recipe.items()})
        for name in ("columns", "teachers", "exclude"):
            if name in given:
                given[name] = tuple(given[name] or ())
        return cls(**given)
