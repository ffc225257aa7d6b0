"""dlib and MediaPipe Face Mesh on whole photos, for bench/photos.py: each finds the faces itself (dlib: its HOG
detector; MediaPipe: its BlazeFace), its landmarks are mapped to the 15 points (facial_keypoints.peers) and calibrated.

The calibration is bench/peers.py's per-keypoint affine map, written in the face's own frame (the points
around their centre, in units of their RMS radius), so that it moves and scales with the face: fitted on the
96x96 training faces of the clips split, as the peers' crop scores are, it holds on photos of any size.
"""
import numpy as np

from facial_keypoints.peers import (IBUG68, MESH468, Dlib, MediaPipe, calibrate, fit_calibration, require_packages,
                                   to_kaggle)

CALIBRATION_ROWS = 600  # training faces the photo calibration is fitted on


def face_frame(points):
    """(centre (n, 2), RMS radius (n,)) of (n, 30) points."""
    xy = points.reshape(len(points), -1, 2)
    centre = np.nanmean(xy, axis=1)
    return centre, np.sqrt(np.nanmean(((xy - centre[:, None]) ** 2).sum(axis=2), axis=1))


def to_frame(points, centre, radius):
    return ((points.reshape(len(points), -1, 2) - centre[:, None]) / radius[:, None, None]).reshape(points.shape)


def from_frame(points, centre, radius):
    return (points.reshape(len(points), -1, 2) * radius[:, None, None] + centre[:, None]).reshape(points.shape)


def fit_in_face_frame(predicted, true):
    """fit_calibration of predicted (n, 30) to true, both written in the predicted face's own frame."""
    found = ~np.isnan(predicted).any(axis=1)
    centre, radius = face_frame(predicted[found])
    return fit_calibration(to_frame(predicted[found], centre, radius), to_frame(true[found], centre, radius))


def calibrated(points, params):
    """calibrate() applied in each face's own frame."""
    centre, radius = face_frame(points)
    return from_frame(calibrate(to_frame(points, centre, radius), params), centre, radius)


def training_faces():
    """(96x96 images, keypoints) of CALIBRATION_ROWS complete training rows of the clips split."""
    from facial_keypoints.data import EMBEDDED, load_training
    from facial_keypoints.keypoints import COLUMNS
    from facial_keypoints.splits import examples, validation_mask
    training = load_training(EMBEDDED)
    images, keypoints = examples(training, ~validation_mask(training, "clips"), COLUMNS)
    pick = np.random.default_rng(0).permutation(len(images))[:CALIBRATION_ROWS]
    return images[pick][..., 0], keypoints[pick]


def peer_predictors():
    """[(name, predict(BGR photo) -> list of (30,) keypoints)] of the calibrated peers."""
    import cv2
    require_packages()
    images, true = training_faces()
    dlib_peer, mesh_peer = Dlib(), MediaPipe()
    predictors = []
    for peer in (dlib_peer, mesh_peer):  # calibrations from their crop settings, in the face's own frame
        landmarks, close = peer.session(**peer.chosen)
        try:
            points = to_kaggle(np.stack([landmarks(image) for image in images]), peer.mapping)
        finally:
            close()
        predictors.append(fit_in_face_frame(points, true))
    dlib_params, mesh_params = predictors

    import dlib
    detector, mesh = dlib.get_frontal_face_detector(), mesh_peer.FaceMesh(static_image_mode=True, max_num_faces=5,
                                                                             refine_landmarks=True)

    def with_dlib(image):
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        rects = detector(gray, 1 if max(gray.shape) < 640 else 0)  # upsampled once: small faces
        if not len(rects):
            return []
        shapes = [[(p.x, p.y) for p in dlib_peer.predictor(gray, rect).parts()] for rect in rects]
        return list(calibrated(to_kaggle(np.array(shapes, dtype=np.float64), IBUG68), dlib_params))

    def with_mediapipe(image):
        result = mesh.process(np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)))
        if not result.multi_face_landmarks:
            return []
        height, width = image.shape[:2]
        faces = [[(p.x * width - 0.5, p.y * height - 0.5) for p in face.landmark] for face in result.multi_face_landmarks]
        return list(calibrated(to_kaggle(np.array(faces), MESH468), mesh_params))

    return [("dlib 68-point + its HOG detector, calibrated", with_dlib),
            ("MediaPipe Face Mesh, calibrated", with_mediapipe)]
