"""eod_balances: one row per day that has an end-of-day balance."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List, Optional

import pyarrow as pa

from .builder import TableSet
from .dates import days_in_month, parse_day, parse_month

_META_KEYS = ("Months_order", "start_date", "starting_balance")


def eod_balances(tables: TableSet, account_id: str, value: Dict[str, Any], path: str) -> None:
    """`{Months_order, start_date, starting_balance?, <Mon-YY>: [balance per day]}`.

    Each month's list is indexed by day of month (index 0 is the 1st); nulls mark days before the
    statement starts or after it ends and are skipped. A list longer than its month is recorded as
    an issue (the extra values are kept in the issue), never shifted into the next month.
    """
    dates: List[Any] = []
    balances: List[Any] = []
    for label, daily in value.items():
        if label in _META_KEYS:
            continue
        try:
            month = parse_month(label)
        except ValueError:
            month = None
        if month is None or not isinstance(daily, list):
            tables.issue(account_id, f"{path}.{label}", "not a month of daily balances, kept in unknown_fields")
            tables.unknown(account_id, f"{path}.{label}", daily)
            continue
        length = days_in_month(month)
        if len(daily) > length:
            tables.issue(account_id, f"{path}.{label}",
                         f"{len(daily)} daily balances for a {length}-day month; extra values not loaded",
                         daily[length:])
        for day, balance in enumerate(daily[:length]):
            if balance is not None:
                dates.append(month + timedelta(days=day))
                balances.append(balance)
    tables.add("eod_balances", {"date": pa.array(dates, pa.date32()), "balance": balances}, account_id)


def eod_month_starts(tables: TableSet, account_id: str, value: Dict[str, Any], path: str) -> Dict[Any, Optional[Any]]:
    """`Months_order[i]` -> `start_date[i]` (the first day with a balance in that month)."""
    order = value.get("Months_order") or []
    starts = value.get("start_date") or []
    if not isinstance(order, list) or not isinstance(starts, list):
        tables.unknown(account_id, f"{path}.Months_order", order)
        tables.unknown(account_id, f"{path}.start_date", starts)
        return {}
    out = {}
    for i, label in enumerate(order):
        try:
            month = parse_month(label)
            out[month] = parse_day(starts[i]) if i < len(starts) else None
        except (ValueError, TypeError):
            tables.issue(account_id, f"{path}.Months_order[{i}]", "unreadable month or start date",
                         [label, starts[i] if i < len(starts) else None])
    return out
