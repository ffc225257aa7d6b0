"""The 30 Kaggle keypoint columns, their mirror pairs, scaling and the left-right flip.

Everything about keypoint names lives here. Pairs are derived from the names (swap "left" and
"right"), never typed as indices, so any subset of columns (a specialist's group) flips correctly.
"""
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


def scale(pixels):
    """Pixel coordinates -> network targets in about [-1, 1]."""
    return (pixels - 48.0) / 48.0


def unscale(targets):
    return targets * 48.0 + 48.0


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


def flip_targets(targets, columns):
    """Mirror scaled targets left-right: swap the partners, map x to MIRROR_X - x."""
    flipped = targets[..., mirror_permutation(columns)].copy()
    is_x = np.array([c.endswith("_x") for c in columns])
    flipped[..., is_x] = scale(MIRROR_X - unscale(flipped[..., is_x]))
    return flipped


def flip_images(images):
    """Mirror images of shape (..., 96, 96, 1) left-right."""
    return images[..., :, ::-1, :]
