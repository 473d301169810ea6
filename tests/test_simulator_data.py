"""The simulator's synthetic data adds up: balances, eod balances, monthly metrics and predictors agree."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
import requests

from simulator import Simulator, build_catalog

FIXTURES = Path(__file__).parent / "fixtures"
KEY, HASH = "test-key", "test-hash"
HEADERS = {"x-api-key": KEY, "server-hash": HASH}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CHANNELS = {
    "upi", "salary", "refund", "payment_gateway_purchase", "outward_cheque_bounce", "net_banking_transfer",
    "investment", "inward_cheque_bounce", "investment_cashin", "international_transaction_arbitrage", "debit_card",
    "chq", "cash_withdrawl", "cash_deposit", "bill_payment", "bank_interest", "bank_charge",
    "auto_debit_payment_bounce", "auto_debit_payment", "self_transfer", "demand_draft", "auto_credit", "Others",
}
DESCRIPTIONS = {
    "", "penalty_charge", "ach_bounce_charge", "chq_bounce_charge", "lender_transaction", "credit_card_bill",
    "telco_bill", "electric_bill", "deposit_by_machine", "chq_bounce_insuff_funds", "neft_return",
    "deposit_machine_words", "self_transfer",
}
MERCHANT_CATEGORIES = {
    "", "alcohol", "gambling", "shopping", "groceries", "entertainment", "medical", "travel", "food", "fuel",
    "investments", "trading", "bills", "ewallet", "loans", "insurance", "tax", "bnpl",
}


def paise(value: float) -> int:
    cents = round(value * 100)
    assert abs(value * 100 - cents) < 1e-6, f"{value} has more than 2 decimals"
    return cents


def day_of(stamp: str) -> date:
    return date.fromisoformat(stamp[:10])


def mon_yyyy(d: date) -> str:
    return f"{MONTHS[d.month - 1]}-{d.year}"


@pytest.fixture(scope="module")
def sessions():
    """50 completed sessions fetched over HTTP: [(session_status, insights)]."""
    catalog = build_catalog(n_sessions=50, seed=11, lifecycle=False)
    with Simulator(catalog, api_key=KEY, server_hash=HASH) as sim, requests.Session() as http:
        out = []
        for session_id in catalog.session_ids():
            base = f"{sim.base_url}/bank-connect/v1/session_data/{session_id}"
            status = http.get(f"{base}/session_status/", headers=HEADERS)
            insights = http.get(f"{base}/insights/", headers=HEADERS)
            assert status.status_code == insights.status_code == 200
            out.append((orjson.loads(status.content), orjson.loads(insights.content)))
    return out


def accounts(sessions):
    for _, insights in sessions:
        for account in insights["accounts"]:
            yield account["data"]


def test_running_balances_follow_amounts_in_statement_order(sessions):
    checked = 0
    for data in accounts(sessions):
        balance = paise(data["eod_balances"]["starting_balance"])
        previous_day = None
        for txn in data["transactions"]:
            amount = paise(txn["amount"])
            assert amount > 0
            balance += amount if txn["transaction_type"] == "credit" else -amount
            assert paise(txn["balance"]) == balance, txn
            assert previous_day is None or day_of(txn["date"]) >= previous_day
            previous_day = day_of(txn["date"])
            checked += 1
        assert len({t["hash"] for t in data["transactions"]}) == len(data["transactions"])
    assert checked > 10_000


def test_months_chain_opening_to_previous_closing(sessions):
    for data in accounts(sessions):
        analysis = data["monthly_analysis"]
        labels = list(analysis["opening_balance"])
        assert labels[0] == mon_yyyy(day_of(data["transactions"][0]["date"]))
        assert analysis["opening_balance"][labels[0]] == data["eod_balances"]["starting_balance"]
        for before, after in zip(labels, labels[1:]):
            assert analysis["opening_balance"][after] == analysis["closing_balance"][before]
        last_balance = {}
        for txn in data["transactions"]:
            last_balance[mon_yyyy(day_of(txn["date"]))] = txn["balance"]
        for label in labels:
            if label in last_balance:
                assert analysis["closing_balance"][label] == last_balance[label]


def test_eod_balances_match_last_transaction_of_each_day_and_carry_forward(sessions):
    for data in accounts(sessions):
        eod = data["eod_balances"]
        last_of_day = {}
        for txn in data["transactions"]:
            last_of_day[day_of(txn["date"])] = txn["balance"]
        covered = data["account_details"]["account_date_range"]
        first, last = date.fromisoformat(covered["from_date"]), date.fromisoformat(covered["to_date"])
        carried = eod["starting_balance"]
        for label, start in zip(eod["Months_order"], eod["start_date"]):
            mon, yy = label.split("-")
            month_start = date(2000 + int(yy), MONTHS.index(mon) + 1, 1)
            assert start == max(first, month_start).strftime("%d-%b-%y")
            for index, value in enumerate(eod[label]):
                day = month_start + timedelta(days=index)
                if day < first or day > last:
                    assert value is None, (label, index)
                    continue
                carried = last_of_day.get(day, carried)
                assert value == carried, (label, index)
        assert last_of_day and min(last_of_day) == first and max(last_of_day) == last


def test_monthly_totals_equal_the_months_transactions(sessions):
    for data in accounts(sessions):
        sums = {}
        for txn in data["transactions"]:
            label = mon_yyyy(day_of(txn["date"]))
            entry = sums.setdefault(label, {"credit": [0, 0], "debit": [0, 0]})[txn["transaction_type"]]
            entry[0] += paise(txn["amount"])
            entry[1] += 1
        analysis = data["monthly_analysis"]
        for label, totals in sums.items():
            assert paise(analysis["amt_credit"][label]) == totals["credit"][0]
            assert analysis["cnt_credit"][label] == totals["credit"][1]
            assert paise(analysis["amt_debit"][label]) == totals["debit"][0]
            assert analysis["cnt_debit"][label] == totals["debit"][1]
            assert analysis["cnt_transactions"][label] == totals["credit"][1] + totals["debit"][1]
        eod = data["eod_balances"]
        for label in eod["Months_order"]:
            mon, yy = label.split("-")
            values = [v for v in eod[label] if v is not None]
            long_label = f"{mon}-20{yy}"
            total, n = sum(paise(v) for v in values), len(values)
            assert paise(analysis["avg_bal"][long_label]) == (2 * total + n) // (2 * n)  # mean, half up to the paisa
            assert analysis["min_eod_balance"][long_label] == min(values)
            assert analysis["max_eod_balance"][long_label] == max(values)


def test_key_sets_match_the_documented_sample(sessions):
    docs = orjson.loads((FIXTURES / "docs_insights.json").read_bytes())
    sample = docs["accounts"][0]["data"]
    for status, insights in sessions:
        assert set(insights) >= set(docs)
        assert list(insights["aggregate_monthly_analysis"]) == list(sample["monthly_analysis"])
        for account in insights["accounts"]:
            data = account["data"]
            assert set(data) >= set(sample)
            assert list(data["predictors"]) == list(sample["predictors"])
            assert list(data["monthly_analysis"]) == list(sample["monthly_analysis"])
            assert set(data["account_details"]) == set(sample["account_details"])
            assert set(data["transactions"][0]) == set(sample["transactions"][0])


def test_predictors_month_families_follow_monthly_figures(sessions):
    for data in accounts(sessions):
        predictors, analysis = data["predictors"], data["monthly_analysis"]
        labels = list(analysis["amt_debit"])[::-1]  # month_0 is the latest
        for n in range(12):
            if n >= len(labels):
                assert predictors[f"month_{n}"] is None and predictors[f"expense_{n}"] is None
                continue
            mon, year = labels[n].split("-")
            assert predictors[f"month_{n}"] == f"{mon}-{year[2:]}"
            assert predictors[f"expense_{n}"] == analysis["amt_debit"][labels[n]]
            assert predictors[f"credits_{n}"] == analysis["amt_credit"][labels[n]]
            assert predictors[f"avg_balance_{n}"] == analysis["avg_bal"][labels[n]]
        assert predictors["accountnumber"] == data["account_details"]["account_number"]


def test_aggregate_adds_up_across_accounts(sessions):
    multi = 0
    for _, insights in sessions:
        aggregate = insights["aggregate_monthly_analysis"]
        for metric in ("amt_credit", "amt_debit", "cnt_credit", "cnt_debit"):
            expected = {}
            for account in insights["accounts"]:
                for label, value in account["data"]["monthly_analysis"][metric].items():
                    expected[label] = expected.get(label, 0) + paise(value) if metric.startswith("amt") else \
                        expected.get(label, 0) + value
            got = {k: paise(v) if metric.startswith("amt") else v for k, v in aggregate[metric].items()}
            assert got == expected
        multi += len(insights["accounts"]) > 1
    assert multi > 0


def month_number(label: str) -> int:
    mon, year = label.split("-")
    return int(year) * 12 + MONTHS.index(mon)


def test_salary_metrics_go_by_salary_month(sessions):
    """Like the API (docs sample: Aug-2025 leaves out the Jul-2025 salary credited on 2025-08-14), the monthly
    salary figures, the salary predictors and the aggregate count each salary in its salary_month."""
    paid_for_earlier_month = before_statement = 0
    for _, insights in sessions:
        aggregate_expected = {}
        for account in insights["accounts"]:
            data = account["data"]
            analysis, predictors = data["monthly_analysis"], data["predictors"]
            labels = list(analysis["opening_balance"])
            by_month = {}
            for item in data["salary_transactions"]:
                credited = mon_yyyy(day_of(item["date"]))
                assert month_number(item["salary_month"]) in (month_number(credited), month_number(credited) - 1)
                paid_for_earlier_month += item["salary_month"] != credited
                by_month.setdefault(item["salary_month"], []).append(item)
            for label in labels:
                items = by_month.get(label, [])
                amounts = [paise(i["amount"]) for i in items]
                assert paise(analysis["total_amount_of_salary"][label]) == sum(amounts), label
                assert analysis["number_of_salary_transactions"][label] == len(items), label
                if not items:
                    assert analysis["highest_salary_date"][label] is None
                    assert analysis["max_amount_of_salary"][label] == analysis["avg_amount_of_salary"][label] == 0
                    continue
                top = next(i for i in items if paise(i["amount"]) == max(amounts))  # the first of the largest
                assert analysis["highest_salary_date"][label] == top["date"][:10]
                assert paise(analysis["max_amount_of_salary"][label]) == max(amounts)
                assert paise(analysis["min_amount_of_salary"][label]) == min(amounts)
                assert abs(paise(analysis["avg_amount_of_salary"][label]) - sum(amounts) / len(amounts)) <= 0.5
                assert analysis["employer_name"][label] == items[0]["employer_name"]
                entry = aggregate_expected.setdefault(label, [0, 0])
                entry[0] += sum(amounts)
                entry[1] += len(items)
            latest = month_number(labels[-1])
            for n in range(12):
                label = labels[-1 - n] if n < len(labels) else None
                if label is not None:
                    assert predictors[f"total_salary_{n}"] == analysis["total_amount_of_salary"][label]
                    assert predictors[f"cnt_salary_{n}"] == analysis["number_of_salary_transactions"][label]
                    assert predictors[f"salary_date_{n}"] == analysis["highest_salary_date"][label]
                    continue
                # a salary paying for a month before the statement keeps that month's slot, month_N null (as in the
                # docs sample's total_salary_4); the other families of such a slot are null
                items = [i for m, group in by_month.items() if latest - month_number(m) == n for i in group]
                before_statement += bool(items)
                assert predictors[f"month_{n}"] is None and predictors[f"credits_{n}"] is None
                assert predictors[f"cnt_salary_{n}"] == (len(items) if items else None)
                assert predictors[f"total_salary_{n}"] == (
                    sum(paise(i["amount"]) for i in items) / 100 if items else None)
        aggregate = insights["aggregate_monthly_analysis"]
        for label in aggregate["opening_balance"]:
            total, count = aggregate_expected.get(label, (0, 0))
            assert paise(aggregate["total_amount_of_salary"][label]) == total, label
            assert aggregate["number_of_salary_transactions"][label] == count, label
    assert paid_for_earlier_month and before_statement


def test_report_urls_are_presigned_for_an_hour(sessions):
    for _, insights in sessions:
        urls = [insights["aggregate_xlsx_report_url"], insights["aggregate_xml_report_url"]]
        urls += [a["data"][k] for a in insights["accounts"] for k in ("xlsx_report_url", "xml_report_url")]
        for url in urls:
            query = parse_qs(urlsplit(url).query)
            assert re.fullmatch(r"\d{8}T\d{6}Z", query["X-Amz-Date"][0])
            assert query["X-Amz-Expires"] == ["3600"]


def test_derived_lists_point_at_real_transactions(sessions):
    for data in accounts(sessions):
        by_hash = {t["hash"]: t for t in data["transactions"]}
        for item in data["salary_transactions"]:
            assert by_hash[item["hash"]]["metadata"]["transaction_channel"] == "salary"
            assert re.fullmatch(r"[A-Z][a-z]{2}-\d{4}", item["salary_month"]) and item["employer_name"]
        for key in ("lender_transactions", "self_and_sister_transactions", "bounced_or_penal_transactions"):
            for item in data[key]:
                assert item["hash"] in by_hash and "metadata" not in item
                assert item["transaction_channel"] == by_hash[item["hash"]]["metadata"]["transaction_channel"]
        for group in data["recurring_transactions"]["debit_transactions"]:
            assert all(t["hash"] in by_hash and t["transaction_type"] == "debit" for t in group["transactions"])
        for block in data["top_credits_debits"]:
            kind = "credit" if block["type"] == "top_5_credit" else "debit"
            for month in block["data"]:
                mon, yy = month["month"].split("-")
                amounts = sorted((t["amount"] for t in data["transactions"] if t["transaction_type"] == kind
                                  and mon_yyyy(day_of(t["date"])) == f"{mon}-20{yy}"), reverse=True)
                assert [t["amount"] for t in month["data"]] == amounts[:5]
                assert all(re.fullmatch(r"\d{2}-[A-Z][a-z]{2}-\d{2}", t["date"]) for t in month["data"])


def test_values_come_from_the_documented_lists(sessions):
    for data in accounts(sessions):
        for txn in data["transactions"]:
            meta = txn["metadata"]
            assert meta["transaction_channel"] in CHANNELS
            description = meta["description"]
            assert description in DESCRIPTIONS or description.startswith(("Transfer to ", "Transfer from "))
        for item in data["lender_transactions"] + data["bounced_or_penal_transactions"]:
            assert item["merchant_category"] in MERCHANT_CATEGORIES
        assert 300 <= data["score"] <= 900
        assert data["account_details"]["account_category"] in ("individual", "corporate")


def test_session_status_agrees_with_insights(sessions):
    for status, insights in sessions:
        assert status["session_id"] == insights["session_id"] and status["insights_available"] is True
        by_id = {a["account_id"]: a for a in status["accounts"]}
        for account in insights["accounts"]:
            entry = by_id[account["account_id"]]
            details = account["data"]["account_details"]
            assert entry["bank_name"] == details["bank"] and entry["account_status"] == "completed"
            assert [s["statement_id"] for s in entry["statements"]] == details["statements"]
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", entry["created_at"])
            for statement in entry["statements"]:
                assert statement["created_at"].endswith("Z")
                assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", statement["statement_date_range"]["from_date"])


def test_the_data_has_the_situations_a_pipeline_must_handle(sessions):
    channels, descriptions = set(), set()
    overdrawn = gaps = frauds = partial_first = corporate = 0
    for data in accounts(sessions):
        for txn in data["transactions"]:
            channels.add((txn["metadata"]["transaction_channel"], txn["transaction_type"]))
            descriptions.add(txn["metadata"]["description"])
        overdrawn += data["account_details"]["od_limit"] > 0 and min(t["balance"] for t in data["transactions"]) < 0
        gaps += bool(data["account_details"]["missing_data"])
        frauds += bool(data["fraud"])
        partial_first += not data["eod_balances"]["start_date"][0].startswith("01-")
        corporate += data["account_details"]["account_category"] == "corporate"
    assert {("inward_cheque_bounce", "credit"), ("outward_cheque_bounce", "debit"),
            ("auto_debit_payment_bounce", "credit"), ("salary", "credit"), ("auto_debit_payment", "debit"),
            ("cash_withdrawl", "debit"), ("cash_deposit", "credit")} <= channels
    assert {"chq_bounce_charge", "ach_bounce_charge", "lender_transaction", "self_transfer"} <= descriptions
    assert overdrawn and gaps and frauds and partial_first and corporate


def test_money_has_at_most_two_decimals(sessions):
    def two_decimals(value) -> bool:
        return not isinstance(value, float) or abs(value * 100 - round(value * 100)) < 1e-6

    for _, insights in sessions:
        analyses = [a["data"]["monthly_analysis"] for a in insights["accounts"]]
        for analysis in analyses + [insights["aggregate_monthly_analysis"]]:
            for metric, by_month in analysis.items():
                assert all(two_decimals(v) for v in by_month.values()), metric
        for account in insights["accounts"]:
            data = account["data"]
            recurring = data["recurring_transactions"]
            groups = recurring["debit_transactions"] + recurring["credit_transactions"]
            assert all(two_decimals(g["median"]) for g in groups)
            eod = data["eod_balances"]
            assert all(two_decimals(v) for label in eod["Months_order"] for v in eod[label])
