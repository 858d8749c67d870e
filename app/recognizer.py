"""The trained backbone behind a small interface: windows in, class probabilities out.

Loads a checkpoint (``model.checkpoint.load_checkpoint``), puts the backbone on CUDA when present
(else CPU), prepares each window with ``model.preprocess.prepare_input`` exactly as in training,
and scores all people of a step in one batch under ``torch.inference_mode``. A one-person model
gets one batch item per person; a two-person model gets both slots as one sample.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from app.windowing import Window
from core.device import resolve_device
from core.errors import InputError
from model.checkpoint import load_checkpoint
from model.preprocess import InputSpec, prepare_input
from pose.layouts import NTU25, convert_ctvm


def _single_interop_thread() -> None:
    """One inter-op thread: inference never runs ops in parallel, so a pool would only be more
    threads beside the pose stage. Torch accepts this only before its first parallel work."""
    if torch.get_num_interop_threads() != 1:
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass  # already started (another model was loaded first, or training ran): keep it


@dataclass(frozen=True)
class Subject:
    """Who a model sample describes: a person slot (one-person model) or the pair (reported as 0)."""

    person: int
    sample: np.ndarray  # canonical (3, T, V, M) raw joints


class Recognizer:
    """A loaded checkpoint ready for live and offline inference."""

    def __init__(self, checkpoint: str | Path, device: str = "auto", cpu_threads: int | None = 1) -> None:
        """``cpu_threads``: torch's intra-op threads when running on the CPU (process-wide). One by
        default: the pose stage runs beside inference and needs the other cores, and on a busy
        machine several threads per small convolution cost more in synchronisation than they gain."""
        self.path = Path(checkpoint)
        self.device = resolve_device(device)
        if self.device.type == "cpu" and cpu_threads:
            torch.set_num_threads(cpu_threads)
            _single_interop_thread()
        model, meta = load_checkpoint(self.path, device=self.device)
        missing = [k for k in ("class_names", "window", "fps") if not meta.get(k)]
        if missing:
            raise InputError(f"checkpoint {self.path} lacks {', '.join(missing)} in its meta; "
                             "it cannot be run on live windows")
        self.model = model
        self.meta = meta
        self.class_names: list[str] = list(meta["class_names"])
        self.num_person: int = int(meta["num_person"])
        self.fps: float = float(meta["fps"])
        self.window_seconds: float = float(meta.get("window_seconds") or meta["window"] / self.fps)
        self.layout: str = meta["layout"]
        self.background: frozenset[str] = frozenset(meta.get("background_classes") or ())  # read "no action"
        try:
            self.spec = InputSpec.from_dict(meta)
        except InputError as err:
            raise InputError(f"checkpoint {self.path}: {err}") from None
        self.last_inference_s = 0.0
        self._warm_up()

    @property
    def name(self) -> str:
        return self.path.stem

    def subjects(self, window: Window) -> list[Subject]:
        """The samples to score for ``window``: one per present person, or one for the pair."""
        if self.num_person == 1:
            return [Subject(int(m), window.person(m)) for m in np.flatnonzero(window.present)]
        if not window.present.any():
            return []
        return [Subject(0, window.skeleton)]  # prepare_input pads or trims the person slots

    def predict(self, samples: list[np.ndarray]) -> np.ndarray:
        """Class probabilities (N, num_classes) for raw canonical ``ntu25`` samples, one batch."""
        if not samples:
            return np.zeros((0, len(self.class_names)), dtype=np.float32)
        if self.layout != NTU25.name:
            samples = [convert_ctvm(s, NTU25, self.layout) for s in samples]
        batch = np.stack([prepare_input(s, self.spec) for s in samples])
        start = time.perf_counter()
        with torch.inference_mode():
            logits = self.model(torch.from_numpy(batch).to(self.device))
            probs = torch.softmax(logits.float(), dim=1).cpu().numpy()
        self.last_inference_s = time.perf_counter() - start
        return probs

    def _warm_up(self) -> None:
        """One dummy pass, so the first real window is not slowed by lazy initialisation."""
        frames = max(2, int(round(self.window_seconds * self.fps)))
        dummy = np.zeros((3, frames, NTU25.num_joints, self.num_person), dtype=np.float32)
        dummy[1] = np.linspace(0, 1, NTU25.num_joints)[None, :, None]
        try:
            self.predict([dummy])
        except (ValueError, RuntimeError) as err:
            raise InputError(f"checkpoint {self.path} does not run on its own input settings: "
                             f"{' '.join(str(err).split())[:200]}") from None
