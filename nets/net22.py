"""net22: net20 with half of each batch left where the data's crop put it (train.py --net net22 --split clips
--pretrained models/net12): the other half moved, scaled and rotated as net19's, so that the net follows a
face in its crop and stays as sharp as net12 on the aligned crop the photo pipeline's last pass cuts; 80
epochs, the last 30 milder."""
import dataclasses

from nets import net12, net20

RECIPE = dataclasses.replace(net20.RECIPE, unmoved=0.5, epochs=80, mild_epochs=30)


def build(n_outputs=30):
    return net12.build(n_outputs, name="net22")  # net12's layers: only the recipe and the start change
