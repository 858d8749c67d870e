"""Where the user's own fine-tuned checkpoints live: written by ``--train --data CLIPS``, listed by
the GUI's model picker beside the shipped models.

``$ACTION_RECOGNITION_MODELS`` when set, else the platform's per-user data folder:
``$XDG_DATA_HOME`` (default ``~/.local/share``) on Linux, ``~/Library/Application Support`` on macOS,
``%APPDATA%`` on Windows, followed by ``action-recognition/models``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_VAR = "ACTION_RECOGNITION_MODELS"
APP_FOLDER = "action-recognition"


def user_models_dir() -> Path:
    """The folder of the user's fine-tuned checkpoints (it may not exist yet)."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP_FOLDER / "models"


def user_models(folder: Path | None = None) -> list[Path]:
    """The checkpoints (``*.pt``) in the user models folder, newest first."""
    folder = folder or user_models_dir()
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob("*.pt") if p.is_file() and not p.name.startswith(".")]
    return sorted(found, key=lambda p: (-p.stat().st_mtime_ns, p.name))
