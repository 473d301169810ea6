"""Monthly metrics derived from one month of transactions and eod balances, and the monthly_analysis objects."""

from __future__ import annotations

from statistics import median_low, mode
from typing import Dict, List, Sequence

from . import dates
from .balances import MonthView
from .keys import DICT_METRICS, MONTHLY_METRICS

_EOD_DAYS = (1, 2, 4, 5, 6, 10, 11, 15, 16, 17, 20, 21, 25, 30)
NET_OFF_DAYS = ((1, "1st"), (5, "5th"), (10, "10th"), (15, "15th"), (20, "20th"), (25, "25th"), (30, "30th"))
_DISCRETIONARY = frozenset(("shopping", "entertainment", "food", "travel", "alcohol", "gambling"))


def month_metrics(v: MonthView, loan_total: int, od_limit: int, employer,
                  salaries: Sequence = ()) -> Dict[str, object]:
    """Every metric this simulator derives for one month, keyed by its monthly_analysis name.

    `salaries` are the salary credits whose salary_month is this month (see salaries_by_month), wherever they
    were credited: like the API, the salary figures count a salary in the month it pays for."""
    m: Dict[str, object] = {}
    channels: Dict[tuple, list] = {}
    groups: Dict[str, list] = {}
    credit_days = set()
    cr = db = cr_n = db_n = 0
    balances = []
    for t in v.txns:
        amount = t.amount
        balances.append(t.balance)
        key = (t.channel, t.credit)
        stat = channels.get(key)
        if stat is None:
            channels[key] = [amount, 1, amount, amount]
        else:
            stat[0] += amount
            stat[1] += 1
            if amount > stat[2]:
                stat[2] = amount
            if amount < stat[3]:
                stat[3] = amount
        if t.credit:
            cr += amount
            cr_n += 1
            credit_days.add(t.day)
        else:
            db += amount
            db_n += 1
        signature = (t.credit, t.channel, t.description, t.merchant_category, t.tag == "business", bool(t.chq))
        names = _GROUPS.get(signature)
        if names is None:
            names = _GROUPS[signature] = _groups(*signature)
        for name in names:
            _add(groups, name, amount, t)
    for (channel, credit), (total, count, high, low) in channels.items():
        _put(m, f"{channel}_{'credit' if credit else 'debit'}", total, count, high, low)
    for name, (total, count, high, low, _) in groups.items():
        _put(m, name, total, count, high, low)
    _aliases(m, groups)
    eod = v.eod
    m.update(
        opening_balance=v.opening / 100, closing_balance=v.closing / 100,
        amt_credit=cr / 100, cnt_credit=cr_n, amt_debit=db / 100, cnt_debit=db_n, cnt_transactions=cr_n + db_n,
        net_credit_amount=cr / 100, net_credit_count=cr_n, net_debit_amount=db / 100, net_debit_count=db_n,
        amt_credit_excluding_reversal=cr / 100, cnt_credit_excluding_reversal=cr_n,
        amt_debit_excluding_reversal=db / 100, cnt_debit_excluding_reversal=db_n,
        amt_credits_wo_reversal=cr / 100, cnt_credits_wo_reversal=cr_n, amt_debits_wo_reversal=db / 100,
        cnt_debits_wo_reversal=db_n, net_cash_inflow=(cr - db) / 100,
        avg_credit_transaction_size=round(cr / cr_n / 100, 2) if cr_n else 0.0,
        avg_debit_transaction_size=round(db / db_n / 100, 2) if db_n else 0.0,
        max_bal=max(balances, default=v.opening) / 100, min_bal=min(balances, default=v.opening) / 100,
        avg_bal=mean_paise(eod), sum_of_eod_balance=sum(eod) / 100, cnt_of_eod_balance=len(eod),
        max_eod_balance=max(eod) / 100, min_eod_balance=min(eod) / 100,
        median_balance=median_low(eod) / 100, mode_balance=mode(eod) / 100,
        avg_bal_top_15_days=round(sum(sorted(eod)[-15:]) / min(15, len(eod)) / 100, 2),
        cnt_days_eod_bal_lt_25000=sum(1 for b in eod if b < 2_500_000),
        cnt_days_eod_bal_lt_1000=sum(1 for b in eod if b < 100_000),
        no_of_days_eod_lt_5k=sum(1 for b in eod if b < 500_000),
        no_of_days_eod_lt_20k=sum(1 for b in eod if b < 2_000_000),
        no_of_days_eod_lt_1lk=sum(1 for b in eod if b < 10_000_000),
        start_date=dates.dd_mon_yyyy(v.first_day), end_date=dates.dd_mon_yyyy(v.last_day),
        is_current_month=1.0 if v.month == dates.END_MONTH else 0.0, is_complete_month=1.0 if v.complete else 0.0,
        no_of_days_to_serve_cc_interest="0", cnt_days_credits=len(credit_days),
    )
    if v.txns:
        m.update(transaction_start_date=dates.dd_mon_yy(v.txns[0].day),
                 transaction_end_date=dates.dd_mon_yy(v.txns[-1].day),
                 max_amt_credit=_money(max((t.amount for t in v.txns if t.credit), default=None)),
                 min_amt_credit=_money(min((t.amount for t in v.txns if t.credit), default=None)),
                 max_debit=_money(max((t.amount for t in v.txns if not t.credit), default=0)),
                 min_debit=_money(min((t.amount for t in v.txns if not t.credit), default=0)))
    _eod_points(m, v, loan_total)
    _overdraft(m, eod, od_limit)
    salary(m, salaries, employer)
    m["loan_emi"] = {t.merchant: t.amount / 100 for t in v.txns if t.channel == "auto_debit_payment"}
    return m


def monthly_analysis(months: Sequence[Dict[str, object]], labels: Sequence[str]) -> dict:
    """{metric: {Mon-YYYY: value}} over the docs sample's metric key set, in its order."""
    doc = {}
    for name, default in MONTHLY_METRICS:
        if name in DICT_METRICS:
            doc[name] = {label: m.get(name, {}) for m, label in zip(months, labels)}
        else:
            doc[name] = {label: m.get(name, default) for m, label in zip(months, labels)}
    return doc


def aggregate(analyses: List[dict]) -> dict:
    """Session-level monthly_analysis: amounts and counts add up across accounts; min/max/avg/dates combine."""
    if len(analyses) == 1:
        return analyses[0]
    labels = sorted({label for a in analyses for label in a["opening_balance"]}, key=_month_sort_key)
    doc = {}
    for name, _ in MONTHLY_METRICS:
        combine = _COMBINERS[name]
        columns = [a[name] for a in analyses]
        if combine is _sum:
            doc[name] = _sum_columns(columns, labels)
        else:
            doc[name] = {label: combine([c[label] for c in columns if label in c]) for label in labels}
    return doc


def _sum_columns(columns: List[dict], labels: List[str]) -> dict:
    merged = dict.fromkeys(labels)
    for column in columns:
        for label, value in column.items():
            if value is not None:
                current = merged[label]
                merged[label] = value if current is None else current + value
    # Sums of 2-decimal floats drift (0.1 + 0.2); round back to paise.
    return {label: round(v, 2) if v.__class__ is float else v for label, v in merged.items()}


def _combiner(name: str, kind_default):
    """How one metric combines across accounts, chosen once per metric name."""
    if name in DICT_METRICS:
        return lambda values: {k: v for d in values if d for k, v in d.items()}
    if name.endswith(("start_date", "end_date")) or name in ("highest_salary_date", "no_of_days_to_serve_cc_interest",
                                                            "employer_name"):
        pick = min if "start" in name else max
        return lambda values: pick((v for v in values if v is not None), key=_date_sort_key, default=None)
    if name.startswith("min_"):
        return lambda values: min((v for v in values if v is not None), default=None)
    if name.startswith("max_"):
        return lambda values: max((v for v in values if v is not None), default=None)
    if name.startswith(("avg_", "perc_", "is_", "amt_perc_")) or "_avg" in name:
        return _mean
    return _sum


def _mean(values: list):
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 2) if present else None


def _sum(values: list):
    """Marker for additive metrics; aggregate() sums them column-wise."""
    raise NotImplementedError


def _month_sort_key(label: str) -> int:
    mon, year = label.split("-")
    return int(year) * 12 + dates.MONTHS.index(mon)


def _date_sort_key(text: str) -> tuple:
    parts = text.split("-")
    if len(parts) == 3 and parts[1] in dates.MONTHS:
        return int(parts[2]) % 100, dates.MONTHS.index(parts[1]), int(parts[0])
    return (text,)


def _groups(credit: bool, channel: str, d: str, mc: str, business: bool, has_chq: bool) -> tuple:
    """Metric families a transaction counts in besides its channel (memoised in _GROUPS by these fields)."""
    out = []
    if credit:
        if d == "lender_transaction":
            out.append("loan_credits")
        elif d == "self_transfer":
            out.append("self_transfer_credit")
        else:
            out.append("income_credit")
        if business:
            out.append("business_credit")
        if channel in ("inward_cheque_bounce", "auto_debit_payment_bounce"):
            out.append("inward_bounces")
    else:
        if d == "self_transfer":
            out.append("self_transfer_debit")
        if d in ("ach_bounce_charge", "chq_bounce_charge"):
            out.extend((d, "bounce_charge", "bounce_penal"))
        elif d == "penalty_charge":
            out.extend(("min_bal_charge", "bounce_penal"))
        elif d == "credit_card_bill":
            out.append("credit_card_bill_debit")
        if business:
            out.append("business_debit")
        if mc in ("food", "travel", "fuel", "shopping"):
            out.append(f"{mc}_related_debits")
        if mc in ("entertainment", "medical", "groceries"):
            out.append(f"spent_on_{mc}")
        if mc in _DISCRETIONARY:
            out.append("discretionary_spends")
        if mc == "tax":
            out.append("tax_gst_paid")
        if channel in ("upi", "net_banking_transfer"):
            out.append("upi_and_net_banking_debits")
        if channel == "bill_payment":
            out.append("bill_related_debits")
    if has_chq:
        out.append("cheque_deposit_having_chq_num" if credit else "cheque_issue_having_chq_num")
    return tuple(out)


_GROUPS: Dict[tuple, tuple] = {}


def _add(groups: Dict[str, list], name: str, amount: int, t) -> None:
    stat = groups.get(name)
    if stat is None:
        groups[name] = [amount, 1, amount, amount, t]
        return
    stat[0] += amount
    stat[1] += 1
    if amount > stat[2]:
        stat[2] = amount
        stat[4] = t
    stat[3] = min(stat[3], amount)


def _put(m: dict, suffix: str, total: int, count: int, high: int, low: int) -> None:
    m[f"amt_{suffix}"] = total / 100
    m[f"cnt_{suffix}"] = count
    m[f"max_amt_{suffix}"] = high / 100
    m[f"min_amt_{suffix}"] = low / 100
    m[f"avg_amt_{suffix}"] = round(total / count / 100, 2)


def _aliases(m: dict, groups: Dict[str, list]) -> None:
    """Metric names that do not follow amt_<channel>_<direction>."""
    pairs = (("emi_debit", "auto_debit_payment_debit"), ("emi_bounce_credit", "auto_debit_payment_bounce_credit"),
             ("investment", "investment_debit"), ("chq_deposit", "chq_credit"),
             ("outward_cheque_bounce_insuff_funds_debit", "outward_cheque_bounce_debit"),
             ("inward_cheque_bounce_insuff_funds_credit", "inward_cheque_bounce_credit"))
    for alias, source in pairs:
        for stat in ("amt_", "cnt_", "max_amt_", "min_amt_", "avg_amt_"):
            if stat + source in m:
                m[stat + alias] = m[stat + source]
    if "amt_emi_debit" in m:
        m["avg_emi"] = m["avg_amt_emi_debit"]
    if "amt_bounce_penal" in m:
        # The docs name these bounce_penal / max_bounce_penal ..., not amt_bounce_penal / max_amt_bounce_penal.
        for stat in ("", "max_", "min_", "avg_"):
            m[f"{stat}bounce_penal"] = m[f"{stat}amt_bounce_penal"]
    m["turnover_excluding_loan_and_self_credit"] = m["turnover_excluding_loan_self_and_fdrd_credit"] = (
        groups["income_credit"][0] / 100 if "income_credit" in groups else 0.0)


def _eod_points(m: dict, v: MonthView, loan_total: int) -> None:
    for day in _EOD_DAYS:
        balance = v.eod_on(day)
        m[f"eod_bal_on_{day:02d}"] = None if balance is None else balance / 100
    for day, suffix in NET_OFF_DAYS:
        balance = v.eod_on(day)
        m[f"balance_net_off_on_{suffix}"] = None if balance is None else (balance - loan_total) / 100
    for days in ((1, 10, 15, 25), (1, 6, 11, 16, 21), (1, 5, 15, 25)):
        name = "_".join(map(str, days))
        points = [b for b in (v.eod_on(d) for d in days) if b is not None]
        m[f"sum_of_eod_bal_on_{name}"] = sum(points) / 100
        m[f"avg_of_eod_bal_on_{name}"] = round(sum(points) / len(points) / 100, 2) if points else 0.0
    fives = [b for b in (v.eod_on(d) for d in (5, 10, 15, 20, 25, 30)) if b is not None]
    m["avg_bal_multipleof5"] = round(sum(fives) / len(fives) / 100) if fives else 0.0


def _overdraft(m: dict, eod: List[int], od_limit: int) -> None:
    negative = [b for b in eod if b < 0]
    instances = sum(1 for prev, cur in zip([0] + eod, eod) if cur < 0 <= prev)
    m.update(cnt_days_account_overdrawn=len(negative), number_of_days_account_overdrawn=len(negative),
             cnt_negative_balance=len(negative), cnt_days_negative_od_eod_balance=len(negative),
             no_of_instances_account_overdrawn=instances,
             total_of_negative_balances_amt=sum(negative) / 100, total_overdrawn_amount=-sum(negative) / 100)
    if negative:
        m.update(max_negative_balance_amt=min(negative) / 100, min_negative_balance_amt=max(negative) / 100,
                 avg_of_negative_balance_amt=round(sum(negative) / len(negative) / 100, 2),
                 max_overdraft_balance=-min(negative) / 100, max_overdrawn_amount=-min(negative) / 100)
    if od_limit:
        used = [max(0, -b) for b in eod]
        m.update(drawing_power_limit=od_limit / 100, sanction_limit=od_limit / 100,
                 avg_amt_overdraft_utilization=round(sum(used) / len(used) / 100, 2),
                 avg_amt_overdraft_utilization_perc=round(sum(used) / len(used) / od_limit * 100, 2))


def salaries_by_month(txns: Sequence) -> Dict[int, list]:
    """Salary credits by the month they pay for: their salary_month (the txn tag, Mon-YYYY), as the
    salary_transactions list reports it, in credit order."""
    out: Dict[int, list] = {}
    for t in txns:
        if t.channel == "salary":
            out.setdefault(dates.month_of_label(t.tag), []).append(t)
    return out


def salary(m: dict, salaries: Sequence, employer) -> None:
    """The salary metrics of one salary_month into `m`; nothing when it has no salary (the defaults apply)."""
    if not salaries:
        return
    top = salaries[0]
    for t in salaries:
        if t.amount > top.amount:
            top = t  # the first of the largest
    total, count = sum(t.amount for t in salaries), len(salaries)
    high, low = top.amount, min(t.amount for t in salaries)
    m.update(total_amount_of_salary=total / 100, number_of_salary_transactions=count,
             max_amount_of_salary=high / 100, min_amount_of_salary=low / 100,
             avg_amount_of_salary=round(total / count / 100, 2), employer_name=employer,
             highest_salary_date=dates.iso(top.day), amt_salary_paid=0.0)


def mean_paise(values: Sequence[int]) -> float:
    """Mean of paise amounts in rupees, rounded half up to the paisa in integers (floats would round 0.5 either way)."""
    n = len(values)
    return (2 * sum(values) + n) // (2 * n) / 100


def _money(paise):
    return None if paise is None else paise / 100


_COMBINERS = {name: _combiner(name, default) for name, default in MONTHLY_METRICS}
