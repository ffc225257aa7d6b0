import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# Trains net1 for 3 epochs on one device, then data-parallel on two (301 rows: the last batch is
# short and odd, so it is topped up with the blank row), and prints both validation-loss histories.
ONE_THEN_TWO_DEVICES = """
import dataclasses, json, keras, nets
from facial_keypoints.data import load_training
from facial_keypoints.keypoints import COLUMNS, scale
from facial_keypoints.splits import examples, split_rows
from facial_keypoints.fast import use_devices
from facial_keypoints.training import fit
training = load_training({data!r})
is_val = split_rows(training["keypoints"])
train_images, train_keypoints = examples(training, ~is_val, COLUMNS)
val_images, val_keypoints = examples(training, is_val, COLUMNS)
data = ((train_images[:301], scale(train_keypoints[:301])), (val_images, scale(val_keypoints)))
net = nets.load("net1")
recipe = dataclasses.replace(net.RECIPE, epochs=3, flip=True)
histories = []
for devices in (1, 2):
    if devices == 2:
        use_devices(2)
    keras.utils.set_random_seed(0)
    model = net.build()
    histories.append([row["val_loss"] for row in fit(model, recipe, *data, COLUMNS, verbose=0)])
    shards = {{str(d) for d in model.layers[-1].kernel.value.sharding.device_set}}
    print(json.dumps({{"devices": len(shards), "val_loss": histories[-1]}}))
"""


def test_data_parallel_on_two_devices_matches_one(ytf_dir):
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", ONE_THEN_TWO_DEVICES.format(data=str(ytf_dir))], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    one, two = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert one["devices"] == 1 and two["devices"] == 2
    assert one["val_loss"][-1] < one["val_loss"][0]
    assert two["val_loss"] == pytest.approx(one["val_loss"], rel=1e-2)  # float sums in another order


def test_devices_option_says_what_is_wrong(tmp_path):
    result = subprocess.run([sys.executable, "train.py", "--net", "net1", "--devices", "2", "--out", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, env={**os.environ, "KERAS_BACKEND": "tensorflow"})
    assert result.returncode == 2 and "--devices needs KERAS_BACKEND=jax" in result.stderr and "Traceback" not in result.stderr
