"""A folder of the user's own action clips: one sub-folder per action, videos and/or skeleton sequences.

    my_clips/
      wave/    take-20250101-101500.mp4  take-20250101-101500.npz   (video + its sequence)
               from_mocap.npz                                         (a sequence from any source)
      squat/   ...

The action is named by its folder. A sequence is an ``.npz`` in the canonical format written by
``--convert`` (``skeleton`` (3, T, 25, M) camera metres in the NTU layout, ``label``, ``label_name``,
``source`` and, for videos, ``timestamps`` and ``visibility``). A video's sequence is the ``.npz``
with the same name beside it; a video without one, or newer than it, goes through the pose stage
once (:func:`extract_missing`) and the sequence is saved there, so later runs only read ``.npz``
files. Sequences are resampled by their timestamps to a fixed frame rate (without timestamps they
are taken to be at that rate already), since webcams deliver 15-60 fps and datasets 30.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from core.atomic import atomic_path
from core.errors import InputError
from model.data.ntu_npz import is_ntu_archive
from model.data.sets import DataWarning, SkeletonSet
from pose.layouts import get_layout
from pose.resample import resample

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")
SEQUENCE_SUFFIX = ".npz"
DATASET = "clips"
LAYOUT = "ntu25"
DEFAULT_FPS = 30.0
MAX_SEQUENCE_SECONDS = 600.0  # longest clip a sequence's timestamps may span
_OTHER_FORMATS = (".skeleton", ".json", ".mat")  # files of the public datasets' readers
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@dataclass(frozen=True)
class Clip:
    """One take of an action: a video with its sequence beside it, or a sequence on its own."""

    action: str
    sequence: Path  # the .npz (not yet written for a video that was never processed)
    video: Path | None = None

    @property
    def name(self) -> str:
        return f"{self.action}/{self.sequence.stem}"

    @property
    def needs_extraction(self) -> bool:
        """A video whose sequence is missing or older than the video."""
        if self.video is None:
            return False
        return not self.sequence.is_file() or self.sequence.stat().st_mtime_ns < self.video.stat().st_mtime_ns

    def files(self) -> list[Path]:
        """The files of this take that exist (for deleting a bad take)."""
        return [p for p in (self.video, self.sequence) if p is not None and p.is_file()]


def _visible(path: Path) -> bool:
    return not path.name.startswith(".")


def action_dirs(folder: Path) -> list[Path]:
    """The action sub-folders of ``folder``, sorted by name (hidden ones left out)."""
    return sorted((p for p in folder.iterdir() if p.is_dir() and _visible(p)), key=lambda p: p.name)


def is_clip_folder(path: str | Path) -> bool:
    """True for a folder laid out as clips: action sub-folders holding videos and/or canonical ``.npz``
    sequences (or nothing yet), and no dataset files (``.skeleton``, ``.json``, ``.mat``, an NTU
    archive) at its top level or in those sub-folders."""
    path = Path(path)
    if not path.is_dir():
        return False
    subs = action_dirs(path)
    if not subs:
        return False
    if any(p.is_file() and p.suffix.lower() in _OTHER_FORMATS + (SEQUENCE_SUFFIX,) for p in path.iterdir()):
        return False
    for sub in subs:
        files = [p for p in sub.iterdir() if p.is_file() and _visible(p)]
        if any(p.suffix.lower() in _OTHER_FORMATS for p in files):
            return False
        first_npz = next((p for p in files if p.suffix.lower() == SEQUENCE_SUFFIX), None)
        if first_npz is not None and is_ntu_archive(first_npz):
            return False
    return True


def scan(folder: str | Path) -> dict[str, list[Clip]]:
    """Every action of a clip folder (empty ones included) with its takes, sorted by name.

    Never raises for an empty action (the recorder shows counts of zero); InputError when the folder
    does not exist or two videos of an action share a name (they would share a sequence file)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"clips folder {folder}: no such folder")
    actions: dict[str, list[Clip]] = {}
    for sub in action_dirs(folder):
        files = sorted((p for p in sub.iterdir() if p.is_file() and _visible(p)), key=lambda p: p.name)
        videos: dict[str, Path] = {}
        for p in files:
            if p.suffix.lower() in VIDEO_SUFFIXES:
                if p.stem in videos:
                    raise InputError(f"{sub}: videos {videos[p.stem].name} and {p.name} would share the "
                                     f"sequence file {p.stem}{SEQUENCE_SUFFIX}; rename one")
                videos[p.stem] = p
        sequences = {p.stem: p for p in files if p.suffix.lower() == SEQUENCE_SUFFIX}
        clips = [Clip(sub.name, sub / f"{stem}{SEQUENCE_SUFFIX}", video) for stem, video in videos.items()]
        clips += [Clip(sub.name, path) for stem, path in sequences.items() if stem not in videos]
        actions[sub.name] = sorted(clips, key=lambda c: c.sequence.name)
    return actions


def action_folder_name(name: str) -> str:
    """A typed action name as a folder name: trimmed, path separators and control characters
    replaced; InputError for a name that is empty or only dots."""
    cleaned = _UNSAFE.sub("_", " ".join(name.split()))
    if not cleaned.strip(". "):
        raise InputError(f"action name {name!r} cannot be used as a folder name; type a word")
    return cleaned


# --- sequence files --------------------------------------------------------------------------------

def write_sequence(path: str | Path, skeleton: np.ndarray, action: str, source: str,
                   timestamps: np.ndarray | None = None, visibility: np.ndarray | None = None) -> Path:
    """Save a canonical sequence ``(3, T, 25, M)`` atomically with the keys of ``--convert``."""
    arrays = {"skeleton": np.asarray(skeleton, dtype=np.float32), "label": np.array(-1),
              "label_name": np.array(action), "source": np.array(source)}
    if timestamps is not None:
        arrays["timestamps"] = np.asarray(timestamps, dtype=np.float64)
    if visibility is not None:
        arrays["visibility"] = np.asarray(visibility, dtype=np.float32)
    path = Path(path)
    with atomic_path(path) as tmp:
        np.savez(tmp, **arrays)
    return path


def read_sequence(path: str | Path, fps: float = DEFAULT_FPS) -> np.ndarray:
    """A sequence file as ``(3, T, 25, M)`` float32 at ``fps`` (resampled by its timestamps, if any);
    InputError naming the file when it is not a canonical skeleton sequence."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            if "skeleton" not in z.files:
                raise InputError(f"{path}: no 'skeleton' array (not a sequence written by --convert)")
            skeleton = np.asarray(z["skeleton"], dtype=np.float32)
            timestamps = np.asarray(z["timestamps"], dtype=np.float64) if "timestamps" in z.files else None
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: not a readable .npz file ({err})") from None
    v = get_layout(LAYOUT).num_joints
    if skeleton.ndim != 4 or skeleton.shape[0] != 3 or skeleton.shape[2] != v or skeleton.shape[1] == 0:
        raise InputError(f"{path}: 'skeleton' has shape {skeleton.shape}, expected (3, frames, {v}, persons) "
                         f"in the NTU 25-joint layout")
    if not np.isfinite(skeleton).all():
        raise InputError(f"{path}: contains NaN or infinite coordinates")
    if not skeleton.any():
        raise InputError(f"{path}: nobody in any frame")
    if timestamps is None:
        return skeleton
    if timestamps.shape != (skeleton.shape[1],) or not np.isfinite(timestamps).all():
        raise InputError(f"{path}: 'timestamps' has shape {timestamps.shape}, expected "
                         f"({skeleton.shape[1]},) finite seconds")
    span = float(timestamps.max() - timestamps.min())
    if span > MAX_SEQUENCE_SECONDS:  # resampling would allocate span * fps frames
        raise InputError(f"{path}: 'timestamps' span {span:.3g} s; a clip of one action lasts at most "
                         f"{MAX_SEQUENCE_SECONDS:g} s (damaged timestamps?)")
    values = skeleton.transpose(1, 3, 2, 0)  # (T, M, V, 3)
    present = values.any(axis=(2, 3))
    _, out, _ = resample(timestamps - timestamps.min(), values, fps, present)
    return np.ascontiguousarray(out.transpose(3, 0, 2, 1), dtype=np.float32)


# --- extraction and loading ------------------------------------------------------------------------

def extract_missing(clips: list[Clip], persons: int = 1, progress: bool = True,
                    extract: Callable[..., dict] | None = None) -> list[str]:
    """Run the pose stage on every video whose sequence is missing or stale and save the sequence
    beside it. A video that fails (unreadable, nobody found) is skipped with a :class:`DataWarning`;
    returns those messages. ``extract`` defaults to :func:`pose.extract.extract_skeleton`."""
    todo = [c for c in clips if c.needs_extraction]
    if not todo:
        return []
    if extract is None:
        from pose import extract as pose_extract  # MediaPipe loads only when a video needs it

        extract = pose_extract.extract_skeleton
    from tqdm import tqdm

    failed = []
    bar = tqdm(todo, desc="extracting skeletons", unit="video", disable=not progress)
    for clip in bar:
        bar.set_postfix_str(clip.name, refresh=False)
        try:
            result = extract(clip.video, persons=persons, progress=False)
        except InputError as err:
            failed.append(f"{clip.video}: {err}")
            warnings.warn(f"skipped {err}", DataWarning, stacklevel=2)
            continue
        write_sequence(clip.sequence, result["skeleton"], clip.action, clip.video.name,
                       result["timestamps"], result["visibility"])
    return failed


def _pad_persons(x: np.ndarray, m: int) -> np.ndarray:
    if x.shape[3] == m:
        return x
    return np.concatenate([x, np.zeros(x.shape[:3] + (m - x.shape[3],), np.float32)], axis=3)


def load_clips(folder: str | Path, persons: int = 1, fps: float = DEFAULT_FPS, progress: bool = True,
               extract: Callable[..., dict] | None = None) -> SkeletonSet:
    """Read a clip folder into a :class:`SkeletonSet` (NTU layout, one class per action, in name
    order), extracting skeletons from unprocessed videos first (``persons`` tracked people).

    InputError for a folder without actions or with an action that has no usable clip; a sequence
    that cannot be read is skipped with a :class:`DataWarning`."""
    folder = Path(folder)
    actions = scan(folder)
    if not actions:
        raise InputError(f"clips folder {folder}: no action sub-folders (make one folder per action "
                         f"holding its videos or .npz sequences)")
    empty = [name for name, clips in actions.items() if not clips]
    if empty:
        raise InputError(f"clips folder {folder}: action {empty[0]!r} has no clips (no videos or "
                         f"{SEQUENCE_SUFFIX} files in {folder / empty[0]}); record some or remove the folder")
    everything = [clip for clips in actions.values() for clip in clips]
    skipped = extract_missing(everything, persons, progress, extract)
    samples, labels, names = [], [], []
    for label, (action, clips) in enumerate(actions.items()):
        before = len(samples)
        for clip in clips:
            if not clip.sequence.is_file():  # its video failed above
                continue
            try:
                samples.append(read_sequence(clip.sequence, fps))
            except InputError as err:
                skipped.append(str(err))
                warnings.warn(f"skipped {err}", DataWarning, stacklevel=2)
                continue
            labels.append(label)
            names.append(clip.name)
        if len(samples) == before:
            raise InputError(f"clips folder {folder}: none of the {len(clips)} clips of action {action!r} "
                             f"could be used (see the warnings above)")
    m = max(s.shape[3] for s in samples)
    return SkeletonSet(samples=[_pad_persons(s, m) for s in samples], labels=np.array(labels),
                       names=names, class_names=tuple(actions), layout=LAYOUT, dataset=DATASET,
                       skipped=skipped)
