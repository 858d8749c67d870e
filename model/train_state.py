"""The resumable training state: one file (``state.pt``) rewritten atomically after every epoch,
holding weights, STD-CL head and memory banks, optimiser, loss scaler, history and the recipe.
Read with ``torch.load(weights_only=True)``; a run resumes only with the same data, model and
STD-CL settings (schedule and epochs may change). Each write is read back (memory-mapped) before it
replaces the previous state, so a full disk never leaves a run that cannot be resumed."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from core.atomic import atomic_path
from core.errors import InputError
from model.config import Config, config_to_dict

STATE_FILE = "state.pt"
STATE_KEYS = {"epoch", "best", "history", "config", "seconds", "backbone", "head", "optimizer", "scaler"}
# Config sections that must not change when a run is resumed.
RESUME_KEYS = ("data", "model", "stdcl")


def save_state(path: Path, net: torch.nn.Module, optimizer, scaler, epoch: int, best: dict,
               history: list[dict], config: Config, seconds: float) -> None:
    """Write everything needed to continue after ``epoch`` (``net`` has ``backbone`` and ``head``)."""
    state = {
        "epoch": epoch, "best": best, "history": history, "config": config_to_dict(config),
        "seconds": seconds,
        "backbone": net.backbone.state_dict(),
        "head": net.head.state_dict() if net.head is not None else {},
        "optimizer": optimizer.state_dict(),
        "scaler": scaler.state_dict(),
    }
    buffer = io.BytesIO()  # serialised in memory: a failing disk is then a plain OSError on write
    torch.save(state, buffer)

    def verify(tmp: Path) -> None:
        try:
            back = torch.load(tmp, map_location="cpu", weights_only=True, mmap=True)
            ok = isinstance(back, dict) and back.keys() == state.keys() and back["epoch"] == epoch
        except Exception as err:  # noqa: BLE001 (whatever torch says, the file is not usable)
            ok, reason = False, f"{type(err).__name__}: {' '.join(str(err).split())[:200]}"
        else:
            reason = "it reads back differently"
        if not ok:
            raise InputError(f"training state {path} was not written correctly ({reason}); the previous "
                             f"state is kept")

    with atomic_path(path, verify=verify, kind="training state") as tmp:
        tmp.write_bytes(buffer.getbuffer())


def _first_difference(old: Any, new: Any, prefix: str) -> str | None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            diff = _first_difference(old.get(key), new.get(key), f"{prefix}.{key}")
            if diff:
                return diff
        return None
    return None if old == new else f"{prefix} was {old!r}, now {new!r}"


def load_state(path: Path, config: Config) -> dict:
    """Read a training state; InputError when it is damaged, not one, or from another recipe."""
    start_over = "delete it or set train.resume=false to start over"
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a damaged file is reported, never silently replaced
        detail = ("it contains pickled Python objects, refused" if "Weights only load failed" in str(err)
                  else f"{type(err).__name__}: {' '.join(str(err).split())[:200]}")
        raise InputError(f"cannot resume from {path} ({detail}); {start_over}") from None
    if not isinstance(state, dict) or not STATE_KEYS <= state.keys() or not isinstance(state["config"], dict):
        raise InputError(f"cannot resume from {path}: not a training state file; {start_over}")
    now = config_to_dict(config)
    for key in RESUME_KEYS:
        diff = _first_difference(state["config"].get(key), now[key], key)
        if diff:
            raise InputError(f"cannot resume {path.parent}: {diff}; use another train.out_dir or set "
                             f"train.resume=false to start over")
    return state
