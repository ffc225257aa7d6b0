"""net16: net15 at half the width, for CPUs: the heatmap head, a quarter of the multiply-adds."""
from nets import net15

RECIPE = net15.RECIPE


def build(n_outputs=30, name="net16"):
    return net15.build(n_outputs, name=name, width=16)  # net15's layers with half the filters
