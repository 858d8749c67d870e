"""NTU RGB+D raw ``.skeleton`` files: a fast parser and the standard body cleaning.

A ``.skeleton`` file is line based: the frame count; then per frame the body count and, per body, a
header line (tracking id and nine body values), the joint count (25) and one line per joint whose
first three values are x, y, z in Kinect camera space (metres).

Kinect often reports extra "bodies" (furniture, reflections, a person walking past). The cleaning
follows the rules of the public NTU preprocessing used by SGN and CTR-GCN (``get_raw_denoised_data``):

1. frames without any body are dropped;
2. with several bodies, a body seen in at most :data:`NOISE_LENGTH` frames is noise;
3. a body whose frames are mostly wider (x extent) than :data:`SPREAD_RATIO` times their height
   (y extent) is noise; otherwise its motion is re-measured over its upright frames only;
4. the remaining bodies are ranked by motion (summed variance of their joint positions): the most
   active one fills slot 0, and each further body fills slot 0 when its frame span does not overlap
   slot 0's span, else slot 1 when it does not overlap slot 1's span, else it is dropped;
5. frames where both slots are empty are removed.

Bodies are placed at the frames where they were actually seen (the reference implementation assumes
each body is seen in consecutive frames). Output: ``(3, T, 25, 2)`` float32 metres, not normalised.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import InputError

NUM_JOINTS = 25
JOINT_VALUES = 12  # x y z, depth x y, colour x y, orientation w x y z, tracking state
NUM_SLOTS = 2
NOISE_LENGTH = 11  # a body seen in at most this many frames is noise (when there are others)
SPREAD_RATIO = 0.8  # a frame is noisy when its x extent exceeds this fraction of its y extent
SPREAD_NOISE_FRACTION = 0.69754  # a body is noise when at least this fraction of frames is noisy


@dataclass
class BodyTrack:
    """One tracked Kinect body: the (non-empty) frames it appears in and its joints there."""

    body_id: str
    frames: np.ndarray  # (n,) int64, indices into the file's non-empty frames
    joints: np.ndarray  # (n, 25, 3) float32 metres

    @property
    def motion(self) -> float:
        """Summed variance of all joint positions over the body's frames (the NTU 'motion')."""
        return float(np.var(self.joints.reshape(-1, 3), axis=0).sum())


@dataclass
class RawSkeleton:
    """Everything the parser keeps from one ``.skeleton`` file."""

    path: str
    num_frames: int  # frame count in the file header
    num_valid_frames: int  # frames with at least one body
    bodies: list[BodyTrack]  # in order of first appearance


class _Lines:
    """The file's lines with error reporting that names the file and the 1-based line."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = text.splitlines()
        while self.lines and not self.lines[-1].strip():
            self.lines.pop()

    def fail(self, index: int, what: str) -> InputError:
        return InputError(f"{self.path}: line {index + 1}: {what}")

    def truncated(self, index: int, what: str) -> InputError:
        return InputError(f"{self.path}: truncated at line {index + 1}: expected {what}, "
                          f"but the file ends after {len(self.lines)} lines")

    def integer(self, index: int, what: str) -> int:
        if index >= len(self.lines):
            raise self.truncated(index, what)
        try:
            value = int(self.lines[index])
        except ValueError:
            raise self.fail(index, f"expected {what}, found {self.lines[index][:40]!r}") from None
        if value < 0:
            raise self.fail(index, f"expected {what}, found {value}")
        return value


def _parse_xyz(src: _Lines, starts: list[int]) -> np.ndarray:
    """x, y, z of the 25 joint lines that begin at each index of ``starts`` -> (blocks, 25, 3)."""
    rows = [line for s in starts for line in src.lines[s:s + NUM_JOINTS]]
    if not rows:
        return np.zeros((0, NUM_JOINTS, 3), dtype=np.float32)
    try:
        xyz = np.loadtxt(rows, dtype=np.float32, usecols=(0, 1, 2), ndmin=2, comments=None)
        if len(xyz) != len(rows):  # loadtxt skips blank lines
            raise ValueError("a joint line is blank")
    except ValueError as err:
        for s in starts:  # slow path, only to name the bad line
            for i in range(s, s + NUM_JOINTS):
                try:
                    np.array(src.lines[i].split()[:3], dtype=np.float32).reshape(3)
                except ValueError:
                    raise src.fail(i, f"expected a joint line (x y z ...), found {src.lines[i][:60]!r}") from None
        raise InputError(f"{src.path}: joint lines are not numbers ({err})") from None
    return xyz.reshape(len(starts), NUM_JOINTS, 3)


def parse_skeleton_file(path: str | Path) -> RawSkeleton:
    """Parse a ``.skeleton`` file; a truncated or malformed file raises InputError naming the line."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("ascii")
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not an NTU .skeleton text file (non-ASCII bytes)") from None
    src = _Lines(path, text)
    num_frames = src.integer(0, "the frame count")
    pos, valid = 1, -1
    ids: list[str] = []
    starts: list[int] = []
    frame_of_block: list[int] = []
    for f in range(num_frames):
        num_bodies = src.integer(pos, f"the body count of frame {f + 1}")
        pos += 1
        valid += num_bodies > 0
        for b in range(num_bodies):
            if pos >= len(src.lines):
                raise src.truncated(pos, f"the header of body {b + 1} in frame {f + 1}")
            header = src.lines[pos].split()
            if len(header) != 10:
                raise src.fail(pos, f"expected a body header of 10 values (frame {f + 1}), "
                                    f"found {src.lines[pos][:60]!r}")
            joints = src.integer(pos + 1, f"the joint count of body {b + 1} in frame {f + 1}")
            if joints != NUM_JOINTS:
                raise src.fail(pos + 1, f"expected {NUM_JOINTS} joints, found {joints}")
            start, pos = pos + 2, pos + 2 + NUM_JOINTS
            if pos > len(src.lines):
                raise src.truncated(len(src.lines), f"{NUM_JOINTS} joint lines of body {b + 1} "
                                                    f"in frame {f + 1} (from line {start + 1})")
            ids.append(header[0])
            starts.append(start)
            frame_of_block.append(valid)
    if pos < len(src.lines):
        raise src.fail(pos, f"unexpected content after the last of {num_frames} frames")
    if starts and len(src.lines[-1].split()) != JOINT_VALUES:  # a file cut inside its last line
        raise src.fail(len(src.lines) - 1, f"truncated joint line: expected {JOINT_VALUES} values, "
                                           f"found {src.lines[-1][:60]!r}")
    xyz = _parse_xyz(src, starts)
    frames = np.asarray(frame_of_block, dtype=np.int64)
    id_array = np.asarray(ids)
    bodies = []
    for body_id in dict.fromkeys(ids):  # first-appearance order
        mask = id_array == body_id
        bodies.append(BodyTrack(body_id, frames[mask], xyz[mask]))
    return RawSkeleton(str(path), num_frames, valid + 1, bodies)


def _upright_frames(joints: np.ndarray) -> np.ndarray:
    """Mask of frames whose x extent is at most SPREAD_RATIO times their y extent."""
    extent = joints.max(axis=1) - joints.min(axis=1)  # (n, 3)
    return extent[:, 0] <= SPREAD_RATIO * extent[:, 1]


def rank_bodies(raw: RawSkeleton) -> list[BodyTrack]:
    """Drop noisy bodies (length, spread) and order the rest by motion, most active first."""
    bodies = list(raw.bodies)
    if len(bodies) <= 1:
        return bodies
    motion = {id(b): b.motion for b in bodies}
    long_enough = [b for b in bodies if len(b.frames) > NOISE_LENGTH]
    if long_enough:  # when every body is short the length rule cannot tell them apart
        bodies = long_enough
    for body in list(bodies):
        if len(bodies) == 1:
            break
        upright = _upright_frames(body.joints)
        if upright.all():
            continue
        if 1.0 - upright.mean() >= SPREAD_NOISE_FRACTION:
            bodies.remove(body)
        else:
            kept = body.joints[upright].reshape(-1, 3)
            motion[id(body)] = min(motion[id(body)], float(np.var(kept, axis=0).sum()))
    return sorted(bodies, key=lambda b: motion[id(b)], reverse=True)


def assign_slots(bodies: list[BodyTrack], num_valid_frames: int) -> np.ndarray:
    """Place ranked bodies into two person slots -> (num_valid_frames, 2, 25, 3)."""
    out = np.zeros((num_valid_frames, NUM_SLOTS, NUM_JOINTS, 3), dtype=np.float32)
    spans = [None, (0, 0)]  # slot 1 starts with the reference's virtual span [0, 0]
    for body in bodies:
        start, end = int(body.frames.min()), int(body.frames.max())
        for slot, span in enumerate(spans):
            if span is None or min(span[1], end) - max(span[0], start) <= 0:
                out[body.frames, slot] = body.joints
                spans[slot] = (start, end) if span is None else (min(span[0], start),
                                                                 max(span[1], end))
                break
    return out


def clean_skeleton(raw: RawSkeleton) -> np.ndarray:
    """Cleaned canonical array ``(3, T, 25, 2)`` float32; InputError when no body is ever seen."""
    if not raw.bodies:
        raise InputError(f"{raw.path}: no body in any of its {raw.num_frames} frames")
    slots = assign_slots(rank_bodies(raw), raw.num_valid_frames)
    slots = slots[np.any(slots != 0, axis=(1, 2, 3))]
    return np.ascontiguousarray(slots.transpose(3, 0, 2, 1))


def read_ntu_skeleton(path: str | Path) -> np.ndarray:
    """Parse and clean one ``.skeleton`` file -> ``(3, T, 25, 2)`` float32 metres."""
    return clean_skeleton(parse_skeleton_file(path))
