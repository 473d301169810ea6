"""The simulator over HTTP: auth, lifecycle cases, any base path, determinism, faults, fixed payloads, CLI."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest
import requests
from click.testing import CliRunner

from simulator import CASES, FaultConfig, Simulator, build_catalog
from simulator import cli as simulator_cli

FIXTURES = Path(__file__).parent / "fixtures"
KEY, HASH = "test-key", "test-hash"
HEADERS = {"x-api-key": KEY, "server-hash": HASH}
SMALL = dict(accounts=(1, 2), months=(3, 4), txn_per_month=(5, 10))


@pytest.fixture(scope="module")
def catalog():
    return build_catalog(n_sessions=24, seed=3, **SMALL)


@pytest.fixture(scope="module")
def sim(catalog):
    with Simulator(catalog, api_key=KEY, server_hash=HASH) as server:
        yield server


def url(sim: Simulator, session_id: str, endpoint: str, prefix: str = "/bank-connect/v1") -> str:
    return f"{sim.base_url}{prefix}/session_data/{session_id}/{endpoint}/"


def error_code(response: requests.Response) -> str:
    return response.json()["error"]["code"]


@pytest.mark.parametrize("headers", [
    pytest.param({}, id="no-headers"),
    pytest.param({"x-api-key": KEY}, id="no-server-hash"),
    pytest.param({"x-api-key": "wrong", "server-hash": HASH}, id="wrong-key"),
    pytest.param({"x-api-key": KEY, "server-hash": "wrong"}, id="wrong-hash"),
])
@pytest.mark.parametrize("endpoint", ["session_status", "insights"])
def test_credentials_are_enforced(sim, catalog, headers, endpoint):
    response = requests.get(url(sim, catalog.session_ids("completed")[0], endpoint), headers=headers)
    assert response.status_code == 403
    assert error_code(response) == "ACCESS_DENIED" and response.json()["error"]["message"]


@pytest.mark.parametrize("case, status_answer, insights_answer", [
    ("completed", 200, 200),
    ("statement_failed", 200, 200),
    ("account_failed", 200, 200),
    ("not_found", (404, "SESSION_NOT_FOUND"), (404, "SESSION_NOT_FOUND")),
    ("deleted", (410, "SESSION_DELETED"), (410, "SESSION_DELETED")),
    ("not_requested", 200, (400, "PROCESSING_NOT_REQUESTED")),
])
def test_each_case_answers_as_documented(sim, catalog, case, status_answer, insights_answer):
    session_id = catalog.session_ids(case)[0]
    for endpoint, expected in (("session_status", status_answer), ("insights", insights_answer)):
        response = requests.get(url(sim, session_id, endpoint), headers=HEADERS)
        if expected == 200:
            assert response.status_code == 200 and response.json()["session_id"] == session_id
        else:
            assert (response.status_code, error_code(response)) == expected


def test_failed_accounts_and_statements_show_in_session_status(sim, catalog):
    status = requests.get(url(sim, catalog.session_ids("account_failed")[0], "session_status"), headers=HEADERS).json()
    states = sorted(a["account_status"] for a in status["accounts"])
    assert states[0] == "completed" and states[-1] == "failed"
    failed = next(a for a in status["accounts"] if a["account_status"] == "failed")
    assert failed["error_code"] in {"MISSING_TRANSACTIONS", "INCOMPLETE_MONTHS", "NULL_ACCOUNT_NUMBER",
                                    "BALANCE_MISMATCH", "INCOMPLETE_MONTHS_UPLOAD", "INCOMPLETE_DATES_UPLOAD",
                                    "UNPARSABLE"}
    insights = requests.get(url(sim, catalog.session_ids("account_failed")[0], "insights"), headers=HEADERS).json()
    assert failed["account_id"] not in {a["account_id"] for a in insights["accounts"]}
    assert len(insights["accounts"]) == len(status["accounts"]) - 1

    session_id = catalog.session_ids("statement_failed")[0]
    status = requests.get(url(sim, session_id, "session_status"), headers=HEADERS).json()
    statements = [s for a in status["accounts"] for s in a["statements"]]
    assert all(a["account_status"] == "completed" for a in status["accounts"])
    assert [s["statement_status"] for s in statements].count("failed") == 1
    assert next(s for s in statements if s["statement_status"] == "failed")["error_code"]

    status = requests.get(url(sim, catalog.session_ids("not_requested")[0], "session_status"), headers=HEADERS).json()
    assert status["insights_available"] is False and status["accounts"]


def test_processing_completes_after_the_configured_polls():
    catalog = build_catalog(n_sessions=24, seed=3, ready_after_polls=2, **SMALL)
    session_id = catalog.session_ids("processing")[0]
    with Simulator(catalog, api_key=KEY, server_hash=HASH) as sim:
        before = requests.get(url(sim, session_id, "session_status"), headers=HEADERS).json()
        answers = [requests.get(url(sim, session_id, "insights"), headers=HEADERS) for _ in range(3)]
        after = requests.get(url(sim, session_id, "session_status"), headers=HEADERS).json()
    assert [r.status_code for r in answers] == [400, 400, 200]
    assert error_code(answers[0]) == "PROCESSING_NOT_COMPLETED"
    assert answers[2].json()["session_id"] == session_id
    assert before["insights_available"] is False and {a["account_status"] for a in before["accounts"]} == {"processing"}
    assert after["insights_available"] is True and {a["account_status"] for a in after["accounts"]} == {"completed"}


def test_processing_can_complete_after_a_delay():
    catalog = build_catalog(n_sessions=24, seed=3, ready_after_seconds=0.3, **SMALL)
    session_id = catalog.session_ids("processing")[0]
    with Simulator(catalog, api_key=KEY, server_hash=HASH) as sim:
        first = requests.get(url(sim, session_id, "insights"), headers=HEADERS)
        time.sleep(0.35)
        later = requests.get(url(sim, session_id, "insights"), headers=HEADERS)
    assert (first.status_code, later.status_code) == (400, 200)


@pytest.mark.parametrize("prefix", ["", "/bank-connect/v1", "/some/other/base"])
def test_any_base_path_prefix_is_accepted(sim, catalog, prefix):
    response = requests.get(url(sim, catalog.session_ids("completed")[0], "session_status", prefix), headers=HEADERS)
    assert response.status_code == 200


def test_unknown_paths_and_methods(sim):
    assert requests.get(f"{sim.base_url}/session_data/x/transactions/", headers=HEADERS).status_code == 404
    assert requests.post(f"{sim.base_url}/session_data/x/insights/", headers=HEADERS).status_code == 405
    response = requests.get(url(sim, "00000000-0000-4000-8000-000000000000", "insights"), headers=HEADERS)
    assert (response.status_code, error_code(response)) == (404, "SESSION_NOT_FOUND")


def test_simulator_sessions_lists_every_case(sim, catalog):
    listed = requests.get(f"{sim.base_url}/_simulator/sessions").json()
    assert listed == catalog.cases()
    assert set(listed) == set(CASES)
    assert len(listed["completed"]) == 18 and all(len(listed[c]) == 1 for c in CASES[1:])
    assert sorted(sum(listed.values(), [])) == sorted(catalog.session_ids())


def test_every_answer_has_a_content_length_and_no_log_lines(sim, catalog, capfd):
    with requests.Session() as http:  # one keep-alive connection for all
        answers = [http.get(url(sim, catalog.session_ids(case)[0], "insights"), headers=HEADERS) for case in CASES]
        answers.append(http.get(url(sim, catalog.session_ids()[0], "insights")))
        answers.append(http.get(f"{sim.base_url}/_simulator/sessions"))
    for response in answers:
        assert int(response.headers["Content-Length"]) == len(response.content)
    assert capfd.readouterr().err == ""


def test_same_seed_same_bytes_different_seed_different_data():
    def payloads(seed: int, n: int) -> dict:
        catalog = build_catalog(n_sessions=n, seed=seed, lifecycle=False, **SMALL)
        with Simulator(catalog, api_key=KEY, server_hash=HASH) as sim:
            return {sid: requests.get(url(sim, sid, "insights"), headers=HEADERS).content
                    for sid in catalog.session_ids()}

    first, again, more, other = payloads(5, 3), payloads(5, 3), payloads(5, 6), payloads(6, 3)
    assert first == again
    assert all(more[sid] == body for sid, body in first.items())  # a session does not depend on how many exist
    assert not set(first) & set(other)
    amounts = [[t["amount"] for t in orjson.loads(body)["accounts"][0]["data"]["transactions"]]
               for body in (next(iter(first.values())), next(iter(other.values())))]
    assert amounts[0] != amounts[1]


def test_prerendered_and_lazy_catalogs_serve_identical_bytes():
    ready = build_catalog(n_sessions=24, seed=9, prerender=True, **SMALL)
    lazy = build_catalog(n_sessions=24, seed=9, **SMALL)
    stateless = [sid for sid in ready.session_ids() if sid not in ready.session_ids("processing")]
    targets = [(sid, endpoint) for sid in stateless for endpoint in ("session_status", "insights")]
    with Simulator(ready, api_key=KEY, server_hash=HASH) as sim, requests.Session() as http:
        expected = [http.get(url(sim, sid, endpoint), headers=HEADERS).content for sid, endpoint in targets]
    with Simulator(lazy, api_key=KEY, server_hash=HASH) as sim, ThreadPoolExecutor(8) as pool:
        # Every session requested by several threads at once: generated once, same bytes for all.
        fetched = list(pool.map(lambda t: requests.get(url(sim, *t), headers=HEADERS).content, targets * 3))
    assert fetched == expected * 3 and len(expected) == 46


def test_fixed_payloads_are_served_as_given(sim, catalog):
    status = orjson.loads((FIXTURES / "docs_session_status_completed.json").read_bytes())
    insights_bytes = (FIXTURES / "docs_insights.json").read_bytes()
    catalog.add_session("fixture-docs", status_payload=status, insights_payload=insights_bytes)
    catalog.add_session("fixture-gone", error=(410, "SESSION_DELETED"))
    catalog.add_session("fixture-status-only", status_payload=status)
    assert requests.get(url(sim, "fixture-docs", "session_status"), headers=HEADERS).json() == status
    assert requests.get(url(sim, "fixture-docs", "insights"), headers=HEADERS).content == insights_bytes
    gone = requests.get(url(sim, "fixture-gone", "insights"), headers=HEADERS)
    assert (gone.status_code, error_code(gone)) == (410, "SESSION_DELETED")
    missing = requests.get(url(sim, "fixture-status-only", "insights"), headers=HEADERS)
    assert (missing.status_code, error_code(missing)) == (404, "SESSION_NOT_FOUND")
    assert catalog.cases()["custom"] == ["fixture-docs", "fixture-gone", "fixture-status-only"]


def faulty(kind: str, **options) -> Simulator:
    catalog = build_catalog(n_sessions=1, seed=1, lifecycle=False, **SMALL)
    return Simulator(catalog, api_key=KEY, server_hash=HASH, faults=FaultConfig(rate=1.0, kinds=(kind,), **options))


@pytest.mark.parametrize("kind, status", [("429", 429), ("500", 500), ("502", 502), ("503", 503)])
def test_status_faults(kind, status):
    with faulty(kind) as sim:
        responses = [requests.get(url(sim, sim.catalog.session_ids()[0], "insights"), headers=HEADERS)
                     for _ in range(6)]
        listing = requests.get(f"{sim.base_url}/_simulator/sessions")
    assert {r.status_code for r in responses} == {status}
    if kind == "429":
        assert {r.headers["Retry-After"] for r in responses} <= {"0", "1"}
    assert listing.status_code == 200  # faults never touch /_simulator
    assert sim.stats()[f"fault_{kind}"] == 6


def test_reset_fault_drops_the_connection():
    with faulty("reset") as sim:
        with pytest.raises(requests.ConnectionError):
            requests.get(url(sim, sim.catalog.session_ids()[0], "session_status"), headers=HEADERS)


def test_truncated_fault_sends_less_than_content_length():
    with faulty("truncated") as sim:
        path = f"/session_data/{sim.catalog.session_ids()[0]}/insights/"
        with pytest.raises(requests.RequestException):
            requests.get(sim.base_url + path, headers=HEADERS)
        port = int(sim.base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nx-api-key: {KEY}\r\nserver-hash: {HASH}\r\n\r\n".encode())
            received = b""
            while chunk := raw.recv(65536):
                received += chunk
    head, body = received.split(b"\r\n\r\n", 1)
    headers = dict(line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:])
    length = int(headers[b"content-length"])
    assert 0 < len(body) < length
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)


def test_html_fault_is_not_json():
    with faulty("html", seed=4) as sim:
        responses = [requests.get(url(sim, sim.catalog.session_ids()[0], "insights"), headers=HEADERS)
                     for _ in range(8)]
    assert {r.status_code for r in responses} == {200, 502}
    for response in responses:
        assert response.headers["Content-Type"].startswith("text/html")
        with pytest.raises(ValueError):
            response.json()


def test_slow_fault_answers_normally_after_a_delay():
    with faulty("slow", slow_seconds=0.15) as sim:
        started = time.perf_counter()
        response = requests.get(url(sim, sim.catalog.session_ids()[0], "session_status"), headers=HEADERS)
    assert response.status_code == 200 and response.json()["accounts"]
    assert time.perf_counter() - started >= 0.15


def test_429_storm_throttles_every_second_request_with_retry_after_1():
    catalog = build_catalog(n_sessions=1, seed=1, lifecycle=False, **SMALL)
    with Simulator(catalog, api_key=KEY, server_hash=HASH, faults=FaultConfig(throttle_every=2)) as sim:
        responses = [requests.get(url(sim, sim.catalog.session_ids()[0], endpoint), headers=HEADERS)
                     for endpoint in ("session_status", "insights") * 3]
        requests.get(f"{sim.base_url}/_simulator/sessions")  # not an API request: not counted
        after = requests.get(url(sim, sim.catalog.session_ids()[0], "session_status"), headers=HEADERS)
    assert [r.status_code for r in responses] + [after.status_code] == [200, 429, 200, 429, 200, 429, 200]
    assert {r.headers.get("Retry-After") for r in responses if r.status_code == 429} == {"1"}
    assert sim.stats()["fault_429"] == 3


def test_latency_delays_every_api_answer():
    catalog = build_catalog(n_sessions=1, seed=1, lifecycle=False, **SMALL)
    with Simulator(catalog, api_key=KEY, server_hash=HASH, faults=FaultConfig(latency=0.15)) as sim:
        started = time.perf_counter()
        for endpoint in ("session_status", "insights"):
            assert requests.get(url(sim, sim.catalog.session_ids()[0], endpoint), headers=HEADERS).status_code == 200
    assert time.perf_counter() - started >= 0.3  # two answers, each held back 0.15 s


def test_fault_config_validates_and_is_off_by_default():
    assert FaultConfig().rate == 0.0
    assert FaultConfig(kinds="429, reset").kinds == ("429", "reset")
    with pytest.raises(ValueError):
        FaultConfig(rate=1.0, kinds=("teapot",))
    with pytest.raises(ValueError):
        FaultConfig(rate=1.5)
    with pytest.raises(ValueError, match="must not be negative"):
        FaultConfig(latency=-0.1)


def test_starts_fast_and_stops_with_open_connections(catalog):
    started = time.perf_counter()
    sim = Simulator(catalog, api_key=KEY, server_hash=HASH).start()
    assert time.perf_counter() - started < 0.5
    http = requests.Session()
    assert http.get(url(sim, catalog.session_ids("not_found")[0], "insights"), headers=HEADERS).status_code == 404
    port = int(sim.base_url.rsplit(":", 1)[1])
    stopping = time.perf_counter()
    sim.stop()  # the keep-alive connection of `http` is still open
    assert time.perf_counter() - stopping < 1.0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    http.close()


def test_only_loopback():
    with pytest.raises(ValueError):
        Simulator(build_catalog(n_sessions=1), host="0.0.0.0")


@pytest.mark.parametrize("options, described", [
    ([], ["faults: off"]),
    (["--throttle-every", "2", "--latency", "0.05"],
     ["429 storm: 1 API request in 2 answers 429, Retry-After: 1", "latency: 0.05 s before every API answer"]),
], ids=["plain", "storm-and-latency"])
def test_simulate_command_serves_until_interrupted(monkeypatch, options, described):
    monkeypatch.setenv("SOURCES__BANKCONNECT__API_KEY", "cli-secret-key")
    monkeypatch.setenv("SOURCES__BANKCONNECT__SERVER_HASH", "cli-secret-hash")
    seen = {}
    describe = simulator_cli.describe

    def spy(sim, faults):
        seen["sim"], seen["base_url"] = sim, sim.base_url
        return describe(sim, faults)

    def interrupt():
        sim = seen["sim"]
        session_id = sim.catalog.session_ids("completed")[0]
        seen["answer"] = requests.get(url(sim, session_id, "session_status"),
                                      headers={"x-api-key": "cli-secret-key", "server-hash": "cli-secret-hash"})
        raise KeyboardInterrupt

    monkeypatch.setattr(simulator_cli, "describe", spy)
    monkeypatch.setattr(simulator_cli, "wait_for_interrupt", interrupt)
    result = CliRunner().invoke(simulator_cli.simulate, ["--port", "0", "--sessions", "30", "--seed", "2", *options])
    assert result.exit_code == 0, result.output
    assert seen["answer"].status_code == 200  # the first request of a storm is answered
    assert all(line in result.output for line in described)
    assert f"listening on {seen['base_url']}/bank-connect/v1" in result.output
    assert all(case in result.output for case in CASES) and "stopped" in result.output
    assert "cli-secret" not in result.output


def test_simulate_command_help_and_bad_options():
    runner = CliRunner()
    assert "Example:" in runner.invoke(simulator_cli.simulate, ["--help"]).output
    result = runner.invoke(simulator_cli.simulate, ["--fault-kinds", "429,teapot"])
    assert result.exit_code != 0 and "teapot" in result.output
