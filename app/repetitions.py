"""Repetition counting for any action, from a person's pose sequence alone (not from the labels).

A series is a stretch in which the body repeats one movement; its repetitions are the movement's
cycles. The classifier is not consulted, so a taught action is counted like a shipped one and a
squat that the labels split into "stand to sit" and "sit to stand" is still one series. Steps:

1. The person's joints are resampled to ``fps`` on their timestamps; the sequence is cut where the
   person is unseen for longer than ``max_gap``.
2. Each part is put in the body frame of :mod:`model.preprocess` (``body_frame``: centred on the
   hips, turned to face the camera, in torso lengths) and low-passed at twice the fastest rate.
3. Periodic stretches, on the principal components that carry movement (in blocks of four of the
   longest periods, so each movement of a long recording is seen in its own terms): for a start
   time ``t`` and a lag ``tau`` between ``min_period`` and ``max_period``, the squared difference
   between the poses in ``[t, t+tau)`` and in ``[t+tau, t+2 tau)``, divided by their spread (0
   when the second cycle repeats the first, about 1 for unrelated poses or jitter, 1.5 for a steady
   drift). The first lag under ``max_difference``, refined to the local minimum after it, is the
   period at ``t`` (the rule of the YIN pitch detector, so twice the period never wins over the
   period). Overlapping windows with similar periods form a stretch.
4. Cycles: the stretch is projected on its first principal component (the dominant periodic
   component of the joints); the extremes on the side away from the rest pose (the pose at the
   stretch's ends), half a period apart at least, that stand out by ``min_amplitude`` torso
   lengths, by ``min_prominence`` of the stretch's range and by ``jitter_factor`` times the
   jitter (the spread of the median principal component: movement fills a few components, jitter
   all of them) are the repetitions. A stretch with fewer than ``min_cycles`` of them is no series,
   so stillness and jitter count nothing, and neither does a movement done once or twice.

:class:`RepetitionCounter` runs the same analysis on a bounded live history (GUI cards, annotated
video); :func:`find_series` on a whole recording (``--video``).
"""
from __future__ import annotations

import bisect
import collections
import threading
from dataclasses import dataclass

import numpy as np

from core.handover import start_thread
from model.preprocess import normalize
from pose.resample import resample


@dataclass(frozen=True)
class RepetitionSettings:
    """What counts as a repetition. Defaults from human movement and from synthetic series, not
    from any one clip: exercise cycles last 0.4 s (fast punches, jumping jacks) to 6 s (slow
    physiotherapy moves); a cycle must move the body by a quarter of a torso length (about 12 cm)
    along its main direction, and by 20 times the jitter, twice the most that a minute of pure
    estimator noise reaches (measured on synthetic noise of 0.5 to 3 cm per joint)."""

    min_period: float = 0.4  # seconds
    max_period: float = 6.0  # seconds
    min_amplitude: float = 0.25  # torso lengths, extreme to neighbouring opposite extreme
    min_prominence: float = 0.4  # fraction of the stretch's range a counted extreme stands out by
    max_difference: float = 0.35  # normalised cycle-to-cycle difference for "periodic"
    min_cycles: int = 3
    max_gap: float = 1.0  # seconds unseen that end a series
    fps: float = 20.0  # analysis rate (Nyquist 10 Hz, above the 5 Hz low-pass)
    components: int = 6  # at most this many principal components of the joints are analysed:
    top_fraction: float = 0.2  # those with this fraction of the first one's variance
    signal_ratio: float = 10.0  # and this many times the jitter's (the median component's)
    jitter_factor: float = 20.0  # a cycle's extent over the jitter (pure jitter reaches 10 at most)
    layout: str = "ntu25"


DEFAULT_SETTINGS = RepetitionSettings()


@dataclass(frozen=True)
class Series:
    """One periodic stretch of one person: when it ran, its period, and when each cycle peaked."""

    start_s: float
    end_s: float
    period_s: float  # median period over the stretch
    rep_times: tuple[float, ...]  # time of each repetition's extreme, seconds on the source clock
    other_times: tuple[float, ...] = ()  # the cycles' extremes on the other side (towards rest)

    @property
    def count(self) -> int:
        return len(self.rep_times)


def find_series(times: np.ndarray, joints: np.ndarray, present: np.ndarray | None = None,
                settings: RepetitionSettings = DEFAULT_SETTINGS) -> list[Series]:
    """The repetition series of one person: ``times`` (T,) seconds, ``joints`` (T, V, 3) metres in
    the canonical camera space, ``present`` (T,) bool (default: frames with finite, non-zero
    joints). Series come in time order; frames need not be evenly spaced."""
    times = np.asarray(times, dtype=np.float64)
    joints = np.asarray(joints, dtype=np.float64)
    finite = np.isfinite(joints).all(axis=(1, 2)) & np.any(joints != 0, axis=(1, 2))
    seen = finite if present is None else np.asarray(present, dtype=bool) & finite
    t_seen, j_seen = times[seen], joints[seen]
    order = np.argsort(t_seen, kind="stable")
    t_seen, j_seen = t_seen[order], j_seen[order]
    series: list[Series] = []
    cuts = np.flatnonzero(np.diff(t_seen) > settings.max_gap) + 1
    for t_run, j_run in zip(np.split(t_seen, cuts), np.split(j_seen, cuts)):
        if len(t_run) >= 2 and t_run[-1] - t_run[0] >= 2 * settings.min_period:
            series.extend(_series_in_run(t_run, j_run, settings))
    return series


def _series_in_run(times: np.ndarray, joints: np.ndarray, settings: RepetitionSettings) -> list[Series]:
    grid, values, _ = resample(times, joints, settings.fps)
    x = _body_frame(values, settings)
    # the typical (median) principal component of the joints is jitter: a cycle must stand out
    # from it as well as reach the absolute minimum
    jitter = float(np.sqrt(max(np.median(np.linalg.eigh(x.T @ x)[0]), 0.0) / len(x)))
    amplitude = max(settings.min_amplitude, settings.jitter_factor * jitter)
    period = _periods(x, jitter, amplitude, settings)
    out = []
    for start, stop, lag in _stretches(period):
        # a period of context on either side, so that an extreme near the edge of the stretch
        # stands out against what comes before and after it
        before, after = max(0, start - lag), min(len(x), stop + lag)
        found, other = (before + i for i in _count_cycles(x[before:after], lag, amplitude,
                                                          settings.min_prominence))
        found, other = (i[(i >= start) & (i < stop)] for i in (found, other))
        if len(found) >= settings.min_cycles:
            out.append(Series(float(grid[start]), float(grid[stop - 1]), lag / settings.fps,
                              tuple(float(grid[i]) for i in found), tuple(float(grid[i]) for i in other)))
    return out


def preload_filters() -> threading.Thread:
    """Import the filters of the count (``scipy.signal``: 0.4-0.65 s) on a daemon thread, so that the
    count at the end of a clip does not wait for them. Started once the model has loaded (the
    import competes with loading) and the pose stage runs (not before its worker starts)."""
    return start_thread(_import_filters, "repetition-filters")


def _import_filters() -> None:
    import scipy.signal  # noqa: F401  (a later import finds it loaded, or waits for this one)


def _body_frame(values: np.ndarray, settings: RepetitionSettings) -> np.ndarray:
    """(N, V, 3) camera-space joints -> (N, 3V) body-frame coordinates, low-passed, centred."""
    x = normalize(values.transpose(2, 0, 1)[..., None].astype(np.float32), "body_frame", settings.layout)
    x = x[..., 0].transpose(1, 2, 0).reshape(len(values), -1).astype(np.float64)
    from scipy.signal import butter, sosfiltfilt  # see preload_filters

    sos = butter(2, min(2.0 / settings.min_period, 0.45 * settings.fps), fs=settings.fps, output="sos")
    x = sosfiltfilt(sos, x, axis=0) if len(x) > 15 else x
    return x - x.mean(axis=0)


def _top_components(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Variances (largest first) and projections of centred ``x`` (n, D) on its ``k`` first
    principal components."""
    centred = x - x.mean(axis=0)
    power, vectors = np.linalg.eigh(centred.T @ centred)
    return power[::-1][:k] / len(x), centred @ vectors[:, ::-1][:, :k]


def _main_components(x: np.ndarray, jitter: float, settings: RepetitionSettings) -> np.ndarray:
    """``x`` (n, D) projected on its principal components that carry movement: at least
    ``top_fraction`` of the first one's variance and ``signal_ratio`` times the jitter's."""
    power, projected = _top_components(x, settings.components)
    strong = (power >= settings.top_fraction * power[0]) & (power >= settings.signal_ratio * jitter ** 2)
    return projected[:, :max(1, int(np.sum(strong)))]


def _periods(x: np.ndarray, jitter: float, amplitude: float, settings: RepetitionSettings) -> np.ndarray:
    """Period in frames at every start frame of ``x`` (0 where the motion is not periodic there).

    The run is analysed in blocks of four of the longest periods, each in its own principal
    components (so that each movement of a long recording is seen in its own terms); a start frame
    is judged in the block where it lies in the first half, so every lag fits after it."""
    n = len(x)
    lags = np.arange(max(2, round(settings.min_period * settings.fps)),
                     round(settings.max_period * settings.fps) + 1)
    hop = 2 * int(lags[-1])
    period = np.zeros(n, dtype=np.int64)
    for b0 in range(0, n, hop):
        block = x[b0:b0 + 2 * hop]
        fits = lags[2 * lags <= len(block)]
        if fits.size:
            components = _main_components(block, jitter, settings)
            period[b0:b0 + hop] = _block_periods(components, fits, amplitude, settings.max_difference)[:hop]
    return period


def _block_periods(x: np.ndarray, lags: np.ndarray, amplitude: float, max_difference: float) -> np.ndarray:
    """YIN's rule on the cycle-to-cycle difference: per start frame, the first lag under
    ``max_difference``, refined to the local minimum after it; 0 where none is."""
    n = len(x)
    c1 = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(x, axis=0)])
    c2 = np.concatenate([[0.0], np.cumsum(np.sum(x * x, axis=1))])
    difference = np.full((n, lags.size), np.inf)
    # a cycle must spread the pose by at least half of what the smallest counted movement does
    floor = amplitude ** 2 / 32
    for j, lag in enumerate(lags):
        rows = n - 2 * lag + 1
        step = np.concatenate([[0.0], np.cumsum(np.sum((x[lag:] - x[:-lag]) ** 2, axis=1))])
        num = step[lag:lag + rows] - step[:rows]
        total = c1[2 * lag:2 * lag + rows] - c1[:rows]
        spread = c2[2 * lag:2 * lag + rows] - c2[:rows] - np.sum(total * total, axis=1) / (2 * lag)
        moving = spread > floor * 2 * lag
        difference[:rows, j] = np.where(moving, num / np.where(moving, spread, 1.0), np.inf)
    below = difference < max_difference
    first = np.argmax(below, axis=1)
    # the local minimum from there: the first lag at or after it that the next one does not beat
    settles = np.append(difference[:, 1:] >= difference[:, :-1], np.ones((n, 1), bool), axis=1)
    settles &= np.arange(lags.size)[None, :] >= first[:, None]
    return np.where(below.any(axis=1), lags[np.argmax(settles, axis=1)], 0)


def _stretches(period: np.ndarray, max_ratio: float = 1.5) -> list[tuple[int, int, int]]:
    """Join overlapping periodic windows ``[t, t + 2 period)`` of similar period into stretches:
    ``(start, stop, median period)`` in frames. A window whose period is a whole multiple of the
    stretch's (two cycles that differed, four that match) belongs to it; where a faster rhythm
    starts, it takes over (the slower windows reaching into it span several of its cycles); where a
    slower one starts, the boundary is the middle of the overlap."""
    out: list[list] = []  # [start, stop, lags]
    for t in np.flatnonzero(period):
        lag = int(period[t])
        if out:
            start, stop, lags = out[-1]
            typical = lags[len(lags) // 2]  # the median of the stretch's periods so far
            ratio = lag / typical
            if t <= stop and 1 / max_ratio <= ratio <= max_ratio:
                bisect.insort(lags, lag)
                out[-1][1] = max(stop, t + 2 * lag)
                continue
            if t <= stop and ratio > max_ratio and abs(ratio - round(ratio)) <= 0.15 * round(ratio):
                out[-1][1] = max(stop, t + 2 * lag)
                continue
            if t < stop:
                cut = t if lag < typical else (t + stop) // 2
                out[-1][1], t = cut, cut
        out.append([int(t), int(t + 2 * lag), [lag]])
    return [(start, stop, lags[len(lags) // 2]) for start, stop, lags in out if stop > start]


def _count_cycles(x: np.ndarray, lag: int, amplitude: float,
                  min_prominence: float) -> tuple[np.ndarray, np.ndarray]:
    """Frame indices of the cycles' extremes in one stretch ``x`` (n, D) of period ``lag`` frames:
    those on the far side from the rest pose (the repetitions), and those on the near side."""
    s = _top_components(x, 1)[1][:, 0]
    low, high = np.percentile(s, [2, 98])
    if high - low < amplitude:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    edge = max(1, int(round(0.15 * lag)))
    rest = float(np.median(np.concatenate([s[:edge], s[-edge:]])))
    away = -s if high - rest < rest - low else s
    prominence = max(amplitude, min_prominence * (high - low))
    distance = max(1, lag // 2)
    from scipy.signal import find_peaks  # see _body_frame

    return (find_peaks(away, prominence=prominence, distance=distance)[0],
            find_peaks(-away, prominence=prominence, distance=distance)[0])


def _same_phase(series: Series, earlier: list[float]) -> list[float]:
    """The extremes of ``series`` (its repetitions, or the other side's) that agree with the
    repetition times of an earlier analysis of the same stretch: seen without the rest pose at its
    start, a series' far side is a guess, and the count must not switch sides."""
    def agreement(times: tuple[float, ...]) -> int:
        return sum(any(abs(r - t) < series.period_s / 4 for t in times) for r in earlier)
    return list(max((series.rep_times, series.other_times), key=agreement))


class RepetitionCounter:
    """The live count of one person's current series, from the last ``history_seconds`` of poses.

    ``push`` (pose thread) adds a frame; ``update`` (inference thread) re-analyses the history up to
    its ``now`` with :func:`find_series` and returns the count of the series running then, 0 when
    none is: frames the pose thread has pushed beyond ``now`` are not used, so the count does not
    depend on how far ahead that thread is. A series that outgrows the history keeps the
    repetitions counted before they left it."""

    LEAD_SECONDS = 10.0  # how far ahead of the counting the pose thread may be without changing it

    def __init__(self, settings: RepetitionSettings = DEFAULT_SETTINGS, history_seconds: float = 30.0,
                 every_seconds: float = 0.5) -> None:
        if history_seconds < 3 * settings.max_period:
            raise ValueError("history_seconds must cover three of the longest periods")
        self.settings = settings
        self.history_seconds = history_seconds
        self.every_seconds = every_seconds  # re-analyse at most this often (source time)
        self._frames: collections.deque[tuple[float, np.ndarray]] = collections.deque()
        self._lock = threading.Lock()
        self._reps: list[float] = []  # repetition times of the current series
        self._analysed = -np.inf  # source time of the last analysis

    def push(self, t: float, joints: np.ndarray, present: bool) -> None:
        """Add one frame of the person (``joints`` (V, 3)); absent frames are skipped. A jump back
        in time (a source that started over) forgets the history."""
        with self._lock:
            if self._frames and t <= self._frames[-1][0]:
                self._frames.clear()
                self._reps = []
                self._analysed = -np.inf
            if present:
                self._frames.append((t, np.array(joints, dtype=np.float32)))
            while self._frames and t - self._frames[0][0] > self.history_seconds + self.LEAD_SECONDS:
                self._frames.popleft()

    def update(self, now: float) -> int:
        """Repetitions of the series still running at ``now`` (one whose last repetition was less
        than a period and ``max_gap`` ago); the last count when asked again within
        ``every_seconds``."""
        with self._lock:
            if 0 <= now - self._analysed < self.every_seconds:
                return len(self._reps)
            self._analysed = now
            frames = [f for f in self._frames if now - self.history_seconds <= f[0] <= now]
            counted = list(self._reps)
        reps: list[float] = []
        if len(frames) >= 2:
            times = np.array([f[0] for f in frames])
            series = find_series(times, np.stack([f[1] for f in frames]), settings=self.settings)
            current = next((s for s in reversed(series)
                            if now - s.rep_times[-1] <= s.period_s + self.settings.max_gap), None)
            if current is not None:
                # repetitions near the start of the history are seen without their context: keep
                # the ones counted earlier there and take the fresh analysis (on the same side of
                # the cycle) after them
                settled = times[0] + self.settings.max_period
                carried = [r for r in counted if r < settled] if current.start_s <= settled else []
                reps = list(current.rep_times)
                if carried:
                    reps = _same_phase(current, [r for r in counted if r >= settled])
                    reps = carried + [r for r in reps if r > carried[-1] + current.period_s / 2]
        with self._lock:
            self._reps = reps
        return len(reps)
