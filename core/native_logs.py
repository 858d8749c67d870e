"""Keep the native log lines of MediaPipe, TensorFlow Lite and FFmpeg out of the terminal.

MediaPipe's C++ code logs through absl, and TensorFlow Lite through its own logger, straight to
the process's standard error (file descriptor 2): "INFO: Created TensorFlow Lite XNNPACK
delegate", "W0000 ... inference_feedback_manager.cc:114] ...", "... landmark_projection_
calculator.cc ..." land in the middle of every progress bar. absl offers no environment variable or
Python call that sets its level in the mediapipe wheel, so :func:`before_native_load` (called
before MediaPipe loads) points descriptor 2 at a pipe read by a thread that passes on every line
except those log lines, and gives Python's ``sys.stderr`` its own copy of the real standard error,
so tracebacks, progress bars and error messages are untouched. OpenCV's and FFmpeg's logging are
turned down through their own settings. Nothing happens unless the command line asked for quiet
(:func:`quiet`, what ``main.py`` does without ``--verbose``), so library use and tests see
everything.
"""
from __future__ import annotations

import atexit
import io
import os
import re
import sys
import threading

NATIVE_LOG_LINE = re.compile(
    rb"^(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w./-]+:\d+\] "  # absl / glog: W0000 00:00:17...
    rb"|INFO: Created TensorFlow Lite"  # TensorFlow Lite's delegate notice
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called)")
"""A line of MediaPipe's native logging (matched at the start of a line, as bytes)."""

_state = {"quiet": False, "filter": None}
_lock = threading.Lock()


def quiet() -> None:
    """Ask for quiet: OpenCV and FFmpeg log errors only (set before their first use), and
    :func:`before_native_load` filters MediaPipe's lines. Idempotent."""
    _state["quiet"] = True
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    if "cv2" in sys.modules:  # already loaded: its log level can still be set
        sys.modules["cv2"].setLogLevel(2)  # LOG_LEVEL_ERROR


def is_quiet() -> bool:
    """Whether quiet was asked for in this process (a worker process is told so and asks again)."""
    return _state["quiet"]


def before_native_load() -> None:
    """Start filtering descriptor 2 if quiet was asked for (once per process)."""
    with _lock:
        if _state["quiet"] and _state["filter"] is None:
            _state["filter"] = _StderrFilter()


def is_native_log_line(line: bytes) -> bool:
    return NATIVE_LOG_LINE.match(line) is not None


class _StderrFilter:
    """Descriptor 2 -> pipe -> thread -> the real standard error, minus native log lines."""

    def __init__(self) -> None:
        sys.stderr.flush()
        self._terminal = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
        encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
        sys.stderr = io.TextIOWrapper(io.FileIO(os.dup(self._terminal), "w"), encoding=encoding,
                                      errors="backslashreplace", write_through=True)
        self._thread = threading.Thread(target=self._forward, args=(read_end,), name="stderr-filter",
                                        daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def _forward(self, read_end: int) -> None:
        pending = b""
        while True:
            chunk = os.read(read_end, 65536)
            if not chunk:
                break
            *lines, pending = (pending + chunk).split(b"\n")
            kept = b"".join(line + b"\n" for line in lines if not is_native_log_line(line))
            if kept:
                os.write(self._terminal, kept)
        if pending and not is_native_log_line(pending):
            os.write(self._terminal, pending)
        os.close(read_end)

    def close(self) -> None:
        """Give descriptor 2 back and pass on what is still in the pipe (at exit)."""
        sys.stderr.flush()
        os.dup2(self._terminal, 2)  # the pipe's last writer is gone: the thread drains and ends
        self._thread.join(timeout=2.0)
