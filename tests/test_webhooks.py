"""Webhooks end to end through real processes: `serve` under a burst with a SIGKILL, `load` draining the
queue exactly once, bad requests refused, and the one-run-per-database lock (exit status 4)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.webhooks import EVENT_KINDS, Receiver, burst_with_crash, notifications, send_burst
from pipelines import inbox
from pipelines.runlock import RunLock, RunLockBusy, holder, run_target
from pipelines.runtime import make_pipeline
from pipelines.webhook_events import load_webhook_events, loaded_up_to
from sources.bankconnect.pii import pii_hash
from tests.apiserver import fixture
from tests.conftest import query, table_counts

SECRET = "wh-secret-5d1c9e77"
STATUS_PATH = re.compile(r"/session_data/([^/]+)/session_status/$")
BUSY = re.compile(r"^another bankconnect run \(pid (\d+), started \d\d:\d\d:\d\d\) holds bank\.duckdb; "
                  r"try again later or pass --wait$")


def cli_env(api=None, **extra):
    env = dict(os.environ, SOURCES__BANKCONNECT__WEBHOOK_SECRET=SECRET, **extra)
    if api is not None:
        env["SOURCES__BANKCONNECT__BASE_URL"] = api.base_url
    return env


def bankconnect(*args, env, **kwargs):
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300, **kwargs)


def start_load(*args, env):
    return subprocess.Popen([sys.executable, "-m", "pipelines.cli", "load", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def fetched_sessions(api) -> Counter:
    """Session id -> session_status requests the API answered."""
    return Counter({m.group(1): n for path, n in api.hits.items() if (m := STATUS_PATH.search(path))})


@pytest.fixture
def failed_sessions(api):
    """Every session id answers with the documented all-accounts-failed status (one request per session)."""
    api.route(r"/session_data/[^/]+/session_status/$", (200, fixture("docs_session_status_failed.json"), {}))
    return api


@pytest.fixture
def completed_sessions(api):
    """Every session id answers with the documented completed session (2 transactions each), 0.2 s per answer."""
    def slow(body):
        return lambda: (time.sleep(0.2), (200, body, {}))[1]

    api.route(r"/session_data/[^/]+/session_status/$", slow(fixture("docs_session_status_completed.json")))
    api.route(r"/session_data/[^/]+/insights/$", slow(fixture("docs_insights.json")))
    return api


def test_burst_with_sigkill_every_answered_notification_lands_once_and_each_session_is_fetched_once(
        failed_sessions, db_path):
    api = failed_sessions
    receiver = Receiver(db_path, cli_env()).start()
    try:
        bodies = notifications(2000, 400)
        burst = burst_with_crash(receiver, bodies, SECRET)
        health = json.loads(receiver.get("/healthz")[1])
    finally:
        receiver.stop()
    answered = burst.answered(200)
    assert 0 < len(answered) < len(bodies)  # the kill cost some requests, the rest were answered
    assert set(Counter(s.status for s in burst.sent)) <= {0, 200}

    result = bankconnect("load", "--duckdb", db_path, "--json", env=cli_env(api))
    assert result.returncode == 0, result.stderr

    rows = query(db_path, "select event_id, body from bankconnect.webhook_events")
    stored = [json.loads(body)["nonce"] for _, body in rows]
    assert len(stored) == len(set(stored)) == len({e for e, _ in rows})  # one row per stored notification
    assert {s.body["nonce"] for s in answered} <= set(stored)  # every 2xx landed
    assert len(stored) == health["events"] or len(stored) >= len(answered)
    enriched = {sid for (sid,) in query(db_path, "select distinct session_id from bankconnect.webhook_events "
                                                 "where event_name = 'ENRICHMENT_NOTIFICATION'")}
    acknowledged = {s.body["session_id"] for s in answered if s.body["event_name"] == EVENT_KINDS[0]}
    assert acknowledged <= enriched
    fetched = fetched_sessions(api)
    assert set(fetched) == enriched and set(fetched.values()) == {1}  # each once, no other session
    assert query(db_path, "select count(*), count(distinct session_id) from bankconnect.sessions") == [(len(enriched),) * 2]

    again = bankconnect("load", "--duckdb", db_path, "--json", env=cli_env(api))  # nothing queued, nothing new
    assert again.returncode == 0 and json.loads(again.stdout)["sessions"] == {}
    assert sum(fetched_sessions(api).values()) == len(enriched)
    for path in Path(db_path).parent.rglob("*"):  # the secret reached no file (inbox, database, dlt state)
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_session_notified_again_after_its_load_is_fetched_again(failed_sessions, db_path):
    api = failed_sessions
    receiver = Receiver(db_path, cli_env()).start()
    try:
        enrich = {"event_name": EVENT_KINDS[0], "session_id": "s-again", "accounts": []}
        upload = {"event_name": EVENT_KINDS[2], "session_id": "s-upload-only"}
        unknown = {"event_name": "SOMETHING_NEW", "session_id": "s-unknown"}
        assert {s.status for s in send_burst(receiver.port, [enrich, enrich, upload, unknown], SECRET).sent} == {200}
        assert bankconnect("load", "--duckdb", db_path, env=cli_env(api)).returncode == 0
        assert fetched_sessions(api) == Counter({"s-again": 1})
        send_burst(receiver.port, [enrich], SECRET)
        assert bankconnect("load", "--duckdb", db_path, env=cli_env(api)).returncode == 0
    finally:
        receiver.stop()
    assert fetched_sessions(api) == Counter({"s-again": 2})
    assert query(db_path, "select event_name, count(*) from bankconnect.webhook_events group by 1 order by 1") == [
        (EVENT_KINDS[0], 3), (EVENT_KINDS[2], 1), ("SOMETHING_NEW", 1)]
    # dlt's cursor says 5 events are loaded: a load with nothing new in the inbox makes no dlt run
    pipeline, _ = make_pipeline(db_path)
    assert loaded_up_to(pipeline) == 5
    loads = query(db_path, "select count(*) from bankconnect._dlt_loads")[0][0]
    assert bankconnect("load", "--duckdb", db_path, env=cli_env(api)).returncode == 0
    assert query(db_path, "select count(*) from bankconnect._dlt_loads")[0][0] == loads
    assert query(db_path, "select count(*) from bankconnect.webhook_events")[0][0] == 5
    # the table says what it is, and so does every column (COMMENT ON, like the other raw tables)
    assert query(db_path, "select comment from duckdb_tables() where table_name = 'webhook_events'")[0][0].startswith(
        "one row per FinBox webhook notification")
    assert query(db_path, "select column_name from duckdb_columns() where table_name = 'webhook_events' "
                          "and (comment is null or comment = '')") == []


def test_serve_load_every_loads_the_queue_itself(failed_sessions, db_path):
    api = failed_sessions
    receiver = Receiver(db_path, cli_env(api), options=["--load-every", "1s"]).start()
    try:
        sent = send_burst(receiver.port, [{"event_name": EVENT_KINDS[0], "session_id": f"le-{i}"} for i in range(3)],
                          SECRET)
        assert {s.status for s in sent.sent} == {200}
        _wait_for(lambda: json.loads(receiver.get("/healthz")[1])["queue_depth"] == 0, 60)
        _wait_for(lambda: holder(run_target(db_path)) is None, 60)  # the load recorded itself and let go
        health = json.loads(receiver.get("/healthz")[1])
    finally:
        receiver.stop()
    assert fetched_sessions(api) == Counter({"le-0": 1, "le-1": 1, "le-2": 1})
    assert health["last_load"]["outcome"] == "ok" and health["events"] == 3
    assert query(db_path, "select session_id, status from bankconnect.sessions order by 1") == [
        ("le-0", "failed"), ("le-1", "failed"), ("le-2", "failed")]


BAD_REQUESTS = [
    pytest.param("POST", "/webhooks/bankconnect", {}, b'{"event_name": "ENRICHMENT_NOTIFICATION", "session_id": "s1"}',
                 401, id="no-secret"),
    pytest.param("POST", "/webhooks/bankconnect", {"x-secret-key": "wrong"},
                 b'{"event_name": "ENRICHMENT_NOTIFICATION", "session_id": "s2"}', 401, id="wrong-secret"),
    pytest.param("POST", "/webhooks/bankconnect", {"x-secret-key": SECRET}, b"not json", 400, id="not-json"),
    pytest.param("POST", "/webhooks/bankconnect", {"x-secret-key": SECRET}, b'["s3"]', 400, id="not-an-object"),
    pytest.param("POST", "/webhooks/bankconnect", {"x-secret-key": SECRET},
                 b'{"event_name": "ENRICHMENT_NOTIFICATION"}', 400, id="no-session-id"),
    pytest.param("POST", "/webhooks/bankconnect", {"x-secret-key": SECRET},
                 b'{"event_name": "ENRICHMENT_NOTIFICATION", "session_id": "../etc/passwd"}', 400, id="bad-session-id"),
    pytest.param("POST", "/webhooks/bankconnect", {"x-secret-key": SECRET},
                 b'{"event_name": "ENRICHMENT_NOTIFICATION", "session_id": "s4", "pad": "' + b"x" * (1 << 20) + b'"}',
                 413, id="over-1MiB"),
    pytest.param("GET", "/webhooks/bankconnect", {"x-secret-key": SECRET}, None, 405, id="wrong-method"),
    pytest.param("POST", "/webhooks/other", {"x-secret-key": SECRET},
                 b'{"event_name": "ENRICHMENT_NOTIFICATION", "session_id": "s5"}', 404, id="wrong-path"),
]


def test_bad_requests_are_refused_nothing_stored_nothing_fetched(failed_sessions, db_path):
    import http.client

    api = failed_sessions
    receiver = Receiver(db_path, cli_env()).start()
    answers = []
    try:
        for case in BAD_REQUESTS:
            method, path, headers, body, expected = case.values
            conn = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=10)
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            answers.append(response.read().decode())
            conn.close()
            assert response.status == expected, case.id
        health = json.loads(receiver.get("/healthz")[1])
    finally:
        receiver.stop()
    assert health["events"] == 0 and health["queue_depth"] == 0
    load = bankconnect("load", "--duckdb", db_path, env=cli_env(api))
    status = bankconnect("status", "--duckdb", db_path, "--json", env=cli_env(api))
    assert load.returncode == 0 and status.returncode == 0
    assert fetched_sessions(api) == Counter()
    assert json.loads(status.stdout)["events"] == 0
    outputs = [*answers, json.dumps(health), load.stdout, load.stderr, status.stdout,
               Path(receiver.log_path).read_text()]
    assert not any(SECRET in text for text in outputs)
    for path in Path(db_path).parent.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_serve_refuses_a_public_address_without_a_secret(db_path):
    env = dict(os.environ)
    env.pop("SOURCES__BANKCONNECT__WEBHOOK_SECRET", None)
    result = bankconnect("serve", "--host", "0.0.0.0", "--duckdb", db_path, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("error: refusing to listen on 0.0.0.0 without a webhook secret")


def test_second_load_exits_4_while_the_first_runs_then_waits_with_wait(completed_sessions, db_path):
    api = completed_sessions
    env = cli_env(api)
    first_ids = [f"first-{i}" for i in range(8)]
    first = start_load(*first_ids, "--duckdb", db_path, "--workers", "2", env=env)
    target = run_target(db_path)
    _wait_for(lambda: target.lock_path.exists() and target.lock_path.read_text().strip(), 60)
    time.sleep(1)
    started = time.monotonic()
    second = bankconnect("load", "second-0", "--duckdb", db_path, env=env)
    second_seconds = time.monotonic() - started
    waiting = start_load("second-0", "second-1", "--duckdb", db_path, "--wait", "600", env=env)
    assert first.wait(120) == 0, first.stderr.read()
    assert waiting.wait(120) == 0, waiting.stderr.read()

    assert second.returncode == 4 and second.stdout == ""
    match = BUSY.match(second.stderr.rstrip("\n"))
    assert match and int(match.group(1)) == first.pid and second.stderr.count("\n") == 1
    assert second_seconds < 10  # exits at once (about 1 s of interpreter start); measured in the report
    counts = table_counts(db_path)
    assert counts["sessions"] == 10 and counts["transactions"] == 20 and counts["accounts"] == 10
    sessions = query(db_path, "select count(*) from bankconnect.sessions where session_id like 'first-%'")
    assert sessions == [(8,)]


def test_a_killed_runs_lock_does_not_block_the_next_run(completed_sessions, db_path):
    env = cli_env(completed_sessions)
    first = start_load(*[f"k-{i}" for i in range(8)], "--duckdb", db_path, "--workers", "1", env=env)
    target = run_target(db_path)
    _wait_for(lambda: target.lock_path.exists() and target.lock_path.read_text().strip(), 60)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert target.lock_path.read_text().startswith(f"{first.pid} ")  # the dead run's line is still there

    result = bankconnect("load", "k-0", "--duckdb", db_path, env=env)
    assert result.returncode == 0, result.stderr
    assert f"took over the lock of an earlier run that ended without releasing it (pid {first.pid}" in result.stderr
    assert query(db_path, "select count(*) from bankconnect.sessions where session_id = 'k-0'") == [(1,)]
    status = json.loads(bankconnect("status", "--duckdb", db_path, "--json", env=env).stdout)
    assert status["running"] is None and status["last_run"]["command"] == "load"
    assert status["last_run"]["outcome"] == "ok" and status["sessions"]["completed"] >= 1


def test_status_reports_the_queue_while_a_writer_holds_the_database(db_path):
    import duckdb

    con = inbox.open_inbox(inbox.inbox_path(run_target(db_path).working_dir))
    inbox.store(con, [inbox.Notification("q1", EVENT_KINDS[0], "{}", "2026-01-02T03:04:05+00:00"),
                      inbox.Notification("q1", EVENT_KINDS[0], "{}", "2026-01-02T04:00:00+00:00"),
                      inbox.Notification("q2", EVENT_KINDS[1], "{}", "2026-01-02T05:00:00+00:00")])
    con.close()
    writer = duckdb.connect(db_path)
    try:
        result = bankconnect("status", "--duckdb", db_path, "--json", env=cli_env())
    finally:
        writer.close()
    assert result.returncode == 0
    status = json.loads(result.stdout)
    assert status["database_state"].startswith("busy")
    assert (status["queue_depth"], status["events"]) == (1, 3)
    assert status["oldest_queued_at"] == "2026-01-02T03:04:05+00:00"


def test_inbox_claim_and_acknowledge_keep_a_session_notified_during_the_load(tmp_path):
    con = inbox.open_inbox(tmp_path / "inbox.sqlite")
    note = inbox.Notification
    assert inbox.store(con, [note("a", EVENT_KINDS[0], "{}"), note("b", EVENT_KINDS[0], "{}"),
                             note("a", EVENT_KINDS[0], "{}"), note("c", "UNKNOWN", "{}")]) == [1, 2, 3, 4]
    taken = inbox.claim(con)
    assert taken.entries == {"a": 3, "b": 2}
    inbox.store(con, [note("b", EVENT_KINDS[0], "{}")])  # b notified again while the load runs
    assert inbox.acknowledge(con, taken) == 1
    assert inbox.claim(con).entries == {"b": 5}
    assert [e["event_id"] for e in inbox.events_after(con, 2)] == [3, 4, 5]


def test_run_lock_waits_then_gives_up_with_the_holders_pid(tmp_path):
    target = run_target(str(tmp_path / "bank.duckdb"))
    holding = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pipelines.runlock import RunLock, run_target; "
        f"RunLock(run_target({str(tmp_path / 'bank.duckdb')!r})).acquire(); print('held', flush=True); time.sleep(30)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holding.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(RunLockBusy) as busy:
            RunLock(target).acquire(wait=0.6)
        assert time.monotonic() - started >= 0.6
        assert BUSY.match(str(busy.value)) and f"pid {holding.pid}," in str(busy.value)
    finally:
        holding.kill()
        holding.wait()
    with RunLock(target) as lock:
        assert lock.stale is not None and lock.stale[0] == holding.pid


def _wait_for(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


ASHA = {"event_name": EVENT_KINDS[0], "session_id": "s1", "insights_available": True,
        "accounts": [{"account_id": "a1", "account_status": "completed", "error_code": None, "name": "ASHA KUMARI",
                      "account_number": "XXXXXX123456", "bank_name": "HDFC",
                      "statements": [{"upload_file_name": "ASHA statement 123456.pdf"}]}],
        "mobile": "9876543210"}


@pytest.mark.parametrize("mode, name, number, file_name", [
    pytest.param("keep", "ASHA KUMARI", "XXXXXX123456", "ASHA statement 123456.pdf", id="keep"),
    pytest.param("mask", "A*** K*****", "XXXXXXXX3456", "A*** statement XX3456.pdf", id="mask"),
    # in a note each holder term is replaced by its own hash: the name token and the account number's digit run
    pytest.param("hash", "h:79988105c890f6ec", "h:e87038a29407a142",
                 f"{pii_hash('ASHA', b'k')} statement {pii_hash('123456', b'k')}.pdf", id="hash"),
    pytest.param("drop", None, None, "statement.pdf", id="drop"),
])
def test_webhook_event_rows_treat_the_bodys_personal_data_like_the_raw_tables(mode, name, number, file_name):
    from pipelines.webhook_events import events_table

    event = {"event_id": 7, "received_at": "2026-12-03T05:00:00.000001+00:00", "session_id": "s1",
             "event_name": EVENT_KINDS[0], "body": json.dumps(ASHA)}
    row = events_table([event], mode, b"k").to_pylist()[0]
    body = json.loads(row["body"])
    account = body["accounts"][0]
    assert (account["name"], account["account_number"]) == (name, number)
    assert account["statements"][0]["upload_file_name"] == file_name
    assert body["mobile"] == ("9876543210" if mode == "keep" else None)
    assert (body["event_name"], account["bank_name"], account["account_status"]) == (EVENT_KINDS[0], "HDFC", "completed")
    assert row["insights_available"] is True and row["event_id"] == 7
    assert row["account_statuses"] == [{"account_id": "a1", "account_status": "completed", "error_code": None}]
    assert row["received_at"].isoformat() == "2026-12-03T05:00:00.000001+00:00"


class _LoadedUpTo:
    """A pipeline whose dlt state says events up to `last` are loaded; running it is an error."""

    def __init__(self, folder, last):
        self.pipelines_dir = str(folder)
        self.state = {"sources": {"bankconnect": {"resources": {"webhook_events": {
            "incremental": {"event_id": {"initial_value": 0, "last_value": last}}}}}}}

    def run(self, *args, **kwargs):
        raise AssertionError("a dlt run with nothing new to load")


def test_load_runs_dlt_for_webhook_events_only_when_the_inbox_has_events_past_the_cursor(tmp_path):
    con = inbox.open_inbox(inbox.inbox_path(tmp_path))
    ids = inbox.store(con, [inbox.Notification("s-1", EVENT_KINDS[0], "{}") for _ in range(3)])
    con.close()
    assert ids == [1, 2, 3]
    assert load_webhook_events(_LoadedUpTo(tmp_path, 3), []) == {}
    assert loaded_up_to(_LoadedUpTo(tmp_path, None)) == 0  # dlt's value before the first load
    with pytest.raises(AssertionError, match="nothing new"):
        load_webhook_events(_LoadedUpTo(tmp_path, 2), [])
