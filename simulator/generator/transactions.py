"""One account's transaction stream: monthly schedules plus random events, walked day by day in statement order."""

from __future__ import annotations

from itertools import accumulate
from random import Random
from typing import Dict, List, Tuple

from . import dates, events
from .ledger import Ledger, Txn
from .profile import Profile

_TABLES = {
    name: (tuple(fn for fn, _ in table), tuple(accumulate(w for _, w in table)), events.credit_share(table))
    for name, table in (("individual", events.INDIVIDUAL), ("corporate", events.CORPORATE))
}
_INTEREST_MONTHS = (2, 5, 8, 11)  # quarters end in Mar, Jun, Sep, Dec (0-based months)
_SMS_MONTHS = (1, 4, 7, 10)


def generate(rng: Random, profile: Profile, txn_per_month: Tuple[int, int]) -> List[Txn]:
    """Transactions of a completed account, every balance = previous balance +/- amount, in statement order."""
    kinds, cum_weights, credit_share = _TABLES[profile.category]
    per_month = (txn_per_month[0] + txn_per_month[1]) / 2
    ledger = Ledger(rng, profile, *_units(profile, per_month, credit_share))
    schedule: Dict[int, list] = {}
    random_count: Dict[int, int] = {}
    covered_days: List[int] = []
    gap = profile.gap or (0, -1)
    for month in range(dates.month_of(profile.start), dates.month_of(profile.end) + 1):
        first, last = max(profile.start, dates.first_day(month)), min(profile.end, dates.last_day(month))
        covered = [d for d in range(first, last + 1) if not gap[0] <= d <= gap[1]]
        if not covered:
            continue
        covered_days.extend(covered)
        planned = _schedule_month(rng, profile, month, set(covered), schedule)
        target = round(rng.randint(*txn_per_month) * len(covered) / dates.days_in_month(month))
        for day in rng.choices(covered, k=max(0, target - planned)):
            random_count[day] = random_count.get(day, 0) + 1
    # Statements start and end on days with a transaction, so eod balances cover exactly the statement range.
    for day in (profile.start, profile.end):
        random_count[day] = random_count.get(day) or 1
    picks = iter(rng.choices(kinds, cum_weights=cum_weights, k=sum(random_count.values())))
    pending = ledger.pending
    for day in covered_days:
        for event in schedule.get(day, ()):
            event(ledger, day)
        for _ in range(random_count.get(day, 0)):
            next(picks)(ledger, day)
        for event in pending.pop(day, ()):
            event(ledger, day)
    return ledger.txns


def _units(profile: Profile, per_month: float, credit_share: float) -> Tuple[float, float]:
    """Mean debit and credit amounts so that a month's outflow roughly matches its inflow."""
    per_month = max(per_month, 4.0)
    fixed = sum(e[1] for e in profile.emis) + sum(x[1] for x in (profile.rent, profile.sip) if x)
    if profile.category == "corporate":
        credit_unit = profile.level / (per_month * credit_share * 1.2)
        return profile.level * 0.95 / (per_month * (1 - credit_share) * 1.25), credit_unit
    credit_unit = profile.level * 0.25 / (per_month * credit_share * 1.2)
    spend = max(profile.level * 1.2 - fixed, profile.level * 0.3)
    return spend / (per_month * (1 - credit_share) * 1.3), credit_unit


def _schedule_month(rng: Random, p: Profile, month: int, covered: set, schedule: Dict[int, list]) -> int:
    """Adds the month's fixed events (salary, EMIs, rent, ...) to `schedule`; returns how many were added."""
    start, dim = dates.first_day(month), dates.days_in_month(month)
    planned = []
    if p.salary:
        employer, amount, day = p.salary
        planned.append((start + (day or dim) - 1, _salary(rng, employer, amount)))
    elif p.category == "individual":
        for day in (10, 25):
            planned.append((start + day - 1, _income))
    for lender, amount, day, umrn in p.emis:
        planned.append((start + day - 1, _emi(lender, amount, umrn)))
    if p.rent:
        planned.append((start + p.rent[2] - 1, _rent(*p.rent)))
    if p.sip:
        planned.append((start + p.sip[2] - 1, _sip(*p.sip)))
    if p.subscription:
        planned.append((start + p.subscription[2] - 1, _subscription(*p.subscription)))
    if p.category == "individual" and month % 12 in _INTEREST_MONTHS:
        planned.append((start + dim - 1, _interest))
    if month % 12 in _SMS_MONTHS:
        planned.append((start + 14, _sms_charge))
    if p.risky and p.category == "individual":
        planned.append((start + dim - 1, _min_balance_penalty))
    if rng.random() < 0.03:
        planned.append((rng.choice(sorted(covered)), _loan_disbursal))
    added = 0
    for day, event in planned:
        if day in covered:
            schedule.setdefault(day, []).append(event)
            added += 1
    return added


def _salary(rng: Random, employer: str, base: int):
    amount = base + rng.randrange(-base // 50, base // 50 + 1) // 100 * 100
    if rng.random() < 0.08:
        amount += base // 2 // 100 * 100  # a bonus month

    def event(lg: Ledger, day: int) -> None:
        month_label = events.month_label_for_salary(day)
        mon, year = month_label.split("-")
        style = lg.rng.randrange(3)
        if style == 0:
            note = f"NEFT-{lg.p.ifsc[:4]}N{lg.ref(14)}-{employer}-SALARY {mon.upper()} {year}"
        elif style == 1:
            note = f"SAL/{employer}/{mon.upper()}{year[2:]}"
        else:
            note = f"IMPS-{lg.ref()}-{employer}-SALARY FOR {mon.upper()} {year}"
        lg.post(day, True, amount, note, "salary", "Salary", employer, f"Transfer from {employer}",
                rkey=f"{employer} SALARY", tag=month_label)
    return event


def _income(lg: Ledger, day: int) -> None:
    # People without a salary get paid by clients twice a month.
    client = lg.rng.choice(("UPWORK ESCROW", "SWIGGY DELIVERY", "URBAN COMPANY", "OLA PARTNER", "FREELANCE CLIENT"))
    lg.post(day, True, lg.money(lg.p.level * 0.45), f"IMPS-{lg.ref()}-{client}-PAYOUT", "net_banking_transfer",
            "Transfer from " + client, client, f"Transfer from {client}", rkey=f"{client} PAYOUT")


def _emi(lender: str, amount: int, umrn: str):
    def event(lg: Ledger, day: int) -> None:
        bounce = lg.room() < amount or (lg.p.risky and lg.rng.random() < 0.2)
        lg.post(day, False, amount, f"NACH/ACH D- {lender}-{umrn}", "auto_debit_payment", "EMI Payment", lender,
                "lender_transaction", "loans", rkey=f"{lender} EMI")
        if bounce:
            # The mandate bounced: the debit is reversed (a credit) and a return charge follows.
            lg.post(day, True, amount, f"ACH D- RETURN-{lender}-{umrn}-INSUFFICIENT FUNDS",
                    "auto_debit_payment_bounce", "EMI Bounce", lender, "", "loans")
            if lg.room() >= 59_000:
                lg.post(day, False, 59_000, f"ACH DEBIT RTN CHGS {umrn} INCL GST", "bank_charge", "Bank Charges", "",
                        "ach_bounce_charge")
    return event


def _rent(landlord: str, amount: int, _day: int):
    def event(lg: Ledger, day: int) -> None:
        paid = lg.affordable(amount)
        if paid:
            lg.post(day, False, paid, f"UPI/P2A/{lg.ref()}/{landlord} /RENT/{lg.p.other_bank.upper()}", "upi",
                    f"Transfer to {landlord}", landlord, f"Transfer to {landlord}", rkey=f"{landlord} RENT")
    return event


def _sip(fund: str, amount: int, _day: int):
    def event(lg: Ledger, day: int) -> None:
        if lg.room() >= amount:
            lg.post(day, False, amount, f"ACH D- {fund}-SIP{lg.p.number[-6:]}", "investment", "Investments", fund, "",
                    "investments", rkey=f"{fund} SIP")
    return event


def _subscription(service: str, amount: int, _day: int):
    def event(lg: Ledger, day: int) -> None:
        if lg.room() >= amount:
            lg.post(day, False, amount, f"UPI/P2M/{lg.ref()}/{service}/AUTOPAY/HDFC BANK", "upi", "Entertainment",
                    service, "", "entertainment", rkey=f"{service} AUTOPAY")
    return event


def _interest(lg: Ledger, day: int) -> None:
    amount = max(100, lg.balance * 3 // 400)  # about 3% a year, paid quarterly
    lg.post(day, True, amount, f"INT.PD:{lg.p.number[-8:]}:QTR ENDING {dates.dd_mon_yy(day)}", "bank_interest",
            "Interest", lg.p.full_bank_name)


def _sms_charge(lg: Ledger, day: int) -> None:
    if lg.room() >= 1_770:
        lg.post(day, False, 1_770, "SMS ALERT CHGS QTR INCL GST", "bank_charge", "Bank Charges")


def _min_balance_penalty(lg: Ledger, day: int) -> None:
    if lg.balance < 200_000 and lg.room() >= 29_500 and lg.rng.random() < 0.5:
        lg.post(day, False, 29_500, "MIN BAL CHGS INCL GST", "bank_charge", "Bank Charges", "", "penalty_charge")


def _loan_disbursal(lg: Ledger, day: int) -> None:
    lender = lg.rng.choice(("BAJAJ FINANCE LTD", "TATA CAPITAL", "KREDITBEE", "MONEYVIEW"))
    lg.post(day, True, lg.money(lg.p.level * 2), f"NEFT-{lg.p.ifsc[:4]}N{lg.ref(14)}-{lender}-LOAN DISB",
            "net_banking_transfer", "Loan Disbursed", lender, "lender_transaction", "loans")
