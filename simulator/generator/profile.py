"""Who holds a synthetic account: bank, holder, date range, statements, gaps, income and fixed obligations."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import List, Optional, Tuple

from . import dates
from .vocab import (ACCOUNT_ERRORS, BANK_NAMES, BANKS, BUSINESS_NAMES, CITIES, EMPLOYERS, FIRST_NAMES, FRAUD_TYPES,
                    LANDLORDS, LAST_NAMES, LENDERS, MERCHANTS, STATEMENT_ERRORS, STATES, STREETS)


@dataclass
class Statement:
    statement_id: str
    source: str  # pdf | aa
    start: int  # day ordinals
    end: int
    created_at: str  # ISO 8601 with Z
    file_name: Optional[str]
    pages: int
    status: str = "completed"
    error_code: Optional[str] = None
    error_message: Optional[str] = None


@dataclass
class Profile:
    account_id: str
    bank: str
    name: str
    category: str  # individual | corporate
    number: str
    ifsc: str
    micr: str
    address: str
    pan: str
    phone: str
    od_limit: int  # paise; > 0 lets the balance go negative down to -od_limit
    start: int
    end: int
    gap: Optional[Tuple[int, int]]  # days without data, reported in missing_data
    statements: List[Statement]
    level: int  # typical monthly inflow, paise
    opening: int  # balance before the first transaction, paise
    salary: Optional[Tuple[str, int, int]]  # employer, amount, day of month (0 = last day)
    emis: List[Tuple[str, int, int, str]]  # lender, amount, day, mandate reference
    rent: Optional[Tuple[str, int, int]]
    sip: Optional[Tuple[str, int, int]]
    subscription: Optional[Tuple[str, int, int]]
    contacts: List[Tuple[str, str]]  # (name, full bank name) people this holder pays and is paid by
    other_bank: str  # full name of the holder's other bank, for self transfers
    risky: bool  # bounces and penalties happen
    frauds: List[Tuple[str, str]] = field(default_factory=list)
    created_at: str = ""
    last_updated_at: str = ""
    status: str = "completed"
    error_code: Optional[str] = None
    error_message: Optional[str] = None

    @property
    def full_bank_name(self) -> str:
        return BANKS[self.bank][0]

    @property
    def account_type(self) -> str:
        return "CURRENT" if self.category == "corporate" else "SAVINGS"

    @property
    def masked_number(self) -> str:
        return "X" * (len(self.number) - 4) + self.number[-4:]


def new_uuid(rng: Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def session_created(rng: Random) -> datetime:
    """When the session was created: early November 2025, after every statement ends."""
    return datetime(2025, 11, 1, 9) + timedelta(days=rng.randrange(12), seconds=rng.randrange(10 * 3600))


def make_profile(rng: Random, months: Tuple[int, int], created: datetime, *, failed: bool = False,
                 failed_statement: bool = False) -> Profile:
    """Draws one account's profile; `failed` marks the account failed, `failed_statement` adds a failed upload."""
    bank = rng.choice(BANK_NAMES)
    _, ifsc_prefix, micr_code = BANKS[bank]
    corporate = rng.random() < 0.25
    name = rng.choice(BUSINESS_NAMES) if corporate else _person(rng)
    n_months = rng.randint(*months)
    first_month = dates.END_MONTH - n_months + 1
    # First and last months are partial: the statement starts mid-month and ends before month end.
    start = dates.first_day(first_month) + rng.randrange(0, 20 if n_months > 1 else 5)
    end = dates.first_day(dates.END_MONTH) + rng.randrange(9, 30)
    gap = _gap(rng, start, end)
    level = _level(rng, corporate)
    od_limit = _round(level * rng.uniform(0.5, 2.0), 10_000_000) if corporate and rng.random() < 0.6 else 0
    opening = -int(od_limit * rng.uniform(0.2, 0.7)) if od_limit else int(level * rng.uniform(0.05, 0.8))
    account_created = created + timedelta(seconds=rng.randrange(5, 300))
    profile = Profile(
        account_id=new_uuid(rng),
        bank=bank,
        name=name,
        category="corporate" if corporate else "individual",
        number=str(rng.randrange(10**11, 10**15)),
        ifsc=f"{ifsc_prefix}0{rng.randrange(100000, 999999)}",
        micr=f"{rng.randrange(110, 999)}{micr_code}{rng.randrange(100, 999)}",
        address=_address(rng),
        pan=_pan(rng, corporate),
        phone=f"XXXXXX{rng.randrange(1000, 9999)}",
        od_limit=od_limit,
        start=start,
        end=end,
        gap=gap,
        statements=[],
        level=level,
        opening=opening,
        emis=_emis(rng, level),
        contacts=[(_person(rng), BANKS[rng.choice(BANK_NAMES)][0]) for _ in range(6)],
        **_commitments(rng, level, corporate),
        other_bank=BANKS[rng.choice([b for b in BANK_NAMES if b != bank])][0],
        risky=rng.random() < 0.2,
        created_at=account_created.strftime("%Y-%m-%d %H:%M:%S"),
        last_updated_at=(account_created + timedelta(seconds=rng.randrange(60, 900))).strftime("%Y-%m-%d %H:%M:%S"),
    )
    profile.statements = _statements(rng, profile, account_created)
    if failed_statement:
        profile.statements.append(_failed_statement(rng, profile, account_created))
    if failed:
        profile.status = "failed"
        profile.error_code = rng.choice(sorted(ACCOUNT_ERRORS))
        profile.error_message = ACCOUNT_ERRORS[profile.error_code]
    if rng.random() < 0.08:
        profile.frauds.append(FRAUD_TYPES[rng.randrange(len(FRAUD_TYPES))])
    return profile


def _level(rng: Random, corporate: bool) -> int:
    """Typical monthly inflow in paise: a salary for people, a turnover for businesses."""
    mean, low, high = (800_000, 100_000, 10_000_000) if corporate else (45_000, 12_000, 400_000)
    rupees = min(high, max(low, math.exp(rng.gauss(math.log(mean), 0.55))))
    return _round(rupees * 100, 100_000)


def _round(paise: float, step: int) -> int:
    return max(step, int(paise) // step * step)


def _commitments(rng: Random, level: int, corporate: bool) -> dict:
    """Monthly salary, rent, SIP and subscription, each (counterparty, amount in paise, day of month) or None."""
    salary = rent = None
    if not corporate:
        if rng.random() < 0.75:
            salary = (rng.choice(EMPLOYERS), level, rng.choice((1, 1, 7, 0, 0, 28)))  # day 0 = last day
        if rng.random() < 0.5:
            rent = (rng.choice(LANDLORDS), _round(level * rng.uniform(0.15, 0.3), 100_000), rng.randint(1, 5))
    sip = subscription = None
    if rng.random() < 0.4:
        sip = (rng.choice(MERCHANTS["investments"][0]), _round(level * rng.uniform(0.05, 0.15), 50_000),
               rng.randint(5, 15))
    if rng.random() < 0.5:
        subscription = (rng.choice(("NETFLIX", "SPOTIFY", "AMAZON PRIME", "HOTSTAR")),
                        rng.choice((14900, 19900, 49900, 64900)), rng.randint(1, 28))
    return {"salary": salary, "rent": rent, "sip": sip, "subscription": subscription}


def _person(rng: Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _address(rng: Random) -> str:
    city = rng.choice(CITIES)
    street = f"{rng.randrange(1, 400)}, {rng.choice(STREETS)}"
    return f"{street}, {city}, {STATES[city]}-INDIA {rng.randrange(110001, 799999)}"


def _pan(rng: Random, corporate: bool) -> str:
    letters = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(5))
    holder = "C" if corporate else "P"  # the fourth letter says who holds the PAN
    return f"{letters[:3]}{holder}{letters[4]}{rng.randrange(1000, 9999)}{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}"


def _gap(rng: Random, start: int, end: int) -> Optional[Tuple[int, int]]:
    """Some accounts miss a stretch of days (a statement period nobody uploaded)."""
    if end - start < 75 or rng.random() > 0.15:
        return None
    first = rng.randrange(start + 30, end - 40)
    return first, first + rng.randrange(7, 21)


def _emis(rng: Random, level: int) -> List[Tuple[str, int, int, str]]:
    count = rng.choices((0, 1, 2), (50, 35, 15))[0]
    lenders = rng.sample(LENDERS, count)
    return [(lender, _round(level * rng.uniform(0.08, 0.25), 100), rng.randint(2, 10),
             f"UMRN{rng.randrange(10**11, 10**12)}") for lender in lenders]


def _statements(rng: Random, profile: Profile, created: datetime) -> List[Statement]:
    """One statement over the whole range, or two split around the gap (or mid-range)."""
    source = "aa" if rng.random() < 0.3 else "pdf"
    if profile.gap:
        ranges = [(profile.start, profile.gap[0] - 1), (profile.gap[1] + 1, profile.end)]
    elif rng.random() < 0.25:
        split = (profile.start + profile.end) // 2
        ranges = [(profile.start, split), (split + 1, profile.end)]
    else:
        ranges = [(profile.start, profile.end)]
    return [_statement(rng, profile.bank, source, a, b, created) for a, b in ranges]


def _statement(rng: Random, bank: str, source: str, start: int, end: int, created: datetime) -> Statement:
    statement_id = new_uuid(rng)
    at = created - timedelta(seconds=rng.randrange(1, 60), microseconds=rng.randrange(1_000_000))
    return Statement(
        statement_id=statement_id,
        source=source,
        start=start,
        end=end,
        created_at=at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        file_name=f"{new_uuid(rng)}_{bank}.pdf" if source == "pdf" else None,
        pages=max(1, (end - start) // 12),
    )


def _failed_statement(rng: Random, profile: Profile, created: datetime) -> Statement:
    statement = _statement(rng, profile.bank, "pdf", profile.start, profile.end, created)
    statement.status = "failed"
    statement.error_code = rng.choice(sorted(STATEMENT_ERRORS))
    statement.error_message = STATEMENT_ERRORS[statement.error_code]
    return statement
