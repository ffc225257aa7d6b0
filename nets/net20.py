"""net20: net19 fine-tuned from a trained net12 (train.py --net net20 --split clips --pretrained models/net12,
the net12 shipped before it): its augmentation and weight EMA for a third of the epochs, from a third of the
learning rate, the last 35 epochs milder (a third of the strength)."""
import dataclasses

from nets import net12, net19

RECIPE = dataclasses.replace(net19.RECIPE, epochs=100, learning_rate=(0.0003, 0.00001), mild_epochs=35, mild=0.35)


def build(n_outputs=30):
    return net12.build(n_outputs, name="net20")  # net12's layers: only the recipe and the start change
