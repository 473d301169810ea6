"""Transient API faults change nothing: a faulty run ends with the same tables as a fault-free one.

The simulator injects throttling (429 with Retry-After 0 or 1 s), 500/502/503, connection resets,
slow answers, truncated bodies and HTML pages; the loader retries each failed answer and the
tables end identical, row for row, to a fault-free load of the same catalog into another file.
"""

from __future__ import annotations

from collections import Counter

import pytest

from pipelines.load import run_load
from simulator import FAULT_KINDS, FaultConfig, Simulator, build_catalog
from tests.apiserver import API_KEY, SERVER_HASH
from tests.conftest import query
from tests.tablesums import table_checksums

API_PATH = "/bank-connect/v1"
SHAPE = dict(accounts=(1, 2), months=(3, 6), txn_per_month=(10, 30), lifecycle=False)


def load(sim: Simulator, ids, db_path: str, workers: int = 4):
    """run_load and the requests the simulator answered during it."""
    before = Counter(sim.stats())
    summary = run_load(ids, duckdb_path=db_path, base_url=sim.base_url + API_PATH, workers=workers)
    return summary, Counter(sim.stats()) - before


def test_mixed_faults_end_in_the_same_tables_as_a_fault_free_run(monkeypatch, tmp_path):
    monkeypatch.setenv("SOURCES__BANKCONNECT__MAX_ATTEMPTS", "10")  # 0.2**10: no session runs out
    catalog = build_catalog(n_sessions=200, seed=2024, prerender=True, **SHAPE)
    ids = catalog.session_ids()
    clean_db, faulty_db = str(tmp_path / "clean.duckdb"), str(tmp_path / "faulty.duckdb")
    with Simulator(catalog, api_key=API_KEY, server_hash=SERVER_HASH) as sim:
        clean, clean_requests = load(sim, ids, clean_db)
        sim.faults = FaultConfig(rate=0.2, kinds=",".join(FAULT_KINDS), seed=1)
        faulty, requests = load(sim, ids, faulty_db)

    assert clean.sessions == {"completed": 200} and clean_requests == {"requests": 400, "status_200": 400}
    assert faulty.sessions == {"completed": 200}
    assert faulty.problems == []
    faults = {k[len("fault_"):]: n for k, n in requests.items() if k.startswith("fault_")}
    assert set(faults) == set(FAULT_KINDS), faults  # every kind was injected
    # Every failed answer costs exactly one more request; a slow answer is a success. Nothing else
    # is retried (a 200 is never fetched twice).
    assert requests["requests"] == 400 + sum(faults.values()) - faults["slow"]
    assert 0.1 < sum(faults.values()) / requests["requests"] < 0.3

    clean_sums, faulty_sums = table_checksums(clean_db), table_checksums(faulty_db)
    assert faulty_sums == clean_sums
    assert clean_sums["sessions"][0] == 200 and clean_sums["transactions"][0] > 10_000
    assert query(faulty_db, "select count(*) from bankconnect.sessions where status = 'completed'") == [(200,)]


def test_sessions_that_ran_out_of_retries_are_loaded_by_the_next_run(tmp_path):
    """Every request fails: each session fails after MAX_ATTEMPTS (3) requests, then the next run
    (no ids given) fetches exactly those sessions again and the tables match a clean load."""
    catalog = build_catalog(n_sessions=12, seed=7, **SHAPE)
    ids = catalog.session_ids()
    clean_db, db = str(tmp_path / "clean.duckdb"), str(tmp_path / "bank.duckdb")
    with Simulator(catalog, api_key=API_KEY, server_hash=SERVER_HASH) as sim:
        load(sim, ids, clean_db)
        sim.faults = FaultConfig(rate=1.0, kinds="503,reset,truncated", seed=3)
        down, down_requests = load(sim, ids, db)
        sim.faults = FaultConfig()
        again, again_requests = load(sim, [], db)

    assert down.sessions == {"failed": 12}
    assert {(p["error_code"], p["error_message"].split(":")[0]) for p in down.problems} == {
        ("RETRIES_EXHAUSTED", "session_status")}
    assert down_requests["requests"] == 12 * 3  # bounded: MAX_ATTEMPTS per session, insights never asked
    assert again.sessions == {"completed": 12}
    assert again_requests == {"requests": 24, "status_200": 24}
    assert table_checksums(db) == table_checksums(clean_db)


@pytest.mark.parametrize("retry_after", ["1", "120"])
def test_retry_after_is_honoured_and_capped(api, retry_after):
    """A 429's Retry-After is waited for, but never longer than the client's max_retry_delay."""
    import time

    from sources.bankconnect.client import BankConnectClient
    from sources.bankconnect.documents import parse_document
    from tests.apiserver import fixture

    api.route(r"/session_data/s1/session_status/$",
              lambda: (429, {"detail": "throttled"}, {"Retry-After": retry_after}),
              (200, fixture("seed_session_status.json"), {}))
    client = BankConnectClient(API_KEY, SERVER_HASH, api.base_url, backoff_factor=0, max_attempts=3,
                               max_retry_delay=1.5)
    started = time.monotonic()
    assert parse_document(client.session_status("s1")).data["session_id"] == "abcd"
    waited = time.monotonic() - started
    assert 0.9 < waited < 3.0, waited
    assert api.hits["/bank-connect/v1/session_data/s1/session_status/"] == 2
