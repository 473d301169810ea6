"""The adaptive fetch-concurrency limiter: AIMD on a fake clock, the byte budget, and the attempt hook."""

from __future__ import annotations

import threading
from typing import List

import pytest

from sources.bankconnect.attempts import limiter_session_attrs
from sources.bankconnect.concurrency import (CLEAN, FAILED, REPROBE_AFTER, THROTTLED, TIMEOUT, ConcurrencyLimiter,
                                             outcome_for_status)
from tests.apiserver import API_KEY, SERVER_HASH, ApiServer

MB = 1024 * 1024


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def latency_bound_window(limiter: ConcurrencyLimiter, clock: FakeClock, latency: float = 0.3) -> None:
    """A full window on an API that answers every request in `latency` however many are in flight."""
    n = limiter.limit
    for _ in range(n):
        assert limiter.acquire(timeout=0)
    clock.now += latency
    for _ in range(n):
        limiter.release(CLEAN, 0)


def cpu_bound_window(limiter: ConcurrencyLimiter, clock: FakeClock, per_answer: float = 0.1) -> None:
    """A full window on an API that answers one request at a time: more in flight is not faster."""
    for _ in range(limiter.limit):
        assert limiter.acquire(timeout=0)
        clock.now += per_answer
        limiter.release(CLEAN, 0)


def test_limit_doubles_per_faster_window_up_to_the_ceiling():
    clock = FakeClock()
    limiter = ConcurrencyLimiter(floor=1, ceiling=5, initial=2, clock=clock)
    limits = []
    for _ in range(5):
        latency_bound_window(limiter, clock)
        limits.append(limiter.limit)
    assert limits == [4, 5, 5, 5, 5]
    stats = limiter.stats()
    assert (stats.peak_limit, stats.peak_in_flight, stats.answers) == (5, 5, 2 + 4 + 5 + 5 + 5)
    assert (stats.throttled, stats.timeouts, stats.decreases) == (0, 0, 0)


def test_limit_holds_while_throughput_does_not_grow_then_probes_one_step():
    clock = FakeClock()
    limiter = ConcurrencyLimiter(ceiling=32, initial=4, clock=clock)
    limits = []
    for _ in range(REPROBE_AFTER + 2):
        cpu_bound_window(limiter, clock)
        limits.append(limiter.limit)
    # the first window sets the best rate (10 answers/s) and doubles; none after it is faster, which
    # ends the doubling: the probe after REPROBE_AFTER flat windows adds one
    assert limits == [8] * (REPROBE_AFTER + 1) + [9]


def test_after_a_cut_the_limit_grows_by_one_per_faster_window():
    clock = FakeClock()
    limiter = ConcurrencyLimiter(floor=1, ceiling=32, initial=8, clock=clock)
    assert limiter.acquire(timeout=0)
    limiter.release(THROTTLED, 0)
    assert limiter.limit == 4
    limits = []
    for _ in range(3):
        latency_bound_window(limiter, clock)
        limits.append(limiter.limit)
    assert limits == [5, 6, 7]


def test_throttle_halves_at_once_and_once_per_episode():
    clock = FakeClock()
    limiter = ConcurrencyLimiter(floor=1, ceiling=32, initial=8, clock=clock)
    for _ in range(8):
        limiter.acquire(timeout=0)
    limiter.release(THROTTLED)
    assert limiter.limit == 4  # halved on the first 429, before anything else answered
    for _ in range(6):  # the other requests sent at 8 throttle too: the same episode
        limiter.release(THROTTLED)
    assert limiter.limit == 4
    limiter.release(CLEAN)
    limiter.acquire(timeout=0)
    limiter.release(TIMEOUT)  # sent after the cut: a new episode
    assert limiter.limit == 2
    assert limiter.stats().throttled == 7 and limiter.stats().timeouts == 1 and limiter.stats().decreases == 2


@pytest.mark.parametrize("floor, initial, expected", [(1, 1, 1), (3, 5, 3), (2, 32, 16)], ids=["at-1", "floor-3", "32-to-16"])
def test_throttle_never_goes_below_the_floor(floor, initial, expected):
    limiter = ConcurrencyLimiter(floor=floor, ceiling=32, initial=initial, clock=FakeClock())
    limiter.acquire(timeout=0)
    limiter.release(THROTTLED)
    assert limiter.limit == expected


def test_failed_answers_neither_grow_nor_shrink_and_pinned_limit_stays():
    clock = FakeClock()
    pinned = ConcurrencyLimiter(floor=6, ceiling=6, clock=clock)
    for outcome in (CLEAN, THROTTLED, FAILED) * 10:
        pinned.acquire(timeout=0)
        clock.now += 0.1
        pinned.release(outcome)
    assert pinned.limit == 6 and pinned.stats().throttled == 10
    limiter = ConcurrencyLimiter(initial=3, clock=clock)
    for _ in range(10):
        limiter.acquire(timeout=0)
        limiter.release(FAILED)
    assert limiter.limit == 3 and limiter.stats().answers == 10


def test_acquire_waits_while_the_limit_is_in_flight():
    limiter = ConcurrencyLimiter(floor=2, ceiling=2, clock=FakeClock())
    assert limiter.acquire(timeout=0) and limiter.acquire(timeout=0)
    assert not limiter.acquire(timeout=0.01)
    limiter.release(CLEAN)
    assert limiter.acquire(timeout=0)
    assert limiter.stats().peak_in_flight == 2


def test_byte_budget_blocks_until_fetched_documents_are_read():
    limiter = ConcurrencyLimiter(floor=8, ceiling=8, byte_budget=3 * MB, clock=FakeClock())
    for size in (2 * MB, 1.4 * MB):  # two insights documents fetched, nobody has read them yet
        limiter.acquire(timeout=0)
        limiter.release(CLEAN, int(size))
    assert not limiter.acquire(timeout=0.01)  # 3.4 MB unread >= 3 MB, though 0 of 8 are in flight

    got: List[bool] = []
    waiter = threading.Thread(target=lambda: got.append(limiter.acquire(timeout=5)))
    waiter.start()
    waiter.join(0.05)
    assert waiter.is_alive() and not got  # still blocked
    limiter.consumed(2 * MB)  # the reader parsed the first one: 1.4 MB left
    waiter.join(5)
    assert got == [True]
    assert limiter.stats().peak_waiting_bytes == int(3.4 * MB)


def test_outcome_for_status():
    assert [outcome_for_status(s) for s in (200, 404, 429, 500, 502, 503)] == [
        CLEAN, CLEAN, THROTTLED, FAILED, FAILED, THROTTLED]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="floor <= ceiling"):
        ConcurrencyLimiter(floor=4, ceiling=2)
    limiter = ConcurrencyLimiter()
    with pytest.raises(RuntimeError, match="without a matching acquire"):
        limiter.release(CLEAN)
    limiter.acquire(timeout=0)
    with pytest.raises(ValueError, match="unknown outcome"):
        limiter.release("ok")


def test_hook_sees_the_429s_dlt_client_retries_by_itself():
    from dlt.sources.helpers.requests import Client

    api = ApiServer().start()
    try:
        throttled = (429, {"detail": "Request was throttled."}, {"Retry-After": "0"})
        api.route(r"/throttled$", throttled, throttled, (200, {"ok": True}, {}))
        limiter = ConcurrencyLimiter(initial=8, clock=FakeClock())
        client = Client(raise_for_status=False, request_backoff_factor=0.01, request_max_attempts=5,
                        session_attrs=limiter_session_attrs(limiter))
        limiter.acquire(timeout=0)
        response = client.session.get(api.base_url + "/throttled", headers={"x-api-key": API_KEY,
                                                                            "server-hash": SERVER_HASH})
        limiter.release(CLEAN, len(response.content))
    finally:
        api.stop()
    assert response.status_code == 200 and response.json() == {"ok": True}
    stats = limiter.stats()
    # two attempts throttled inside the client's retry loop: seen, and one cut (the same request)
    assert (stats.throttled, stats.decreases, stats.limit, stats.answers) == (2, 1, 4, 1)


def test_under_a_429_storm_every_session_arrives_and_the_limit_drops():
    from concurrent.futures import ThreadPoolExecutor

    from dlt.sources.helpers.requests import Client

    from simulator import FaultConfig, Simulator, build_catalog

    catalog = build_catalog(n_sessions=12, seed=5, lifecycle=False, accounts=(1, 1), months=(3, 3), txn_per_month=(5, 5))
    storm = FaultConfig(throttle_every=2, throttle_retry_after=0)  # every second request a 429 (no wait: a test)
    limiter = ConcurrencyLimiter(floor=1, ceiling=8, initial=8)
    client = Client(raise_for_status=False, request_backoff_factor=0.01, request_max_attempts=10,
                    session_attrs=limiter_session_attrs(limiter))

    def fetch(session_id: str) -> tuple:
        limiter.acquire()
        response = client.session.get(f"{sim.base_url}/session_data/{session_id}/session_status/",
                                      headers={"x-api-key": "k", "server-hash": "h"})
        limiter.release(CLEAN, len(response.content))
        return response.status_code, response.json()["session_id"]

    with Simulator(catalog, api_key="k", server_hash="h", faults=storm) as sim, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(fetch, catalog.session_ids()))
        served_429 = sim.stats()["fault_429"]
    assert answers == [(200, sid) for sid in catalog.session_ids()]
    stats = limiter.stats()
    # 12 answers on the odd requests, a 429 on every even one: 23 or 24 requests, 11 or 12 throttled
    assert served_429 in (11, 12) and stats.throttled == served_429  # the hook saw every retried 429
    assert stats.decreases >= 1 and stats.limit < 8 and stats.answers == 12
