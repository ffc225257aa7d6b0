"""facial-keypoints: Nouri's 2014 Kaggle facial-keypoints study in Keras 3, and what beats it.

Importing the package quiets the backend's start-up: TensorFlow's C++ libraries print lines (absl's
"log messages before absl::InitializeLog()", oneDNN's notice) to file descriptor 2 while they load, before
any logging setting applies, so that descriptor is pointed at /dev/null while `tensorflow` is imported
(Python's own sys.stderr is flushed first and comes back unchanged); TFLite interpreters are allocated
the same way (deploy.tflite_interpreter). FKD_BACKEND_LOGS=1 keeps them.
"""
import contextlib
import importlib.abc
import importlib.util
import os
import sys

# TensorFlow's later C++ chatter, its E-lines too: those seen are notices (oneDNN's int32 fallback on CPUs
# without AVX-512, a converter's unknown NodeDef attribute); a real failure still raises in Python
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def silenced_stderr():
    """File descriptor 2 pointed at /dev/null for a while: for C++ libraries that print start-up lines there
    (TensorFlow's import; TFLite's "Created TensorFlow Lite XNNPACK delegate" when an interpreter is allocated)."""
    sys.stderr.flush()
    if not QUIET:
        yield
        return
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


class _QuietTensorFlow(importlib.abc.MetaPathFinder):
    """Finds nothing itself: on the first import of tensorflow it wraps that module's loading in silence
    (no library does this for us: the lines come from C++ before Python's logging exists)."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def quietly(module):
            with silenced_stderr():
                exec_module(module)
        spec.loader.exec_module = quietly
        return spec


QUIET = not os.environ.get("FKD_BACKEND_LOGS")
if QUIET and "tensorflow" not in sys.modules:
    sys.meta_path.insert(0, _QuietTensorFlow())
