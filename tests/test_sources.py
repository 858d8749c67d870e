"""Frame sources: video files, image folders and cameras, and the errors for bad ones."""
import cv2
import numpy as np
import pytest

import app.sources as sources
from app.sources import CameraSource, ImageFolderSource, open_source
from core.errors import InputError
from core.video import VideoReader


def _write_video(path, frames=40, fps=25.0, size=(64, 48)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), i * 5 % 255, np.uint8))
    writer.release()
    return path


def test_video_file_gives_frames_with_increasing_timestamps(tmp_path):
    source = open_source(str(_write_video(tmp_path / "clip.avi")))
    assert isinstance(source, VideoReader)
    assert source.fps == pytest.approx(25.0) and source.frame_count == 40 and source.size == (64, 48)
    items = list(source)
    assert len(items) == 40 and items[0][0].shape == (48, 64, 3)
    times = np.array([t for _, t in items])
    np.testing.assert_allclose(times, np.arange(40) / 25.0, atol=1e-3)
    assert items[10][0].mean() == pytest.approx(50, abs=3)  # frames come in order


@pytest.mark.parametrize("make, message", [
    (lambda p: p, "not found"),
    (lambda p: (p.write_bytes(b""), p)[1], "empty"),
    (lambda p: (p.write_text("not a video " * 50), p)[1], "not a readable video"),
])
def test_bad_video_files_raise_input_error_naming_the_file(tmp_path, make, message):
    path = make(tmp_path / "clip.mp4")
    with pytest.raises(InputError, match=message) as err:
        open_source(str(path))
    assert str(path) in str(err.value)


def test_truncated_video_is_reported(tmp_path):
    data = _write_video(tmp_path / "full.avi").read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    source = open_source(cut)
    with pytest.raises(InputError, match="truncated"):
        for _ in source:
            pass


def test_close_stops_a_video_early(tmp_path):
    source = VideoReader(_write_video(tmp_path / "clip.avi"))
    frames = iter(source)
    next(frames)
    source.close()
    assert list(frames) == []


def test_image_folder_in_natural_order(tmp_path):
    for i in (10, 2, 1):
        cv2.imwrite(str(tmp_path / f"frame{i}.png"), np.full((20, 30, 3), i, np.uint8))
    (tmp_path / "notes.txt").write_text("ignored")
    source = open_source(tmp_path, folder_fps=10)
    assert isinstance(source, ImageFolderSource)
    assert source.size == (30, 20) and source.frame_count == 3 and source.fps == 10
    items = list(source)
    assert [int(f[0, 0, 0]) for f, _ in items] == [1, 2, 10]
    assert [t for _, t in items] == pytest.approx([0.0, 0.1, 0.2])


def test_empty_folder_and_unreadable_image(tmp_path):
    with pytest.raises(InputError, match="no images"):
        open_source(tmp_path)
    (tmp_path / "broken.jpg").write_bytes(b"nope")
    with pytest.raises(InputError, match="broken.jpg"):
        open_source(tmp_path)


def test_camera_that_cannot_be_opened():
    with pytest.raises(InputError, match="camera 97"):
        open_source("97")


class _FakeCapture:
    """A camera that delivers ``frames`` frames and then nothing."""

    def __init__(self, frames):
        self.left = frames
        self.released = False

    def isOpened(self):
        return True

    def set(self, *args):
        return True

    def get(self, prop):
        return 30.0 if prop == cv2.CAP_PROP_FPS else 0.0

    def read(self):
        if self.left <= 0:
            return False, None
        self.left -= 1
        return True, np.zeros((48, 64, 3), np.uint8)

    def release(self):
        self.released = True


def test_camera_that_stops_delivering_frames_is_detected(monkeypatch):
    fake = _FakeCapture(frames=5)
    monkeypatch.setattr(sources.cv2, "VideoCapture", lambda index: fake)
    camera = open_source(0)
    assert isinstance(camera, CameraSource) and camera.size == (64, 48) and camera.fps == 30
    camera.stall_seconds = 0.05
    seen = []
    with pytest.raises(InputError, match="stopped delivering"):
        for frame, t in camera:
            seen.append(t)
    assert len(seen) == 5 and seen == sorted(seen)
    assert fake.released


def test_camera_that_never_delivers_a_frame(monkeypatch):
    monkeypatch.setattr(sources.cv2, "VideoCapture", lambda index: _FakeCapture(frames=0))
    with pytest.raises(InputError, match="delivers no frames"):
        CameraSource(3, stall_seconds=0.05)
