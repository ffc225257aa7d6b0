import keras
import numpy as np
import pytest
from keras import layers

from facial_keypoints.keypoints import scale
from facial_keypoints.callbacks import AdjustVariable
from facial_keypoints.optim import ScheduledSGD
from facial_keypoints.recipe import Recipe
from facial_keypoints.training import fit

pytestmark = pytest.mark.jax


def tiny_model(seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((4,))
    return keras.Model(inputs, layers.Dense(2)(inputs))


def data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x @ rng.normal(size=(4, 2))).astype("float32")


def weights_after_fit(momentum_schedule, epochs=2):
    model = tiny_model()
    model.compile(optimizer=ScheduledSGD(0.05, 0.5), loss="mse")
    x, y = data()
    model.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0,
              callbacks=[AdjustVariable("momentum", *momentum_schedule, epochs)])
    return model.get_weights()[0]


def test_scheduled_momentum_is_the_momentum_used_by_the_compiled_step():
    # Same model, data and starting momentum (0.5); only the schedule differs.
    low, high, again = weights_after_fit((0.0, 0.0)), weights_after_fit((0.99, 0.99)), weights_after_fit((0.0, 0.0))
    assert np.allclose(low, again)
    assert not np.allclose(low, high, atol=1e-4)


def test_constant_momentum_matches_keras_nesterov_sgd():
    x, y = data()
    results = []
    for optimizer in (ScheduledSGD(0.05, 0.9), keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True)):
        model = tiny_model()
        model.compile(optimizer=optimizer, loss="mse")
        model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
        results.append(model.get_weights()[0])
    assert np.allclose(results[0], results[1], atol=1e-6)


def test_linear_schedules_go_from_start_to_stop():
    history = fit_images(Recipe(epochs=5, learning_rate=(0.03, 0.0001), momentum=(0.9, 0.999)))
    assert np.allclose([row["learning_rate"] for row in history], np.linspace(0.03, 0.0001, 5), rtol=1e-5)
    assert np.allclose([row["momentum"] for row in history], np.linspace(0.9, 0.999, 5), rtol=1e-5)


def fit_images(recipe, train_shift=10.0, val_shift=-10.0, model=None):
    """fit() on 16 random images whose keypoints are the mean shape shifted (train and val differently)."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (16, 96, 96, 1)).astype(np.uint8)
    columns = ["nose_tip_x", "nose_tip_y"]
    model = model or keras.Sequential([keras.Input((96, 96, 1)), layers.Flatten(), layers.Dense(2)])
    keypoints = np.full((16, 2), 48.0)
    return fit(model, recipe, (images, scale(keypoints + train_shift)), (images, scale(keypoints + val_shift)), columns,
               verbose=0)


def test_early_stopping_stops_after_patience_and_restores_the_best_weights():
    # Training pulls the outputs towards +10 px while validation wants -10 px: validation gets
    # worse from the first epoch on, so the best weights are those of epoch 1.
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((96, 96, 1)), layers.Flatten(),
                              layers.Dense(2, kernel_initializer="zeros")])
    history = fit_images(Recipe(epochs=50, batch_size=8, learning_rate=(0.001, 0.001), patience=3), model=model)
    val_losses = [row["val_loss"] for row in history]
    assert len(history) == 1 + 3 and np.argmin(val_losses) == 0
    images = np.random.default_rng(0).integers(0, 256, (16, 96, 96, 1)).astype("float32") / 255.0
    restored = model.evaluate(images, np.full((16, 2), -10 / 48), verbose=0)
    assert restored == pytest.approx(val_losses[0], rel=1e-4)
    assert restored < val_losses[-1]
