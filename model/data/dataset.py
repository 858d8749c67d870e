"""``torch.utils.data.Dataset`` over a :class:`SkeletonSet`: network inputs, labels and indices.

Evaluation items go through :func:`model.preprocess.prepare_input`, exactly as live frames do.
Training items share its normalisation and stream steps but take a random temporal crop
(:class:`RandomCropResize`) and the configured augmentations in between (and, before the
normalisation, the camera-space ones). Randomness comes from a
Generator seeded by ``(seed, epoch, index)``: results do not depend on the number of loader workers,
and :meth:`SkeletonDataset.set_epoch` gives each epoch new draws.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from model.data.sets import SkeletonSet
from model.data.transforms import Compose, RandomCropResize, RandomWindow, Transform
from model.preprocess import InputSpec, normalized_clip, prepare_input, to_stream, window_frames


class SkeletonDataset(Dataset):
    """Items are ``(x float32 (3, window, V, num_person), label, index)``; ``index`` is the position in
    this dataset (the STD-CL memory bank slot)."""

    def __init__(self, data: SkeletonSet, spec: InputSpec, train: bool = False,
                 augment: Transform | None = None, crop_ratio: tuple[float, float] = (0.5, 1.0),
                 min_crop: int = 64, seed: int = 0, camera: Transform | None = None,
                 speed: tuple[float, float] = (0.8, 1.25)):
        """``camera``: training transforms of the raw clip in camera space (metres), before the
        normalisation (e.g. another viewpoint): what a camera would have measured instead.
        ``augment``: transforms of the normalised, cropped clip. The crop is :class:`RandomCropResize`
        (``crop_ratio``, ``min_crop``) for ``spec.timing == "clip"``, else a :class:`RandomWindow` of
        ``spec.window_seconds`` times a factor in ``speed``."""
        self.data = data.to_layout(spec.layout)
        self.spec = spec
        self.train = train
        self.crop = (RandomCropResize(spec.window, crop_ratio, min_crop) if spec.timing == "clip"
                     else RandomWindow(spec.window, window_frames(spec), speed))
        self.camera = camera or Compose([])
        self.augment = augment or Compose([])
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Draw fresh random crops and augmentations for ``epoch``."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int, int]:
        raw = self.data.samples[index]
        if self.train:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            x = self.augment(self.crop(normalized_clip(self.camera(raw, rng), self.spec), rng), rng)
            x = to_stream(x, self.spec.stream, self.spec.layout)
        else:
            x = prepare_input(raw, self.spec)
        return torch.from_numpy(x), int(self.data.labels[index]), index
