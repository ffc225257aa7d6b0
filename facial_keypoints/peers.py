"""The off-the-shelf landmark detectors: dlib's 68-point shape predictor and MediaPipe Face Mesh, their
landmarks -> the 15 Kaggle points, the search of their settings and the per-keypoint calibration (bench.peers
scores them, stacking.py blends them with ours). Importing this needs none of the peers' packages; Dlib() and
MediaPipe() do (missing_packages, require_packages)."""
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import IMAGE_SIZE, KEYPOINTS
from facial_keypoints.metrics import rmse

PEER_PACKAGES = {"dlib": "dlib-bin", "face_recognition_models": "face-recognition-models", "mediapipe": "mediapipe",
                 "attr": "attrs"}  # import name: pip name (requirements-peers.txt; mediapipe imports attr)
INSTALL = "pip install --no-deps -r requirements-peers.txt"  # that file says why --no-deps


def missing_packages():
    """The peers' packages not installed here: 'pip name (import name)', or the pip name where they agree."""
    return [pip if pip == module else f"{pip} (import {module})"
            for module, pip in PEER_PACKAGES.items() if importlib.util.find_spec(module) is None]


def require_packages(otherwise=""):
    """DataError (one line, errors.run) naming the peers' missing packages and the command that installs them."""
    if missing := missing_packages():
        raise DataError(f"the peers' packages are not installed ({', '.join(missing)}): {INSTALL}{otherwise}")

# Landmark indices (0-based) whose mean is each Kaggle point. Kaggle's "left" is the subject's left,
# on the image's right. iBUG-68: exactly the mapping that made data/ytf-fkd (its README).
IBUG68 = {
    "left_eye_center": tuple(range(42, 48)),
    "right_eye_center": tuple(range(36, 42)),
    "left_eye_inner_corner": (42,),
    "left_eye_outer_corner": (45,),
    "right_eye_inner_corner": (39,),
    "right_eye_outer_corner": (36,),
    "left_eyebrow_inner_end": (22,),
    "left_eyebrow_outer_end": (26,),
    "right_eyebrow_inner_end": (21,),
    "right_eyebrow_outer_end": (17,),
    "nose_tip": (30,),
    "mouth_left_corner": (54,),
    "mouth_right_corner": (48,),
    "mouth_center_top_lip": (51,),
    "mouth_center_bottom_lip": (57,),
}
# MediaPipe Face Mesh (468 points; 478 with refine_landmarks, the 10 iris points unused), from the mesh topology
# in mediapipe.solutions.face_mesh_connections, whose LEFT is also the subject's left: eye contours =
# FACEMESH_LEFT_EYE / FACEMESH_RIGHT_EYE (16 points each; corners 362/263 and 133/33); eyebrows =
# FACEMESH_*_EYEBROW, an upper line (336 296 334 293 300 / 107 66 105 63 70, inner to outer) and a lower one
# (285 295 282 283 276 / 55 65 52 53 46): iBUG's brow ends sit between them, so each end is the mean of the upper
# and lower end; nose tip 1 (pronasale); outer lip contour (FACEMESH_LIPS): corners 291 / 61, upper-lip top
# centre 0, lower-lip bottom centre 17. Checked on the training split: `python -m bench.peers --nearest` lists,
# per point, the single landmarks that fit best.
MESH_LEFT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
MESH_RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
MESH468 = {
    "left_eye_center": MESH_LEFT_EYE,
    "right_eye_center": MESH_RIGHT_EYE,
    "left_eye_inner_corner": (362,),
    "left_eye_outer_corner": (263,),
    "right_eye_inner_corner": (133,),
    "right_eye_outer_corner": (33,),
    "left_eyebrow_inner_end": (336, 285),
    "left_eyebrow_outer_end": (300, 276),
    "right_eyebrow_inner_end": (107, 55),
    "right_eyebrow_outer_end": (70, 46),
    "nose_tip": (1,),
    "mouth_left_corner": (291,),
    "mouth_right_corner": (61,),
    "mouth_center_top_lip": (0,),
    "mouth_center_bottom_lip": (17,),
}


def to_kaggle(landmarks, mapping):
    """(N, K, 2) landmarks in pixels (NaN for a missed face) -> (N, 30) in Kaggle's column order."""
    landmarks = np.asarray(landmarks, dtype=np.float64)
    points = np.stack([landmarks[:, list(mapping[name])].mean(axis=1) for name in KEYPOINTS], axis=1)
    return points.reshape(len(landmarks), 2 * len(KEYPOINTS))


def from_resized(coords, scale, pad=0.0):
    """Pixel positions in a crop upscaled by `scale` and then padded by `pad` pixels on each side ->
    positions in the 96x96 crop (pixel-centre convention: the centre of pixel column c is x = c)."""
    return (np.asarray(coords, dtype=np.float64) - pad + 0.5) / scale - 0.5


def fit_affine(predicted, true):
    """Per keypoint, the affine map [x', y'] = [x, y, 1] @ W (W: 3x2) with the least squared error over
    the rows where the prediction and the label of that point are both known. Returns (15, 3, 2); a
    point with fewer than 3 such rows keeps the identity."""
    params = np.tile(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), (predicted.shape[1] // 2, 1, 1))
    for k in range(len(params)):
        x, y = predicted[:, 2 * k:2 * k + 2], true[:, 2 * k:2 * k + 2]
        known = ~np.isnan(x).any(axis=1) & ~np.isnan(y).any(axis=1)
        if known.sum() >= 3:
            design = np.concatenate([x[known], np.ones((known.sum(), 1))], axis=1)
            params[k] = np.linalg.lstsq(design, y[known], rcond=None)[0]
    return params


def fit_calibration(predicted, true, outlier_factor=4.0):
    """The calibration of a peer: a per-keypoint affine map (fit_affine), fitted twice: the second time
    without the rows whose error after the first fit exceeds outlier_factor x the median row error
    (faces the peer got badly wrong, which would drag a least-squares fit; None: one fit)."""
    params = fit_affine(predicted, true)
    if outlier_factor is None:
        return params
    squares = (calibrate(predicted, params) - true) ** 2
    counts = (~np.isnan(squares)).sum(axis=1)
    if not counts.any():
        return params
    errors = np.sqrt(np.nansum(squares, axis=1) / np.maximum(counts, 1))
    keep = (counts == 0) | (errors <= outlier_factor * np.median(errors[counts > 0]))
    return fit_affine(predicted[keep], true[keep])


def calibrate(predicted, params, fallback=None):
    """Apply fit_calibration's per-keypoint affine maps to (N, 30) predictions; rows a peer missed (NaN)
    take `fallback` (30 per-column values) when given."""
    points = predicted.reshape(len(predicted), -1, 2)
    design = np.concatenate([points, np.ones(points.shape[:2] + (1,))], axis=2)
    out = np.einsum("nkc,kcd->nkd", design, params).reshape(predicted.shape)
    if fallback is not None:
        out = np.where(np.isnan(out), fallback, out)
    return out


def upscale(image, scale):
    import cv2
    if scale == 1:
        return np.ascontiguousarray(image)
    return cv2.resize(image, (IMAGE_SIZE * scale, IMAGE_SIZE * scale), interpolation=cv2.INTER_CUBIC)


class Dlib:
    """dlib's 68-point shape predictor on a fixed square box: side and centre (48, 48 + dy) in crop pixels."""
    name = "dlib 68-point (shape predictor, fixed box)"
    mapping = IBUG68
    grid = [dict(side=s, dy=dy, scale=k) for s in (64, 72, 80, 88) for dy in (0, 4, 8, 12) for k in (1, 2, 4)]
    chosen = dict(side=80, dy=0, scale=4)  # what bench/peers.py's search chose on the clips split (docs/peers.md)

    def __init__(self):
        import dlib
        try:
            import face_recognition_models
            self.path = Path(face_recognition_models.pose_predictor_model_location())
        except ImportError:  # its __init__ imports pkg_resources, which a setuptools-less environment lacks
            package = importlib.util.find_spec("face_recognition_models").submodule_search_locations[0]
            self.path = Path(package) / "models" / "shape_predictor_68_face_landmarks.dat"
        self.predictor = dlib.shape_predictor(str(self.path))
        self.rectangle = dlib.rectangle
        self.files = [self.path]

    def session(self, side, dy, scale):
        half = side / 2
        box = self.rectangle(*(round(scale * v) for v in (48 - half, 48 + dy - half, 48 + half, 48 + dy + half)))

        def landmarks(image):
            shape = self.predictor(upscale(image, scale), box)
            return from_resized([(p.x, p.y) for p in shape.parts()], scale)
        return landmarks, lambda: None


class MediaPipe:
    """MediaPipe Face Mesh (static images) on the crop upscaled by `scale` and padded by `pad` x its side."""
    name = "MediaPipe Face Mesh"
    mapping = MESH468
    grid = [dict(scale=k, pad=pad, refine=r) for k in (2, 3, 4) for pad in (0.0, 0.25, 0.5) for r in (False, True)]
    chosen = dict(scale=3, pad=0.25, refine=True)  # what bench/peers.py's search chose (docs/peers.md)

    def __init__(self):
        import mediapipe
        from mediapipe.python import solution_base

        class FaceMesh(mediapipe.solutions.face_mesh.FaceMesh):
            """FaceMesh with its thresholds (0.5) set: mediapipe's setter reads FieldDescriptor.label, gone in protobuf
            6; its None clears them to 0.0 (5 faces on noise). Here mediapipe clears each field, then this sets it."""

            def _modify_calculator_options(self, config, params):
                super()._modify_calculator_options(config, dict.fromkeys(params))
                for compound, value in params.items():
                    name, field = compound.split(".")
                    node = next(n for n in config.node if n.name == name)
                    options_type = solution_base.CALCULATOR_TO_OPTIONS[node.calculator]
                    packed = [e for e in node.node_options if e.type_url.endswith(options_type.DESCRIPTOR.full_name)]
                    if not packed:
                        setattr(node.options.Extensions[options_type.ext], field, value)
                        continue
                    options = options_type.FromString(packed[0].value)
                    setattr(options, field, value)
                    packed[0].value = options.SerializeToString()

        self.FaceMesh = FaceMesh
        self.modules = Path(mediapipe.__file__).parent / "modules"
        self.files = []

    def session(self, scale, pad, refine):
        mesh = self.FaceMesh(static_image_mode=True, max_num_faces=1, refine_landmarks=refine)
        model = "face_landmark_with_attention.tflite" if refine else "face_landmark.tflite"
        self.files = [self.modules / "face_detection" / "face_detection_short_range.tflite",
                      self.modules / "face_landmark" / model]
        border = round(pad * IMAGE_SIZE * scale)

        def landmarks(image):
            padded = np.pad(upscale(image, scale), border, mode="edge")
            result = mesh.process(np.ascontiguousarray(np.repeat(padded[..., None], 3, axis=2)))
            if not result.multi_face_landmarks:
                return np.full((478 if refine else 468, 2), np.nan)
            side = padded.shape[0]
            points = np.array([(p.x, p.y) for p in result.multi_face_landmarks[0].landmark]) * side - 0.5
            return from_resized(points, scale, border)
        return landmarks, mesh.close


def run_peer(peer, settings, images):
    """(landmarks (N, K, 2), CPU seconds per face) of one peer with one setting."""
    landmarks, close = peer.session(**settings)
    try:
        landmarks(images[0])  # warm-up: graph start, first allocation
        started = time.process_time()
        points = np.stack([landmarks(image) for image in images])
        return points, (time.process_time() - started) / len(images)
    finally:
        close()


def search(peer, images, true):
    """The setting of peer.grid with the lowest calibrated RMSE on these (training) faces."""
    scores = []
    for settings in peer.grid:
        predicted = to_kaggle(run_peer(peer, settings, images)[0], peer.mapping)
        fallback = np.nanmean(true, axis=0)
        score = rmse(calibrate(predicted, fit_calibration(predicted, true), fallback), true)
        scores.append((score, settings))
        print(f"  {peer.name} {settings}: {score:.3f} px (calibrated, in-sample), "
              f"{np.isnan(predicted[:, 0]).sum()} missed", file=sys.stderr, flush=True)
    return min(scores, key=lambda pair: pair[0])


def megabytes(paths):
    return sum(Path(p).stat().st_size for p in paths) / 1e6
