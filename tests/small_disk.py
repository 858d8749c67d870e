"""A folder with almost no room, two ways, for the full-disk tests.

``tmpfs``: a 64 KiB tmpfs mounted on the folder (needs root and permission to mount; skipped
otherwise): writes fail with ENOSPC exactly as on a full disk. ``fsize``: a normal folder, but the
command runs under ``RLIMIT_FSIZE`` of 64 KiB, so any file it writes stops growing there (EFBIG;
Python ignores SIGXFSZ) - a deterministic stand-in that needs no privileges. Either way the
command runs in a subprocess, like a user's, and what it leaves in the folder is inspected.
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 64 * 1024


@dataclass
class SmallDisk:
    kind: str  # "tmpfs" or "fsize"
    folder: Path

    def run(self, argv: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
        """``python main.py ARGV`` with the limit in force (``-c CODE`` runs code instead)."""
        limit = self.kind == "fsize"

        def preexec() -> None:
            if limit:
                resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))

        command = [sys.executable, *argv] if argv[0] == "-c" else [sys.executable, str(ROOT / "main.py"), *argv]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=preexec, stdin=subprocess.DEVNULL)

    def leftovers(self) -> list[str]:
        """Every file and folder left in the folder, hidden temporary files included."""
        return sorted(str(p.relative_to(self.folder)) for p in self.folder.rglob("*"))


def mount_tmpfs(folder: Path) -> None:
    """Mount a 64 KiB tmpfs on ``folder`` or skip the test."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={LIMIT // 1024}k", "tmpfs", str(folder)],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        pytest.skip(f"cannot mount a tmpfs here ({err}); the fsize variant covers this case")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the fsize variant covers this case")


def unmount(folder: Path) -> None:
    subprocess.run(["umount", str(folder)], capture_output=True, timeout=30)


@pytest.fixture(params=["tmpfs", "fsize"])
def small_disk(request, tmp_path):
    folder = tmp_path / "small"
    if request.param == "tmpfs":
        mount_tmpfs(folder)
        request.addfinalizer(lambda: unmount(folder))
    else:
        folder.mkdir()
    return SmallDisk(request.param, folder)


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""
