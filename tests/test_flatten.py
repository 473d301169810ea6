"""Pure flattening: documents in, typed Arrow tables out; values checked by hand against fixtures."""

from __future__ import annotations

import copy
from datetime import date, datetime, timezone
from decimal import Decimal

import orjson
import pytest

from sources.bankconnect.errors import PayloadError
from sources.bankconnect.flatten import flatten_session
from sources.bankconnect.flatten.dates import parse_day, parse_month, parse_timestamp
from sources.bankconnect.tables import MONEY, TABLES
from tests.apiserver import fixture

SEED_STATUS = orjson.loads(fixture("seed_session_status.json"))
SEED = orjson.loads(fixture("seed_insights.json"))
DOCS_STATUS = orjson.loads(fixture("docs_session_status_completed.json"))
DOCS = orjson.loads(fixture("docs_insights.json"))


def flat(insights, status=None, sid="S1"):
    tables, header, issues = flatten_session(sid, status or {"accounts": []}, insights)
    return tables, header, issues


def rows(tables, name, *columns):
    t = tables[name]
    return list(zip(*(t.column(c).to_pylist() for c in columns)))


@pytest.mark.parametrize("text, expected", [
    ("2023-11-05 00:00:00", date(2023, 11, 5)),
    ("2025-08-11", date(2025, 8, 11)),
    ("14-Aug-25", date(2025, 8, 14)),
    ("11-Aug-2025", date(2025, 8, 11)),
    ("11/08/2025", date(2025, 8, 11)),  # DD/MM/YYYY: 11 August
    ("2025-11-13T06:48:43.660968Z", date(2025, 11, 13)),
], ids=["datetime", "iso", "dd-mon-yy", "dd-mon-yyyy", "dd/mm/yyyy", "iso-z"])
def test_parse_day_formats(text, expected):
    assert parse_day(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("2025-08", date(2025, 8, 1)), ("Nov-2023", date(2023, 11, 1)), ("Feb-24", date(2024, 2, 1)),
], ids=["yyyy-mm", "mon-yyyy", "mon-yy"])
def test_parse_month_formats(text, expected):
    assert parse_month(text) == expected


@pytest.mark.parametrize("text", ["2023-13-01", "31/02/2024", "Foo-23", "yesterday", "2023-11-05x"])
def test_parse_day_rejects_garbage(text):
    with pytest.raises(ValueError):
        parse_day(text)


def test_parse_timestamp_naive_is_utc_and_z_is_utc():
    assert parse_timestamp("2025-11-13 06:48:44") == datetime(2025, 11, 13, 6, 48, 44, tzinfo=timezone.utc)
    assert parse_timestamp("2025-11-13T06:48:43.660968Z") == datetime(2025, 11, 13, 6, 48, 43, 660968, tzinfo=timezone.utc)


def test_seed_transactions_exact_money_and_dates():
    tables, _, _ = flat(SEED)
    assert rows(tables, "transactions", "seq", "date", "transaction_type", "amount", "balance") == [
        (0, date(2023, 11, 5), "credit", Decimal("6500.00"), Decimal("6500.94")),
        (1, date(2023, 12, 15), "credit", Decimal("10890.00"), Decimal("10955.62")),
    ]
    assert tables["transactions"].schema.field("amount").type == MONEY


def test_seed_eod_balances_november():
    tables, _, _ = flat(SEED)
    eod = rows(tables, "eod_balances", "date", "balance")
    assert len(eod) == 30  # Nov-23 has 30 daily values, none null; the other months are not in the sample
    assert eod[0] == (date(2023, 11, 1), Decimal("320772.41"))
    assert eod[-1] == (date(2023, 11, 30), Decimal("-404187.89"))


def test_seed_predictors_monthly_and_single_values():
    tables, _, _ = flat(SEED)
    monthly = {(m, i): (month, v) for m, i, month, v in
               rows(tables, "predictors_monthly", "metric", "month_index", "month", "value")}
    assert monthly[("expense", 0)] == (date(2024, 2, 1), 760951.0)  # month_0 = Feb-24
    assert monthly[("expense", 4)] == (date(2023, 10, 1), 1080581.91)  # month_4 = Oct-23
    assert ("expense", 5) not in monthly  # month_5 and expense_5 are null: no such month
    # total_inward_chq_bounces_insuff_fund_0 has no _1.._11 siblings: a single value, not a family
    assert not any(m == "total_inward_chq_bounces_insuff_fund" for m, _ in monthly)
    predictors = {n: (v, t) for n, v, t in rows(tables, "predictors", "name", "value", "value_text")}
    assert len(predictors) == 31
    assert predictors["ccod_limit"] == (0.0, None)
    assert predictors["customer_name"] == (None, "ABCD ENTERPRISES")
    assert predictors["accountnumber"] == (1234567890.0, "1234567890")  # numeric text is a number too


def test_seed_monthly_analysis_long():
    tables, _, _ = flat(SEED)
    ma = {(m, month): v for m, month, v in rows(tables, "monthly_analysis", "metric", "month", "value")}
    assert len(ma) == 10  # 2 metrics x 5 months
    assert ma[("opening_balance", date(2023, 10, 1))] == 10289.49
    assert ma[("closing_balance", date(2024, 2, 1))] == 898.98


def test_seed_salary_fraud_top_and_missing_data():
    tables, _, _ = flat(SEED)
    assert rows(tables, "salary_transactions", "amount", "salary_month", "employer_name") == [
        (Decimal("10890.00"), date(2023, 11, 1), None)]
    assert rows(tables, "fraud", "statement_id", "fraud_type", "fraud_category", "transaction_hash") == [
        ("036917f1-06dc-44c1-8f40-509c3a6093aa", "author_fraud", "metadata", None)]
    top = rows(tables, "top_credits_debits", "type", "month", "rank")
    assert len(top) == 20  # 2 types x 2 months x 5
    assert top[0] == ("top_5_debit", date(2023, 10, 1), 1) and top[4][2] == 5
    assert rows(tables, "missing_data", "from_date", "to_date") == [(date(2024, 2, 21), date(2024, 4, 21))]


def test_seed_statement_ids_null_still_load():
    tables, _, _ = flat(SEED, SEED_STATUS)
    assert rows(tables, "statements", "seq", "statement_id") == [(0, None), (1, None)]
    assert rows(tables, "accounts", "account_id", "bank_name") == [("account_uuid4", "sbi")]


def test_docs_eod_range_and_starting_balance():
    tables, _, _ = flat(DOCS)
    eod = rows(tables, "eod_balances", "date", "balance")
    # Aug-25 days 11..31 (21) + Sep 30 + Oct 31 + Nov 1..3 (3) = 85 days with a balance
    assert len(eod) == 85
    assert eod[0] == (date(2025, 8, 11), Decimal("5.00"))
    assert eod[-1] == (date(2025, 11, 3), Decimal("4.85"))
    assert rows(tables, "account_details", "starting_balance", "ifsc", "od_limit") == [
        (Decimal("5.00"), "UTIB0000000", Decimal("0.00"))]
    months = rows(tables, "account_months", "month", "is_listed", "eod_start_date")
    assert months[0] == (date(2025, 8, 1), True, date(2025, 8, 11))


def test_docs_salary_month_and_metadata_columns():
    tables, _, _ = flat(DOCS)
    salary = rows(tables, "salary_transactions", "salary_month", "amount", "transaction_channel", "unclean_merchant")
    assert salary[0] == (date(2025, 7, 1), Decimal("10126.00"), "salary", "MUTHOOT FINANCE")
    # lender list carries transaction_channel/merchant_category/description at the top level
    assert rows(tables, "lender_transactions", "transaction_channel", "merchant_category", "description") == [
        ("Other", "loans", "lender_transaction")]
    assert rows(tables, "transactions", "transaction_channel", "description")[1] == ("upi", "self_transfer")


def test_docs_other_parts_land_in_their_tables():
    tables, header, _ = flat(DOCS, sid=DOCS["session_id"])
    assert header.link_id == "test_docs" and header.from_date == "2025-08-11"
    assert len(tables["predictors"]) == 2160
    assert rows(tables, "score", "score") == [(496.0,)]
    groups = rows(tables, "recurring_transaction_groups", "direction", "group_seq", "median", "transaction_count")
    assert groups[0] == ("debit", 0, Decimal("5000.00"), 2)
    top = rows(tables, "top_credits_debits", "type", "date", "amount")
    assert top == [("top_5_debit", date(2025, 8, 14), Decimal("10000.00")),
                   ("top_5_credit", date(2025, 8, 30), Decimal("24193.00"))]
    reports = {(a, k): e for a, k, e in rows(tables, "reports", "account_id", "kind", "expires_at")}
    # X-Amz-Date=20251201T072844Z + X-Amz-Expires=3600
    assert reports[(None, "xlsx")] == datetime(2025, 12, 1, 8, 28, 44, tzinfo=timezone.utc)
    assert len(reports) == 3  # session xlsx + xml, and the account's xlsx (the sample has no account xml)
    aggregate = {(m, mo): v for m, mo, v in rows(tables, "aggregate_monthly_analysis", "metric", "month", "value")}
    assert aggregate[("opening_balance", date(2025, 8, 1))] == 5.0
    assert rows(tables, "expense_categories", "category", "percentage")[0] == ("Transfers", 66.0)
    assert rows(tables, "statement_stats", "page_count", "first_transaction_date", "is_scanned_pdf") == [
        (3, date(2025, 8, 11), False)]
    assert "data_issues" not in tables  # the documented sample reads cleanly under its own id


def test_docs_monthly_analysis_text_and_object_values():
    tables, _, _ = flat(DOCS)
    ma = {(m, mo): (v, t) for m, mo, v, t in rows(tables, "monthly_analysis", "metric", "month", "value", "value_text")}
    assert ma[("start_date", date(2025, 8, 1))] == (None, "11-Aug-2025")
    assert ma[("loan_emi", date(2025, 8, 1))] == (None, "{}")
    assert ma[("amt_credit", date(2025, 8, 1))] == (39914.0, None)


def test_every_table_matches_its_declared_schema():
    tables, _, _ = flat(DOCS, DOCS_STATUS)
    for name, table in tables.items():
        assert table.schema == TABLES[name].schema, name


def test_payload_session_id_mismatch_is_recorded():
    _, header, issues = flat(SEED, sid="abcd")
    assert header.payload_session_id == "fdf6fe90-c1a0-41f7-964f-bb2425975309"
    assert issues[0][1] == "insights.session_id"


def _mutated(change):
    doc = copy.deepcopy(SEED)
    change(doc["accounts"][0]["data"])
    return doc


def test_eod_list_longer_than_month_is_an_issue_not_a_shift():
    doc = _mutated(lambda d: d["eod_balances"]["Nov-23"].append(1.0))  # 31 values for November
    tables, _, issues = flat(doc)
    eod = rows(tables, "eod_balances", "date")
    assert len(eod) == 30 and eod[-1] == (date(2023, 11, 30),)
    assert any("31 daily balances for a 30-day month" in i[2] for i in issues)


def test_amount_as_text_is_read_and_reported():
    doc = _mutated(lambda d: d["transactions"][0].update(amount="1,234.50"))
    tables, _, issues = flat(doc)
    assert rows(tables, "transactions", "amount")[0] == (Decimal("1234.50"),)
    assert any(i[1] == "transactions.amount" and "1,234.50" in i[3] for i in issues)


def test_third_decimal_is_rounded_and_reported():
    doc = _mutated(lambda d: d["transactions"][0].update(amount=1.234))
    tables, _, issues = flat(doc)
    assert rows(tables, "transactions", "amount")[0] == (Decimal("1.23"),)
    assert any("more than 2 decimals" in i[3] for i in issues)


def test_unknown_keys_are_kept_as_json():
    def change(d):
        d["brand_new_part"] = {"x": [1, 2]}
        d["transactions"][1]["new_field"] = "kept"

    tables, _, _ = flat(_mutated(change))
    unknown = dict(rows(tables, "unknown_fields", "path", "value_json"))
    assert unknown["brand_new_part"] == '{"x":[1,2]}'
    assert unknown["transactions[1].new_field"] == '"kept"'


@pytest.mark.parametrize("doc, message", [
    ([], "insights is a JSON list"),
    ({"session_id": "x"}, "no 'accounts' list"),
    ({"accounts": None}, "no 'accounts' list"),
    ({"accounts": [{"data": {}}]}, "has no account_id"),
], ids=["array", "missing-accounts", "null-accounts", "no-account-id"])
def test_unreadable_documents_raise_payload_error(doc, message):
    with pytest.raises(PayloadError, match=message):
        flat(doc)
