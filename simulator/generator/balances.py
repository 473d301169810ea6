"""End-of-day balances and per-month views of an account's transactions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence

from . import dates
from .ledger import Txn


@dataclass
class MonthView:
    """One calendar month of an account: its transactions and the eod balance of every covered day."""

    month: int
    txns: Sequence[Txn]
    first_day: int  # first and last covered day ordinals
    last_day: int
    eod: List[int]  # paise, one per covered day from first_day
    opening: int  # balance before the month's first transaction
    closing: int

    @property
    def complete(self) -> bool:
        return self.first_day == dates.first_day(self.month) and self.last_day == dates.last_day(self.month)

    def eod_on(self, day_of_month: int):
        """The eod balance on a day of this month in paise, or None when the day is not covered."""
        index = dates.first_day(self.month) + day_of_month - 1 - self.first_day
        if 0 <= index < len(self.eod) and day_of_month <= dates.days_in_month(self.month):
            return self.eod[index]
        return None


def month_views(txns: Sequence[Txn], opening: int, start: int, end: int) -> List[MonthView]:
    """Splits the covered days [start, end] by month; days without transactions carry the balance forward."""
    last_of_day: Dict[int, int] = {}
    for t in txns:
        last_of_day[t.day] = t.balance
    views: List[MonthView] = []
    balance, index = opening, 0
    for month in range(dates.month_of(start), dates.month_of(end) + 1):
        first, last = max(start, dates.first_day(month)), min(end, dates.last_day(month))
        begin = index
        while index < len(txns) and txns[index].day <= last:
            index += 1
        month_opening = balance
        eod = []
        get = last_of_day.get
        for day in range(first, last + 1):
            balance = get(day, balance)
            eod.append(balance)
        views.append(MonthView(month, txns[begin:index], first, last, eod, month_opening, balance))
    return views


def eod_balances(views: Sequence[MonthView], opening: int) -> dict:
    """The eod_balances object: each month's list is indexed by day of month (index 0 = the 1st); null outside."""
    doc: dict = {"Months_order": [dates.mon_yy(v.month) for v in views],
                 "start_date": [dates.dd_mon_yy(v.first_day) for v in views]}
    for v in views:
        lead = v.first_day - dates.first_day(v.month)
        tail = dates.last_day(v.month) - v.last_day
        doc[dates.mon_yy(v.month)] = [None] * lead + [b / 100 for b in v.eod] + [None] * tail
    doc["starting_balance"] = opening / 100
    return doc
