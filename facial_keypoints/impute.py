"""Fill the missing keypoints of training rows, for the classic nets that cannot ignore them."""
import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.neighbors import NearestNeighbors


def impute(keypoints, method, neighbours=10, align=True):
    """A copy of keypoints (n, 30; NaN where missing) with every gap filled.

    "median": each column's median over the rows that have it (sklearn's SimpleImputer).
    "knn": from the `neighbours` complete rows nearest in the row's own known keypoints (RMS distance),
    weighted by similarity 1 / (distance + 1 px). align=True first shifts each neighbour so that its
    known keypoints have the row's mean position: a neighbour lends its face shape, not its place.
    (sklearn's KNNImputer has the weighting but not the shift, so the search is NearestNeighbors'.)
    """
    if method == "median":
        return SimpleImputer(strategy="median", keep_empty_features=True).fit_transform(keypoints)
    if method != "knn":
        raise ValueError(f"impute method must be 'median' or 'knn', not {method!r}")
    filled = keypoints.copy()
    gaps = np.isnan(keypoints)
    donors = keypoints[~gaps.any(axis=1)]
    if len(donors) < neighbours:
        raise ValueError(f"knn imputation needs at least {neighbours} complete rows, got {len(donors)}")
    patterns, pattern_of_row = np.unique(gaps, axis=0, return_inverse=True)
    for missing, rows in ((m, np.flatnonzero(pattern_of_row.ravel() == i)) for i, m in enumerate(patterns)):
        if missing.any() and not missing.all():
            filled[np.ix_(rows, np.flatnonzero(missing))] = nearest_mean(keypoints[rows], donors, ~missing,
                                                                         neighbours, align)
    return filled


def centre(points, known, align):
    """points' known columns, and per row the shift (x, y) that moved them to a zero mean (align=False: none)."""
    known_points = points[:, known]
    shift = np.zeros((len(points), known.size))
    if align:
        for axis in (0, 1):  # x columns, then y columns
            on_axis = np.arange(known.size) % 2 == axis
            shift[:, on_axis] = -points[:, known & on_axis].mean(axis=1, keepdims=True)
    return known_points + shift[:, known], shift


def nearest_mean(rows, donors, known, neighbours, align):
    """For rows sharing one pattern of known columns: the weighted mean of their nearest donors' other
    columns, each donor moved onto the row (align)."""
    row_points, row_shift = centre(rows, known, align)
    donor_points, donor_shift = centre(donors, known, align)
    distance, nearest = NearestNeighbors(n_neighbors=neighbours).fit(donor_points).kneighbors(row_points)
    weights = 1.0 / (distance / np.sqrt(known.sum()) + 1.0)  # Euclidean -> RMS over the known columns
    moved = donors[nearest][:, :, ~known] + donor_shift[nearest][:, :, ~known] - row_shift[:, None, ~known]
    return (weights[:, :, None] * moved).sum(axis=1) / weights.sum(axis=1)[:, None]
