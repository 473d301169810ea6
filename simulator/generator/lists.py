"""The transaction-shaped lists of an account's insights, each in the shape the documented sample uses."""

from __future__ import annotations

from statistics import median_low
from typing import Dict, List, Sequence

from . import dates
from .balances import MonthView
from .ledger import Txn
from .profile import Profile
from .vocab import MERCHANTS

_TYPE = {True: "credit", False: "debit"}
_BOUNCE_CHANNELS = frozenset(("inward_cheque_bounce", "outward_cheque_bounce", "auto_debit_payment_bounce"))
_PENAL_DESCRIPTIONS = frozenset(("ach_bounce_charge", "chq_bounce_charge", "penalty_charge", "chq_bounce_insuff_funds"))
_RECURRING_CHANNEL = {"upi": "UPI", "net_banking_transfer": "NEFT", "auto_debit_payment": "ACH", "investment": "ACH"}


def transaction(t: Txn, date: str = None) -> dict:
    """A transactions[] item: channel and description inside `metadata`."""
    return {
        "transaction_type": _TYPE[t.credit], "transaction_note": t.note, "chq_num": t.chq, "amount": t.amount / 100,
        "balance": t.balance / 100, "date": date or dates.stamp(t.day), "hash": t.hash, "category": t.category,
        "metadata": {"unclean_merchant": t.merchant, "transaction_channel": t.channel, "description": t.description},
    }


def flat(t: Txn) -> dict:
    """A lender/self/bounced item: channel, merchant category and description at the top level."""
    return {
        "transaction_type": _TYPE[t.credit], "transaction_note": t.note, "chq_num": t.chq, "amount": t.amount / 100,
        "balance": t.balance / 100, "date": dates.stamp(t.day), "transaction_channel": t.channel, "hash": t.hash,
        "merchant_category": t.merchant_category, "description": t.description, "category": t.category,
    }


def salary_transactions(txns: Sequence[Txn], employer) -> List[dict]:
    out = []
    for t in txns:
        if t.channel == "salary":
            item = transaction(t)
            meta = item.pop("metadata")
            item["employer_name"] = employer
            item["salary_month"] = t.tag
            item["metadata"] = meta
            out.append(item)
    return out


def lender_transactions(txns: Sequence[Txn]) -> List[dict]:
    return [flat(t) for t in txns if t.description == "lender_transaction"]


def self_and_sister_transactions(txns: Sequence[Txn]) -> List[dict]:
    return [flat(t) for t in txns if t.description == "self_transfer"]


def bounced_or_penal_transactions(txns: Sequence[Txn]) -> List[dict]:
    return [flat(t) for t in txns if t.channel in _BOUNCE_CHANNELS or t.description in _PENAL_DESCRIPTIONS]


def recurring_transactions(txns: Sequence[Txn], account_id: str) -> dict:
    groups: Dict[tuple, List[Txn]] = {}
    for t in txns:
        if t.rkey:
            groups.setdefault((t.credit, t.rkey), []).append(t)
    out = {"debit_transactions": [], "credit_transactions": []}
    for (credit, rkey), members in groups.items():
        if len(members) < 2:
            continue
        out["credit_transactions" if credit else "debit_transactions"].append({
            "account_id": account_id,
            "transaction_channel": _RECURRING_CHANNEL.get(members[0].channel, "OTHER"),
            "clean_transaction_note": rkey,
            "median": median_low(t.amount for t in members) / 100,
            "start_date": dates.stamp(members[0].day),
            "end_date": dates.stamp(members[-1].day),
            "transactions": [_nested(t) for t in members],
        })
    return out


def top_credits_debits(views: Sequence[MonthView]) -> List[dict]:
    """Top five debits and credits per month (month as Mon-YY, dates inside as DD-Mon-YY)."""
    out = []
    for kind, credit in (("top_5_debit", False), ("top_5_credit", True)):
        months = []
        for v in views:
            picked = sorted((t for t in v.txns if t.credit is credit), key=lambda t: -t.amount)[:5]
            if picked:
                months.append({"month": dates.mon_yy(v.month),
                               "data": [transaction(t, dates.dd_mon_yy(t.day)) for t in picked]})
        out.append({"type": kind, "data": months})
    return out


def expense_categories(txns: Sequence[Txn]) -> List[dict]:
    totals: Dict[str, int] = {}
    for t in txns:
        if not t.credit:
            label = _expense_label(t)
            totals[label] = totals.get(label, 0) + t.amount
    spent = sum(totals.values())
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    return [{"category": label, "percentage": round(100 * amount / spent)} for label, amount in ranked
            if spent and round(100 * amount / spent) > 0]


def statement_stats(session_id: str, p: Profile, txns: Sequence[Txn]) -> List[dict]:
    out = []
    for s in p.statements:
        if s.status != "completed":
            continue
        inside = [t for t in txns if s.start <= t.day <= s.end]
        out.append({
            "session_id": session_id, "account_id": p.account_id, "statement_id": s.statement_id,
            "first_transaction_timestamp": dates.stamp(inside[0].day) if inside else None,
            "last_transaction_timestamp": dates.stamp(inside[-1].day) if inside else None,
            "bank": p.bank, "source": s.source.upper(), "upload_file_name": s.file_name, "page_count": s.pages,
            "transaction_count": len(inside), "from_date": dates.stamp(s.start), "to_date": dates.stamp(s.end),
            "is_scanned_pdf": False,
        })
    return out


def fraud(p: Profile, txns: Sequence[Txn]) -> tuple:
    """(fraud[], fraud_details): metadata frauds flag a statement, the others a transaction of the account."""
    items, on_statements, on_account = [], [], []
    statement_id = p.statements[0].statement_id
    for fraud_type, category in p.frauds:
        txn_hash = None if category == "metadata" else txns[len(txns) // 2].hash
        items.append({"statement_id": statement_id, "fraud_type": fraud_type, "transaction_hash": txn_hash,
                      "fraud_category": category})
        if category == "metadata":
            on_statements.append({"statement_id": statement_id, "fraud_type": fraud_type, "fraud_category": category})
        else:
            on_account.append({"account_id": p.account_id, "fraud_type": fraud_type, "fraud_category": category,
                               "transaction_hash": txn_hash})
    return items, {"statement": on_statements, "account": on_account}


def _nested(t: Txn) -> dict:
    return {
        "transaction_type": _TYPE[t.credit], "transaction_note": t.note, "amount": t.amount / 100,
        "balance": t.balance / 100, "date": dates.stamp(t.day), "transaction_channel": t.channel, "hash": t.hash,
        "merchant_category": t.merchant_category, "description": t.description, "category": t.category,
    }


def _expense_label(t: Txn) -> str:
    if t.merchant_category in MERCHANTS:
        return MERCHANTS[t.merchant_category][1]
    return {"cash_withdrawl": "Cash", "auto_debit_payment": "Loan Repayment", "bank_charge": "Charges",
            "upi": "Transfers", "net_banking_transfer": "Transfers", "self_transfer": "Transfers",
            "chq": "Cheque"}.get(t.channel, "Others")
