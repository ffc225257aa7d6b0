"""Augmentation that moves the keypoints with the pixels, written in keras.ops so it runs inside the
compiled training step (the fast path) on any backend.

Images are float (batch, 96, 96, 1) in [0, 1]; targets are scaled keypoints (batch, columns), NaN
where missing. Pixel-centre convention: the image spans [-0.5, 95.5], its centre is 47.5.
"""
import math

from keras import ops, random

from facial_keypoints.keypoints import IMAGE_SIZE, mirror_map, scale, unscale

CENTRE = (IMAGE_SIZE - 1) / 2
EDGES = (-0.5, IMAGE_SIZE - 0.5)


def augment(images, targets, columns, recipe, seed, strength=1.0):
    """A random variant of the batch, as the recipe asks: flip, then affine, then photometric.
    strength (a number or a scalar variable) scales the recipe's rotation, zoom and shift."""
    if recipe.flip:
        images, targets = flip_half(images, targets, columns, seed)
    if recipe.rotate or recipe.zoom or recipe.shift:
        images, targets = random_affine(images, targets, recipe.rotate * strength, recipe.zoom * strength,
                                        recipe.shift * strength, seed, recipe.unmoved)
    if recipe.brightness or recipe.contrast or recipe.noise:
        images = photometric(images, recipe.brightness, recipe.contrast, recipe.noise, seed)
    return images, targets


def flip_half(images, targets, columns, seed):
    """Mirror exactly half of the batch (chosen at random), swapping left/right columns to match."""
    batch = ops.shape(images)[0]
    rank = ops.argsort(ops.argsort(random.uniform((batch,), seed=seed)))
    flipped = rank < batch // 2
    permutation, sign, offset = mirror_map(columns)
    mirrored_targets = ops.take(targets, permutation, axis=1) * sign.astype("float32") + offset.astype("float32")
    images = ops.where(flipped[:, None, None, None], ops.flip(images, axis=2), images)
    return images, ops.where(flipped[:, None], mirrored_targets, targets)


def random_affine(images, targets, rotate, zoom, shift, seed, unmoved=0.0):
    """Rotate by up to +-rotate degrees, scale by 1 +- zoom, shift by up to +-shift pixels, about the
    image centre; a random `unmoved` share of the faces stays as it is. Keypoints move with the pixels; a
    keypoint that leaves the image becomes missing."""
    batch = ops.shape(images)[0]
    angle = random.uniform((batch,), -rotate, rotate, seed=seed) * (math.pi / 180)
    factor = random.uniform((batch,), 1 - zoom, 1 + zoom, seed=seed)
    dx = random.uniform((batch,), -shift, shift, seed=seed)
    dy = random.uniform((batch,), -shift, shift, seed=seed)
    if unmoved:  # drawn only when asked for: the random stream of the recipes without it stays as it was
        moved = ops.cast(random.uniform((batch,), seed=seed) >= unmoved, "float32")
        angle, factor, dx, dy = angle * moved, 1 + (factor - 1) * moved, dx * moved, dy * moved
    cos, sin = ops.cos(angle), ops.sin(angle)

    # keypoints: p -> centre + factor * R (p - centre) + (dx, dy)
    x, y = unscale(targets[:, 0::2]) - CENTRE, unscale(targets[:, 1::2]) - CENTRE
    f, c, s = factor[:, None], cos[:, None], sin[:, None]
    new_x = CENTRE + f * (c * x - s * y) + dx[:, None]
    new_y = CENTRE + f * (s * x + c * y) + dy[:, None]
    inside = (new_x >= EDGES[0]) & (new_x <= EDGES[1]) & (new_y >= EDGES[0]) & (new_y <= EDGES[1])
    moved = ops.reshape(ops.stack([new_x, new_y], axis=2), ops.shape(targets))
    inside = ops.reshape(ops.stack([inside, inside], axis=2), ops.shape(targets))
    targets = ops.where(inside, scale(moved), float("nan"))

    # pixels: affine_transform maps each output point back to the input point it samples
    ox, oy = CENTRE + dx, CENTRE + dy
    zero = ops.zeros_like(angle)
    transform = ops.stack([cos / factor, sin / factor, CENTRE - (cos * ox + sin * oy) / factor,
                           -sin / factor, cos / factor, CENTRE - (-sin * ox + cos * oy) / factor, zero, zero], axis=1)
    images = ops.image.affine_transform(images, transform, fill_mode="nearest", data_format="channels_last")
    return images, targets


def photometric(images, brightness, contrast, noise, seed):
    """Contrast times 1 +- contrast about each image's mean, brightness +- brightness, Gaussian noise
    of standard deviation noise (all in units of the full 0..1 range)."""
    batch = ops.shape(images)[0]
    mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
    gain = random.uniform((batch, 1, 1, 1), 1 - contrast, 1 + contrast, seed=seed)
    offset = random.uniform((batch, 1, 1, 1), -brightness, brightness, seed=seed)
    images = (images - mean) * gain + mean + offset
    if noise:
        images = images + random.normal(ops.shape(images), stddev=noise, seed=seed)
    return ops.clip(images, 0.0, 1.0)
