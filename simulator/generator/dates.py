"""Day ordinals and month indexes, and the date/month label formats the API mixes."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Synthetic statements end in this month (a fixed reference, never today's date): Oct 2025.
END_MONTH = 2025 * 12 + 9


def month_of(day: int) -> int:
    """Month index (year * 12 + month - 1) of a day ordinal."""
    return _parts(day)[3]


def day_of_month(day: int) -> int:
    return _parts(day)[2]


def first_day(month: int) -> int:
    return date(month // 12, month % 12 + 1, 1).toordinal()


def days_in_month(month: int) -> int:
    year, m0 = divmod(month, 12)
    leap = m0 == 1 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return _MONTH_DAYS[m0] + (1 if leap else 0)


def last_day(month: int) -> int:
    return first_day(month) + days_in_month(month) - 1


@lru_cache(maxsize=None)
def _parts(day: int) -> tuple:
    d = date.fromordinal(day)
    return d.year, d.month, d.day, d.year * 12 + d.month - 1


@lru_cache(maxsize=None)
def iso(day: int) -> str:
    """YYYY-MM-DD"""
    y, m, d, _ = _parts(day)
    return f"{y:04d}-{m:02d}-{d:02d}"


@lru_cache(maxsize=None)
def stamp(day: int) -> str:
    """YYYY-MM-DD 00:00:00, the transaction date format."""
    return iso(day) + " 00:00:00"


@lru_cache(maxsize=None)
def dd_mon_yy(day: int) -> str:
    y, m, d, _ = _parts(day)
    return f"{d:02d}-{MONTHS[m - 1]}-{y % 100:02d}"


@lru_cache(maxsize=None)
def dd_mon_yyyy(day: int) -> str:
    y, m, d, _ = _parts(day)
    return f"{d:02d}-{MONTHS[m - 1]}-{y:04d}"


def slashed(day: int) -> str:
    """DD/MM/YYYY, the session_status statement date range format."""
    y, m, d, _ = _parts(day)
    return f"{d:02d}/{m:02d}/{y:04d}"


@lru_cache(maxsize=None)
def mon_yy(month: int) -> str:
    return f"{MONTHS[month % 12]}-{month // 12 % 100:02d}"


@lru_cache(maxsize=None)
def mon_yyyy(month: int) -> str:
    return f"{MONTHS[month % 12]}-{month // 12:04d}"


@lru_cache(maxsize=None)
def month_of_label(label: str) -> int:
    """Month index of a Mon-YYYY label (the inverse of mon_yyyy)."""
    mon, year = label.split("-")
    return int(year) * 12 + MONTHS.index(mon)


def year_month(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"
