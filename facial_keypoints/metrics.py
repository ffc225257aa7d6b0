"""How far predicted keypoints are from the true ones: Kaggle's RMSE in pixels, per keypoint, and per face."""
import numpy as np


def rmse(predicted, true):
    """Kaggle's metric over the present (non-NaN) true values, in pixels."""
    present = ~np.isnan(true)
    return float(np.sqrt(np.mean((predicted[present] - true[present]) ** 2)))


def keypoint_rmse_rows(predicted, true, columns):
    """Rows (keypoint, rmse_x, rmse_y, rmse) for each keypoint in columns, then ("all", ...)."""
    rows = []
    for i in range(0, len(columns), 2):
        name = columns[i][:-2]
        rows.append((name, rmse(predicted[:, i], true[:, i]), rmse(predicted[:, i + 1], true[:, i + 1]),
                     rmse(predicted[:, i:i + 2], true[:, i:i + 2])))
    rows.append(("all", rmse(predicted[:, 0::2], true[:, 0::2]), rmse(predicted[:, 1::2], true[:, 1::2]),
                 rmse(predicted, true)))
    return rows
