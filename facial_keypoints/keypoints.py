"""The 30 Kaggle keypoint columns, their mirror pairs, scaling and the left-right flip.

Everything about keypoint names lives here. Pairs are derived from the names (swap "left" and
"right"), never typed as indices, so any subset of columns (a specialist's group) flips correctly.
"""
import functools

import numpy as np

# Kaggle's column order in training.csv. Kaggle's "left" is the subject's left: the image's right.
COLUMNS = (
    "left_eye_center_x", "left_eye_center_y",
    "right_eye_center_x", "right_eye_center_y",
    "left_eye_inner_corner_x", "left_eye_inner_corner_y",
    "left_eye_outer_corner_x", "left_eye_outer_corner_y",
    "right_eye_inner_corner_x", "right_eye_inner_corner_y",
    "right_eye_outer_corner_x", "right_eye_outer_corner_y",
    "left_eyebrow_inner_end_x", "left_eyebrow_inner_end_y",
    "left_eyebrow_outer_end_x", "left_eyebrow_outer_end_y",
    "right_eyebrow_inner_end_x", "right_eyebrow_inner_end_y",
    "right_eyebrow_outer_end_x", "right_eyebrow_outer_end_y",
    "nose_tip_x", "nose_tip_y",
    "mouth_left_corner_x", "mouth_left_corner_y",
    "mouth_right_corner_x", "mouth_right_corner_y",
    "mouth_center_top_lip_x", "mouth_center_top_lip_y",
    "mouth_center_bottom_lip_x", "mouth_center_bottom_lip_y",
)
KEYPOINTS = tuple(dict.fromkeys(column[:-2] for column in COLUMNS))  # 15 names, in order

IMAGE_SIZE = 96
# Pixel-centre convention: the centre of pixel column c is x = c, so a mirror maps x to 95 - x.
# (Negating the scaled x alone, as the original did, maps x to 96 - x: a one-pixel bias.)
MIRROR_X = IMAGE_SIZE - 1


UNIT_PX = IMAGE_SIZE / 2  # 48: a network target of 1 is this many pixels from the centre


def scale(pixels):
    """Pixel coordinates -> network targets in about [-1, 1]."""
    return (pixels - UNIT_PX) / UNIT_PX


def unscale(targets):
    return targets * UNIT_PX + UNIT_PX


PIXEL_MAX = 255.0  # gray values run 0..PIXEL_MAX; the nets see them divided by it


def to_inputs(images):
    """Pixels 0..255 (a uint8 NumPy array, or a float32 backend tensor) -> the nets' float32 inputs in [0, 1]."""
    return images / np.float32(PIXEL_MAX)


def mirror_name(column):
    """left_eye_center_x -> right_eye_center_x; names without a side map to themselves."""
    return column.replace("left", "\0").replace("right", "left").replace("\0", "right")


def mirror_permutation(columns):
    """Index of each column's mirror partner within `columns`.

    Raises ValueError when a column's partner is missing: such a group cannot be flipped.
    """
    position = {column: i for i, column in enumerate(columns)}
    missing = [c for c in columns if mirror_name(c) not in position]
    if missing:
        raise ValueError(f"cannot flip {list(columns)}: no mirror partner for {missing}")
    return np.array([position[mirror_name(c)] for c in columns])


def x_columns(columns):
    """A bool per column: is it an x (the coordinate a mirror changes)?"""
    return np.array([column.endswith("_x") for column in columns])


def x_offsets(columns, px):
    """Pixels to add to each column: px on every x, 0 on every y."""
    return x_columns(columns) * float(px)


def mirror_map(columns):
    """(permutation, sign, offset) with flipped = targets[..., permutation] * sign + offset, in scaled
    units: partners swapped, x mapped to MIRROR_X - x, y kept."""
    return _mirror_map(tuple(columns))


@functools.lru_cache(maxsize=64)  # asked for at every prediction with a flip: a photo's, a video frame's
def _mirror_map(columns):
    is_x = x_columns(columns)
    sign = np.where(is_x, -1.0, 1.0)
    offset = np.where(is_x, scale(MIRROR_X - unscale(0.0)), 0.0)  # x -> MIRROR_X - x, written in scaled units
    return mirror_permutation(columns), sign, offset


def flip_targets(targets, columns):
    """Mirror scaled targets left-right: swap the partners, map x to MIRROR_X - x."""
    permutation, sign, offset = mirror_map(columns)
    return targets[..., permutation] * sign + offset


def flip_images(images):
    """Mirror images of shape (..., 96, 96, 1) left-right."""
    return images[..., :, ::-1, :]


TTAS = ("flip", "shift")  # test-time augmentations (prediction.tta_views), fewest views first; None: the face alone


def shifted_index(step):
    """Where each row (column) of an image moved `step` pixels down (right) comes from: the edge row
    (column) repeated into the gap."""
    return np.clip(np.arange(IMAGE_SIZE) - step, 0, IMAGE_SIZE - 1)


def shift_images(images, dx, dy):
    """NumPy images (N, 96, 96, 1) moved dx pixels right and dy pixels down, the edge repeated into the gap."""
    return images[:, shifted_index(dy)][:, :, shifted_index(dx)]
