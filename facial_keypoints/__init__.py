"""facial-keypoints: Nouri's 2014 Kaggle facial-keypoints study in Keras 3, and what beats it."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter hides the progress lines
