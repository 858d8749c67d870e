"""Several datasets as one training set with a merged label set (a recipe's ``data.sources``).

The app's default model learns from every Kinect dataset at hand (UTD-MHAD, NW-UCLA, MSR Action3D):
more people, views and sensors than any one of them. A *label set* names the merged classes and,
for each, the classes of each dataset that it stands for::

    wave:  {utd_mhad: [right hand wave], msr_action3d: [high arm wave, two hand wave]}
    walk:  {utd_mhad: [walking in place], nw_ucla: [walk around, carry]}

A dataset class listed under no merged class is left out of training. Each dataset is converted to
the model's joint layout and resampled from its own frame rate to the model's, so that one second
is one second whatever the source. Metadata fields of the parts are kept (``-1`` where a dataset
has no such field) and ``source`` records the part's position in ``data.sources``.
"""
from __future__ import annotations

import warnings
from typing import Mapping, Sequence

import numpy as np

from core.errors import InputError
from model.data.sets import DataWarning, SkeletonSet
from pose.resample import resample

LabelSet = Mapping[str, Mapping[str, Sequence[str]]]  # merged class -> dataset name -> its classes


def check_label_set(labels: LabelSet, background: Sequence[str] = ()) -> None:
    """InputError naming the problem unless ``labels`` maps class names to {dataset: [class, ...]}
    and no dataset class is claimed by two merged classes; ``background`` must be among them."""
    if not isinstance(labels, Mapping) or not labels:
        raise InputError("config: data.labels must map each merged class to {dataset: [classes]}")
    claimed: dict[tuple[str, str], str] = {}
    for merged, parts in labels.items():
        if not isinstance(parts, Mapping) or not parts:
            raise InputError(f"config: data.labels.{merged} must map dataset names to lists of classes")
        for dataset, names in parts.items():
            if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
                raise InputError(f"config: data.labels.{merged}.{dataset} must be a list of class names")
            for name in names:
                key = (dataset, name.strip().lower())
                if key in claimed:
                    raise InputError(f"config: {dataset} class {name!r} is listed under both "
                                     f"{claimed[key]!r} and {merged!r} in data.labels")
                claimed[key] = merged
    for name in background:
        if name not in labels:
            raise InputError(f"config: data.background {name!r} is not a class of data.labels")


def aliases(labels: LabelSet) -> dict[str, list[str]]:
    """Merged class -> every dataset class name it stands for (what a checkpoint records, so that
    ``--eval`` can score a dataset folder against the merged classes)."""
    return {merged: sorted({n for names in parts.values() for n in names}) for merged, parts in labels.items()}


def _to_fps(sample: np.ndarray, fps: float, target: float) -> np.ndarray:
    if abs(fps - target) < 1e-6:
        return sample
    t = sample.shape[1]
    present = np.any(sample != 0, axis=(0, 2))  # (T, M)
    _, values, _ = resample(np.arange(t) / fps, sample.transpose(1, 3, 2, 0), target, present=present)
    return np.ascontiguousarray(values.transpose(3, 0, 2, 1), dtype=np.float32)


def merge_sets(parts: Sequence[tuple[SkeletonSet, float]], labels: LabelSet, layout: str,
               fps: float) -> SkeletonSet:
    """One set of the ``(set, its fps)`` parts, relabelled to ``labels`` (classes in its order), in
    ``layout`` at ``fps``. Samples of classes the label set does not list are left out (one
    :class:`DataWarning` per dataset says how many)."""
    class_names = tuple(labels)
    lookup = {(dataset, name.strip().lower()): i for i, parts_ in enumerate(labels.values())
              for dataset, names in parts_.items() for name in names}
    samples, label_ids, names, metas = [], [], [], []
    for index, (data, source_fps) in enumerate(parts):
        known = {n.strip().lower() for (d, n) in lookup if d == data.dataset}
        unknown = [n for n in known if n not in {c.strip().lower() for c in data.class_names}]
        if unknown:
            raise InputError(f"config: data.labels lists {data.dataset} classes that {data.dataset} "
                             f"does not have: {', '.join(sorted(unknown))}")
        converted = data.to_layout(layout)
        left_out = 0
        for i, sample in enumerate(converted.samples):
            merged = lookup.get((data.dataset, data.class_names[data.labels[i]].strip().lower()))
            if merged is None:
                left_out += 1
                continue
            samples.append(_to_fps(sample, source_fps, fps))
            label_ids.append(merged)
            names.append(f"{data.dataset}/{data.names[i]}")
            metas.append({"source": index, **{k: int(v[i]) for k, v in data.meta.items()}})
        if left_out:
            warnings.warn(f"{data.dataset}: {left_out} samples of classes outside data.labels left out",
                          DataWarning, stacklevel=2)
    if not samples:
        raise InputError("config: no sample of data.sources belongs to a class of data.labels")
    keys = list(dict.fromkeys(k for m in metas for k in m))
    return SkeletonSet(samples, np.array(label_ids), names, class_names, layout,
                       "+".join(dict.fromkeys(d.dataset for d, _ in parts)),
                       {k: np.array([m.get(k, -1) for m in metas]) for k in keys},
                       [s for d, _ in parts for s in d.skipped])
