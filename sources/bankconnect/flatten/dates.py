"""Parse the API's day, month and timestamp formats into dates (pure, cached)."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any, Optional

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}

# 2025-08-11 | 2025-08-11 00:00:00 | 2025-11-13T06:48:43.660968Z
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_SLASH_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")  # 11/08/2025 is 11 August (DD/MM/YYYY)
_MON_DAY = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{2}|\d{4})")  # 11-Aug-25, 11-Aug-2025
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")  # 2025-08
_MON_MONTH = re.compile(r"([A-Za-z]{3})-(\d{2}|\d{4})")  # Aug-25, Aug-2025


def parse_day(value: Any) -> Optional[date]:
    """A day in any documented format; None for None or ''. Raises ValueError otherwise."""
    if value is None or value == "":
        return None
    if type(value) is date:
        return value
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    return _parse_day(value)


def parse_month(value: Any) -> Optional[date]:
    """A month label (`YYYY-MM`, `Mon-YYYY`, `Mon-YY`) as the DATE of its 1st; None for None/''."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a month: {value!r}")
    return _parse_month(value)


def parse_timestamp(value: Any) -> Optional[datetime]:
    """`YYYY-MM-DD HH:MM:SS` (UTC, as the API sends it) or ISO 8601 with `Z`/offset, as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    return _parse_timestamp(value)


def days_in_month(month: date) -> int:
    """Number of days in the month of `month`."""
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return (nxt - date(month.year, month.month, 1)).days


@lru_cache(maxsize=65536)
def _parse_day(text: str) -> date:
    s = text.strip()
    m = _ISO_DAY.fullmatch(s)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = _SLASH_DAY.fullmatch(s)
    if m:
        return date(int(m[3]), int(m[2]), int(m[1]))
    m = _MON_DAY.fullmatch(s)
    if m and m[2].lower() in _MONTHS:
        return date(_year(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    raise ValueError(f"not a date: {text!r}")


@lru_cache(maxsize=4096)
def _parse_month(text: str) -> date:
    s = text.strip()
    m = _ISO_MONTH.fullmatch(s)
    if m:
        return date(int(m[1]), int(m[2]), 1)
    m = _MON_MONTH.fullmatch(s)
    if m and m[1].lower() in _MONTHS:
        return date(_year(m[2]), _MONTHS[m[1].lower()], 1)
    raise ValueError(f"not a month: {text!r}")


@lru_cache(maxsize=16384)
def _parse_timestamp(text: str) -> datetime:
    s = text.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"not a timestamp: {text!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _year(text: str) -> int:
    year = int(text)
    return year if len(text) == 4 else 2000 + year
