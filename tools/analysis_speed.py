"""Clips and start-up timings for measuring ``--video`` against the pose stage's own speed.

    python tools/analysis_speed.py make-clip /tmp/clip640.mp4 [--frames 800] [--size 640x360]
    python tools/analysis_speed.py startup [--runs 5] [--source CLIP]

``make-clip`` joins the one-person real clips of ../shared/videos (centre-cropped to the aspect
ratio of ``--size``, resized) into one 30 fps mp4 of about ``--frames`` frames: a temporary test
file, never commit it. Then ``python main.py --benchmark --part analysis --source CLIP`` times
``main.py --video`` against MediaPipe Pose alone, as whole processes.

``startup`` times whole processes, alternating, ``--runs`` times each: ``main.py --help``;
``main.py --video`` and MediaPipe Pose alone (``python -m pose.benchmark``) on a 3-frame cut of
``--source``; and the GUI offscreen on ``--source`` until its first frame is on screen and until
its first label (process start to the paint, as the window reports it). Prints the medians and
the load average before and after.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_VIDEOS = ROOT.parent / "shared" / "videos"
CLIP_SOURCES = ("waving.avi", "walking.avi", "squat_side.mp4", "punch_side.mp4", "running.avi")


def make_clip(out: Path, frames: int, size: tuple[int, int], sources=CLIP_SOURCES) -> int:
    """Write about ``frames`` frames of the real clips ``sources``, cropped and resized, to ``out``."""
    import cv2

    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, size)
    written = 0
    for name in sources:
        capture = cv2.VideoCapture(str(SHARED_VIDEOS / name))
        while written < frames:
            ok, frame = capture.read()
            if not ok:
                break
            height, width = frame.shape[:2]
            crop_w = min(width, round(height * size[0] / size[1]))
            crop_h = min(height, round(width * size[1] / size[0]))
            x0, y0 = (width - crop_w) // 2, (height - crop_h) // 2
            writer.write(cv2.resize(frame[y0:y0 + crop_h, x0:x0 + crop_w], size, interpolation=cv2.INTER_AREA))
            written += 1
        capture.release()
        if written >= frames:
            break
    writer.release()
    return written


def gui_child(source: str) -> None:
    """Run the window offscreen on ``source``; print the wall-clock times of the first frame
    painted and of the first label, then quit."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from app.gui.main_window import MainWindow, WindowOptions

    app = QApplication(sys.argv[:1])
    window = MainWindow(WindowOptions(source=source, device="cpu", output_dir=Path(tempfile.mkdtemp())))
    seen: dict[str, float] = {}

    def note(kind: str) -> None:
        seen.setdefault(kind, time.time())
        if len(seen) == 2:
            app.quit()

    def on_event(engine, kind: str) -> None:
        if kind == "actions":
            note("label")
        elif kind == "ended":  # a busy machine may need more than one pass of a short clip
            QTimer.singleShot(0, window.start)

    window.video.painted.connect(lambda _: note("frame"))
    window.engine_event.connect(on_event)
    window.show()
    QTimer.singleShot(0, window.start_up)
    QTimer.singleShot(120000, app.quit)
    app.exec()
    window.close()
    if len(seen) < 2:
        raise SystemExit(f"the window showed {sorted(seen) or 'nothing'} within 120 s")
    print(f"first_frame {seen['frame']:.4f} first_label {seen['label']:.4f}", flush=True)


def _wall(command: list[str]) -> tuple[float, str]:
    start_epoch, start = time.time(), time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    if done.returncode != 0:
        raise SystemExit(f"error: {' '.join(command)} failed: {done.stderr[-500:]}")
    return time.perf_counter() - start, done.stdout if "first_frame" not in done.stdout else \
        " ".join(f"{float(v) - start_epoch:.3f}" for v in done.stdout.split()[1::2])


def startup(runs: int, source: Path) -> None:
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        short = Path(tmp) / "three.mp4"
        if make_clip(short, 3, (640, 360), sources=(source.name,)) != 3:
            raise SystemExit(f"error: cannot cut 3 frames of {source}")
        commands = {
            "main.py --help": [python, "main.py", "--help"],
            "main.py --video (3 frames)": [python, "main.py", "--video", str(short), "--timeline", str(Path(tmp) / "t.json")],
            "pose alone (3 frames)": [python, "-m", "pose.benchmark", str(short)],
            "GUI": [python, str(Path(__file__).resolve()), "gui-child", str(source)],
        }
        walls: dict[str, list[float]] = {name: [] for name in commands}
        gui_frame, gui_label = [], []
        load_before = os.getloadavg()
        for run in range(runs):
            for name, command in commands.items():
                wall, out = _wall(command)
                walls[name].append(wall)
                if name == "GUI":
                    frame, label = (float(v) for v in out.split())
                    gui_frame.append(frame)
                    gui_label.append(label)
            print(f"run {run + 1}: " + ", ".join(f"{n} {w[-1]:.2f} s" for n, w in walls.items())
                  + f", GUI first frame {gui_frame[-1]:.2f} s, first label {gui_label[-1]:.2f} s "
                  f"(load {os.getloadavg()[0]:.2f})", flush=True)
        load_after = os.getloadavg()
    median = statistics.median
    for name in ("main.py --help", "main.py --video (3 frames)", "pose alone (3 frames)"):
        print(f"median {name:28s} {median(walls[name]):.2f} s")
    print(f"median GUI (offscreen, {source.name}): first frame {median(gui_frame):.2f} s, "
          f"first label {median(gui_label):.2f} s after the process started")
    print(f"load average (1, 5, 15 min) before {' '.join(f'{x:.2f}' for x in load_before)}, "
          f"after {' '.join(f'{x:.2f}' for x in load_after)} on {os.cpu_count()} CPUs")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    mk = sub.add_parser("make-clip", help="join the real one-person clips into one test clip")
    mk.add_argument("out", type=Path)
    mk.add_argument("--frames", type=int, default=800)
    mk.add_argument("--size", default="640x360", help="WIDTHxHEIGHT")
    st = sub.add_parser("startup", help="start-up times of --help, --video, pose alone and the GUI")
    st.add_argument("--runs", type=int, default=5)
    st.add_argument("--source", type=Path, default=SHARED_VIDEOS / "waving.avi")
    child = sub.add_parser("gui-child", help=argparse.SUPPRESS)
    child.add_argument("source")
    args = p.parse_args(argv)
    if args.command == "make-clip":
        width, height = (int(v) for v in args.size.lower().split("x"))
        print(f"wrote {make_clip(args.out, args.frames, (width, height))} frames to {args.out}")
    elif args.command == "startup":
        if not args.source.is_file():
            raise SystemExit(f"error: no such clip: {args.source}")
        startup(args.runs, args.source)
    else:
        gui_child(args.source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
