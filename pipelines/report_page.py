"""The HTML of `bankconnect report`: a page per session and the index, every data value escaped (report_text)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Optional, Sequence
from urllib.parse import quote

from .report_figures import balance_figure, flows_figure, spend_figure
from .report_text import esc, inr, rupees, script_json

ASSET_NAME = "report.js"
# No remote sources, no inline script (the data block is JSON, not executed), no plugins, forms or base.
# Plotly sets style attributes on the SVG it draws, hence 'unsafe-inline' for styles only.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'")
_PAGE_SAFE = re.compile(r"[^A-Za-z0-9_-]")
MONTHLY_COLUMNS = [  # (field, heading); money unless the name ends in _count or _days
    ("opening_balance", "Opening"), ("closing_balance", "Closing"), ("avg_eod_balance", "Avg EOD"),
    ("min_eod_balance", "Min EOD"), ("credit_amount", "Credits"), ("debit_amount", "Debits"),
    ("salary_amount", "Salary"), ("emi_amount", "EMI"), ("cash_deposit_amount", "Cash in"),
    ("cash_withdrawal_amount", "Cash out"), ("inward_bounce_count", "Bounces"),
    ("negative_eod_days", "Days < 0"),
]


def page_file_name(session_id: str) -> str:
    """`session-<id>.html`, characters other than letters, digits, - and _ replaced by _."""
    return f"session-{_PAGE_SAFE.sub('_', session_id)[:120]}.html"


def headline(session: Dict[str, Any], accounts: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The figures an underwriter looks at first, for the index and the top of a page."""
    problems = sum(int(session.get(k) or 0) for k in session if k.endswith("_problem_count")) + sum(
        int(session.get(k) or 0) for k in ("duplicate_hash_count", "missing_data_range_count", "eod_gap_count"))
    return {
        "period": _period(session.get("first_month"), session.get("last_month")),
        "accounts": len(accounts),
        "credits": session.get("credit_amount"), "debits": session.get("debit_amount"),
        "avg_balance": sum((a["avg_monthly_balance"] or Decimal(0) for a in accounts), Decimal(0)),
        "negative_days": sum(int(a["negative_eod_days"] or 0) for a in accounts),
        "bounces": sum(int(a["inward_bounce_count"] or 0) + int(a["bounce_charge_count"] or 0) for a in accounts),
        "fraud": int(session.get("fraud_flag_count") or 0),
        "problems": problems,
    }


def session_html(session: Dict[str, Any], data: Dict[str, List[Dict[str, Any]]], database: str) -> str:
    """The page of one session."""
    sid = session["session_id"]
    head = headline(session, data["accounts"])
    figures: List[Dict[str, Any]] = []
    sections = [_cards(head), _flags(data)]
    for number, account in enumerate(data["accounts"]):
        sections.append(_account_section(number, account, data, figures))
    body = (f'<header><div class="wrap"><h1>Bank statement report <span class="sid">{esc(sid)}</span></h1>'
            f'<p>{esc(head["period"])} · {head["accounts"]} account(s) · status {esc(session.get("session_status"))}'
            f' · data as loaded in {esc(database)} · amounts in INR</p>'
            f'<p><a href="index.html">All sessions</a></p></div></header>'
            f'<main class="wrap">{"".join(sections)}</main>')
    return _document(f"Session {sid}", body, {"figures": figures})


def index_html(rows: Sequence[Dict[str, Any]], database: str) -> str:
    """The index: one row per session with its headline figures and a link to its page."""
    cells = []
    for row in rows:
        h = row["headline"]
        risk = lambda n: f'<td class="num{" bad" if n else ""}">{n}</td>'  # noqa: E731
        cells.append(
            f'<tr><td><a href="{esc(quote(row["page"]))}">{esc(row["session_id"])}</a></td>'
            f'<td>{esc(h["period"])}</td><td class="num">{h["accounts"]}</td>'
            f'<td class="num">{inr(h["credits"])}</td><td class="num">{inr(h["debits"])}</td>'
            f'<td class="num{" bad" if h["avg_balance"] < 0 else ""}">{inr(h["avg_balance"])}</td>'
            f'{risk(h["negative_days"])}{risk(h["bounces"])}'
            f'{risk(h["fraud"])}{risk(h["problems"])}</tr>')
    table = ('<section><table class="grid sessions"><thead><tr><th>Session</th><th>Period</th><th>Accounts</th><th>Credits</th>'
             '<th>Debits</th><th>Avg monthly balance</th><th>Days below 0</th><th>Bounces, charges</th>'
             f'<th>Fraud flags</th><th>Data problems</th></tr></thead><tbody>{"".join(cells)}</tbody></table></section>')
    body = (f'<header><div class="wrap"><h1>Bank statement reports</h1><p>{len(rows)} session(s) · data as loaded '
            f'in {esc(database)} · amounts in INR</p></div></header><main class="wrap">{table}</main>')
    return _document("Bank statement reports", body, None)


# --- helpers ---------------------------------------------------------------------------------


def _document(title: str, body: str, data: Optional[Dict[str, Any]]) -> str:
    scripts = (f'<script type="application/json" id="report-data">{script_json(data)}</script>'
               f'<script src="{ASSET_NAME}"></script>') if data is not None else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="referrer" content="no-referrer"><title>{esc(title)}</title>'
            f'<style>{_STYLE}</style></head><body>{body}{scripts}</body></html>')


def _cards(head: Dict[str, Any]) -> str:
    items = [("Credits", rupees(head["credits"]), False), ("Debits", rupees(head["debits"]), False),
             ("Avg monthly balance", rupees(head["avg_balance"]), head["avg_balance"] < 0),
             ("Days below zero", head["negative_days"], head["negative_days"] > 0),
             ("Bounces & charges", head["bounces"], head["bounces"] > 0),
             ("Fraud flags", head["fraud"], head["fraud"] > 0),
             ("Data problems", head["problems"], head["problems"] > 0)]
    return '<section class="cards">' + "".join(
        f'<div class="card{" bad" if bad else ""}"><div class="label">{esc(label)}</div>'
        f'<div class="value">{esc(value)}</div></div>' for label, value, bad in items) + "</section>"


def _flags(data: Dict[str, List[Dict[str, Any]]]) -> str:
    fraud = _table(["Account", "Type", "Category", "Transaction", "Statement"],
                   [[f["account_id"], f["fraud_type"], f["fraud_category"], f["transaction_hash"], f["statement_id"]]
                    for f in data["fraud"]])
    by_check = {d["check"]: d["rows"] for d in data["dq"]}
    missing = _table(["Account", "From", "To", "Days"], [
        [r["account_id"], r["missing_from_date"], r["missing_to_date"], r["missing_day_count"]]
        for r in by_check.pop("dq_missing_data", [])])
    api = _table(["Account", "Month", "Figure", "Ours", "API's", "Difference"], [
        [r["account_id"], _month(r["month"]), r["metric"], r["our_value"], r["api_value"], r["difference"]]
        for check in ("dq_vs_api_monthly", "dq_vs_predictors") for r in by_check.pop(check, [])])
    others = "".join(f'<h3>{esc(check)} <span class="count">{len(rows)} row(s) shown</span></h3>'
                     + _table(list(rows[0])[1:], [list(r.values())[1:] for r in rows])  # all but session_id
                     for check, rows in by_check.items())
    return ('<section class="flags"><h2>Flags</h2><div class="flag-grid">'
            f'<div><h3>Fraud flags</h3>{fraud}</div><div><h3>Missing date ranges</h3>{missing}</div></div>'
            f'<h3>The API\'s figures where ours disagree</h3>{api}'
            f'{others or "<h3>Data-quality checks</h3><p class=ok>No other problem rows for this session.</p>"}'
            '</section>')


def _account_section(number: int, account: Dict[str, Any], data: Dict[str, List[Dict[str, Any]]],
                     figures: List[Dict[str, Any]]) -> str:
    aid = account["account_id"]
    pick = lambda name: [r for r in data[name] if r["account_id"] == aid]  # noqa: E731
    monthly, events = pick("monthly"), pick("events")
    for kind, figure in (("balance", balance_figure(pick("daily"), events)), ("flows", flows_figure(monthly)),
                         ("category", spend_figure(pick("categories"), "category", "Spend by category")),
                         ("channel", spend_figure(pick("categories"), "transaction_channel", "Spend by channel"))):
        figures.append({"target": f"{kind}-{number}", **figure})
    title = " · ".join(esc(v) for v in (account.get("bank_name"), account.get("account_number"),
                                        account.get("holder_name")) if v)
    top = _table(["Date", "Type", "Amount (₹)", "Note", "Merchant", "Category", "Channel"], [
        [t["transaction_date"], t["transaction_type"], t["amount"], t["transaction_note"], t["unclean_merchant"],
         t["category"], t["transaction_channel"]] for t in pick("top_transactions")])
    bounces = _table(["Date", "Event", "Amount (₹)", "Balance (₹)", "Note"], [
        [e["transaction_date"], e["event"], e["amount"], e["balance"], e["transaction_note"]] for e in events])
    return (f'<section class="account" data-account="{esc(aid)}"><h2>Account {esc(aid)}</h2>'
            f'<p class="sub">{title}</p>{_account_facts(account)}'
            f'<div class="chart tall" id="balance-{number}"></div><div class="chart" id="flows-{number}"></div>'
            f'<h3>Month by month (₹)</h3>{_monthly_table(aid, monthly)}'
            f'<div class="two"><div class="chart" id="category-{number}"></div>'
            f'<div class="chart" id="channel-{number}"></div></div>'
            f'<h3>Bounces and penal charges</h3>{bounces}<h3>Largest credits and debits</h3>{top}</section>')


def _account_facts(account: Dict[str, Any]) -> str:
    facts = [("Period", _period(account.get("first_month"), account.get("last_month")), False),
             ("Avg monthly balance", rupees(account.get("avg_monthly_balance")), False),
             ("Last closing", rupees(account.get("last_closing_balance")), (account.get("last_closing_balance") or 0) < 0),
             ("Salary months", f'{account.get("salary_month_count") or 0} of {account.get("covered_month_count") or 0}', False),
             ("EMI paid", rupees(account.get("emi_amount")), False),
             ("Bounces", account.get("inward_bounce_count") or 0, bool(account.get("inward_bounce_count"))),
             ("Days below zero", account.get("negative_eod_days") or 0, bool(account.get("negative_eod_days")))]
    return '<dl class="facts">' + "".join(f'<div><dt>{esc(k)}</dt><dd class="{"bad" if bad else ""}">{esc(v)}</dd></div>'
                                          for k, v, bad in facts) + "</dl>"


def _monthly_table(account_id: str, monthly: List[Dict[str, Any]]) -> str:
    head = "".join(f"<th>{esc(label)}</th>" for _, label in MONTHLY_COLUMNS)
    rows = []
    for m in monthly:
        cells = "".join(
            f'<td class="num{" bad" if _is_bad(name, m[name]) else ""}" data-field="{name}">'
            f'{esc(m[name] if name.endswith(("_count", "_days")) else inr(m[name]))}</td>'
            for name, _ in MONTHLY_COLUMNS)
        rows.append(f'<tr data-account="{esc(account_id)}" data-month="{m["month"]:%Y-%m}">'
                    f'<th>{_month(m["month"])}</th>{cells}</tr>')
    return f'<table class="grid monthly"><thead><tr><th>Month</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _table(headings: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
    if not body:
        return '<p class="ok">None.</p>'
    return ('<table class="grid"><thead><tr>' + "".join(f"<th>{esc(h)}</th>" for h in headings)
            + f"</tr></thead><tbody>{body}</tbody></table>")


def _cell(value: Any) -> str:
    if isinstance(value, Decimal):
        return f'<td class="num">{inr(value)}</td>'
    if isinstance(value, float):
        return f'<td class="num">{esc(f"{value:,.2f}")}</td>'
    return f"<td>{esc(value)}</td>"


def _is_bad(name: str, value: Any) -> bool:
    return value is not None and ((name.endswith(("_count", "_days")) and value > 0)
                                  or (name.endswith("balance") and value < 0))


def _month(value: Optional[date]) -> str:
    return f"{value:%b %Y}" if value else "–"


def _period(first: Optional[date], last: Optional[date]) -> str:
    return f"{_month(first)} – {_month(last)}" if first else "no months"


_STYLE = """
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;
color:#1d2733;background:#f3f5f8}.wrap{max-width:1240px;margin:0 auto;padding:0 20px}
header{background:#13294b;color:#fff;padding:14px 0 10px}header h1{margin:0;font-size:20px;font-weight:600}
header p{margin:4px 0;color:#c8d3e6}header a{color:#9cc3ff}.sid{font-family:ui-monospace,monospace;
font-size:15px;color:#9cc3ff;margin-left:8px}h2{font-size:17px;margin:0 0 4px}h3{font-size:14px;margin:18px 0 6px;
color:#3b4a5c}.sub{margin:0 0 10px;color:#5b6b7d}section{background:#fff;border:1px solid #dde3ea;
border-radius:6px;padding:14px 16px;margin:14px 0}.cards{display:grid;grid-template-columns:repeat(7,1fr);
gap:10px;background:none;border:0;padding:0}.card{background:#fff;border:1px solid #dde3ea;border-left:4px solid
#2e7d32;border-radius:6px;padding:8px 12px}.card.bad{border-left-color:#c62828;background:#fff5f5}
.card .label{font-size:12px;color:#5b6b7d;text-transform:uppercase;letter-spacing:.03em}.card .value{font-size:19px;
font-weight:600;font-variant-numeric:tabular-nums}.flag-grid,.two{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.chart{height:300px}.chart.tall{height:340px}table.grid{border-collapse:collapse;width:100%;font-size:12.5px}
.grid th,.grid td{border-bottom:1px solid #e6eaf0;padding:4px 8px;text-align:left;vertical-align:top;
overflow-wrap:anywhere}.grid thead th{background:#f0f3f7;color:#3b4a5c;font-weight:600}.num{text-align:right;
font-variant-numeric:tabular-nums;white-space:nowrap}.bad{color:#c62828;font-weight:600}.ok{color:#2e7d32;margin:4px 0}
.count{font-weight:400;color:#5b6b7d}a{color:#1565c0}.monthly th{white-space:nowrap}.sessions td:nth-child(-n+2){white-space:nowrap}.sessions td:first-child{
font-family:ui-monospace,monospace;font-size:11.5px}
.facts{display:flex;flex-wrap:wrap;gap:6px 28px;margin:0 0 8px}.facts dt{font-size:11px;color:#5b6b7d;
text-transform:uppercase;letter-spacing:.03em}.facts dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
"""
