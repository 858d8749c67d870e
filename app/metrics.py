"""Running measurements for the readout and the benchmark: latency percentiles and event rates."""
from __future__ import annotations

import collections
import time

import numpy as np


class LatencyStats:
    """The last ``size`` latency samples (seconds) with median and 95th percentile."""

    def __init__(self, size: int = 300) -> None:
        self._samples: collections.deque[float] = collections.deque(maxlen=size)

    def add(self, seconds: float) -> None:
        self._samples.append(seconds)

    def __len__(self) -> int:
        return len(self._samples)

    def median(self) -> float:
        return float(np.median(self._samples)) if self._samples else float("nan")

    def p95(self) -> float:
        return float(np.percentile(self._samples, 95)) if self._samples else float("nan")

    def clear(self) -> None:
        self._samples.clear()


class RateMeter:
    """Events per second over the last ``horizon`` seconds (frames shown, labels updated)."""

    def __init__(self, horizon: float = 2.0, clock=time.perf_counter) -> None:
        self.horizon = horizon
        self._clock = clock
        self._times: collections.deque[float] = collections.deque()

    def tick(self) -> None:
        now = self._clock()
        self._times.append(now)
        self._trim(now)

    def rate(self) -> float:
        now = self._clock()
        self._trim(now)
        if len(self._times) < 2:
            return 0.0
        span = now - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0

    def clear(self) -> None:
        self._times.clear()

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] > self.horizon:
            self._times.popleft()
