"""Lossless hand-over between the threads of an offline run: bounded queues that wait when full.

Offline work (``--video``, ``--convert``, teaching clip extraction) must see every frame, so a
producer that gets ahead waits for room instead of dropping (the live engine's queues, in
:mod:`app.queues`, drop the oldest instead). A :class:`Handover` carries items from one thread to
the next, then an end marker, or the producer's exception, which the consumer re-raises; a shared
``stop`` event ends both sides early (an error elsewhere, Ctrl+C).
"""
from __future__ import annotations

import queue
import threading
from typing import Callable, Generic, Iterable, Iterator, TypeVar

T = TypeVar("T")

_END = object()
_POLL_SECONDS = 0.1


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Handover(Generic[T]):
    """A FIFO from one producer thread to one consumer, at most ``maxsize`` items (0: unbounded)."""

    def __init__(self, stop: threading.Event, maxsize: int = 0) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize)
        self._stop = stop

    def put(self, item: T) -> bool:
        """Add ``item``, waiting for room; False (item not added) once ``stop`` is set."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def pump(self, items: Iterable[T]) -> None:
        """Put every item of ``items``, then the end marker; an exception raised while producing
        them is passed on instead (the consumer re-raises it). Meant to be a thread's target."""
        try:
            for item in items:
                if not self.put(item):
                    return
        except BaseException as err:  # handed to the consumer, which re-raises it in its thread
            self.put(_Failed(err))
        else:
            self.put(_END)

    def take(self, block: bool = True) -> tuple[bool, T | None]:
        """``(True, item)`` for the next item; ``(False, None)`` at the end, once ``stop`` is set,
        or (``block=False``) when nothing is waiting. Re-raises the producer's exception."""
        while True:
            try:
                item = self._queue.get(timeout=_POLL_SECONDS) if block else self._queue.get_nowait()
            except queue.Empty:
                if block and not self._stop.is_set():
                    continue
                return False, None
            if item is _END:
                self._queue.put(_END)  # stays the end for any later take
                return False, None
            if isinstance(item, _Failed):
                raise item.error
            return True, item

    def __iter__(self) -> Iterator[T]:
        while True:
            ok, item = self.take()
            if not ok:
                return
            yield item


def start_thread(target: Callable[[], None], name: str) -> threading.Thread:
    """A started daemon thread (it never keeps the process alive after the main thread is done)."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread
