"""How a net is trained: plain values, written out in each nets/netN.py."""
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Recipe:
    epochs: int
    batch_size: int = 128
    flip: bool = False                 # mirror exactly half of every training batch
    learning_rate: tuple = (0.01, 0.01)  # (start, stop), linear over the epochs (Nouri's AdjustVariable)
    momentum: tuple = (0.9, 0.9)         # (start, stop), Nesterov momentum
    patience: int | None = None        # early stopping on validation loss, best weights restored

    def to_dict(self):
        return asdict(self)
