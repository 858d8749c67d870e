"""A bounded hand-over queue between threads that drops the oldest item when full.

Live video must never lag behind the camera: when a consumer (pose, inference, the screen) is
slower than its producer, the frames it has not started on are stale and are thrown away, and the
queue counts how many were dropped so the GUI can show it.
"""
from __future__ import annotations

import collections
import threading
import time
from typing import Generic, TypeVar

T = TypeVar("T")


class Closed(Exception):
    """Raised by :meth:`DropOldestQueue.get` once the queue is closed and empty."""


class DropOldestQueue(Generic[T]):
    """Thread-safe FIFO of at most ``maxsize`` items; ``put`` on a full queue discards the oldest."""

    def __init__(self, maxsize: int = 1) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._items: collections.deque[T] = collections.deque(maxlen=maxsize)
        self._cond = threading.Condition()
        self._closed = False
        self.dropped = 0

    def put(self, item: T, wait: bool = False) -> bool:
        """Add ``item``; returns False when an older item had to be dropped to make room.

        ``wait=True`` waits for room instead of dropping (for consumers that must see everything,
        such as the encoder of an offline analysis)."""
        with self._cond:
            while wait and not self._closed and len(self._items) == self._items.maxlen:
                self._cond.wait()
            if self._closed:
                raise Closed("put on a closed queue")
            full = len(self._items) == self._items.maxlen
            if full:
                self.dropped += 1
            self._items.append(item)
            self._cond.notify()
            return not full

    def get(self, timeout: float | None = None) -> T | None:
        """Oldest item, waiting up to ``timeout`` seconds (None: forever); None on timeout.

        Raises :class:`Closed` once the queue is closed and drained.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._items:
                if self._closed:
                    raise Closed("queue closed")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
            self._cond.notify_all()  # a producer may be waiting for room
            return self._items.popleft()

    def get_latest(self) -> T | None:
        """Newest item without waiting, discarding any older ones (counted as dropped); None if empty."""
        with self._cond:
            if not self._items:
                return None
            self.dropped += len(self._items) - 1
            item = self._items.pop()
            self._items.clear()
            return item

    def close(self) -> None:
        """Wake every waiting consumer; later ``get`` calls drain what is left, then raise Closed."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)
