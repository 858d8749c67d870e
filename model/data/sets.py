"""In-memory skeleton datasets: one sample (:class:`Sample`) and a labelled set (:class:`SkeletonSet`).

Every reader produces canonical arrays ``(3, T, V, M)`` float32 in camera metres (see
``docs/architecture.md``), in the dataset's own joint layout; :meth:`SkeletonSet.to_layout` converts.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from pose.layouts import convert_ctvm, get_layout


class DataWarning(UserWarning):
    """Something in a dataset was skipped or could not be cached; the run goes on."""


@dataclass
class Sample:
    """One skeleton sequence read from a file, before it joins a set."""

    array: np.ndarray  # (3, T, V, M) float32
    label: int  # 0-based, -1 when unknown
    name: str  # file name without suffix
    layout: str
    meta: dict[str, int] = field(default_factory=dict)  # e.g. subject, view; -1 when unknown


@dataclass
class SkeletonSet:
    """Labelled skeleton sequences of one dataset.

    ``samples[i]`` is ``(3, T_i, V, M)`` float32 with ``V`` per ``layout`` and ``M`` the same for all
    samples. ``meta`` maps a field name (``subject``, ``view``, ``setup`` ...) to an int64 array with
    one value per sample. ``skipped`` lists files left out while reading, with the reason.
    """

    samples: list[np.ndarray]
    labels: np.ndarray
    names: list[str]
    class_names: tuple[str, ...]
    layout: str
    dataset: str  # "ntu60", "ntu120", "nw_ucla", "utd_mhad", "ntu60_npz", ...
    meta: dict[str, np.ndarray] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.labels = np.asarray(self.labels, dtype=np.int64)
        n = len(self.samples)
        if len(self.labels) != n or len(self.names) != n:
            raise ValueError(f"{n} samples but {len(self.labels)} labels and {len(self.names)} names")
        for key, values in self.meta.items():
            self.meta[key] = np.asarray(values, dtype=np.int64)
            if len(self.meta[key]) != n:
                raise ValueError(f"meta field {key!r} has {len(values)} values for {n} samples")
        v = get_layout(self.layout).num_joints
        shapes = {(s.shape[0], s.shape[2], s.shape[3]) for s in self.samples}
        if shapes - {(3, v, self.num_person)}:
            raise ValueError(f"samples must all be (3, T, {v}, M) for layout {self.layout}: {shapes}")

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def num_person(self) -> int:
        return self.samples[0].shape[3] if self.samples else 0

    @property
    def lengths(self) -> np.ndarray:
        """Frames per sample, int64."""
        return np.array([s.shape[1] for s in self.samples], dtype=np.int64)

    @classmethod
    def from_samples(cls, samples: Sequence[Sample], class_names: Sequence[str], layout: str,
                     dataset: str, skipped: Sequence[str] = ()) -> "SkeletonSet":
        """Assemble a set; every sample's meta fields become per-sample arrays."""
        keys = list(dict.fromkeys(k for s in samples for k in s.meta))
        return cls(
            samples=[s.array for s in samples],
            labels=np.array([s.label for s in samples], dtype=np.int64),
            names=[s.name for s in samples],
            class_names=tuple(class_names), layout=layout, dataset=dataset,
            meta={k: np.array([s.meta.get(k, -1) for s in samples], dtype=np.int64) for k in keys},
            skipped=list(skipped),
        )

    def subset(self, indices: Sequence[int] | np.ndarray) -> "SkeletonSet":
        """The samples at ``indices`` (ints or a boolean mask), sharing the arrays."""
        idx = np.asarray(indices)
        idx = np.flatnonzero(idx) if idx.dtype == bool else idx.astype(np.int64)
        return replace(
            self,
            samples=[self.samples[i] for i in idx],
            labels=self.labels[idx],
            names=[self.names[i] for i in idx],
            meta={k: v[idx] for k, v in self.meta.items()},
            skipped=list(self.skipped),
        )

    def to_layout(self, name: str) -> "SkeletonSet":
        """The same set with every sample converted to joint layout ``name`` (see pose.layouts)."""
        if name == self.layout:
            return self
        return replace(
            self, layout=name,
            samples=[convert_ctvm(s, self.layout, name).astype(np.float32) for s in self.samples],
            meta=dict(self.meta), skipped=list(self.skipped),
        )
