"""Network cameras as sources: an MJPEG-over-HTTP stream served on 127.0.0.1 by the test is read
through OpenCV's FFmpeg backend, reconnected when it drops or stalls, reported in one line when it
cannot be opened or comes back no more; passwords never appear in messages."""
import time

import numpy as np
import pytest
from mjpeg_server import MJPEGServer, video_frames

from app.pipeline import ActionPipeline
from app.sources import NetworkSource, is_stream_url, open_source, redact_url
from core.errors import InputError


def numbered_frames(count: int = 24) -> list[np.ndarray]:
    """Frames whose brightness tells their number: frame i is grey level 10 * i."""
    return [np.full((120, 160, 3), 10 * i, np.uint8) for i in range(count)]


def frame_number(frame: np.ndarray) -> int:
    return int(round(float(frame.mean()) / 10))


def _closed_port_url(scheme: str = "http") -> str:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"{scheme}://127.0.0.1:{port}/video"


def _read(source, count: int) -> list[tuple[np.ndarray, float]]:
    out = []
    for frame, t in source:
        out.append((frame, t))
        if len(out) == count:
            break
    return out


def test_stream_urls_are_recognised_and_passwords_hidden():
    for url in ("rtsp://cam.local:554/stream1", "RTSP://10.0.0.2/h264", "http://127.0.0.1:8080/video.mjpg",
                "https://example.org/live/index.m3u8", "rtsps://cam/x"):
        assert is_stream_url(url), url
    for spec in ("0", "clip.mp4", "/videos/rtsp_clip.mp4", "ftp://host/file", "http:/missing-slash", 3):
        assert not is_stream_url(spec), spec
    assert redact_url("rtsp://admin:s3cret@10.0.0.2:554/live") == "rtsp://admin:***@10.0.0.2:554/live"
    assert redact_url("http://cam/video.mjpg") == "http://cam/video.mjpg"


def test_reads_a_local_http_stream_in_order():
    with MJPEGServer(numbered_frames()) as server:
        source = open_source(server.url)
        assert isinstance(source, NetworkSource)
        assert source.size == (160, 120) and source.frame_count is None and source.name == server.url
        frames = _read(source, 20)
    numbers = [frame_number(f) for f, _ in frames]
    assert numbers == list(range(20))  # every frame, in order, decoded (JPEG keeps the grey level)
    times = [t for _, t in frames]
    assert times[0] == pytest.approx(0.0, abs=0.05) and np.all(np.diff(times) > 0)


def test_a_stream_that_drops_is_reconnected():
    """The camera hangs up after every 15 frames and accepts the next connection."""
    with MJPEGServer(numbered_frames(), per_connection=15) as server:
        source = NetworkSource(server.url, timeout_seconds=2.0)
        frames = _read(source, 40)
        assert len(frames) == 40 and source.reconnects >= 2 and server.connections >= 3
        assert not source.reconnecting
        assert np.all(np.diff([t for _, t in frames]) > 0)


def test_a_stream_that_goes_silent_is_reconnected():
    """The connection stays open but no frame comes: after the timeout the stream is reopened."""
    with MJPEGServer(numbered_frames(), per_connection=10, stall=True) as server:
        source = NetworkSource(server.url, timeout_seconds=1.0)
        start = time.monotonic()
        frames = _read(source, 25)
        assert len(frames) == 25 and source.reconnects >= 2
        assert time.monotonic() - start < 15


def test_a_stream_gone_for_good_is_one_clear_error():
    server = MJPEGServer(numbered_frames(), per_connection=10)
    source = NetworkSource(server.url, timeout_seconds=1.0, reconnect_seconds=2.0)
    server.stop()  # the open connection delivers its last frames, new ones are refused
    start = time.monotonic()
    with pytest.raises(InputError, match=r"stopped delivering frames and could not be reconnected within 2 s"):
        _read(source, 1000)
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("scheme", ["http", "rtsp"])
def test_an_unreachable_stream_is_one_clear_error(scheme):
    url = _closed_port_url(scheme).replace("://", "://viewer:topsecret@")
    start = time.monotonic()
    with pytest.raises(InputError) as err:
        open_source(url)
    message = str(err.value)
    assert message.startswith(f"cannot open stream {scheme}://viewer:***@127.0.0.1:") and "\n" not in message
    assert "topsecret" not in message and "check the address" in message
    assert time.monotonic() - start < 10


def test_close_from_another_thread_ends_a_pending_reconnection():
    import threading

    server = MJPEGServer(numbered_frames(), per_connection=5)
    source = NetworkSource(server.url, timeout_seconds=1.0, reconnect_seconds=30.0)
    server.stop()
    errors = []

    def consume():
        try:
            _read(source, 1000)
        except InputError as err:
            errors.append(str(err))

    reader = threading.Thread(target=consume)
    reader.start()
    time.sleep(2.0)  # by now it is retrying
    start = time.monotonic()
    source.close()
    reader.join(5.0)
    assert not reader.is_alive() and time.monotonic() - start < 3.0
    assert errors and "closed" in errors[0]


def test_the_pose_stage_finds_the_person_in_a_streamed_real_video(videos_dir):
    """Frames of squat_side.mp4 served as a network camera: the pipeline sees her in them."""
    frames = video_frames(videos_dir / "squat_side.mp4", 40, size=(640, 360))
    with MJPEGServer(frames) as server:
        source = open_source(server.url)
        pipeline = ActionPipeline(None)
        try:
            seen = [bool(pipeline.observe(f, t)[0].present[0]) for f, t in _read(source, 30)]
        finally:
            pipeline.close()
    assert sum(seen) >= 27
