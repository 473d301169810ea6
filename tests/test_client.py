"""The API client through real HTTP: every documented error code, retries, validation."""

from __future__ import annotations

import pytest
from requests import Response

from sources.bankconnect.client import BankConnectClient
from sources.bankconnect.concurrency import ConcurrencyLimiter
from sources.bankconnect.errors import AuthError, ConfigError
from sources.bankconnect.fetching import fetch_sessions
from sources.bankconnect.treatment import Treatment
from sources.bankconnect.validation import validate_base_url, validate_session_id
from tests.apiserver import API_KEY, RESET, SERVER_HASH, TRUNCATED, error, fixture


def fetch_session(client, session_id):
    """One session the way a load reads it (fetch, read, personal-data treatment): its outcome, with
    the tables it would load."""
    (outcomes, tables), = fetch_sessions(client, [session_id], ConcurrencyLimiter(1, 1), Treatment())
    outcome, = outcomes
    outcome.tables = tables
    return outcome


def client(api, **kw):
    kw.setdefault("backoff_factor", 0)
    kw.setdefault("max_attempts", 3)
    return BankConnectClient(API_KEY, SERVER_HASH, api.base_url, **kw)


@pytest.mark.parametrize("status, code, expected_status, on", [
    (404, "SESSION_NOT_FOUND", "not_found", "status"),
    (410, "SESSION_DELETED", "deleted", "status"),
    (400, "PROCESSING_NOT_REQUESTED", "not_requested", "insights"),
    (400, "PROCESSING_NOT_COMPLETED", "pending", "insights"),
], ids=["not-found", "deleted", "not-requested", "not-completed"])
def test_error_codes_become_session_outcomes(api, status, code, expected_status, on):
    if on == "status":
        api.session("s1", status_error=(status, code))
    else:
        api.session("s1", fixture("seed_session_status.json"), insights_error=(status, code))
    outcome = fetch_session(client(api), "s1")
    assert (outcome.status, outcome.error_code) == (expected_status, code)
    assert outcome.tables == {}
    # terminal and not-ready outcomes are not retried within the run
    assert api.hits[f"/bank-connect/v1/session_data/s1/{'session_status' if on == 'status' else 'insights'}/"] == 1
    assert outcome.should_retry is (expected_status in ("pending", "not_requested"))


@pytest.mark.parametrize("response", [
    error(403, "ACCESS_DENIED", "Invalid API key"),
    (401, {"detail": "Authentication credentials were not provided."}, {}),
    (402, {"error": {"code": "PAYMENT_REQUIRED", "message": "trial expired"}}, {}),
], ids=["403-access-denied", "401-detail", "402-payment"])
def test_auth_errors_stop_the_run(api, response):
    api.route(r"/session_status/$", response)
    with pytest.raises(AuthError, match="refused the credentials"):
        fetch_session(client(api), "s1")


def test_wrong_credentials_against_the_server_is_access_denied(api):
    bad = BankConnectClient("wrong", "wrong", api.base_url, backoff_factor=0)
    with pytest.raises(AuthError, match="ACCESS_DENIED"):
        bad.session_status("s1")


@pytest.mark.parametrize("first", [
    (429, {"error": {"code": "RATE_LIMITED"}}, {"Retry-After": "0"}),
    (500, b"oops", {"Content-Type": "text/plain"}),
    (503, b"<html>Service Unavailable</html>", {"Content-Type": "text/html"}),
    (200, b"<html>proxy error</html>", {"Content-Type": "text/html"}),
    RESET,
    TRUNCATED,
], ids=["429-retry-after", "500", "503-html", "200-html", "reset", "truncated"])
def test_transient_failures_are_retried_then_succeed(api, first):
    api.route(r"/session_data/s1/session_status/$", first, (200, fixture("seed_session_status.json"), {}))
    api.route(r"/session_data/s1/insights/$", (200, fixture("seed_insights.json"), {}))
    outcome = fetch_session(client(api), "s1")
    assert outcome.status == "completed"
    assert api.hits["/bank-connect/v1/session_data/s1/session_status/"] == 2
    assert outcome.tables["transactions"].num_rows == 2


def test_retries_exhausted_is_a_recorded_failure(api):
    api.route(r"/session_data/s1/insights/$", (502, b"bad gateway", {}))
    api.session("s1", fixture("seed_session_status.json"))
    outcome = fetch_session(client(api, max_attempts=3), "s1")
    assert (outcome.status, outcome.error_code) == ("failed", "RETRIES_EXHAUSTED")
    assert api.hits["/bank-connect/v1/session_data/s1/insights/"] == 3
    assert outcome.should_retry


def test_a_body_is_read_a_mebibyte_at_a_time(api, monkeypatch):
    """requests alone reads 10 KB at a time: a 1.4 MB document was 140 reads, each a turn on the GIL."""
    pieces = []
    real = Response.iter_content

    def counted(self, chunk_size=1, decode_unicode=False):
        for piece in real(self, chunk_size, decode_unicode):
            pieces.append(len(piece))
            yield piece

    monkeypatch.setattr(Response, "iter_content", counted)
    body = b'{"pad": "' + b"x" * 3_000_000 + b'"}'  # 3,000,011 bytes
    api.route(r"/session_data/s1/insights/$", (200, body, {}))
    document = client(api).insights("s1")
    assert document.raw == body
    assert pieces == [1_048_576, 1_048_576, 3_000_011 - 2 * 1_048_576]


def test_headers_are_sent(api):
    api.session("s1", fixture("seed_session_status.json"), fixture("seed_insights.json"))
    fetch_session(client(api), "s1")
    assert all(h["x-api-key"] == API_KEY and h["server-hash"] == SERVER_HASH for h in api.seen_headers)


def test_all_accounts_failed_skips_insights(api):
    api.session("s1", fixture("docs_session_status_failed.json"))
    outcome = fetch_session(client(api), "s1")
    assert (outcome.status, outcome.error_code) == ("failed", "ALL_ACCOUNTS_FAILED")
    assert "UNPARSABLE" in outcome.error_message
    assert outcome.tables["accounts"].column("error_code").to_pylist() == ["UNPARSABLE"]
    assert "/bank-connect/v1/session_data/s1/insights/" not in api.hits


@pytest.mark.parametrize("bad", ["../etc", "a/b", "a?b=1", "a b", " ", "", "x" * 129, "ab\n", None])
def test_unsafe_session_ids_are_refused(bad):
    with pytest.raises(ConfigError, match="invalid session id"):
        validate_session_id(bad)


@pytest.mark.parametrize("good", ["abcd", "136b1aa3-4610-4d0a-89f3-03078a2fce92", "A_b-9"])
def test_normal_session_ids_pass(good):
    assert validate_session_id(good) == good


@pytest.mark.parametrize("url, ok", [
    ("https://apis.bankconnect.finbox.in/bank-connect/v1/", True),
    ("http://127.0.0.1:8585/bank-connect/v1", True),
    ("http://localhost:1", True),
    ("http://[::1]:8080", True),
    ("http://apis.bankconnect.finbox.in/bank-connect/v1", False),
    ("ftp://x", False),
    ("https://user:pw@host/", False),
])
def test_base_url_rules(url, ok):
    if ok:
        assert not validate_base_url(url).endswith("/")
    else:
        with pytest.raises(ConfigError):
            validate_base_url(url)


def test_client_repr_hides_secrets(api):
    text = repr(client(api))
    assert API_KEY not in text and SERVER_HASH not in text
