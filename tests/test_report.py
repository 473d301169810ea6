"""`bankconnect report` in a real browser: charts drawn offline, exact figures, nothing from the data executes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import orjson
import pytest
from click.testing import CliRunner

from pipelines.cli import cli
from pipelines.load import run_load
from pipelines.models import build_models
from pipelines.report import write_report
from pipelines.report_page import page_file_name
from pipelines.report_text import inr, rupees, script_json, svg_text
from tests.apiserver import SEED_ID, fixture
from tests.browser import browser, distinct_colours, visit  # noqa: F401 (fixture)

# Each payload, if it ran, would leave a mark on <body> (or make a request for "x").
NOTE = "</script><img src=x onerror=document.body.setAttribute('data-pwned','note')>\u2028UPI"
MERCHANT = "<svg onload=document.body.setAttribute('data-pwned','merchant')>ACME"
HOLDER = "\"><script>document.body.setAttribute('data-pwned','holder')</script>RAVI & SONS"
CATEGORY = "<img src=x onerror=document.body.setAttribute('data-pwned','category')>Food"
CHANNEL = "\" onmouseover=\"document.body.setAttribute('data-pwned','channel')"


@pytest.mark.parametrize("amount, text", [
    (Decimal("12345678.9"), "1,23,45,678.90"),
    (Decimal("100000"), "1,00,000.00"),
    (Decimal("99999.99"), "99,999.99"),
    (Decimal("-1234.5"), "-1,234.50"),
    (Decimal("999.995"), "1,000.00"),
    (Decimal("0.05"), "0.05"),
    (Decimal("-0.004"), "0.00"),
    (Decimal("123456789012.34"), "1,23,45,67,89,012.34"),
    (None, "–"),
], ids=lambda v: str(v))
def test_indian_digit_grouping_from_decimal(amount, text):
    assert inr(amount) == text


def test_script_json_and_svg_text_escape_their_contexts():
    text = script_json({"note": "</script><!--&\u2028\u2029"})
    assert text == '{"note":"\\u003c/script\\u003e\\u003c!--\\u0026\\u2028\\u2029"}'
    assert json.loads(text) == {"note": "</script><!--&\u2028\u2029"}
    assert svg_text("<b>A & B</b>") == "&lt;b&gt;A &amp; B&lt;/b&gt;"
    assert rupees(Decimal("-500")) == "-₹500.00" and rupees(Decimal("1234567.891")) == "₹12,34,567.89"
    assert page_file_name("136b1aa3-4610/../x") == "session-136b1aa3-4610____x.html"


def test_demo_page_draws_every_chart_offline_with_the_models_figures(demo_db, browser):  # noqa: F811
    report_dir = Path(demo_db).with_name("bank-report")
    con = duckdb.connect(demo_db, read_only=True)
    try:
        session_id, accounts = con.execute(
            "select session_id, count(*) from analytics.account_summary group by 1 order by 2 desc, 1 limit 1").fetchone()
        account_id, month, closing, average = con.execute(
            "select account_id, month, closing_balance, avg_eod_balance from analytics.account_monthly "
            "where session_id = ? and days_covered > 0 order by account_id, month limit 1 offset 2", [session_id]).fetchone()
    finally:
        con.close()
    page = report_dir / page_file_name(session_id)
    seen = visit(browser, page, wait_for="body[data-charts]")

    assert seen.page.get_attribute("body", "data-charts") == str(4 * accounts)
    assert seen.page.locator(".chart svg.main-svg").count() >= 4 * accounts
    assert seen.page.locator("#balance-0 .scatterlayer path.js-line").count() == 1
    assert distinct_colours(browser, seen.page.locator("#balance-0").screenshot()) > 8
    assert distinct_colours(browser, seen.page.locator("#flows-0").screenshot()) > 8
    assert seen.console_errors == []
    assert seen.requests == [page.resolve().as_uri(), (report_dir / "report.js").resolve().as_uri()]

    row = f'tr[data-account="{account_id}"][data-month="{month:%Y-%m}"]'
    shown_closing = seen.page.inner_text(f'{row} td[data-field="closing_balance"]')
    shown_average = seen.page.inner_text(f'{row} td[data-field="avg_eod_balance"]')
    assert Decimal(shown_closing.replace(",", "")) == closing
    assert Decimal(shown_average.replace(",", "")) == average
    assert shown_closing == inr(closing)

    # the tooltip of the month's largest credit bar: exact amounts, Indian grouping
    number = seen.page.eval_on_selector_all("section.account", "els => els.map(e => e.dataset.account)").index(account_id)
    index, month_row = _largest_credit_month(demo_db, session_id, account_id)
    parts = [month_row["salary_amount"], month_row["cash_deposit_amount"],
             month_row["credit_amount"] - month_row["salary_amount"] - month_row["cash_deposit_amount"]]
    trace = max(range(3), key=lambda i: parts[i])
    seen.page.locator(f"#flows-{number}").scroll_into_view_if_needed()
    seen.page.locator(f"#flows-{number} .trace.bars").nth(trace).locator("path").nth(index).hover(force=True)
    seen.page.wait_for_timeout(300)
    tooltip = seen.page.eval_on_selector_all(f"#flows-{number} .hoverlayer text", "els => els.map(e => e.textContent)")
    assert f"Salary {rupees(month_row['salary_amount'])} of credits {rupees(month_row['credit_amount'])}" in tooltip
    assert f"EMI {rupees(month_row['emi_amount'])} of debits {rupees(month_row['debit_amount'])}" in tooltip
    seen.page.close()


def _largest_credit_month(db: str, session_id: str, account_id: str):
    con = duckdb.connect(db, read_only=True)
    try:
        cursor = con.execute("select * from analytics.account_monthly where session_id = ? and account_id = ? "
                             "order by month", [session_id, account_id])
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    finally:
        con.close()
    index = max(range(len(rows)), key=lambda i: rows[i]["credit_amount"])
    return index, rows[index]


def test_index_lists_every_completed_session_with_links(demo_db, browser):  # noqa: F811
    report_dir = Path(demo_db).with_name("bank-report")
    con = duckdb.connect(demo_db, read_only=True)
    try:
        sessions = con.execute("select session_id, credit_amount from analytics.session_summary "
                               "where session_status = 'completed' order by session_id").fetchall()
    finally:
        con.close()
    seen = visit(browser, report_dir / "index.html", wait_for="table")
    links = seen.page.eval_on_selector_all("tbody a", "els => els.map(e => [e.textContent, e.getAttribute('href')])")
    assert links == [[sid, page_file_name(sid)] for sid, _ in sessions]
    assert all((report_dir / href).exists() for _, href in links)
    first_row_credits = seen.page.inner_text("tbody tr:first-child td:nth-child(4)")
    assert first_row_credits == inr(sessions[0][1])
    assert seen.console_errors == [] and seen.requests == [(report_dir / "index.html").resolve().as_uri()]
    seen.page.close()


def test_markup_in_notes_merchants_and_names_shows_as_text_and_runs_nothing(api, db_path, tmp_path, browser):  # noqa: F811
    insights = orjson.loads(fixture("seed_insights.json"))
    data = insights["accounts"][0]["data"]
    data["account_details"]["name"] = HOLDER
    for txn in data["transactions"]:
        txn.update(transaction_note=NOTE, category=CATEGORY,
                   metadata={"unclean_merchant": MERCHANT, "transaction_channel": CHANNEL})
    data["transactions"][-1]["transaction_type"] = "debit"  # so the category is drawn in the spend chart
    api.session(SEED_ID, fixture("seed_session_status.json"), orjson.dumps(insights))
    run_load([SEED_ID], duckdb_path=db_path, base_url=api.base_url)
    build_models(db_path)
    result = write_report(db_path, str(tmp_path / "out"), [SEED_ID])
    page = result.pages[SEED_ID]
    assert page.stat().st_size < 1_500_000

    seen = visit(browser, page, wait_for="body[data-charts]")
    seen.page.wait_for_timeout(300)
    assert seen.page.get_attribute("body", "data-pwned") is None
    assert seen.page.locator("img").count() == 0 and seen.page.locator("body svg[onload]").count() == 0
    assert seen.page.locator("script").count() == 2  # the JSON data block and report.js
    text = seen.page.inner_text("main")
    for payload in (NOTE.split("\u2028")[0], MERCHANT, HOLDER, CHANNEL.lower()):  # staging lower-cases channels
        assert payload in text
    legend = seen.page.eval_on_selector_all("#category-0 .legendtext", "els => els.map(e => e.textContent)")
    assert legend == [CATEGORY]  # drawn by Plotly as SVG text, literally
    assert seen.console_errors == []
    assert all(url.startswith("file://") and not url.endswith("/x") for url in seen.requests)
    seen.page.close()


def test_report_command_writes_pages_and_names_unknown_sessions(demo_db, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["report", "--out", str(tmp_path / "r"), "--duckdb", demo_db])
    assert result.exit_code == 0, result.output
    pages = sorted(p.name for p in (tmp_path / "r").glob("session-*.html"))
    assert len(pages) == len(list(Path(demo_db).with_name("bank-report").glob("session-*.html"))) > 0
    assert (tmp_path / "r" / "report.js").stat().st_size > 3_000_000
    missing = runner.invoke(cli, ["report", "nope", "--out", str(tmp_path / "r"), "--duckdb", demo_db])
    assert missing.exit_code == 2
    assert missing.output.strip() == "error: session nope is not in the database (load it first)"
