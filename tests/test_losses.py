import keras
import numpy as np
import pytest
from keras import ops

from facial_keypoints.losses import masked_mse


def gradient(loss, values):
    """d loss / d values, on whichever backend runs the tests."""
    if keras.backend.backend() == "jax":
        import jax
        return np.asarray(jax.grad(loss)(values))
    import tensorflow as tf
    variable = tf.Variable(values)
    with tf.GradientTape() as tape:
        result = loss(variable)
    return tape.gradient(result, variable).numpy()


@pytest.mark.jax
def test_missing_targets_give_the_gradient_of_the_present_ones_alone():
    rng = np.random.default_rng(0)
    targets = rng.normal(size=(16, 30)).astype("float32")
    targets[rng.random((16, 30)) < 0.4] = np.nan
    targets[:, 20:22] = np.nan  # a column missing everywhere
    predicted = rng.normal(size=(16, 30)).astype("float32")
    present = np.flatnonzero(~np.isnan(targets))

    masked = gradient(lambda p: masked_mse(ops.convert_to_tensor(targets), p), predicted)
    restricted = gradient(lambda p: ops.mean(ops.square(targets.ravel()[present] - ops.take(ops.reshape(p, (-1,)), present))),
                          predicted)
    assert np.isfinite(masked).all() and np.allclose(masked, restricted, atol=1e-7)
    assert (masked[np.isnan(targets)] == 0).all()
    loss = float(masked_mse(ops.convert_to_tensor(targets), ops.convert_to_tensor(predicted)))
    assert loss == pytest.approx(np.nanmean((targets - predicted) ** 2), rel=1e-5)


@pytest.mark.jax
def test_without_missing_targets_it_is_plain_mse():
    rng = np.random.default_rng(1)
    targets, predicted = rng.normal(size=(2, 8, 30)).astype("float32")
    plain = ops.mean(keras.losses.mean_squared_error(targets, predicted))
    assert float(masked_mse(targets, predicted)) == pytest.approx(float(plain), rel=1e-6)
