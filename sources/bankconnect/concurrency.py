"""How many API requests may be in flight: an adaptive (AIMD) limit with a budget of fetched-but-unread bytes.

Pure and dependency-free (no dlt, no requests): fetch threads call `acquire()` before a request and
`release(outcome, nbytes)` with its answer; whoever reads the fetched document calls `consumed(nbytes)`.

The limit grows after each window of clean answers (a window is as many answers as the limit) while
the window's throughput beats the best seen so far by 5%: it doubles until the first window that is
not faster or the first cut (slow start, so a high-latency API is covered within a few round trips),
then grows by one (after 8 flat windows it tries one step up anyway), as TCP grows its window once
per round trip; it halves at once on a throttled answer (429, 503) or a timeout, at most once per window (the
requests already in flight when it halved were sent at the old limit, so their throttles say nothing
new). It stays between `floor` and `ceiling`; floor == ceiling pins it (`--workers N`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

from .settings import DEFAULT_MAX_WORKERS, DEFAULT_WORKERS

CLEAN = "clean"  # an answer the API gave without pushing back (200, 4xx that is not 429)
THROTTLED = "throttled"  # 429 Too Many Requests, 503 Service Unavailable
TIMEOUT = "timeout"  # no answer in time
FAILED = "failed"  # anything else (a reset, a 500): neither grows nor shrinks the limit
OUTCOMES = (CLEAN, THROTTLED, TIMEOUT, FAILED)

THROTTLE_STATUSES = frozenset({429, 503})
DEFAULT_CEILING = DEFAULT_MAX_WORKERS
DEFAULT_BYTE_BUDGET = 64 * 1024 * 1024  # ~45 fetched insights documents of 1.4 MB waiting to be read
REPROBE_AFTER = 8  # flat windows in a row after which the limit tries one step up again (latency may have grown)


def outcome_for_status(status: int) -> str:
    """The outcome of an HTTP answer by its status code."""
    if status in THROTTLE_STATUSES:
        return THROTTLED
    return FAILED if status >= 500 else CLEAN


@dataclass(frozen=True)
class LimiterStats:
    """What a run summary reports about fetch concurrency."""

    limit: int  # the limit now
    peak_limit: int  # the highest limit reached
    peak_in_flight: int  # the most requests that were in flight at once (the concurrency reached)
    answers: int  # answers released
    throttled: int  # throttled answers seen (final answers and, through `attempt`, retried ones)
    timeouts: int
    decreases: int  # times the limit was cut
    peak_waiting_bytes: int  # the most fetched-but-unread bytes held at once


class ConcurrencyLimiter:
    """An AIMD limit on requests in flight plus a budget on fetched-but-unread bytes; thread safe.

    Args:
        floor: the limit never goes below this (at least 1).
        ceiling: nor above this (SOURCES__BANKCONNECT__MAX_WORKERS, default 32).
        initial: the limit to start from (default: floor, raised to 4 when the ceiling allows).
        byte_budget: `acquire` waits while this many fetched bytes are unread. A request's size is
            known only once answered, so the bytes held stay under budget + limit x one document.
        min_gain: a window's throughput must beat the best by this share to grow the limit.
        decrease: the factor the limit is multiplied by on a throttle or timeout (0.5 halves).
        clock: seconds, monotonic (a fake one in tests).
    """

    def __init__(self, floor: int = 1, ceiling: int = DEFAULT_CEILING, initial: Optional[int] = None,
                 byte_budget: int = DEFAULT_BYTE_BUDGET, min_gain: float = 0.05, decrease: float = 0.5,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not 1 <= floor <= ceiling:
            raise ValueError(f"need 1 <= floor <= ceiling, got floor {floor}, ceiling {ceiling}")
        if not 0 < decrease < 1 or byte_budget < 1:
            raise ValueError("decrease must be between 0 and 1 and byte_budget positive")
        self.floor, self.ceiling, self.byte_budget = floor, ceiling, byte_budget
        self._min_gain, self._decrease, self._clock = min_gain, decrease, clock
        self._limit = min(max(initial if initial is not None else 4, floor), ceiling)
        self._cond = threading.Condition()
        self._in_flight = self._waiting_bytes = 0
        self._grace = 0  # answers still due from requests sent before the last cut
        self._peak_limit, self._peak_in_flight, self._peak_waiting = self._limit, 0, 0
        self._answers = self._throttled = self._timeouts = self._decreases = self._flat_windows = 0
        self._slow_start = True  # double per faster window until the first flat window or cut, as TCP does
        self._new_window(best=None)

    # --- the fetch side -------------------------------------------------------------------------

    def acquire(self, timeout: Optional[float] = None) -> bool:
        """Wait for a slot: fewer requests in flight than the limit and unread bytes under budget.

        Returns False if `timeout` seconds passed first (then no slot is held).
        """
        with self._cond:
            if not self._cond.wait_for(self._has_room, timeout):
                return False
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
            return True

    def release(self, outcome: str, nbytes: int = 0) -> None:
        """Give the slot back with the request's final outcome and the bytes now waiting to be read."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}: one of {', '.join(OUTCOMES)}")
        with self._cond:
            if self._in_flight <= 0:
                raise RuntimeError("release() without a matching acquire()")
            self._in_flight -= 1
            self._answers += 1
            self._waiting_bytes += nbytes
            self._peak_waiting = max(self._peak_waiting, self._waiting_bytes)
            self._learn(outcome)
            self._wake()

    def attempt(self, outcome: str) -> None:
        """An attempt the HTTP client retried by itself (a 429 it waited out): counted, and a throttle cuts."""
        with self._cond:
            if outcome in (THROTTLED, TIMEOUT):
                self._count_and_cut(outcome)

    def consumed(self, nbytes: int) -> None:
        """`nbytes` of fetched documents were read (parsed, flattened) and freed."""
        with self._cond:
            self._waiting_bytes = max(self._waiting_bytes - nbytes, 0)
            self._wake()

    # --- what the run reports -------------------------------------------------------------------

    @property
    def limit(self) -> int:
        with self._cond:
            return self._limit

    def stats(self) -> LimiterStats:
        with self._cond:
            return LimiterStats(self._limit, self._peak_limit, self._peak_in_flight, self._answers,
                                self._throttled, self._timeouts, self._decreases, self._peak_waiting)

    # --- helpers (called holding the lock) --------------------------------------------------------

    def _wake(self) -> None:
        """Wake as many waiting requests as there are free slots (waking every waiter for one slot
        costs dozens of threads a turn on the GIL each time, and the fetch pool holds many)."""
        if self._has_room():
            self._cond.notify(self._limit - self._in_flight)

    def _has_room(self) -> bool:
        return self._in_flight < self._limit and self._waiting_bytes < self.byte_budget

    def _learn(self, outcome: str) -> None:
        if self._grace > 0:
            self._grace -= 1
        if outcome in (THROTTLED, TIMEOUT):
            self._count_and_cut(outcome)
        elif outcome == CLEAN:
            self._clean_in_window += 1
            if self._clean_in_window >= self._limit:
                self._close_window()

    def _count_and_cut(self, outcome: str) -> None:
        if outcome == THROTTLED:
            self._throttled += 1
        else:
            self._timeouts += 1
        if self._grace > 0:  # this episode already cut the limit
            return
        self._limit = max(self.floor, int(self._limit * self._decrease))
        self._decreases += 1
        self._slow_start = False
        self._grace = self._in_flight
        self._new_window(best=None)

    def _close_window(self) -> None:
        """A window of clean answers: grow by one if its throughput beat the best window so far."""
        elapsed = max(self._clock() - self._window_started, 1e-9)
        rate = self._clean_in_window / elapsed
        best = self._best_rate
        self._flat_windows += 1
        faster = best is None or rate > best * (1 + self._min_gain)
        if not faster:
            self._slow_start = False
        if faster or self._flat_windows > REPROBE_AFTER:
            grown = self._limit * 2 if self._slow_start else self._limit + 1
            self._limit = min(grown, self.ceiling)
            self._peak_limit = max(self._peak_limit, self._limit)
            best, self._flat_windows = rate, 0
        self._new_window(best=best)

    def _new_window(self, best: Optional[float]) -> None:
        self._best_rate = best
        self._clean_in_window = 0
        self._window_started = self._clock()


def fetch_limiter(workers: Optional[int], max_workers: int = DEFAULT_MAX_WORKERS) -> ConcurrencyLimiter:
    """Requests in flight: pinned to `workers` when given, else adaptive from 4 up to `max_workers`."""
    if workers:
        return ConcurrencyLimiter(floor=workers, ceiling=workers)
    ceiling = max(max_workers, 1)
    return ConcurrencyLimiter(floor=1, ceiling=ceiling, initial=min(DEFAULT_WORKERS, ceiling))
