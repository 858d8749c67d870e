"""A network camera on 127.0.0.1 for the tests: JPEG frames served as MJPEG over HTTP
(``multipart/x-mixed-replace``, as IP cameras do), from a thread, with ways to drop or stall the
connection so that reconnection can be tested."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np


def video_frames(path, count: int, size: tuple[int, int] = (320, 180)) -> list[np.ndarray]:
    """The first ``count`` frames of a video, resized."""
    cap = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < count:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.resize(frame, size))
    cap.release()
    return frames


class MJPEGServer:
    """Serves ``frames`` in a loop at ``fps`` on ``url``. ``per_connection``: frames sent before
    the server hangs up (then it accepts the next connection, like a camera that restarts);
    ``stall`` after that instead keeps the connection open and silent. ``stop`` shuts it down
    (the stream is then gone for good)."""

    def __init__(self, frames: list[np.ndarray], fps: float = 30.0, per_connection: int | None = None,
                 stall: bool = False) -> None:
        jpegs = [cv2.imencode(".jpg", f)[1].tobytes() for f in frames]
        self.connections = 0
        self.sent = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server name)
                server.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    for i in range(per_connection or 10 ** 9):
                        jpeg = jpegs[server.sent % len(jpegs)]
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                         + str(len(jpeg)).encode() + b"\r\n\r\n" + jpeg + b"\r\n")
                        server.sent += 1
                        time.sleep(1 / fps)
                    if stall:
                        time.sleep(30)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/video.mjpg"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "MJPEGServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
