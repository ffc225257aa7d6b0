"""Keypoints on video: every frame's faces (faces.py), followed from frame to frame and smoothed, drawn into
a copy of the video and listed in a CSV, or shown live from a camera."""
import os
import re
import sys
import time

import numpy as np

from facial_keypoints.errors import DataError
from facial_keypoints.faces import Face
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


class OneEuro:
    """The One-Euro filter (Casiez, Roussel and Vogel, CHI 2012) on a face's keypoints: an exponential smoothing
    whose cutoff frequency rises with speed, so that a still face stops jittering and a moving one does not
    lag. min_cutoff (Hz): the smoothing of a still face (lower: smoother); beta: how fast the cutoff rises with
    speed, measured in face sides per second so that it does not depend on the face's size in pixels.
    (Written out here: none of the project's libraries has it; it is a few lines.)"""

    def __init__(self, min_cutoff=1.0, beta=1.0, d_cutoff=1.0):
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.previous = self.speed = self.time = None

    @staticmethod
    def alpha(cutoff, elapsed):
        tau = 1.0 / (2 * np.pi * cutoff)
        return 1.0 / (1.0 + tau / elapsed)

    def __call__(self, points, time_s, side):
        points = np.asarray(points, dtype=np.float64)
        if self.previous is None or time_s <= self.time:
            self.previous, self.speed, self.time = points, np.zeros_like(points), time_s
            return points
        elapsed, self.time = time_s - self.time, time_s
        speed = (points - self.previous) / elapsed
        self.speed = self.speed + self.alpha(self.d_cutoff, elapsed) * (speed - self.speed)
        cutoff = self.min_cutoff + self.beta * np.abs(self.speed) / max(side, 1.0)
        self.previous = self.previous + self.alpha(cutoff, elapsed) * (points - self.previous)
        return self.previous


class Tracker:
    """Faces followed through a video: each frame's crop comes from the previous frame's keypoints (the data's
    crop rule), so the detector runs only on the first frame, when no face is followed, and every
    `redetect_s` seconds (to pick up a face that came in). A face whose crop leaves the frame, or that no
    detection has seen at two re-detections in a row, is lost. Keypoints are smoothed by OneEuro (min_cutoff
    None: not smoothed); the raw ones place the next crop."""

    def __init__(self, pipeline, min_cutoff=1.0, redetect_s=1.0, passes=2):
        self.pipeline, self.min_cutoff, self.redetect_s, self.passes = pipeline, min_cutoff, redetect_s, passes
        self.tracks, self.next_id, self.detected_at = [], 0, None

    def __call__(self, frame, time_s):
        """[(face number, Face with smoothed keypoints)] of a frame (BGR) at time_s seconds."""
        from facial_keypoints.detectors import detect
        from facial_keypoints.faces import box_from_keypoints, start_box
        gray = cv2_gray(frame)
        starts = [box_from_keypoints(track["raw"][None])[0] for track in self.tracks]
        if not self.tracks or self.detected_at is None or time_s - self.detected_at >= self.redetect_s:
            self.detected_at = time_s
            detections = detect(self.pipeline.detector, frame)
            seen = [any(overlaps(start, (d.x, d.y, d.width)) for d in detections) for start in starts]
            for track, was_seen in zip(self.tracks, seen):
                track["unseen"] = 0 if was_seen else track["unseen"] + 1
            for detection in detections:
                if not any(overlaps(start, (detection.x, detection.y, detection.width)) for start in starts):
                    starts.append(start_box(detection, self.pipeline.start_rule))
                    self.tracks.append({"id": self.next_id, "unseen": 0, "score": detection.score,
                                        "filter": OneEuro(self.min_cutoff) if self.min_cutoff else None})
                    self.next_id += 1
        if not self.tracks:
            return []
        keypoints, boxes, passes = self.pipeline.refine(gray, starts, self.passes)
        height, width = gray.shape
        kept, found = [], []
        for track, points, box in zip(self.tracks, keypoints, boxes):
            x0, y0, side = box
            inside = max(0, min(width, x0 + side) - max(0, x0)) * max(0, min(height, y0 + side) - max(0, y0))
            if inside < 0.5 * side * side or track["unseen"] >= 2:
                continue  # lost: the crop left the frame, or the detector stopped seeing it
            track["raw"] = points
            shown = track["filter"](points, time_s, side) if track["filter"] else points
            kept.append(track)
            found.append((track["id"], Face(box, shown, passes, track["score"])))
        self.tracks = kept
        return found


def overlaps(box, detection):
    """Does a detection's centre (x, y, width) lie inside a square box (centre x, centre y, side)?"""
    return abs(detection[0] - box[0]) < box[2] / 2 and abs(detection[1] - box[1]) < box[2] / 2


def cv2_gray(frame):
    return quiet_cv2().cvtColor(frame, quiet_cv2().COLOR_BGR2GRAY) if frame.ndim == 3 else frame


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


def annotate(path, video_out, csv_out, pipeline, min_cutoff=1.0):
    """Every frame of the video at path, its faces followed (Tracker), smoothed, drawn and written to video_out
    (same size and frame rate) and, one row per frame and face, to csv_out. Both are written under temporary
    names and renamed when complete. Returns (frames, frames with a face, rows)."""
    import pandas as pd

    from facial_keypoints.photos import draw
    cv2 = quiet_cv2()
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS)
    fps = fps if 0 < fps < 1000 else 0.0  # some containers report none, or nonsense
    progress, tracker, rows = FrameProgress(path, int(capture.get(cv2.CAP_PROP_FRAME_COUNT))), Tracker(pipeline, min_cutoff), []
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
                time_s = frames / (fps or 25.0)
                followed = tracker(frame, time_s)
                draw(frame, [face for _, face in followed])
                writer.write(frame)
                rows.extend([frames, time_s if fps else float("nan"), number, face.box[0], face.box[1], face.box[2],
                             face.box[2], *face.keypoints] for number, face in followed)
                frames, with_faces = frames + 1, with_faces + bool(followed)
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


def live(capture, name, pipeline, min_cutoff=1.0):
    """Frames of an opened camera in a window with their faces' keypoints drawn, until q, Esc or the window
    is closed."""
    from facial_keypoints.photos import draw
    cv2, shown, started = quiet_cv2(), 0, time.perf_counter()
    window, tracker = f"keypoints: {name} (q or Esc quits)", Tracker(pipeline, min_cutoff)
    try:
        ok, frame = capture.read()
        if not ok:
            raise DataError(f"{name}: gives no frames")
        while ok:
            draw(frame, [face for _, face in tracker(frame, time.perf_counter() - started)])
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
