"""Fill the missing keypoints of training rows, for the classic nets that cannot ignore them."""
import numpy as np


def impute(keypoints, method, neighbours=10, align=True):
    """A copy of keypoints (n, 30; NaN where missing) with every gap filled.

    "median": each column's median over the rows that have it.
    "knn": from the `neighbours` complete rows nearest in the row's own known keypoints (RMS distance),
    weighted by similarity 1 / (distance + 1 px). align=True first shifts each neighbour so that its
    known keypoints have the row's mean position: a neighbour lends its face shape, not its place.
    """
    filled = keypoints.copy()
    gaps = np.isnan(keypoints)
    if method == "median":
        filled[gaps] = np.broadcast_to(np.nanmedian(keypoints, axis=0), keypoints.shape)[gaps]
        return filled
    if method != "knn":
        raise ValueError(f"impute method must be 'median' or 'knn', not {method!r}")
    donors = keypoints[~gaps.any(axis=1)]
    if len(donors) < neighbours:
        raise ValueError(f"knn imputation needs at least {neighbours} complete rows, got {len(donors)}")
    patterns, pattern_of_row = np.unique(gaps, axis=0, return_inverse=True)
    for index, missing in enumerate(patterns):
        rows = np.flatnonzero(pattern_of_row.ravel() == index)
        if missing.any() and not missing.all():
            for chunk in np.array_split(rows, -(-len(rows) // 256)):  # bounds the rows x donors x 30 array
                filled[np.ix_(chunk, np.flatnonzero(missing))] = nearest_mean(keypoints[chunk], donors, ~missing,
                                                                             neighbours, align)
    return filled


def nearest_mean(rows, donors, known, neighbours, align):
    """For rows sharing one pattern of known columns: the weighted mean of their nearest donors'
    other columns."""
    shift = np.zeros((len(rows), len(donors), known.size))
    if align:
        for axis in (0, 1):  # x columns, then y columns
            on_axis = np.arange(known.size) % 2 == axis
            row_mean = rows[:, known & on_axis].mean(axis=1)
            donor_mean = donors[:, known & on_axis].mean(axis=1)
            shift[:, :, on_axis] = (row_mean[:, None] - donor_mean[None, :])[..., None]
    moved = donors[None, :, :] + shift
    distance = np.sqrt(np.mean((moved[:, :, known] - rows[:, None, known]) ** 2, axis=2))
    nearest = np.argpartition(distance, neighbours - 1, axis=1)[:, :neighbours]
    weights = 1.0 / (np.take_along_axis(distance, nearest, axis=1) + 1.0)
    chosen = np.take_along_axis(moved, nearest[:, :, None], axis=1)[:, :, ~known]
    return (weights[:, :, None] * chosen).sum(axis=1) / weights.sum(axis=1)[:, None]
