"""Deployable models: a net with its input scaling, its test-time augmentation and the mapping back to
pixels in one graph, written as a TensorFlow SavedModel, a TFLite (LiteRT) file or an ONNX file by Keras'
own `model.export`, and run with that format's own runtime.

The exported graph takes float32 pixels 0..255, shape (N, 96, 96, 1), and returns (N, 30) keypoints in
pixels of the 96x96 face, x0, y0, x1, y1, ... in Kaggle's column order (keypoints.COLUMNS).
"""
import importlib.util
import warnings
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from facial_keypoints import silenced_stderr
from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS, IMAGE_SIZE, PIXEL_MAX, mirror_map, shifted_index, unscale
from facial_keypoints.prediction import tta_views

# format -> (file suffix, the (import name, pip name) of what it needs beyond requirements.txt)
FORMATS = {
    "savedmodel": ("", ()),
    "tflite": (".tflite", ()),  # TensorFlow's converter; runtime: ai-edge-litert, else tf.lite.Interpreter
    "onnx": (".onnx", (("tf2onnx", "tf2onnx"), ("onnx", "onnx"), ("onnxruntime", "onnxruntime"))),
}
INPUT_NAME = "pixels"
SAVEDMODEL_FILES = {"saved_model.pb", "fingerprint.pb", "variables", "assets"}  # what tf_saved_model writes


def missing_packages(fmt):
    """pip names of the packages fmt needs that are not installed here."""
    return [pip for module, pip in FORMATS[fmt][1] if importlib.util.find_spec(module) is None]


class MirrorImages(layers.Layer):
    """Images (N, h, w, c) mirrored left-right, as keypoints.flip_images."""

    def call(self, images):
        return ops.flip(images, axis=2)


class ShiftImages(layers.Layer):
    """Images (N, h, w, c) moved dx pixels right and dy down, the edge repeated into the gap, as keypoints.shift_images."""

    def __init__(self, dx, dy, **kwargs):
        super().__init__(**kwargs)
        self.dx, self.dy = dx, dy

    def call(self, images):
        moved = ops.take(images, shifted_index(self.dy), axis=1)
        return ops.take(moved, shifted_index(self.dx), axis=2)

    def get_config(self):
        return {**super().get_config(), "dx": self.dx, "dy": self.dy}


class MirrorKeypoints(layers.Layer):
    """Scaled keypoints of a mirrored face mapped back to the face, as keypoints.flip_targets."""

    def __init__(self, columns=COLUMNS, **kwargs):
        super().__init__(**kwargs)
        self.columns = list(columns)
        permutation, sign, offset = mirror_map(self.columns)
        self.permutation = [int(i) for i in permutation]
        self.sign, self.offset = np.asarray(sign, "float32"), np.asarray(offset, "float32")

    def call(self, targets):
        flipped = ops.take(targets, self.permutation, axis=1)
        return flipped * ops.convert_to_tensor(self.sign) + ops.convert_to_tensor(self.offset)

    def get_config(self):
        return {**super().get_config(), "columns": self.columns}


def deploy_model(model, tta=None, offsets=0.0):
    """pixels 0..255 (N, 96, 96, 1) -> keypoints in pixels (N, 30): model between its input scaling (/255)
    and keypoints.unscale, averaged over the views of prediction.tta_views(tta), plus offsets (pixels per
    column: the run's x offset, prediction.Calibrated) last, as prediction.predict_pixels."""
    pixels = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 1), name=INPUT_NAME)
    images = layers.Rescaling(1 / PIXEL_MAX)(pixels)  # keypoints.to_inputs, as a layer

    def net(inputs):
        return keras.tree.flatten(model(inputs))[0]  # a reloaded model returns a list of one tensor

    views = []
    for dx, dy, mirrored in tta_views(tta):
        moved = ShiftImages(dx, dy)(images) if (dx, dy) != (0, 0) else images
        views.append(MirrorKeypoints()(net(MirrorImages()(moved))) if mirrored else net(moved))
    scaled = layers.Average()(views) if len(views) > 1 else views[0]
    offset = (unscale(0.0) + np.asarray(offsets, np.float64)).astype("float32")  # a number, or one per column
    keypoints = layers.Rescaling(unscale(1.0) - unscale(0.0), offset=offset, name="keypoints")(scaled)
    return keras.Model(pixels, keypoints, name=f"{model.name}_pixels")


def check_format(fmt, quantize=None):
    """DataError unless fmt (and quantize) can be exported here: the backend, the packages, the options."""
    if keras.backend.backend() != "tensorflow":
        raise DataError(f"export needs the TensorFlow backend (the converters are TensorFlow's); "
                        f"this is {keras.backend.backend()}: run with KERAS_BACKEND=tensorflow")
    missing = missing_packages(fmt)
    if missing:
        raise DataError(f"--format {fmt} needs {', '.join(missing)}, not installed here: "
                        "pip install -r requirements-export.txt")
    if quantize not in (None, "int8") or (quantize and fmt != "tflite"):
        raise DataError(f"--quantize {quantize} is offered for --format tflite only (docs/deploy.md says why)")


def write(deploy, fmt, path, quantize=None):
    """deploy (deploy_model) as fmt at path (a folder for savedmodel). quantize="int8": TFLite's dynamic-range
    quantization (int8 weights; activations quantized to int8 at run time, the output stays float)."""
    check_format(fmt, quantize)
    deploy(np.zeros((1, IMAGE_SIZE, IMAGE_SIZE, 1), "float32"))  # the ONNX export wants a model called once
    if fmt == "savedmodel":
        deploy.export(str(path), format="tf_saved_model", verbose=False)
    elif fmt == "onnx":
        with warnings.catch_warnings():  # tf2onnx's numpy-2 patch in Keras touches np.object
            warnings.simplefilter("ignore", FutureWarning)
            deploy.export(str(path), format="onnx", verbose=False)
    else:
        import tensorflow as tf
        options = {"optimizations": [tf.lite.Optimize.DEFAULT]} if quantize else {}
        deploy.export(str(path), format="litert", verbose=False, **options)


def is_export(path, fmt):
    """Is path an earlier export in fmt, which --overwrite may replace? A SavedModel folder holding only
    SavedModel's own files, a TFLite file (its "TFL3" identifier), an ONNX file that onnx reads; not
    anything else a user keeps there."""
    path = Path(path)
    if fmt == "savedmodel":
        return (path.is_dir() and (path / "saved_model.pb").is_file()
                and {entry.name for entry in path.iterdir()} <= SAVEDMODEL_FILES)
    if not path.is_file():
        return False
    if fmt == "tflite":
        with open(path, "rb") as file:
            return file.read(8)[4:] == b"TFL3"
    import onnx
    from google.protobuf.message import DecodeError
    try:
        return len(onnx.load(str(path), load_external_data=False).graph.node) > 0
    except (DecodeError, ValueError, OSError):
        return False


def tflite_interpreter(path, threads=None):
    """The LiteRT interpreter (ai-edge-litert) where installed, else TensorFlow's own tf.lite.Interpreter;
    allocated, its start-up line silenced."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf
        Interpreter = tf.lite.Interpreter
    with warnings.catch_warnings():  # tf.lite.Interpreter "is deprecated": it is still in TF 2.21
        warnings.simplefilter("ignore", UserWarning)
        interpreter = Interpreter(str(path), num_threads=threads)
    with silenced_stderr():
        interpreter.allocate_tensors()
    return interpreter


def runtime(fmt, path, threads=None):
    """predict(pixels float32 (N, 96, 96, 1)) -> (N, 30) keypoints in pixels, run by fmt's own runtime
    (threads: its intra-op threads; None: its default)."""
    if fmt == "onnx":
        import onnxruntime
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = options.inter_op_num_threads = threads
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return lambda pixels: session.run(None, {INPUT_NAME: pixels})[0]
    if fmt == "tflite":
        interpreters = {}  # one per input shape: resizing one interpreter back and forth re-prepares it each time

        def predict(pixels):
            interpreter = interpreters.get(pixels.shape)
            if interpreter is None:
                if len(interpreters) >= 8:  # a few shapes (faces x views) come back; bound the rest
                    interpreters.pop(next(iter(interpreters)))
                interpreter = interpreters[pixels.shape] = tflite_interpreter(path, threads)
                given = interpreter.get_input_details()[0]["index"]
                interpreter.resize_tensor_input(given, pixels.shape)
                with silenced_stderr():
                    interpreter.allocate_tensors()
            interpreter.set_tensor(interpreter.get_input_details()[0]["index"], pixels)
            interpreter.invoke()
            return interpreter.get_tensor(interpreter.get_output_details()[0]["index"]).copy()
        return predict
    import tensorflow as tf
    loaded = tf.saved_model.load(str(path))
    return lambda pixels: loaded.serve(tf.constant(pixels)).numpy()


def predict_all(predict, images, batch=64):
    """uint8 or float faces (N, 96, 96[, 1]) -> (N, 30) pixels, in batches of at most `batch` faces."""
    pixels = np.asarray(images, dtype="float32").reshape(len(images), IMAGE_SIZE, IMAGE_SIZE, 1)
    return np.concatenate([np.asarray(predict(pixels[i:i + batch]), dtype=np.float64)
                           for i in range(0, len(pixels), batch)])
