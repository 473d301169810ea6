"""The run's feed: the next load package is fetched and read while one loads (issue 13, item 2)."""

import time
from decimal import Decimal

import pytest

from pipelines.load import run_load
from simulator import Simulator, build_catalog
from sources.bankconnect.client import BankConnectClient
from sources.bankconnect.concurrency import ConcurrencyLimiter
from sources.bankconnect.errors import AuthError
from sources.bankconnect.feed import SessionFeed, package_chunks
from sources.bankconnect.treatment import Treatment
from tests.apiserver import API_KEY, SERVER_HASH, error, fixture
from tests.conftest import query
from tests.tablesums import table_checksums

PACKAGES = [["s1", "s2", "s3"], ["s4", "s5"]]
API_PATH = "/bank-connect/v1"
SHAPE = dict(accounts=(1, 2), months=(3, 3), txn_per_month=(5, 10))


def serve_seed(api, ids):
    for sid in ids:
        api.session(sid, fixture("seed_session_status.json"), fixture("seed_insights.json"))


def take(feed, ids, client):
    """A package's reads: {session id: status} and its transactions (session id, date, amount)."""
    statuses, transactions = {}, []
    for outcomes, tables in feed.reads(ids, client, ConcurrencyLimiter(2, 2), Treatment()):
        statuses.update((o.session_id, o.status) for o in outcomes)
        if "transactions" in tables:
            t = tables["transactions"].select(["session_id", "date", "amount"]).to_pylist()
            transactions += [(r["session_id"], str(r["date"]), r["amount"]) for r in t]
    return statuses, sorted(transactions)


def wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def insights_hits(api, ids):
    return [api.hits.get(f"/bank-connect/v1/session_data/{sid}/insights/", 0) for sid in ids]


def test_the_next_package_is_fetched_before_it_is_taken(api):
    serve_seed(api, ["s1", "s2", "s3", "s4", "s5"])
    client = BankConnectClient(API_KEY, SERVER_HASH, api.base_url, backoff_factor=0)
    feed = SessionFeed(PACKAGES)
    try:
        statuses, transactions = take(feed, PACKAGES[0], client)
        assert statuses == {"s1": "completed", "s2": "completed", "s3": "completed"}
        # the seed's two transactions for each session of the package, and nothing of the next one
        assert transactions == sorted([(s, "2023-11-05", Decimal("6500.00")) for s in PACKAGES[0]]
                                      + [(s, "2023-12-15", Decimal("10890.00")) for s in PACKAGES[0]])
        # while the caller loads the first package, the second is fetched (each session once)
        assert wait_for(lambda: insights_hits(api, PACKAGES[1]) == [1, 1])
        statuses, transactions = take(feed, PACKAGES[1], client)
        assert statuses == {"s4": "completed", "s5": "completed"}
        assert len(transactions) == 4 and {t[0] for t in transactions} == {"s4", "s5"}
    finally:
        feed.close()
    assert insights_hits(api, ["s1", "s2", "s3", "s4", "s5"]) == [1, 1, 1, 1, 1]


def test_packages_are_taken_in_the_order_given(api):
    feed = SessionFeed(PACKAGES)
    client = BankConnectClient(API_KEY, SERVER_HASH, api.base_url)
    with pytest.raises(RuntimeError, match="in the order given"):
        take(feed, PACKAGES[1], client)
    feed.close()
    assert api.hits == {}  # nothing was fetched


def test_refused_credentials_stop_the_package_that_met_them(api):
    serve_seed(api, ["s1", "s2", "s3", "s5"])
    api.session("s4", status_error=(403, "ACCESS_DENIED"))
    feed = SessionFeed(PACKAGES)
    client = BankConnectClient(API_KEY, SERVER_HASH, api.base_url, backoff_factor=0)
    try:
        statuses, _ = take(feed, PACKAGES[0], client)
        assert statuses == {"s1": "completed", "s2": "completed", "s3": "completed"}
        with pytest.raises(AuthError, match="refused the credentials"):
            take(feed, PACKAGES[1], client)
    finally:
        feed.close()


def test_closing_a_feed_that_waits_for_room_ends_its_thread(api):
    ids = [f"s{i}" for i in range(1, 13)]
    serve_seed(api, ids)
    feed = SessionFeed([ids[:6], ids[6:]], ahead=1)
    client = BankConnectClient(API_KEY, SERVER_HASH, api.base_url, backoff_factor=0)
    first = next(iter(feed.reads(ids[:6], client, ConcurrencyLimiter(1, 1), Treatment())))
    assert len(first[0]) == 1  # one session per read when nothing else is ready (inline reading)
    assert wait_for(lambda: feed._queue.full())  # the thread now waits for room
    feed.close()
    assert not feed._thread.is_alive()
    assert feed._queue.empty()
    # fetching stopped: with one read in the queue and one waiting, most sessions were never asked for
    assert sum(insights_hits(api, ids)) < len(ids)


def test_package_chunks_keep_the_order():
    assert package_chunks(["a", "b", "c", "d", "e"], 2) == [["a", "b"], ["c", "d"], ["e"]]
    assert package_chunks([], 250) == []


def test_packages_fetched_ahead_load_what_one_package_loads(tmp_path):
    # 24 simulator sessions (the lifecycle cases among them) in one package, and in packages of 5
    # with each next one fetched while the previous loads: the same rows and the same record
    catalog = build_catalog(n_sessions=24, seed=5, **SHAPE)
    ids = catalog.session_ids()
    one_db, many_db = str(tmp_path / "one.duckdb"), str(tmp_path / "many.duckdb")
    with Simulator(catalog, api_key=API_KEY, server_hash=SERVER_HASH) as sim:
        one = run_load(ids, duckdb_path=one_db, base_url=sim.base_url + API_PATH, processes=0)
    with Simulator(build_catalog(n_sessions=24, seed=5, **SHAPE), api_key=API_KEY, server_hash=SERVER_HASH) as sim:
        many = run_load(ids, duckdb_path=many_db, base_url=sim.base_url + API_PATH, processes=2, sessions_per_load=5)
    assert len(one.load_ids) == 1 and len(many.load_ids) == 5
    assert many.sessions == one.sessions and sum(one.sessions.values()) == 24
    assert many.rows == one.rows and one.rows["transactions"] > 100
    assert table_checksums(many_db) == table_checksums(one_db)
    # every session's row comes with its package: five packages, 5 + 5 + 5 + 5 + 4 sessions
    assert query(many_db, "select count(*) from bankconnect.sessions group by _dlt_load_id order by 1") == [
        (4,), (5,), (5,), (5,), (5,)]
