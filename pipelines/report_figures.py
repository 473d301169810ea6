"""Plotly figure specs (data + layout as dicts) for a report page; positions as floats, labels exact.

Every label is formatted from Decimal in Python (Indian grouping) and handed to Plotly as text;
every string from the data goes through `svg_text` because Plotly parses tags in names and hover text.
"""

from __future__ import annotations

import math
from collections import defaultdict
from decimal import Decimal
from typing import Any, Dict, List, Sequence, Tuple

from .report_text import inr, rupees, svg_text

RED, GREEN, BLUE, GREY = "#c62828", "#2e7d32", "#1f5fa8", "#9aa6b2"
OTHER = "other"
TOP_GROUPS = 7
# (field, label, colour, sign) of the monthly flow bars: credits up, debits down
_FLOW_PARTS: Tuple[Tuple[str, str, str, int], ...] = (
    ("salary_amount", "Salary", "#1b5e20", 1), ("cash_deposit_amount", "Cash deposits", "#66bb6a", 1),
    ("other_credit_amount", "Other credits", "#a5d6a7", 1), ("emi_amount", "EMI", "#b71c1c", -1),
    ("cash_withdrawal_amount", "Cash withdrawals", "#ef6c00", -1), ("other_debit_amount", "Other debits", "#ef9a9a", -1),
)
_PALETTE = ["#1f5fa8", "#e07b00", "#2e7d32", "#8e24aa", "#00838f", "#c0ca33", "#6d4c41", "#9aa6b2"]


def balance_figure(daily: List[Dict[str, Any]], events: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The end-of-day balance over the whole period; days below zero and bounces/penal charges marked."""
    days = [d for d in daily if d["eod_balance"] is not None]
    traces = [_points("End-of-day balance", days, "balance_date", "eod_balance", mode="lines",
                      style={"line": {"color": BLUE, "width": 1.6}})]
    negative = [d for d in days if d["eod_balance"] < 0]
    if negative:
        traces.append(_points(f"Below zero ({len(negative)} days)", negative, "balance_date", "eod_balance",
                              style={"marker": {"color": RED, "size": 5}}))
    if events:
        text = [svg_text(f"{e['event']}: {rupees(e['amount'])} · {e['transaction_note'] or ''}") for e in events]
        traces.append({"type": "scatter", "mode": "markers", "name": "Bounces & penal charges",
                       "x": [e["transaction_date"].isoformat() for e in events],
                       "y": [float(e["balance"] or 0) for e in events], "text": text,
                       "hovertemplate": "%{x|%d %b %Y}<br>%{text}<extra></extra>",
                       "marker": {"color": "#ff6f00", "size": 11, "symbol": "x", "line": {"width": 1}}})
    values = [d["eod_balance"] for d in days]
    return {"data": traces, "layout": _layout("End-of-day balance (₹)", values, hovermode="closest")}


def flows_figure(monthly: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Credits (up) and debits (down) per month, salary, cash and EMI as their own segments."""
    months = [f"{m['month']:%b %Y}" for m in monthly]
    parts = [_with_other(m) for m in monthly]
    traces = []
    for field, label, colour, sign in _FLOW_PARTS:
        total = "credit_amount" if sign > 0 else "debit_amount"
        traces.append({"type": "bar", "name": label, "x": months,
                       "y": [sign * float(p[field]) for p in parts], "marker": {"color": colour},
                       "customdata": [[rupees(p[field]), rupees(p[total])] for p in parts],
                       "hovertemplate": f"{label} %{{customdata[0]}} of {'credits' if sign > 0 else 'debits'} "
                                        f"%{{customdata[1]}}<extra></extra>"})
    values = [p["credit_amount"] for p in parts] + [-p["debit_amount"] for p in parts]
    return {"data": traces, "layout": {**_layout("Credits and debits per month (₹)", values), "barmode": "relative"}}


def spend_figure(rows: List[Dict[str, Any]], key: str, title: str) -> Dict[str, Any]:
    """Debits per month stacked by `key` (category or channel): the largest groups, the rest as 'other'."""
    months = sorted({r["month"] for r in rows})
    totals: Dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        totals[r[key]] += r["debit_amount"] or Decimal(0)
    top = [g for g, amount in sorted(totals.items(), key=lambda kv: -kv[1]) if amount > 0][:TOP_GROUPS]
    cells: Dict[Tuple[str, Any], Decimal] = defaultdict(Decimal)
    for r in rows:
        cells[(r[key] if r[key] in top else OTHER, r["month"])] += r["debit_amount"] or Decimal(0)
    groups = top + ([OTHER] if any(g == OTHER and v for (g, _), v in cells.items()) else [])
    labels = [f"{m:%b %Y}" for m in months]
    traces = [{"type": "bar", "name": svg_text(group), "x": labels,
               "y": [float(cells[(group, m)]) for m in months], "marker": {"color": _PALETTE[i % len(_PALETTE)]},
               "customdata": [rupees(cells[(group, m)]) for m in months],
               "hovertemplate": f"{svg_text(group)} %{{customdata}}<extra></extra>"}
              for i, group in enumerate(groups)]
    month_totals = [sum((cells[(g, m)] for g in groups), Decimal(0)) for m in months]
    return {"data": traces, "layout": {**_layout(title + " (₹)", month_totals), "barmode": "stack"}}


def rupee_axis(values: Sequence[Decimal]) -> Dict[str, Any]:
    """A y axis with about five round ticks labelled with Indian grouping (whole rupees), zero line red."""
    low, high = float(min([*values, Decimal(0)])), float(max([*values, Decimal(0)]))
    span = (high - low) or 1.0
    raw = span / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = [first + i * step for i in range(int(math.ceil((high - first) / step)) + 1)]
    return {"tickvals": ticks, "ticktext": [inr(Decimal(round(t))).rsplit(".", 1)[0] for t in ticks],
            "zeroline": True, "zerolinecolor": RED, "zerolinewidth": 1, "gridcolor": "#e6eaf0"}


# --- helpers ---------------------------------------------------------------------------------


def _points(name: str, rows: List[Dict[str, Any]], x: str, y: str, mode: str = "markers",
            style: Dict[str, Any] = None) -> Dict[str, Any]:
    return {"type": "scatter", "mode": mode, "name": name, "x": [r[x].isoformat() for r in rows],
            "y": [float(r[y]) for r in rows], "customdata": [rupees(r[y]) for r in rows],
            "hovertemplate": "%{x|%d %b %Y}<br>%{customdata}<extra></extra>", **(style or {})}


def _with_other(month: Dict[str, Any]) -> Dict[str, Decimal]:
    """The month's flow parts; 'other' is what the named parts leave of the total (never below 0)."""
    zero = Decimal(0)
    get = lambda name: month.get(name) or zero  # noqa: E731
    credits, debits = get("credit_amount"), get("debit_amount")
    return {"salary_amount": get("salary_amount"), "cash_deposit_amount": get("cash_deposit_amount"),
            "emi_amount": get("emi_amount"), "cash_withdrawal_amount": get("cash_withdrawal_amount"),
            "other_credit_amount": max(zero, credits - get("salary_amount") - get("cash_deposit_amount")),
            "other_debit_amount": max(zero, debits - get("emi_amount") - get("cash_withdrawal_amount")),
            "credit_amount": credits, "debit_amount": debits}


def _layout(title: str, values: Sequence[Decimal], hovermode: str = "x unified") -> Dict[str, Any]:
    return {"title": {"text": title, "x": 0, "font": {"size": 14}}, "margin": {"l": 90, "r": 10, "t": 36, "b": 40},
            "yaxis": rupee_axis(values), "xaxis": {"gridcolor": "#f0f3f7"}, "hovermode": hovermode,
            "showlegend": True, "legend": {"orientation": "h", "y": -0.18}, "font": {"family": "system-ui, sans-serif", "size": 11},
            "paper_bgcolor": "#fff", "plot_bgcolor": "#fff"}
