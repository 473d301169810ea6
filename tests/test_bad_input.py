"""A corpus of malformed documents, each loaded over HTTP next to a good session.

Every case ends either in a correct load of the bad session (what can be read safely is read,
every coercion is a `data_issues` row, every unknown key an `unknown_fields` row), or in that
session recorded as failed with a specific error. The good session of the same batch always loads.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

from pipelines.load import run_load
from sources.bankconnect.tables import SESSION_DATA_TABLES
from tests.apiserver import fixture
from tests.conftest import SEED_ID, query

BAD = "bad"

STATUS = {"session_id": BAD, "insights_available": True, "accounts": [
    {"account_id": "A1", "bank_name": "sbi", "account_status": "completed",
     "statements": [{"statement_id": "st1", "statement_status": "completed"}]}]}

INSIGHTS = {"session_id": BAD, "accounts": [{"account_id": "A1", "data": {
    "transactions": [
        {"hash": "h1", "date": "2024-01-05 00:00:00", "transaction_type": "credit", "amount": 100.5,
         "balance": 1000.0, "transaction_note": "salary"},
        {"hash": "h2", "date": "2024-01-06 00:00:00", "transaction_type": "debit", "amount": 20.0,
         "balance": 980.0, "transaction_note": "tea"},
    ],
    "monthly_analysis": {"opening_balance": {"Jan-2024": 899.5}},
    "predictors": {"p1": 1.5},
    "eod_balances": {"Months_order": ["Jan-24"], "start_date": ["05-Jan-24"],
                     "Jan-24": [None, None, None, None, 1000.0, 980.0]},
}}]}

# What the unmodified documents load as (hand-computed from the documents above).
TXN = [(0, "h1", date(2024, 1, 5), "credit", Decimal("100.50"), Decimal("1000.00"), "salary"),
       (1, "h2", date(2024, 1, 6), "debit", Decimal("20.00"), Decimal("980.00"), "tea")]
MONTHLY = [(date(2024, 1, 1), "opening_balance", 899.5, None)]
PREDICTORS = [("p1", 1.5, None)]
EOD = [(date(2024, 1, 5), Decimal("1000.00")), (date(2024, 1, 6), Decimal("980.00"))]

QUERIES = {
    "txn": "select seq, hash, date, transaction_type, amount, balance, transaction_note "
           "from bankconnect.transactions where session_id = ? order by seq",
    "monthly": "select month, metric, value, value_text from bankconnect.monthly_analysis "
               "where session_id = ? order by month nulls last, metric",
    "predictors": "select name, value, value_text from bankconnect.predictors where session_id = ? order by name",
    "eod": "select date, balance from bankconnect.eod_balances where session_id = ? order by date",
    "issues": "select account_id, part, issue, detail from bankconnect.data_issues where session_id = ? order by seq",
    "unknown": "select account_id, path, value_json from bankconnect.unknown_fields where session_id = ? order by path",
}

QUERY_TABLE = {name: sql.split("bankconnect.", 1)[1].split()[0] for name, sql in QUERIES.items()}


@dataclass
class Expect:
    """The bad session's sessions row and rows (defaults: the unmodified documents' rows)."""

    status: str = "completed"
    error_code: Optional[str] = None
    error_message: Optional[str] = None
    txn: List[tuple] = field(default_factory=lambda: list(TXN))
    monthly: List[tuple] = field(default_factory=lambda: list(MONTHLY))
    predictors: List[tuple] = field(default_factory=lambda: list(PREDICTORS))
    eod: List[tuple] = field(default_factory=lambda: list(EOD))
    issues: List[tuple] = field(default_factory=list)
    unknown: List[tuple] = field(default_factory=list)
    extra: Dict[str, List[tuple]] = field(default_factory=dict)  # more queries (session id as ?) -> rows


def failed(code: str, message: str) -> Expect:
    return Expect("failed", code, message, txn=[], monthly=[], predictors=[], eod=[])


def not_json(document: str, content_type: str, size: int) -> Expect:
    return failed("RETRIES_EXHAUSTED",
                  f"{document}: response body is not JSON after retries (HTTP 200, {content_type}, {size} bytes)")


def coerced(part: str, detail: str, account: str = "A1") -> tuple:
    return (account, part, "coerced", detail)


def txn_with(row: int, **changes: Any) -> List[tuple]:
    """TXN with some columns of one row changed."""
    names = ("seq", "hash", "date", "transaction_type", "amount", "balance", "transaction_note")
    rows = [list(r) for r in TXN]
    for name, value in changes.items():
        rows[row][names.index(name)] = value
    return [tuple(r) for r in rows]


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


# A case: (status body, insights body, expectation). A body is a document (sent as Python's json
# module writes it, NaN literals included), raw bytes, or (bytes, content type).
Body = Any
Case = Tuple[Body, Body, Expect]


def insights(change: Callable[[dict], Any]) -> dict:
    doc = copy.deepcopy(INSIGHTS)
    change(doc)
    return doc


def data(doc: dict) -> dict:
    return doc["accounts"][0]["data"]


def txn(doc: dict, i: int) -> dict:
    return data(doc)["transactions"][i]


NOTE = "café 🚀 \u0000 nul, \u202eRTL override\u202c, \u200fRLM, bell \x07, tab\t, newline\n"
BIG_NOTE = "n" * 5_000_000

CASES = [
    # --- documents that cannot be read: the session fails alone --------------------------------
    pytest.param(STATUS, b"this is not json", not_json("insights", "application/json", 16), id="insights-not-json"),
    pytest.param(STATUS, b"", not_json("insights", "application/json", 0), id="insights-empty-body"),
    pytest.param(STATUS, (b"<html><body>Bad gateway</body></html>", "text/html"),
                 not_json("insights", "text/html", 37), id="insights-html-page"),
    pytest.param(STATUS, b"[1, 2, 3]", failed("INVALID_PAYLOAD", "insights is a JSON list, not an object"),
                 id="insights-json-array"),
    pytest.param(STATUS, insights(lambda d: d.pop("accounts")),
                 failed("INVALID_PAYLOAD", "insights has no 'accounts' list"), id="insights-missing-accounts"),
    pytest.param(STATUS, insights(lambda d: d.update(accounts=None)),
                 failed("INVALID_PAYLOAD", "insights has no 'accounts' list"), id="insights-accounts-null"),
    pytest.param(STATUS, insights(lambda d: d["accounts"][0].pop("account_id")),
                 failed("INVALID_PAYLOAD", "insights account #0 has no account_id"), id="account-without-account-id"),
    pytest.param((b"<html>oops</html>", "text/html"), INSIGHTS, not_json("session_status", "text/html", 17),
                 id="session-status-not-json"),
    pytest.param({"session_id": BAD, "insights_available": True}, INSIGHTS,
                 failed("INVALID_PAYLOAD", "session_status has no 'accounts' list"),
                 id="session-status-accounts-missing"),
    pytest.param(b"[]", INSIGHTS, failed("INVALID_PAYLOAD", "session_status is a JSON list, not an object"),
                 id="session-status-json-array"),

    # --- parts that are missing or of the wrong type: kept in unknown_fields, the rest loads -----
    pytest.param(STATUS, insights(lambda d: d["accounts"][0].pop("data")),
                 Expect(txn=[], monthly=[], predictors=[], eod=[],
                        issues=[("A1", "accounts[0].data", "account has no data object; nothing loaded for it", None)]),
                 id="account-without-data"),
    pytest.param(STATUS, insights(lambda d: data(d).update(transactions={"first": {"hash": "h1"}})),
                 Expect(txn=[], issues=[("A1", "transactions", "expected a JSON array, kept in unknown_fields", None)],
                        unknown=[("A1", "transactions", '{"first":{"hash":"h1"}}')]),
                 id="transactions-as-object"),
    pytest.param(STATUS, insights(lambda d: data(d)["transactions"].insert(1, "garbage")),
                 Expect(txn=[TXN[0], (2, *TXN[1][1:])],
                        issues=[("A1", "transactions", "not an object, kept in unknown_fields", "item 1")],
                        unknown=[("A1", "transactions[1]", '"garbage"')]),
                 id="transaction-not-an-object"),
    pytest.param(STATUS, insights(lambda d: data(d).update(predictors=[1, 2])),
                 Expect(predictors=[], issues=[("A1", "predictors", "expected a JSON object, kept in unknown_fields", None)],
                        unknown=[("A1", "predictors", "[1,2]")]),
                 id="predictors-as-list"),
    pytest.param(STATUS, insights(lambda d: data(d)["monthly_analysis"].update(opening_balance=5)),
                 Expect(monthly=[], issues=[("A1", "monthly_analysis.opening_balance",
                                             "not an object of months, kept in unknown_fields", None)],
                        unknown=[("A1", "monthly_analysis.opening_balance", "5")]),
                 id="monthly-analysis-metric-is-a-number"),
    pytest.param(STATUS, insights(lambda d: data(d).update(score="750")),
                 Expect(issues=[("A1", "score", "expected a JSON number, kept in unknown_fields", None)],
                        unknown=[("A1", "score", '"750"')]),
                 id="score-as-text"),

    # --- values of the wrong type: read when safe, else null; reported either way ----------------
    pytest.param(STATUS, insights(lambda d: txn(d, 0).update(amount="1,234.50")),
                 Expect(txn=txn_with(0, amount=Decimal("1234.50")), issues=[
                     coerced("transactions.amount", "row 0: number sent as text, read as 1234.5: '1,234.50'")]),
                 id="amount-as-formatted-text"),
    pytest.param(STATUS, insights(lambda d: txn(d, 1).update(amount=True)),
                 Expect(txn=txn_with(1, amount=None), issues=[
                     coerced("transactions.amount", "row 1: boolean where a number was expected, kept as null: True")]),
                 id="amount-as-bool"),
    pytest.param(STATUS, insights(lambda d: txn(d, 0).update(amount=100.125)),
                 Expect(txn=txn_with(0, amount=Decimal("100.12")), issues=[
                     coerced("transactions.amount", "row 0: more than 2 decimals, rounded: 100.125")]),
                 id="amount-with-three-decimals"),
    pytest.param(STATUS, insights(lambda d: txn(d, 0).update(date="05.01.2024")),
                 Expect(txn=txn_with(0, date=None), issues=[
                     coerced("transactions.date", "row 0: unreadable date: '05.01.2024'")]),
                 id="date-in-unknown-format"),
    pytest.param(STATUS, insights(lambda d: txn(d, 1).update(date=20240106)),
                 Expect(txn=txn_with(1, date=None), issues=[
                     coerced("transactions.date", "row 1: unreadable date: 20240106")]),
                 id="date-as-number"),
    pytest.param(STATUS, insights(lambda d: data(d).update(statement_stats=[
                     {"statement_id": "st1", "page_count": 12.5, "transaction_count": 2.0, "is_scanned_pdf": "yes"}])),
                 Expect(issues=[coerced("statement_stats.page_count", "row 0: not a whole number, kept as null: 12.5"),
                                coerced("statement_stats.is_scanned_pdf", "row 0: boolean sent as str, read as True: 'yes'")],
                        extra={"select statement_id, page_count, transaction_count, is_scanned_pdf "
                               "from bankconnect.statement_stats where session_id = ?": [("st1", None, 2, True)]}),
                 id="count-with-decimals-and-boolean-as-text"),
    pytest.param(STATUS, insights(lambda d: txn(d, 0).update(balance=None)),
                 Expect(txn=txn_with(0, balance=None)), id="balance-null"),
    pytest.param(STATUS, insights(lambda d: txn(d, 0).update(amount=1e30)),
                 Expect(txn=txn_with(0, amount=None), issues=[
                     coerced("transactions.amount", "row 0: amount out of range, kept as null: 1e+30")]),
                 id="amount-1e30"),
    pytest.param(STATUS, insights(lambda d: (txn(d, 0).update(amount="NaN", balance="Infinity"),
                                             data(d)["predictors"].update(p1="NaN"))),
                 Expect(txn=txn_with(0, amount=None, balance=None), predictors=[("p1", None, "NaN")], issues=[
                     coerced("transactions.amount", "row 0: not a number, kept as null: 'NaN'"),
                     coerced("transactions.balance", "row 0: not a number, kept as null: 'Infinity'")]),
                 id="nan-like-strings"),
    # Python's json module writes bare NaN / Infinity literals (not JSON, but APIs send them).
    pytest.param(STATUS, insights(lambda d: (txn(d, 0).update(amount=float("nan")),
                                             data(d)["predictors"].update(p1=float("inf")))),
                 Expect(txn=txn_with(0, amount=None), predictors=[("p1", None, "inf")], issues=[
                     coerced("transactions.amount", "row 0: not a finite number, kept as null: nan"),
                     coerced("predictors.p1", "not a finite number, kept as text: inf")]),
                 id="nan-and-infinity-literals"),
    # orjson reads integers beyond 64 bits as doubles.
    pytest.param(STATUS, insights(lambda d: data(d)["predictors"].update(big=10**40)),
                 Expect(predictors=[("big", 1e40, None), *PREDICTORS]), id="predictor-10-pow-40"),
    pytest.param(STATUS, insights(lambda d: data(d)["predictors"].update(big=2**64 - 1)),
                 Expect(predictors=[("big", None, "18446744073709551615"), *PREDICTORS], issues=[
                     coerced("predictors.big", "integer beyond 64 bits, kept as text: 18446744073709551615")]),
                 id="predictor-beyond-int64"),
    pytest.param(STATUS, insights(lambda d: txn(d, 0).update(amount=nested(500))),
                 Expect(txn=txn_with(0, amount=None), issues=[
                     coerced("transactions.amount", "row 0: not a number, kept as null: " + "[" * 77 + "...")]),
                 id="amount-is-deeply-nested-junk"),

    # --- unknown keys: kept as JSON -----------------------------------------------------------------
    pytest.param(STATUS, insights(lambda d: d.update(new_top={"x": 1})),
                 Expect(unknown=[(None, "new_top", '{"x":1}')]), id="unknown-top-level-key"),
    pytest.param(STATUS, insights(lambda d: d["accounts"][0].update(flags=["a"])),
                 Expect(unknown=[("A1", "accounts[0].flags", '["a"]')]), id="unknown-account-key"),
    pytest.param(STATUS, insights(lambda d: txn(d, 0).update(new_txn_key="v")),
                 Expect(unknown=[("A1", "transactions[0].new_txn_key", '"v"')]), id="unknown-transaction-key"),
    pytest.param(STATUS, insights(lambda d: data(d).update(junk=nested(500))),
                 Expect(unknown=[("A1", "junk", "[" * 500 + '"x"' + "]" * 500)]), id="deeply-nested-junk-500-levels"),

    # --- month labels and lists that do not fit ----------------------------------------------------
    pytest.param(STATUS, insights(lambda d: data(d)["eod_balances"].update({"Foo-24": [1.0]})),
                 Expect(issues=[("A1", "eod_balances.Foo-24", "not a month of daily balances, kept in unknown_fields", None)],
                        unknown=[("A1", "eod_balances.Foo-24", "[1.0]")]),
                 id="eod-month-label-not-a-month"),
    pytest.param(STATUS, insights(lambda d: data(d)["monthly_analysis"]["opening_balance"].update({"Smarch-2024": 3.0})),
                 Expect(monthly=[*MONTHLY, (None, "opening_balance", 3.0, None)], issues=[
                     coerced("monthly_analysis.month", "row 1: unreadable month: 'Smarch-2024'")]),
                 id="monthly-analysis-month-label-not-a-month"),
    pytest.param(STATUS, insights(lambda d: data(d)["eod_balances"].update({"Feb-24": [float(n) for n in range(1, 32)]})),
                 Expect(eod=[*EOD, *((date(2024, 2, n), Decimal(n)) for n in range(1, 30))], issues=[
                     ("A1", "eod_balances.Feb-24", "31 daily balances for a 29-day month; extra values not loaded",
                      "[30.0,31.0]")]),
                 id="eod-list-longer-than-its-month"),
    # Rows are keyed by position (seq), not by hash: both transactions are kept.
    pytest.param(STATUS, insights(lambda d: txn(d, 1).update(hash="h1")),
                 Expect(txn=txn_with(1, hash="h1")), id="duplicate-hashes"),

    # --- text that is hard to store ------------------------------------------------------------
    pytest.param(STATUS, insights(lambda d: txn(d, 0).update(transaction_note=NOTE)),
                 Expect(txn=txn_with(0, transaction_note=NOTE)), id="unicode-and-control-characters"),
    # Half an emoji (a note cut by a UTF-16 system): JSON escapes no parser can turn into text.
    pytest.param(STATUS, insights(lambda d: txn(d, 0).update(transaction_note="cut \ud83d")),
                 Expect(txn=txn_with(0, transaction_note="cut \ufffd"), issues=[
                     (None, "insights", "coerced", "1 lone UTF-16 surrogate escape(s) replaced by U+FFFD")]),
                 id="lone-surrogate-escape"),
    pytest.param(STATUS, insights(lambda d: txn(d, 1).update(transaction_note=BIG_NOTE)),
                 Expect(txn=txn_with(1, transaction_note=BIG_NOTE)), id="five-megabyte-note"),
]


def route(api, endpoint: str, body: Body) -> None:
    content_type = "application/json"
    if isinstance(body, tuple):
        body, content_type = body
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()  # NaN/Infinity become bare literals, as Python APIs send them
    # a fresh headers dict per request: the test server consumes Content-Type from it
    api.route(rf"/session_data/{BAD}/{endpoint}/$", lambda: (200, body, {"Content-Type": content_type}))


def assert_good_session_loaded(db_path: str) -> None:
    assert query(db_path, "select status, error_code, error_message from bankconnect.sessions "
                          "where session_id = ?", SEED_ID) == [("completed", None, None)]
    assert query(db_path, "select seq, date, transaction_type, amount, balance from bankconnect.transactions "
                          "where session_id = ? order by seq", SEED_ID) == [
        (0, date(2023, 11, 5), "credit", Decimal("6500.00"), Decimal("6500.94")),
        (1, date(2023, 12, 15), "credit", Decimal("10890.00"), Decimal("10955.62"))]
    assert query(db_path, "select count(*), min(date), max(date) from bankconnect.eod_balances "
                          "where session_id = ?", SEED_ID) == [(30, date(2023, 11, 1), date(2023, 11, 30))]
    assert query(db_path, "select part from bankconnect.data_issues where session_id = ?", SEED_ID) == [
        ("insights.session_id",)]


@pytest.mark.parametrize("status_body, insights_body, expect", CASES)
def test_bad_document(api, db_path, status_body, insights_body, expect):
    api.session(SEED_ID, fixture("seed_session_status.json"), fixture("seed_insights.json"))
    route(api, "session_status", status_body)
    route(api, "insights", insights_body)

    summary = run_load([SEED_ID, BAD], duckdb_path=db_path, base_url=api.base_url)

    assert summary.sessions == ({"completed": 2} if expect.status == "completed" else {"completed": 1, expect.status: 1})
    assert_good_session_loaded(db_path)
    assert query(db_path, "select status, error_code, error_message from bankconnect.sessions "
                          "where session_id = ?", BAD) == [(expect.status, expect.error_code, expect.error_message)]
    tables = {r[0] for r in query(db_path, "select table_name from information_schema.tables "
                                           "where table_schema = 'bankconnect'")}
    got = {name: query(db_path, sql, BAD) if QUERY_TABLE[name] in tables else [] for name, sql in QUERIES.items()}
    assert got == {"txn": expect.txn, "monthly": expect.monthly, "predictors": expect.predictors,
                   "eod": expect.eod, "issues": expect.issues, "unknown": expect.unknown}
    for sql, rows in expect.extra.items():
        assert query(db_path, sql, BAD) == rows
    if expect.status == "completed":
        assert query(db_path, "select account_id, bank_name from bankconnect.accounts where session_id = ?",
                     BAD) == [("A1", "sbi")]
    else:  # a failed session leaves no rows behind, only its sessions row
        for table in sorted(tables & set(SESSION_DATA_TABLES)):
            assert query(db_path, f"select count(*) from bankconnect.{table} where session_id = ?", BAD) == [(0,)], table


def test_corpus_covers_at_least_25_kinds():
    assert len(CASES) >= 25
