"""net18: net16 at half the width again, for fast inference: a sixteenth of net15's multiply-adds."""
from nets import net15

RECIPE = net15.RECIPE


def build(n_outputs=30, name="net18"):
    return net15.build(n_outputs, name=name, width=8)  # net15's layers with a quarter of the filters
