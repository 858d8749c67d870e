"""A full disk never publishes a broken file (issue 16, item 2). Each output is written where there
is room for 64 KiB only (a tmpfs, or a file-size limit: see small_disk.py) and the command must fail
with one ``error:`` line naming the file, exit 2, and leave nothing behind, not even a hidden
temporary file. For videos the encoder reports no error at all: what catches the broken file is
reopening it and counting its frames. Also SIGTERM in the middle of ``--video``."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from app_fakes import make_checkpoint
from skeleton_files import write_ucla
from small_disk import ROOT, last_line, mount_tmpfs, small_disk, unmount  # noqa: F401 (fixture)

from core.errors import InputError
from model import build_model, save_checkpoint


def _noise_video(path: Path, frames: int, size=(320, 240)) -> Path:
    """Random pixels: mp4v needs tens of KiB per frame, far over the 64 KiB of room."""
    rng = np.random.default_rng(0)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, size)
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    writer.release()
    return path


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return make_checkpoint(tmp_path_factory.mktemp("ck") / "m.pt")


def test_video_on_a_full_disk_is_not_published(small_disk, tmp_path, model):
    clip = _noise_video(tmp_path / "clip.avi", frames=40)
    out = small_disk.folder / "a.mp4"
    done = small_disk.run(["--video", str(clip), "--model", str(model), "--out", str(out)])
    assert done.returncode == 2, done.stderr
    assert last_line(done.stderr) == (f"error: video {out} was not written completely (it cannot be opened "
                                      f"again; is the disk full?); nothing was saved")
    assert small_disk.leftovers() == []


def test_video_that_fits_is_verified_and_published(small_disk, tmp_path, model):
    clip = _noise_video(tmp_path / "clip.avi", frames=4, size=(32, 24))  # a few KiB: fits
    out = small_disk.folder / "a.mp4"
    done = small_disk.run(["--video", str(clip), "--model", str(model), "--out", str(out)])
    assert done.returncode == 0, done.stderr
    cap = cv2.VideoCapture(str(out))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 4
    cap.release()
    assert small_disk.leftovers() == ["a.mp4"]


def test_recording_in_the_window_on_a_full_disk_says_so(qtbot, tmp_path, model, videos_dir):
    from app.gui.main_window import MainWindow, WindowOptions

    folder = tmp_path / "small"
    mount_tmpfs(folder)
    try:
        win = MainWindow(WindowOptions(source=str(videos_dir / "walking.avi"), model=model, device="cpu",
                                       output_dir=folder))
        qtbot.addWidget(win)
        win.show()
        win.start_up()
        win.toggle_recording()
        recorder = win.recorder
        qtbot.waitUntil(lambda: recorder.frames >= 30, timeout=20000)
        win.toggle_recording()
        text = win.message.text()
        assert "was not written completely" in text and "Saved clip" not in text
        assert str(folder) in text and win.message.level == "error"
        assert list(folder.iterdir()) == []
        win.close()
    finally:
        unmount(folder)


def test_clip_recorder_refuses_a_file_that_does_not_play_back(tmp_path, monkeypatch):
    """The check itself: a writer that silently leaves a file short is caught by reading it back."""
    from app import recording

    real = recording.cv2.VideoWriter

    class Truncating:
        def __init__(self, path, *args):
            self.path, self.inner = path, real(path, *args)

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def release(self):
            self.inner.release()
            data = Path(self.path).read_bytes()
            Path(self.path).write_bytes(data[: len(data) // 2])  # as if the disk filled up

    monkeypatch.setattr(recording.cv2, "VideoWriter", Truncating)
    recorder = recording.ClipRecorder(tmp_path / "r.mp4", 25, lossless=True)
    for i in range(20):
        recorder.write(np.full((48, 64, 3), i * 10, np.uint8))
    with pytest.raises(InputError, match=r"video .*r\.mp4 was not written completely"):
        recorder.close()
    assert list(tmp_path.iterdir()) == []


def test_checkpoint_on_a_full_disk(small_disk):
    out = small_disk.folder / "m.pt"
    code = ("from model import build_model, save_checkpoint\n"
            f"save_checkpoint({str(out)!r}, build_model('hcn', 5, layout='ntu25', num_person=1, window=16))\n")
    done = small_disk.run(["-c", "import sys\nfrom core.errors import InputError\ntry:\n"
                           + "".join(f"    {line}\n" for line in code.splitlines())
                           + "except InputError as err:\n    print(err)\n    sys.exit(2)\n"])
    assert done.returncode == 2, done.stderr
    reason = "No space left on device" if small_disk.kind == "tmpfs" else "File too large"
    assert done.stdout.strip() == f"cannot write checkpoint {out}: {reason}; nothing was written"
    assert small_disk.leftovers() == []


def test_checkpoint_that_reads_back_wrong_is_not_published(tmp_path, monkeypatch):
    from model import checkpoint

    real_save = torch.save

    def short_save(obj, f):
        real_save(obj, f)
        f.truncate(f.tell() // 2)  # half the archive reaches the file, silently

    monkeypatch.setattr(checkpoint.torch, "save", short_save)
    model = build_model("hcn", 3, layout="ntu25", num_person=1, window=16)
    with pytest.raises(InputError, match=r"checkpoint .*m\.pt was not written correctly"):
        save_checkpoint(tmp_path / "m.pt", model)
    assert list(tmp_path.iterdir()) == []


def _ucla_recipe(tmp_path: Path, out_dir: Path, scale: float = 1.0, extra: str = "") -> Path:
    folder = tmp_path / "ucla"
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(8):
        write_ucla(folder / f"a{(1, 2)[i % 2]:02d}_s{i + 1:02d}_e00_v01.json",
                   rng.normal(size=(12, 20, 3)) * scale, (1, 2)[i % 2])
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"model: {{name: hcn}}\ndata: {{path: {folder}, window: 16, num_person: 1, min_crop: 8, "
                      f"val: null, cache: {tmp_path / 'cache'}}}\nstdcl: {{enabled: false}}\n"
                      f"train: {{batch_size: 4, epochs: 1, threads: 1, progress: false, out_dir: {out_dir}{extra}}}\n")
    return recipe


def test_training_on_a_full_disk_is_a_one_line_error(small_disk, tmp_path):
    run = small_disk.folder / "run"
    recipe = _ucla_recipe(tmp_path, run, extra=", resume: false")
    done = small_disk.run(["--train", "--config", str(recipe)])
    assert done.returncode == 2, done.stderr
    reason = "No space left on device" if small_disk.kind == "tmpfs" else "File too large"
    assert last_line(done.stderr).startswith("error: cannot write ") and reason in last_line(done.stderr)
    assert "Traceback" not in done.stderr
    assert not [p for p in small_disk.leftovers() if Path(p).name.startswith(".")]  # no temporary files
    assert not (run / "best.pt").exists() and not (run / "last.pt").exists()


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_export_on_a_full_disk(small_disk, model, fmt):
    ckpt = model  # 4 MB of HCN weights
    out = small_disk.folder / ("m.torchscript.pt" if fmt == "torchscript" else "m.onnx")
    done = small_disk.run(["--export", str(ckpt), "--format", fmt, "--out", str(out)])
    assert done.returncode == 2, done.stderr  # not 134 (abort inside the exporter)
    reason = "No space left on device" if small_disk.kind == "tmpfs" else "File too large"
    assert last_line(done.stderr) == f"error: cannot write {out}: {reason}; nothing was written"
    assert small_disk.leftovers() == []


def test_sigterm_during_video_analysis_leaves_no_temporary_file(tmp_path, model):
    clip = tmp_path / "long.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 25, (64, 48))
    for i in range(3000):
        writer.write(np.full((48, 64, 3), i % 255, np.uint8))
    writer.release()
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--video", str(clip), "--model", str(model),
                             "--out", str(out / "a.mp4"), "--timeline", str(out / "t.json")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out.is_dir() and any(out.iterdir())) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        assert [p.name.startswith(".a.mp4.") for p in out.iterdir()] == [True]  # the recorder's temporary
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143 and last_line(err) == "terminated"
    assert list(out.iterdir()) == []
    assert os.path.exists(clip)


def test_a_dataset_cache_that_does_not_fit_is_skipped_with_a_warning(tmp_path):
    from model.data.loader import load_dataset
    from model.data.sets import DataWarning

    folder = tmp_path / "ucla"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(40):  # about 1 MB of joints: the cache cannot fit in 64 KiB
        write_ucla(folder / f"a01_s{i + 1:02d}_e00_v01.json", rng.normal(size=(100, 20, 3)), 1)
    cache = tmp_path / "small"
    mount_tmpfs(cache)
    try:
        with pytest.warns(DataWarning, match=r"could not write the dataset cache .*No space left on device"):
            data = load_dataset(folder, cache_dir=cache, progress=False)
        assert len(data) == 40  # the data is read all the same
        assert [p for p in cache.rglob("*") if p.is_file()] == []
    finally:
        unmount(cache)


def test_a_screenshot_on_a_full_disk_is_reported(qtbot, tmp_path, model, videos_dir):
    from app.gui.main_window import MainWindow, WindowOptions

    folder = tmp_path / "small"
    mount_tmpfs(folder)
    try:
        win = MainWindow(WindowOptions(source=str(videos_dir / "walking.avi"), model=model, device="cpu",
                                       output_dir=folder))
        qtbot.addWidget(win)
        win.resize(1600, 1000)
        win.show()
        win.start_up()
        qtbot.waitUntil(lambda: win.video.frames_shown > 2, timeout=15000)
        assert win.save_screenshot() is None
        text = win.message.text()
        assert text.startswith("screenshot not saved: cannot write screenshot ") and str(folder) in text
        assert win.message.level == "error" and [p for p in folder.rglob("*") if p.is_file()] == []
        win.close()
    finally:
        unmount(folder)
