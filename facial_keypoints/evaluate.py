"""A finished run scored again on its own validation split, plain or with flip TTA: how the shipped
model's recorded numbers are made and checked."""
from facial_keypoints.data import load_training
from facial_keypoints.keypoints import COLUMNS
from facial_keypoints.predictors import load_full_predictor, validation_faces
from facial_keypoints.runs import predict_pixels, rmse


def validation_rmse(run_dir, data_dir, tta=None):
    """RMSE in pixels of a run (or specialists folder) on the complete rows of the split it was validated on."""
    training = load_training(data_dir)
    images, keypoints = validation_faces(training, run_dir)
    return rmse(predict_pixels(load_full_predictor(run_dir), images, COLUMNS, tta), keypoints)
