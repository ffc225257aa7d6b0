"""net21: net18 (the fast heatmap net) fine-tuned as net20 fine-tunes net12 (train.py --net net21 --split clips
--pretrained models/net18, the fast model before it): net19's augmentation and weight EMA, for whole photos."""
from nets import net18, net20

RECIPE = net20.RECIPE


def build(n_outputs=30):
    return net18.build(n_outputs, name="net21")  # net18's layers: only the recipe and the start change
