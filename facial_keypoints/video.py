"""Keypoints on video: every frame's faces (faces.py) drawn into a copy of the video and listed in a CSV,
or shown live from a camera."""
import os
import re
import sys
import time

import numpy as np

from facial_keypoints.errors import DataError
from facial_keypoints.keypoints import COLUMNS
from facial_keypoints.paths import write_atomic
from facial_keypoints.provenance import duration

CSV_COLUMNS = ["frame", "time_s", "face", "box_x", "box_y", "box_w", "box_h", *COLUMNS]
FOURCC = "mp4v"  # MPEG-4 part 2, which the FFmpeg of OpenCV's wheels writes without extra codecs
PROGRESS_EVERY_S = 2.0


def quiet_cv2():
    """cv2, its own warnings (a camera or file it cannot open) silenced: the caller says it in one line."""
    import cv2
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    return cv2


def check_video(path):
    """DataError unless OpenCV opens path (not an image) as a video and reads a first frame from it."""
    capture = quiet_cv2().VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise DataError(f"{path}: not an image OpenCV can read, nor a video")
        if not capture.read()[0]:
            raise DataError(f"{path}: a video with no frames")
    finally:
        capture.release()


class Smoother:
    """Exponential smoothing across frames: a face's keypoints become alpha x this frame's + (1 - alpha) x the
    smoothed keypoints of the previous frame's face nearest to it, if that face's box centre lies within
    half a box width; a face without one starts afresh. alpha None or 1: no smoothing."""

    def __init__(self, alpha=None):
        self.alpha, self.previous = alpha, []

    def __call__(self, boxes, keypoints):
        if self.alpha is None or self.alpha == 1:
            return keypoints
        smoothed = np.array(keypoints, dtype=np.float64)
        centres = [(x + w / 2, y + h / 2, w) for x, y, w, h in boxes]
        for i, (cx, cy, w) in enumerate(centres):
            near = min(((np.hypot(cx - px, cy - py), j) for j, ((px, py, _), _) in enumerate(self.previous)),
                       default=(np.inf, None))
            if near[0] < w / 2:
                smoothed[i] = self.alpha * smoothed[i] + (1 - self.alpha) * self.previous[near[1]][1]
        self.previous = list(zip(centres, smoothed))
        return smoothed


class FrameProgress:
    """A line on stderr every few seconds: frames done, elapsed, ETA (where the frame count is known)."""

    def __init__(self, name, total):
        self.name, self.total = name, total
        self.started = self.said = time.perf_counter()

    def __call__(self, done, final=False):
        now = time.perf_counter()
        if not final and now - self.said < PROGRESS_EVERY_S:
            return
        self.said, elapsed = now, now - self.started
        if self.total > 0 and not final:
            left = elapsed / done * max(0, self.total - done)
            where = f"frame {done}/{self.total} ({100 * done / self.total:.0f}%), ETA {duration(left)}"
        else:
            where = f"frame {done}" + ("" if self.total <= 0 else f"/{self.total}")
        print(f"{self.name}: {where}, {duration(elapsed)} elapsed, {done / max(elapsed, 1e-9):.1f} frames/s",
              file=sys.stderr, flush=True)


def annotate(path, video_out, csv_out, predict_scaled, tta=None, alpha=None):
    """Every frame of the video at path, faces found, smoothed, drawn and written to video_out (same size and
    frame rate) and, one row per frame and face, to csv_out. Both are written under temporary names and
    renamed when complete. Returns (frames, frames with a face, rows)."""
    import pandas as pd

    from facial_keypoints.faces import draw, faces_in
    cv2 = quiet_cv2()
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS)
    fps = fps if 0 < fps < 1000 else 0.0  # some containers report none, or nonsense
    progress, smoother, rows = FrameProgress(path, int(capture.get(cv2.CAP_PROP_FRAME_COUNT))), Smoother(alpha), []
    frames = with_faces = 0

    def write_video(tmp):
        nonlocal frames, with_faces
        writer = None
        try:
            ok, frame = capture.read()
            while ok:
                if writer is None:
                    writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*FOURCC), fps or 25.0,
                                             (frame.shape[1], frame.shape[0]))
                    if not writer.isOpened():
                        raise DataError(f"{video_out}: OpenCV cannot write {FOURCC} video here")
                boxes, keypoints = faces_in(frame, predict_scaled, tta)
                keypoints = smoother(boxes, keypoints)
                draw(frame, boxes, keypoints)
                writer.write(frame)
                time_s = frames / fps if fps else float("nan")
                rows.extend([frames, time_s, face, *box, *points]
                            for face, (box, points) in enumerate(zip(boxes, keypoints)))
                frames, with_faces = frames + 1, with_faces + bool(boxes)
                progress(frames)
                ok, frame = capture.read()
        finally:
            capture.release()
            if writer is not None:
                writer.release()
        if frames == 0:
            raise DataError(f"{path}: a video with no frames")
        table = pd.DataFrame(rows, columns=CSV_COLUMNS)
        write_atomic(csv_out, lambda tmp_csv: table.to_csv(tmp_csv, index=False, float_format="%.3f"))

    write_atomic(video_out, write_video)
    progress(frames, final=True)
    return frames, with_faces, len(rows)


def display_problem():
    """Why no window can be shown here, or None: a headless OpenCV build, or no display on Linux."""
    cv2 = quiet_cv2()
    gui = re.search(r"^\s*GUI:\s*(\S+)", cv2.getBuildInformation(), re.MULTILINE)
    if gui is None or gui.group(1).upper() == "NONE":
        return ("this OpenCV has no GUI (opencv-python-headless cannot open windows; install opencv-python "
                "instead of it for a live window), or run predict.py on a recorded video file")
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "no display ($DISPLAY is not set); run predict.py on a recorded video file instead"
    return None


def open_camera(index):
    """cv2.VideoCapture of camera `index`, once it is known to open and a window can be shown; else DataError."""
    capture = quiet_cv2().VideoCapture(index)
    problem = None if capture.isOpened() else f"camera {index} could not be opened (none there, or in use)"
    if problem is None and display_problem():
        problem = f"cannot show a live window: {display_problem()}"
    if problem:
        capture.release()
        raise DataError(f"--camera {index}: {problem}")
    return capture


def live(capture, name, predict_scaled, tta=None, alpha=None):
    """Frames of an opened camera in a window with their faces' keypoints drawn, until q, Esc or the window
    is closed."""
    from facial_keypoints.faces import draw, faces_in
    cv2, shown, started = quiet_cv2(), 0, time.perf_counter()
    window, smoother = f"keypoints: {name} (q or Esc quits)", Smoother(alpha)
    try:
        ok, frame = capture.read()
        if not ok:
            raise DataError(f"{name}: gives no frames")
        while ok:
            boxes, keypoints = faces_in(frame, predict_scaled, tta)
            draw(frame, boxes, smoother(boxes, keypoints))
            cv2.imshow(window, frame)
            shown += 1
            if cv2.waitKey(1) & 0xFF in (ord("q"), 27) or cv2.getWindowProperty(window, cv2.WND_PROP_VISIBLE) < 1:
                break
            ok, frame = capture.read()
        print(f"{name}: {shown} frames, {shown / (time.perf_counter() - started):.1f} frames/s")
    finally:
        capture.release()
        if shown:
            cv2.destroyAllWindows()
