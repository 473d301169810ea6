"""Reading sessions on worker processes gives exactly what reading them in the loading process gives."""

from __future__ import annotations

import pytest

from pipelines.load import run_load
from sources.bankconnect.errors import AuthError
from sources.bankconnect.workers import MIN_SESSIONS, default_processes
from simulator import Simulator, build_catalog
from tests.apiserver import API_KEY, SERVER_HASH
from tests.conftest import query
from tests.tablesums import table_checksums

API_PATH = "/bank-connect/v1"
SHAPE = dict(accounts=(1, 3), months=(3, 6), txn_per_month=(10, 30))


def test_worker_processes_load_the_same_rows_and_outcomes(tmp_path):
    # 48 sessions: two blocks of the simulator's lifecycle cases (not found, deleted, not requested,
    # processing, a failed account, a failed statement) among completed ones, in chunks of 8
    catalog = build_catalog(n_sessions=48, seed=11, **SHAPE)
    ids = catalog.session_ids()
    inline_db, pool_db = str(tmp_path / "inline.duckdb"), str(tmp_path / "pool.duckdb")
    with Simulator(catalog, api_key=API_KEY, server_hash=SERVER_HASH) as sim:
        url = sim.base_url + API_PATH
        inline = run_load(ids, duckdb_path=inline_db, base_url=url, processes=0)
        catalog_again = build_catalog(n_sessions=48, seed=11, **SHAPE)  # the processing ones start over
    with Simulator(catalog_again, api_key=API_KEY, server_hash=SERVER_HASH) as sim:
        pool = run_load(ids, duckdb_path=pool_db, base_url=sim.base_url + API_PATH, processes=2)

    assert inline.sessions == pool.sessions
    # a session with a failed account or statement still completes (its other accounts load)
    assert inline.sessions == {"completed": 40, "not_found": 2, "deleted": 2, "not_requested": 2, "pending": 2}
    assert inline.problems == pool.problems
    assert inline.rows == pool.rows and inline.rows["transactions"] > 1000
    assert table_checksums(pool_db) == table_checksums(inline_db)
    # the state of each session (what the next run retries) is the same too
    assert query(pool_db, "select status, count(*) from bankconnect.sessions group by 1 order by 1") == query(
        inline_db, "select status, count(*) from bankconnect.sessions group by 1 order by 1")


def test_worker_processes_stop_on_refused_credentials(tmp_path):
    catalog = build_catalog(n_sessions=20, seed=3, lifecycle=False, **SHAPE)
    with Simulator(catalog, api_key=API_KEY, server_hash="wrong") as sim:
        with pytest.raises(AuthError, match="refused the credentials"):
            run_load(catalog.session_ids(), duckdb_path=str(tmp_path / "x.duckdb"),
                     base_url=sim.base_url + API_PATH, processes=2)


def test_default_processes_only_for_enough_sessions(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5, 6, 7})
    assert default_processes(MIN_SESSIONS - 1) == 0
    assert default_processes(MIN_SESSIONS) == 4  # never more than 4
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0})
    assert default_processes(1000) == 0  # one CPU: reading in the loading process is cheaper
