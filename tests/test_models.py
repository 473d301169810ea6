"""SQL models end to end: handcrafted raw rows in a temporary DuckDB, values checked by hand."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Dict, List

import duckdb
import pyarrow as pa
import pytest

from pipelines.models import ModelsResult, run_models
from sources.bankconnect.tables import TABLES

FIXTURES = Path(__file__).parent / "fixtures"
D = Decimal


# --- building raw tables -------------------------------------------------------------------------


def load_raw(con: duckdb.DuckDBPyConnection, tables: Dict[str, List[dict]], schema: str = "bankconnect") -> None:
    """Create each raw table from its contract schema and insert the given rows (missing keys are null)."""
    con.execute(f"create schema if not exists {schema}")
    for name, rows in tables.items():
        arrow_schema = TABLES[name].schema
        data = pa.Table.from_pylist([_coerce(arrow_schema, row) for row in rows], schema=arrow_schema)
        con.register("__rows", data)
        con.execute(f"create or replace table {schema}.{name} as select *, 'load-1' as _dlt_load_id from __rows")
        con.unregister("__rows")


def _coerce(schema: pa.Schema, row: dict) -> dict:
    out = {}
    for f in schema:
        value = row.get(f.name)
        if value is not None and pa.types.is_decimal(f.type):
            value = Decimal(str(value))
        elif isinstance(value, str) and pa.types.is_date(f.type):
            value = dt.date.fromisoformat(value)
        out[f.name] = value
    return out


@dataclass
class Built:
    con: duckdb.DuckDBPyConnection
    result: ModelsResult


def build(tables: Dict[str, List[dict]], **kw) -> Built:
    """A fresh in-memory database holding `tables`, with the models built."""
    con = duckdb.connect()
    load_raw(con, tables, schema=kw.get("raw_schema", "bankconnect"))
    return Built(con, run_models(con, **kw))


def rows(db, sql: str, *params) -> List[dict]:
    con = db.con if isinstance(db, Built) else db
    cursor = con.execute(sql, list(params))
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, r)) for r in cursor.fetchall()]


def days(first: str, last: str, balance) -> List[dict]:
    """One eod_balances row per day from first to last, all with the same balance."""
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [{"date": start + dt.timedelta(n), "balance": balance} for n in range((end - start).days + 1)]


def on(session_id: str, account_id: str, items: List[dict]) -> List[dict]:
    return [{"session_id": session_id, "account_id": account_id, **item} for item in items]


# --- the handcrafted account: Jan 28 - Mar 3 2024 ------------------------------------------------
# Jan: salary in, EMI, self transfer out, cash withdrawal into a negative balance (partial: 4 days)
# Feb: no transactions at all, balance -4000.00 carried forward (full month, every day negative)
# Mar: auto-debit bounce + its charge, self transfer in, cash deposit, outward cheque bounce, EMI
#      (partial: 3 days, no salary so FOIR uses eligible credits)

S, A = "s-1", "a-1"


def txn(seq, date, kind, amount, balance, channel=None, description=None, category=None):
    return {"seq": seq, "hash": f"h{seq}", "date": date, "transaction_type": kind, "amount": amount,
            "balance": balance, "transaction_channel": channel, "description": description, "category": category}


TRANSACTIONS = [
    # balance before: 51000.00 - 50000.00 = 1000.00
    txn(0, "2024-01-28", "credit", "50000.00", "51000.00", "SALARY", None, "Salary"),
    txn(1, "2024-01-29", "debit", "5000.00", "46000.00", "auto_debit_payment", None, "Loan"),
    txn(2, "2024-01-30", "debit", "10000.00", "36000.00", "UPI", "self_transfer", "Self Transfer"),
    txn(3, "2024-01-31", "debit", "40000.00", "-4000.00", "cash_withdrawl"),
    txn(4, "2024-03-01", "credit", "5000.00", "1000.00", "auto_debit_payment_bounce"),
    txn(5, "2024-03-01", "debit", "500.00", "500.00", "bank_charge", "ach_bounce_charge", "Charges"),
    txn(6, "2024-03-02", "credit", "2000.00", "2500.00", "self_transfer"),
    txn(7, "2024-03-03", "credit", "3000.00", "5500.00", "cash_deposit"),
    txn(8, "2024-03-03", "debit", "1000.00", "4500.00", "outward_cheque_bounce"),
    txn(9, "2024-03-03", "debit", "600.00", "3900.00", "auto_debit_payment", None, "Loan"),
]

EOD = (days("2024-01-28", "2024-01-28", "51000.00") + days("2024-01-29", "2024-01-29", "46000.00")
       + days("2024-01-30", "2024-01-30", "36000.00") + days("2024-01-31", "2024-02-29", "-4000.00")
       + days("2024-03-01", "2024-03-01", "500.00") + days("2024-03-02", "2024-03-02", "2500.00")
       + days("2024-03-03", "2024-03-03", "3900.00"))


def metric(month, name, value):
    return {"month": month, "metric": name, "value": value}


def predictor(index, month, name, value):
    return {"month_index": index, "month": month, "metric": name, "value": value}


def clean_tables() -> Dict[str, List[dict]]:
    return {
        "sessions": [{"session_id": S, "status": "completed", "insights_available": True}],
        "accounts": on(S, A, [{"bank_name": "hdfc", "account_status": "completed"}]),
        "account_details": on(S, A, [{"bank": "hdfc", "account_category": "individual",
                                      "account_from_date": "2024-01-28", "account_to_date": "2024-03-03"}]),
        "account_months": on(S, A, [{"month": m, "is_listed": True}
                                    for m in ("2024-01-01", "2024-02-01", "2024-03-01")]),
        "transactions": on(S, A, TRANSACTIONS),
        "salary_transactions": on(S, A, [{**TRANSACTIONS[0], "salary_month": "2024-01-01"}]),
        "eod_balances": on(S, A, EOD),
        "monthly_analysis": on(S, A, [
            metric("2024-01-01", "opening_balance", 1000.0),
            metric("2024-01-01", "closing_balance", -4000.0),
            metric("2024-01-01", "avg_bal", 32250.01),  # 0.01 off: inside the averages' tolerance
            metric("2024-01-01", "amt_credit", 50000.0),
            metric("2024-01-01", "amt_debit", 55000.0),
            metric("2024-01-01", "cnt_credit", 1.0),
            metric("2024-01-01", "cnt_debit", 3.0),
            metric("2024-02-01", "avg_bal", -4000.0),
            metric("2024-03-01", "closing_balance", 3900.0),
            metric("2024-03-01", "employer_name", None),  # text-only metric: never compared
        ]),
        "predictors_monthly": on(S, A, [
            predictor(0, "2024-03-01", "expense", 2100.0),
            predictor(0, "2024-03-01", "bal_last", 3900.0),
            predictor(1, "2024-02-01", "expense", 0.0),
            predictor(2, "2024-01-01", "expense", 55000.0),
            predictor(2, "2024-01-01", "total_salary", 50000.0),
            predictor(2, "2024-01-01", "cnt_salary", 1.0),
            predictor(2, "2024-01-01", "avg_balance", 32250.0),
            predictor(3, None, "expense", None),  # month_3 absent in the payload
        ]),
    }


def broken_tables() -> Dict[str, List[dict]]:
    """The clean account with one problem per check."""
    tables = clean_tables()
    transactions = tables["transactions"]
    transactions[9] = {**transactions[9], "balance": D("3901.00")}  # 3900.00 + 1.00
    transactions[7] = {**transactions[7], "hash": "h6"}  # seq 6 and seq 7 share a hash
    tables["eod_balances"] = [r for r in tables["eod_balances"]
                              if not dt.date(2024, 2, 10) <= r["date"] <= dt.date(2024, 2, 12)]
    tables["missing_data"] = on(S, A, [{"seq": 0, "from_date": "2024-02-10", "to_date": "2024-02-12"}])
    for row in tables["monthly_analysis"]:
        if (row["month"], row["metric"]) == ("2024-01-01", "amt_debit"):
            row["value"] = 55000.01  # money sums are compared exactly
        if (row["month"], row["metric"]) == ("2024-01-01", "avg_bal"):
            row["value"] = 32250.02  # 0.02 off: outside the 0.01 tolerance
    for row in tables["predictors_monthly"]:
        if (row["month_index"], row["metric"]) == (2, "expense"):
            row["value"] = 55100.0
    return tables


@pytest.fixture(scope="module")
def clean():
    built = build(clean_tables())
    yield built
    built.con.close()


@pytest.fixture(scope="module")
def broken():
    built = build(broken_tables())
    yield built
    built.con.close()


def monthly(con, month: str) -> dict:
    (row,) = rows(con, "select * from analytics.account_monthly where session_id = ? and account_id = ? and month = ?",
                  S, A, dt.date.fromisoformat(month))
    return row


# --- account_monthly, by hand --------------------------------------------------------------------

JAN, FEB, MAR = "2024-01-01", "2024-02-01", "2024-03-01"

ACCOUNT_MONTHLY = [
    # January: covered 28..31 of 31 days
    (JAN, "days_covered", 4),
    (JAN, "is_partial_month", True),
    (JAN, "opening_balance", D("1000.00")),  # first txn: 51000.00 - 50000.00
    (JAN, "closing_balance", D("-4000.00")),  # last txn (seq 3)
    (JAN, "credit_count", 1),
    (JAN, "credit_amount", D("50000.00")),
    (JAN, "debit_count", 3),
    (JAN, "debit_amount", D("55000.00")),  # 5000 + 10000 + 40000
    (JAN, "net_flow", D("-5000.00")),  # 50000 - 55000
    (JAN, "avg_eod_balance", D("32250.00")),  # (51000 + 46000 + 36000 - 4000) / 4 = 129000 / 4
    (JAN, "min_eod_balance", D("-4000.00")),
    (JAN, "max_eod_balance", D("51000.00")),
    (JAN, "median_eod_balance", D("41000.00")),  # (36000 + 46000) / 2
    (JAN, "negative_eod_days", 1),  # the 31st
    (JAN, "eod_balance_on_day_5", None),  # before the statement starts
    (JAN, "last_eod_balance", D("-4000.00")),
    (JAN, "salary_count", 1),
    (JAN, "salary_amount", D("50000.00")),
    (JAN, "emi_count", 1),
    (JAN, "emi_amount", D("5000.00")),
    (JAN, "self_transfer_out_amount", D("10000.00")),  # channel 'UPI', description self_transfer
    (JAN, "cash_withdrawal_count", 1),
    (JAN, "cash_withdrawal_amount", D("40000.00")),
    (JAN, "eligible_credit_amount", D("50000.00")),
    (JAN, "foir", D("0.1000")),  # 5000 / 50000
    (JAN, "foir_basis", "salary"),
    # February: no transactions, everything carried forward from Jan 31
    (FEB, "days_covered", 29),
    (FEB, "is_partial_month", False),
    (FEB, "opening_balance", D("-4000.00")),
    (FEB, "closing_balance", D("-4000.00")),
    (FEB, "transaction_count", 0),
    (FEB, "credit_amount", D("0.00")),
    (FEB, "net_flow", D("0.00")),
    (FEB, "avg_eod_balance", D("-4000.00")),
    (FEB, "negative_eod_days", 29),
    (FEB, "eod_balance_on_day_5", D("-4000.00")),
    (FEB, "eod_balance_on_day_25", D("-4000.00")),
    (FEB, "last_eod_balance", D("-4000.00")),
    (FEB, "salary_count", 0),
    (FEB, "foir", None),  # no salary, no eligible credits
    (FEB, "foir_basis", None),
    # March: covered 1..3 of 31 days
    (MAR, "days_covered", 3),
    (MAR, "is_partial_month", True),
    (MAR, "opening_balance", D("-4000.00")),  # February's closing
    (MAR, "closing_balance", D("3900.00")),  # last txn (seq 9)
    (MAR, "credit_count", 3),
    (MAR, "credit_amount", D("10000.00")),  # 5000 + 2000 + 3000
    (MAR, "debit_count", 3),
    (MAR, "debit_amount", D("2100.00")),  # 500 + 1000 + 600
    (MAR, "net_flow", D("7900.00")),  # -4000 + 7900 = 3900 = closing
    (MAR, "avg_eod_balance", D("2300.00")),  # (500 + 2500 + 3900) / 3 = 6900 / 3
    (MAR, "median_eod_balance", D("2500.00")),
    (MAR, "min_eod_balance", D("500.00")),
    (MAR, "negative_eod_days", 0),
    (MAR, "auto_debit_bounce_count", 1),
    (MAR, "inward_cheque_bounce_count", 0),
    (MAR, "inward_bounce_count", 1),  # 0 cheque + 1 auto-debit
    (MAR, "outward_cheque_bounce_count", 1),
    (MAR, "bounce_charge_count", 1),
    (MAR, "bounce_charge_amount", D("500.00")),
    (MAR, "self_transfer_in_amount", D("2000.00")),
    (MAR, "cash_deposit_count", 1),
    (MAR, "cash_deposit_amount", D("3000.00")),
    (MAR, "salary_amount", D("0.00")),
    (MAR, "eligible_credit_amount", D("3000.00")),  # 10000 - 5000 bounce - 2000 self transfer
    (MAR, "foir", D("0.2000")),  # 600 / 3000
    (MAR, "foir_basis", "eligible_credits"),
]


@pytest.mark.parametrize("month,column,expected", ACCOUNT_MONTHLY, ids=[f"{m[:7]}-{c}" for m, c, _ in ACCOUNT_MONTHLY])
def test_account_monthly_by_hand(clean, month, column, expected):
    assert monthly(clean, month)[column] == expected


def test_account_monthly_has_a_row_per_month_and_money_stays_decimal(clean):
    months = [r["month"] for r in rows(clean, "select month from analytics.account_monthly order by month")]
    assert months == [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)]
    types = dict(clean.con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'analytics' and table_name = 'account_monthly'").fetchall())
    money = ["opening_balance", "closing_balance", "avg_eod_balance", "credit_amount", "debit_amount",
             "net_flow", "salary_amount", "emi_amount", "min_eod_balance", "max_eod_balance"]
    assert {c: types[c] for c in money} == {c: "DECIMAL(18,2)" for c in money}
    assert types["month"] == "DATE"
    contract = ["credit_count", "credit_amount", "debit_count", "debit_amount", "net_flow", "opening_balance",
                "closing_balance", "avg_eod_balance", "min_eod_balance", "max_eod_balance", "negative_eod_days",
                "salary_count", "salary_amount"]
    assert set(contract) <= set(types)


def test_daily_balances_fill_gaps_from_the_previous_day(broken):
    # Feb 10..12 have no eod row in the broken payload: they carry Feb 9's -4000.00
    got = rows(broken, "select balance_date, eod_balance, balance_source from analytics.int_daily_balances "
                       "where balance_date between '2024-02-09' and '2024-02-13' order by balance_date")
    assert [(r["eod_balance"], r["balance_source"]) for r in got] == [
        (D("-4000.00"), "eod"), (D("-4000.00"), "carried_forward"), (D("-4000.00"), "carried_forward"),
        (D("-4000.00"), "carried_forward"), (D("-4000.00"), "eod")]
    assert monthly(broken, FEB)["avg_eod_balance"] == D("-4000.00")


COVERAGE = {
    # the API has no eod balance outside the statement: dated rows win over account_details dates
    "dated-rows-win": ({
        "transactions": on(S, A, [txn(0, "2024-08-12", "credit", "10.00", "15.00")]),
        "eod_balances": on(S, A, days("2024-08-11", "2024-08-13", "5.00")),
        "account_details": on(S, A, [{"account_from_date": "2024-08-01", "account_to_date": "2024-08-31"}]),
    }, ("2024-08-11", "2024-08-13"), [("2024-08-01", 3, D("5.00"), D("15.00"))]),
    "account-dates-without-dated-rows": ({
        "sessions": [{"session_id": S, "status": "completed"}],
        "account_details": on(S, A, [{"account_from_date": "2024-03-05", "account_to_date": "2024-03-20"}]),
    }, ("2024-03-05", "2024-03-20"), [("2024-03-01", 16, None, None)]),
    "listed-months-only": ({
        "sessions": [{"session_id": S, "status": "completed"}],
        "account_months": on(S, A, [{"month": "2024-01-01"}, {"month": "2024-02-01"}]),
    }, ("2024-01-01", "2024-02-29"), [("2024-01-01", 31, None, None), ("2024-02-01", 29, None, None)]),
}


@pytest.mark.parametrize("case", list(COVERAGE))
def test_covered_days(case):
    tables, (first, last), months = COVERAGE[case]
    built = build(tables)
    (ranges,) = rows(built, "select * from analytics.int_account_ranges")
    assert (ranges["first_covered_date"], ranges["last_covered_date"]) == (
        dt.date.fromisoformat(first), dt.date.fromisoformat(last))
    got = rows(built, "select month, days_covered, opening_balance, closing_balance "
                      "from analytics.account_monthly order by month")
    assert [tuple(r.values()) for r in got] == [(dt.date.fromisoformat(m), *rest) for m, *rest in months]


# --- other marts ---------------------------------------------------------------------------------


def test_account_summary_by_hand(clean):
    (row,) = rows(clean, "select * from analytics.account_summary")
    assert row["month_count"] == 3
    assert row["full_month_count"] == 1  # February
    assert row["days_covered"] == 36  # 4 + 29 + 3
    assert (row["first_month"], row["last_month"]) == (dt.date(2024, 1, 1), dt.date(2024, 3, 1))
    assert row["avg_monthly_balance"] == D("10183.33")  # (32250 - 4000 + 2300) / 3 = 30550 / 3
    assert row["avg_monthly_credit_amount"] == D("20000.00")  # (50000 + 0 + 10000) / 3
    assert row["avg_monthly_debit_amount"] == D("19033.33")  # (55000 + 0 + 2100) / 3
    assert row["salary_month_count"] == 1
    assert row["salary_regularity"] == D("0.3333")  # 1 of 3 months
    assert (row["inward_bounce_count"], row["outward_cheque_bounce_count"], row["bounce_charge_count"]) == (1, 1, 1)
    assert row["negative_eod_days"] == 30  # 1 + 29
    assert row["last_closing_balance"] == D("3900.00")
    assert row["bank_name"] == "hdfc"


def test_category_monthly_by_hand(clean):
    got = rows(clean, "select category, transaction_channel, debit_count, debit_amount, credit_count "
                      "from analytics.category_monthly where month = '2024-03-01' order by transaction_channel")
    assert [(r["category"], r["transaction_channel"], r["debit_count"], r["debit_amount"]) for r in got] == [
        ("Loan", "auto_debit_payment", 1, D("600.00")),
        ("unknown", "auto_debit_payment_bounce", 0, D("0.00")),
        ("Charges", "bank_charge", 1, D("500.00")),
        ("unknown", "cash_deposit", 0, D("0.00")),
        ("unknown", "outward_cheque_bounce", 1, D("1000.00")),
        ("unknown", "self_transfer", 0, D("0.00")),
    ]
    channels = {r[0] for r in clean.con.execute("select transaction_channel from analytics.category_monthly").fetchall()}
    assert {"salary", "upi"} <= channels  # 'SALARY' and 'UPI' lower-cased in staging


@pytest.mark.parametrize("fixture,problems", [
    ("clean", {}),
    ("broken", {"running_balance_problem_count": 1, "month_reconciliation_problem_count": 1,
                "duplicate_hash_count": 1, "vs_api_monthly_problem_count": 3,
                "vs_predictors_problem_count": 2, "missing_data_range_count": 1, "eod_gap_count": 1}),
])
def test_session_summary(request, fixture, problems):
    (row,) = rows(request.getfixturevalue(fixture), "select * from analytics.session_summary")
    assert (row["session_status"], row["account_count"], row["month_count"]) == ("completed", 1, 3)
    assert (row["credit_count"], row["credit_amount"]) == (4, D("60000.00"))  # 50000 + 10000
    assert (row["debit_count"], row["debit_amount"]) == (6, D("57100.00"))  # 55000 + 2100
    counts = {k: v for k, v in row.items() if k.endswith("_count") and ("problem" in k or k in (
        "duplicate_hash_count", "missing_data_range_count", "eod_gap_count", "fraud_flag_count"))}
    assert {k: v for k, v in counts.items() if v} == problems


# --- data-quality checks -------------------------------------------------------------------------

# check -> (key columns, the problem rows the broken payload must produce, nothing else)
BROKEN = {
    "dq_running_balance": (("seq", "expected_balance", "balance", "difference_amount"),
                           {(9, D("3900.00"), D("3901.00"), D("1.00"))}),
    "dq_month_reconciliation": (("month", "expected_closing_balance", "closing_balance"),
                                {(dt.date(2024, 3, 1), D("3900.00"), D("3901.00"))}),
    "dq_duplicate_hashes": (("transaction_hash", "occurrence_count", "first_seq", "last_seq"), {("h6", 2, 6, 7)}),
    "dq_vs_api_monthly": (("month", "metric", "our_value", "api_value"), {
        (dt.date(2024, 1, 1), "amt_debit", D("55000.00"), D("55000.01")),
        (dt.date(2024, 1, 1), "avg_bal", D("32250.00"), D("32250.02")),
        (dt.date(2024, 3, 1), "closing_balance", D("3901.00"), D("3900.00")),
    }),
    "dq_vs_predictors": (("month_index", "metric", "our_value", "api_value"), {
        (2, "expense", D("55000.00"), D("55100.00")),
        (0, "bal_last", D("3901.00"), D("3900.00")),
    }),
    "dq_missing_data": (("missing_from_date", "missing_to_date", "missing_day_count"),
                        {(dt.date(2024, 2, 10), dt.date(2024, 2, 12), 3)}),
    "dq_eod_gaps": (("gap_from_date", "gap_to_date", "gap_day_count"),
                    {(dt.date(2024, 2, 10), dt.date(2024, 2, 12), 3)}),
}


@pytest.mark.parametrize("check", sorted(BROKEN))
def test_check_is_empty_on_a_clean_payload(clean, check):
    assert rows(clean, f"select * from analytics.{check}") == []
    assert clean.result.dq[check] == 0


@pytest.mark.parametrize("check", sorted(BROKEN))
def test_check_reports_exactly_the_broken_rows(broken, check):
    columns, expected = BROKEN[check]
    got = rows(broken, f"select * from analytics.{check}")
    assert {tuple(r[c] for c in columns) for r in got} == expected
    assert all((r["session_id"], r["account_id"]) == (S, A) for r in got)
    assert broken.result.dq[check] == len(expected)


# --- the seed example, by hand -------------------------------------------------------------------
# 2 transactions: 6500.00 credit on 2023-11-05 (balance 6500.94) and the 10890.00 salary credit on
# 2023-12-15 (balance 10955.62, salary_month Nov-2023); eod balances for Nov-23 only; months
# Oct-23..Feb-24 listed; monthly_analysis opening/closing that the trimmed sample does not add up to.

SEED_S, SEED_A = "abcd", "8cdcf3f2-e4ba-4be8-b0eb-bc619c6cc753"


def seed_tables() -> Dict[str, List[dict]]:
    payload = json.loads((FIXTURES / "seed_insights.json").read_text())
    nov = payload["accounts"][0]["data"]["eod_balances"]["Nov-23"]  # index 0 = Nov 1st
    salary = txn(1, "2023-12-15", "credit", "10890.00", "10955.62", None, None, "Salary")
    api = {"opening_balance": [10289.49, 97862.41, 208.11, 323.62, 122548.98],
           "closing_balance": [97862.41, 208.11, 323.62, 122548.98, 898.98]}
    months = ["2023-10-01", "2023-11-01", "2023-12-01", "2024-01-01", "2024-02-01"]
    return {
        "sessions": [{"session_id": SEED_S, "status": "completed"}],
        "account_details": on(SEED_S, SEED_A, [{"bank": "central", "account_category": "savings"}]),
        "account_months": on(SEED_S, SEED_A, [{"month": m, "is_listed": True} for m in months]),
        "transactions": on(SEED_S, SEED_A, [
            txn(0, "2023-11-05", "credit", "6500.00", "6500.94", None, None, "Food"), salary]),
        "salary_transactions": on(SEED_S, SEED_A, [{**salary, "seq": 0, "salary_month": "2023-11-01"}]),
        "eod_balances": on(SEED_S, SEED_A, [{"date": dt.date(2023, 11, 1 + i), "balance": b} for i, b in enumerate(nov)]),
        "monthly_analysis": on(SEED_S, SEED_A, [
            metric(month, name, values[i]) for name, values in api.items() for i, month in enumerate(months)]),
        "missing_data": on(SEED_S, SEED_A, [{"seq": 0, "from_date": "2024-02-21", "to_date": "2024-04-21"}]),
    }


@pytest.fixture(scope="module")
def seed():
    built = build(seed_tables())
    yield built
    built.con.close()


OCT, NOV, DEC, JAN24, FEB24 = "2023-10-01", "2023-11-01", "2023-12-01", "2024-01-01", "2024-02-01"
SEED_MONTHLY = [
    # covered days run from the first dated row (Nov 1 eod) to the last (Dec 15 txn); listed
    # months outside that range get a row with 0 covered days and the balance carried
    (OCT, "days_covered", 0),
    (OCT, "opening_balance", D("0.94")),  # 6500.94 - 6500.00, the balance before the first txn
    (OCT, "closing_balance", D("0.94")),
    (OCT, "avg_eod_balance", None),
    (NOV, "days_covered", 30),
    (NOV, "is_partial_month", False),
    (NOV, "opening_balance", D("0.94")),
    (NOV, "closing_balance", D("6500.94")),
    (NOV, "credit_amount", D("6500.00")),
    (NOV, "avg_eod_balance", D("-297679.07")),  # sum of the 30 Nov eod balances -8930372.17 / 30
    (NOV, "min_eod_balance", D("-404202.41")),
    (NOV, "max_eod_balance", D("320772.41")),
    (NOV, "negative_eod_days", 24),  # Nov 7..30
    (NOV, "eod_balance_on_day_5", D("53401.59")),
    (NOV, "eod_balance_on_day_25", D("-401087.89")),
    (NOV, "salary_count", 1),  # the Dec 15 credit pays for Nov-2023
    (NOV, "salary_amount", D("10890.00")),
    (NOV, "foir", D("0.0000")),  # no EMI
    (DEC, "days_covered", 15),
    (DEC, "is_partial_month", True),
    (DEC, "opening_balance", D("6500.94")),
    (DEC, "closing_balance", D("10955.62")),
    (DEC, "credit_amount", D("10890.00")),
    (DEC, "salary_amount", D("0.00")),
    (DEC, "avg_eod_balance", D("-376511.66")),  # (14 x -404187.89 carried from Nov 30 + 10955.62) / 15
    (DEC, "negative_eod_days", 14),
    (DEC, "last_eod_balance", D("10955.62")),  # Dec 15: no eod row, the day's last txn
    (JAN24, "opening_balance", D("10955.62")),
    (FEB24, "closing_balance", D("10955.62")),
    (FEB24, "days_covered", 0),
]


@pytest.mark.parametrize("month,column,expected", SEED_MONTHLY, ids=[f"{m[:7]}-{c}" for m, c, _ in SEED_MONTHLY])
def test_seed_account_monthly_by_hand(seed, month, column, expected):
    (row,) = rows(seed, "select * from analytics.account_monthly where month = ?", dt.date.fromisoformat(month))
    assert row[column] == expected


def test_seed_does_not_add_up_and_the_checks_say_so(seed):
    (running,) = rows(seed, "select * from analytics.dq_running_balance")
    assert (running["seq"], running["expected_balance"], running["balance"]) == (1, D("17390.94"), D("10955.62"))
    (month,) = rows(seed, "select * from analytics.dq_month_reconciliation")
    assert (month["month"], month["expected_closing_balance"]) == (dt.date(2023, 12, 1), D("17390.94"))
    # none of the API's 10 opening/closing figures matches ours; e.g. Oct opening 10289.49 vs 0.94
    api = rows(seed, "select * from analytics.dq_vs_api_monthly order by month, metric")
    assert len(api) == 10
    assert (api[1]["metric"], api[1]["our_value"], api[1]["api_value"]) == ("opening_balance", D("0.94"), D("10289.49"))
    (gap,) = rows(seed, "select * from analytics.dq_eod_gaps")
    assert (gap["gap_from_date"], gap["gap_to_date"], gap["days_filled_from_transactions"]) == (
        dt.date(2023, 12, 1), dt.date(2023, 12, 15), 1)
    assert seed.result.dq["dq_missing_data"] == 1
