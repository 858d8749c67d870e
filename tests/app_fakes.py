"""Test doubles for the application tests: small random-weight checkpoints (plumbing only: never
assert on their labels) and a pose estimator that replays synthetic BlazePose landmarks."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from model import build_model, save_checkpoint
from pose.mediapipe_estimator import PersonLandmarks

CLASS_NAMES = ["wave", "clap", "squat", "walk"]


def make_checkpoint(path: Path, num_person: int = 1, window_seconds: float = 1.0, seed: int = 0,
                    class_names: list[str] = CLASS_NAMES) -> Path:
    """A tiny HCN checkpoint (32-frame window, 30 fps) with random weights."""
    import torch

    torch.manual_seed(seed)
    model = build_model("hcn", len(class_names), layout="ntu25", num_person=num_person, window=32)
    return save_checkpoint(path, model, {
        "class_names": list(class_names), "window": 32, "window_seconds": window_seconds, "fps": 30.0,
        "stream": "joint", "normalization": "center_first_spine", "dataset": "synthetic",
    })


# BlazePose landmark positions of a person standing upright, in metres (x right, y down, z away),
# origin between the hips: (x, y) per landmark index; z is 0.
_STANDING = {
    0: (0.0, -0.62), 1: (-0.02, -0.65), 2: (-0.03, -0.65), 3: (-0.04, -0.65), 4: (0.02, -0.65),
    5: (0.03, -0.65), 6: (0.04, -0.65), 7: (-0.07, -0.63), 8: (0.07, -0.63), 9: (-0.02, -0.58),
    10: (0.02, -0.58), 11: (-0.18, -0.48), 12: (0.18, -0.48), 13: (-0.22, -0.22), 14: (0.22, -0.22),
    15: (-0.24, 0.02), 16: (0.24, 0.02), 17: (-0.25, 0.08), 18: (0.25, 0.08), 19: (-0.24, 0.09),
    20: (0.24, 0.09), 21: (-0.22, 0.06), 22: (0.22, 0.06), 23: (-0.1, 0.0), 24: (0.1, 0.0),
    25: (-0.11, 0.42), 26: (0.11, 0.42), 27: (-0.12, 0.82), 28: (0.12, 0.82), 29: (-0.12, 0.86),
    30: (0.12, 0.86), 31: (-0.12, 0.88), 32: (0.12, 0.88),
}
_RIGHT_ARM = (14, 16, 18, 20, 22)  # the image-right side of the figure (BlazePose's "right_*")


def person_landmarks(t: float, x_pixels: float = 320.0, wave_hz: float = 0.0,
                     image_height: int = 480) -> PersonLandmarks:
    """A standing person centred at ``x_pixels``; with ``wave_hz`` the right arm swings up and down."""
    world = np.zeros((33, 3))
    for i, (x, y) in _STANDING.items():
        world[i] = (x, y, 0.0)
    if wave_hz:
        lift = 0.3 * np.sin(2 * np.pi * wave_hz * t)
        world[list(_RIGHT_ARM), 1] -= lift + 0.3
        world[list(_RIGHT_ARM), 0] += 0.1 * lift
    scale = image_height * 0.45  # pixels per metre: the figure fills about 80% of the height
    image_xy = np.stack([x_pixels + world[:, 0] * scale, image_height * 0.55 + world[:, 1] * scale], axis=1)
    return PersonLandmarks(image_xy, world, np.full(33, 0.95))


class ScriptedEstimator:
    """Stands in for MediaPipe: ``script(t) -> list[PersonLandmarks]``, with an optional delay.

    Frames carry their timestamp in pixel (0, 0..3) as float bytes (see :func:`frames`)."""

    def __init__(self, script, delay: float = 0.0) -> None:
        self.script = script
        self.delay = delay
        self.calls = 0
        self.closed = False

    def estimate(self, frame_bgr: np.ndarray) -> list[PersonLandmarks]:
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        return self.script(frame_time(frame_bgr))

    def close(self) -> None:
        self.closed = True


def frames(count: int, fps: float = 30.0, size: tuple[int, int] = (64, 48)):
    """``count`` small BGR frames with their timestamps, each frame stamped with its own time."""
    for i in range(count):
        t = i / fps
        frame = np.zeros((size[1], size[0], 3), np.uint8)
        frame.reshape(-1)[:8] = np.frombuffer(np.float64(t).tobytes(), np.uint8)
        yield frame, t


def frame_time(frame: np.ndarray) -> float:
    return float(np.frombuffer(frame.reshape(-1)[:8].tobytes(), np.float64)[0])


def cut_clip(source: Path, target: Path, start: int, count: int, size: tuple[int, int] = (480, 270)) -> Path:
    """Write frames ``start .. start+count`` of a real video, resized, as an MJPG .avi at 30 fps."""
    import cv2

    cap = cv2.VideoCapture(str(source))
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"MJPG"), 30, size)
    index = 0
    while index < start + count:
        ok, frame = cap.read()
        if not ok:
            break
        if index >= start:
            writer.write(cv2.resize(frame, size))
        index += 1
    cap.release()
    writer.release()
    return target


def lifting_landmarks(t: float, lifts: int, period: float, start: float = 1.0,
                      x_pixels: float = 320.0) -> PersonLandmarks:
    """A standing person who, from ``start`` seconds on, raises the right arm ``lifts`` times, each
    lift (up and down again) taking ``period`` seconds, and then stands still."""
    person = person_landmarks(t, x_pixels)
    phase = (t - start) / period
    if 0 <= phase < lifts:
        lift = 0.5 * (1 - np.cos(2 * np.pi * phase))  # 0 (hanging) .. 1 (raised) .. 0
        person.world[list(_RIGHT_ARM), 1] -= 0.6 * lift
        person.world[list(_RIGHT_ARM), 0] += 0.3 * lift
        scale = 480 * 0.45
        person.image_xy[list(_RIGHT_ARM), 1] -= 0.6 * lift * scale
        person.image_xy[list(_RIGHT_ARM), 0] += 0.3 * lift * scale
    return person
