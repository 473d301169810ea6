"""The flat predictors object: month_N families (month_0 = latest) and account-level values, docs sample key set."""

from __future__ import annotations

from typing import Dict, Sequence

from . import dates
from .balances import MonthView
from .keys import PREDICTOR_PLAN
from .ledger import Txn
from .monthly import NET_OFF_DAYS, salary
from .profile import Profile

# predictor family -> the monthly metric it repeats for month_N
_FAMILY_METRIC = {
    "expense": "amt_debit", "debits": "amt_debit", "amt_debits_wo_bounce": "amt_debit",
    "amt_netting_debits": "amt_debit", "credits": "amt_credit", "amt_credits_wo_bounce": "amt_credit",
    "amt_netting_credits": "amt_credit", "income": "amt_income_credit",
    "amt_credit_excluding_loan_credit_and_self_credit": "amt_income_credit", "cnt_income": "cnt_income_credit",
    "cnt_credit_excluding_loan_credit_and_self_credit": "cnt_income_credit", "bal_last": "closing_balance",
    "avg_balance": "avg_bal", "avg_balance_without_loan_credit_adjusted": "avg_bal",
    "avg_balance_without_loan_credit_multipleof5": "avg_bal_multipleof5", "max_balance": "max_bal",
    "min_balance": "min_bal", "total_salary": "total_amount_of_salary", "cnt_salary": "number_of_salary_transactions",
    "salary_date": "highest_salary_date", "employer_name": "employer_name",
    "number_of_transactions": "cnt_transactions",
    "cnt_credit_transaction": "cnt_credit", "cnt_debit_transaction": "cnt_debit", "cnt_credits_wo_bounce": "cnt_credit",
    "cnt_debits_wo_bounce": "cnt_debit", "cnt_netting_credits": "cnt_credit", "cnt_netting_debits": "cnt_debit",
    "avg_credit_transaction": "avg_credit_transaction_size", "avg_debit_transaction": "avg_debit_transaction_size",
    "amt_upi_credits": "amt_upi_credit", "amt_upi_debits": "amt_upi_debit", "cnt_upi_credits": "cnt_upi_credit",
    "cnt_upi_debits": "cnt_upi_debit", "amt_cash_deposit": "amt_cash_deposit_credit",
    "cnt_cash_deposit": "cnt_cash_deposit_credit", "amt_cash_withdrawl_debit": "amt_cash_withdrawl_debit",
    "cnt_cash_withdrawl_debit": "cnt_cash_withdrawl_debit", "amt_loan_credits": "amt_loan_credits",
    "cnt_loan_credits": "cnt_loan_credits", "max_amount_loan_credits": "max_amt_loan_credits",
    "amt_self_transfer_credit": "amt_self_transfer_credit", "cnt_self_transfer_credit": "cnt_self_transfer_credit",
    "amt_self_transfer_debit": "amt_self_transfer_debit", "cnt_self_transfer_debit": "cnt_self_transfer_debit",
    "amt_emi_debit": "amt_emi_debit", "cnt_emi_debit": "cnt_emi_debit", "obligation": "amt_emi_debit",
    "emi_bounce": "cnt_emi_bounce_credit", "total_emi_bounce": "cnt_emi_bounce_credit",
    "cnt_emi_ach_bounce_charge": "cnt_ach_bounce_charge", "amt_emi_ach_bounce_charge": "amt_ach_bounce_charge",
    "amt_minimum_balance_chrg": "amt_min_bal_charge", "cnt_minimum_balance_chrg": "cnt_min_bal_charge",
    "cnt_days_account_overdrawn": "cnt_days_account_overdrawn",
    "number_of_days_account_overdrawn": "number_of_days_account_overdrawn",
    "cnt_times_account_overdrawn": "no_of_instances_account_overdrawn", "debitless_charges": "amt_bank_charge_debit",
    "total_inward_chq_bounces_insuff_fund": "cnt_inward_cheque_bounce_credit",
    "inward_chq_bounces_insuff_fund": "cnt_inward_cheque_bounce_credit",
    "total_outward_chq_bounces_insuff_fund": "cnt_outward_cheque_bounce_debit",
    "outward_chq_bounces_insuff_fund": "cnt_outward_cheque_bounce_debit",
    "total_inward_payment_bounce": "amt_inward_bounces",
    "amt_business_credit": "amt_business_credit", "cnt_business_credit": "cnt_business_credit",
    "amt_business_debit": "amt_business_debit", "cnt_business_debit": "cnt_business_debit",
    "total_creditcard_payment": "cnt_credit_card_bill_debit", "cnt_days_credits": "cnt_days_credits",
    "amt_debit_fuel": "amt_fuel_related_debits", "amt_debit_medical": "amt_spent_on_medical",
    "amt_debit_entertainment": "amt_spent_on_entertainment", "amt_debit_online_shopping": "amt_shopping_related_debits",
    "avg_amt_overdraft_utilization": "avg_amt_overdraft_utilization",
    "avg_amt_overdraft_utilization_perc": "avg_amt_overdraft_utilization_perc",
    **{f"balance_on_{suffix}": f"eod_bal_on_{day:02d}" for day, suffix in NET_OFF_DAYS},
    **{f"balance_net_off_on_{suffix}": f"balance_net_off_on_{suffix}" for _, suffix in NET_OFF_DAYS},
}


def predictors(p: Profile, txns: Sequence[Txn], views: Sequence[MonthView], metrics: Sequence[Dict],
               salaries: Dict[int, Sequence[Txn]]) -> dict:
    """The predictors object for one account; `views` and `metrics` are chronological, `salaries` are the salary
    credits by salary_month (monthly.salaries_by_month)."""
    latest_first = [_month_values(v, m) for v, m in zip(reversed(views), reversed(metrics))][:12]
    # A salary paying for a month before the statement's first month keeps that month's slot (month_N stays null,
    # as in the documented sample, where total_salary_4 is the Jul-2025 salary credited in Aug-2025).
    employer = p.salary[0] if p.salary else None
    latest = views[-1].month
    for month in sorted(salaries, reverse=True):
        index = latest - month
        if index < len(latest_first) or index >= 12:
            continue
        m: Dict[str, object] = {}
        salary(m, salaries[month], employer)
        latest_first.extend({} for _ in range(index + 1 - len(latest_first)))
        latest_first[index] = {family: m[metric] for family, metric in _FAMILY_METRIC.items() if metric in m}
    singles = _singles(p, txns, views, metrics)
    doc = {}
    for kind, name, keys, default in PREDICTOR_PLAN:
        if kind == "single":
            doc[name] = singles.get(name, default)
            continue
        for i, key in enumerate(keys):
            doc[key] = latest_first[i].get(name, default if i < len(views) else None) if i < len(latest_first) \
                else None
    return doc


def _month_values(v: MonthView, m: Dict) -> Dict[str, object]:
    values = {family: m[metric] for family, metric in _FAMILY_METRIC.items() if metric in m}
    credits = [t.amount for t in v.txns if t.credit]
    income, debit = m.get("amt_income_credit", 0.0), m["amt_debit"]
    loans = [t.amount for t in v.txns if t.credit and t.description == "lender_transaction"]
    points = [b for b in (v.eod_on(d) for d in (2, 10, 15, 24, 28)) if b is not None]
    fives = [b for b in (v.eod_on(d) for d in (5, 10, 15, 20, 25, 30)) if b is not None]
    values.update(
        month=dates.mon_yy(v.month),
        expense_to_income_ratio=round(debit / income, 2) if income else None,
        cnt_eod_bal_lt_500=sum(1 for b in v.eod if b < 50_000),
        min_eod_bal_2_10_15_24_28th_day=min(points) / 100 if points else None,
        bal_avgof_6dates=round(sum(fives) / len(fives) / 100, 2) if fives else None,
        amt_credits_lt_10k=sum(a for a in credits if a < 1_000_000) / 100,
        cnt_loan_credits_lt_100k=sum(1 for a in loans if a < 10_000_000),
        cnt_loan_credits_above_5k=sum(1 for a in loans if a > 500_000),
        cnt_loan_credits_above_10k=sum(1 for a in loans if a > 1_000_000),
    )
    return values


def _singles(p: Profile, txns: Sequence[Txn], views: Sequence[MonthView], metrics: Sequence[Dict]) -> Dict:
    credits = [t.amount for t in txns if t.credit]
    debits = [t.amount for t in txns if not t.credit]
    eod = [b for v in views for b in v.eod]
    salary = [t for t in txns if t.channel == "salary"]
    n_months = len(views)
    fraud_types = {f for f, _ in p.frauds}

    def total(key: str) -> float:
        return round(sum(m.get(key, 0) or 0 for m in metrics), 2)

    closing = [v.closing / 100 for v in views]
    avg_bals = [m["avg_bal"] for m in metrics]
    out = {
        "accountnumber": p.number, "bank_name": p.bank, "ifsc_code": p.ifsc, "customer_name": p.name,
        "account_type": p.category, "ccod_limit": p.od_limit / 100, "phone_number": p.phone, "pan_number": p.pan,
        "credits": sum(credits) / 100, "debits": sum(debits) / 100, "total_expense": sum(debits) / 100,
        "amt_total_credit_transactions": sum(credits) / 100, "amt_total_debit_transactions": sum(debits) / 100,
        "cnt_total_credit_transactions": len(credits), "cnt_total_debit_transactions": len(debits),
        "cnt_transactions_last_12_months": len(txns), "total_income": total("amt_income_credit"),
        "max_amt_credit": max(credits, default=0) / 100, "max_credit_amt_last_12_months": max(credits, default=0) / 100,
        "max_debit_amt_last_12_months": max(debits, default=0) / 100, "min_eod_balance": min(eod) / 100,
        "avg_daily_closing_balance": round(sum(eod) / len(eod) / 100, 2),
        "avg_bank_balance": round(sum(avg_bals) / n_months, 2),
        "avg_of_avg_monthly_bal": round(sum(avg_bals) / n_months, 2),
        "total_of_avg_monthly_bal": round(sum(avg_bals), 2), "sum_of_closing_balance": round(sum(closing), 2),
        "avg_of_closing_balance": round(sum(closing) / n_months, 2),
        "avg_monthly_closing_balance": round(sum(closing) / n_months, 2),
        "avg_monthly_credits": round(sum(credits) / n_months / 100, 2),
        "avg_monthly_debits": round(sum(debits) / n_months / 100, 2),
        "avg_monthly_expense": round(sum(debits) / n_months / 100, 2),
        "total_cash_withdrawal": total("amt_cash_withdrawl_debit"),
        "cash_withdrawals": int(total("cnt_cash_withdrawl_debit")),
        "total_amt_cash_deposit": total("amt_cash_deposit_credit"), "total_chq_deposit": total("amt_chq_credit"),
        "total_chq_issue": total("amt_chq_debit"), "chq_deposits": int(total("cnt_chq_credit")),
        "chq_issues": int(total("cnt_chq_debit")), "debitless_charges": total("amt_bank_charge_debit"),
        "amt_inward_cheque_bounce_credit": total("amt_inward_cheque_bounce_credit"),
        "amt_outward_cheque_bounce_debit": total("amt_outward_cheque_bounce_debit"),
        "cnt_inward_cheque_bounce_credit": int(total("cnt_inward_cheque_bounce_credit")),
        "cnt_outward_cheque_bounce_debit": int(total("cnt_outward_cheque_bounce_debit")),
        "inward_chq_bounces": total("cnt_inward_cheque_bounce_credit"),
        "outward_chq_bounces": total("cnt_outward_cheque_bounce_debit"),
        "amt_loan_credit": total("amt_loan_credits"), "total_cnt_of_loan_credits": int(total("cnt_loan_credits")),
        "total_number_of_emi_debits": int(total("cnt_emi_debit")), "total_emi_ecs_loan": int(total("cnt_emi_debit")),
        "total_amt_business_credit": total("amt_business_credit"),
        "total_amt_business_debit": total("amt_business_debit"),
        "total_salary_credits": sum(t.amount for t in salary) / 100, "total_number_of_salary_credits": len(salary),
        "is_salary_present": bool(salary), "latest_salary_month": salary[-1].tag if salary else None,
        "cnt_of_months_with_salary_credits": len({t.tag for t in salary}),
        "start_date": dates.dd_mon_yy(txns[0].day), "end_date": dates.dd_mon_yy(txns[-1].day),
        "statement_from_date": dates.dd_mon_yy(p.start), "statement_to_date": dates.dd_mon_yy(p.end),
        "month_duration": n_months, "total_number_of_months_with_data": n_months, "year_month_count": n_months,
        "missing_months": 0, "banking_vintage_in_days": p.end - p.start + 1,
        "banking_vintage_in_months": (p.end - p.start + 1) // 30,
        "negative_balance": min(eod) < 0, "has_negative_balance": min(eod) < 0,
        "author_fraud": "author_fraud" in fraud_types, "date_fraud": "date_fraud" in fraud_types,
        "transaction_fraud": "transaction_fraud" in fraud_types,
        "inconsistent_transaction": "inconsistent_transaction" in fraud_types,
        "salary_confidence_v1": 100 if salary else 0, "salary_confidence_v2": "Very High" if salary else "Low",
        "latest_consecutive_month": dates.mon_yyyy(views[-1].month),
    }
    return out
