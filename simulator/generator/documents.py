"""Assembles one session's session_status and insights documents from its accounts' transactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from random import Random
from typing import List, Optional, Tuple

from . import dates, lists
from .balances import eod_balances, month_views
from .ledger import Txn
from .monthly import aggregate, month_metrics, monthly_analysis, salaries_by_month
from .predictors import predictors
from .profile import Profile, make_profile, session_created
from .transactions import generate

_REPORTS = "https://reports.example.invalid"


@dataclass(frozen=True)
class Shape:
    """How big sessions are: (low, high) ranges drawn per session or account."""

    accounts: Tuple[int, int] = (1, 3)
    months: Tuple[int, int] = (3, 12)
    txn_per_month: Tuple[int, int] = (20, 60)


@dataclass
class SessionDocs:
    """What the API answers for a session. `pending_status` is the session_status before insights are ready."""

    status: dict
    insights: Optional[dict]
    pending_status: dict


def build_session(seed: int, index: int, session_id: str, case: str, shape: Shape) -> SessionDocs:
    """Generates the documents of session number `index`; the same (seed, index, case, shape) gives the same data."""
    rng = Random(f"bankconnect-sim:{seed}:{index}")
    created = session_created(rng)
    n_accounts = rng.randint(*shape.accounts)
    if case == "account_failed":
        n_accounts = max(2, n_accounts)
    profiles = [make_profile(rng, shape.months, created, failed=case == "account_failed" and i == n_accounts - 1,
                             failed_statement=case == "statement_failed" and i == 0)
                for i in range(n_accounts)]
    link_id = f"link_{rng.getrandbits(48):012x}"
    stamp = (created + timedelta(minutes=30 + rng.randrange(600))).strftime("%Y%m%dT%H%M%SZ")
    pending = _status(session_id, profiles, insights_available=False, processing=case == "processing")
    if case == "not_requested":
        return SessionDocs(pending, None, pending)
    accounts = [(p, generate(rng, p, shape.txn_per_month)) for p in profiles if p.status == "completed"]
    insights = _insights(rng, session_id, link_id, accounts, stamp)
    return SessionDocs(_status(session_id, profiles, insights_available=True), insights, pending)


def _status(session_id: str, profiles: List[Profile], insights_available: bool, processing: bool = False) -> dict:
    return {
        "session_id": session_id,
        "insights_available": insights_available,
        "accounts": [_status_account(p, processing) for p in profiles],
    }


def _status_account(p: Profile, processing: bool) -> dict:
    return {
        "name": p.name, "account_category": p.category, "account_id": p.account_id, "account_number": p.masked_number,
        "bank_name": p.bank, "error_code": p.error_code, "error_message": p.error_message,
        "account_status": "processing" if processing else p.status,
        "created_at": p.created_at, "last_updated_at": p.last_updated_at,
        "statements": [{
            "statement_id": s.statement_id, "statement_status": "processing" if processing else s.status,
            "error_code": s.error_code, "error_message": s.error_message, "source": s.source,
            "upload_file_name": s.file_name,
            "statement_date_range": {"from_date": dates.slashed(s.start), "to_date": dates.slashed(s.end)},
            "created_at": s.created_at,
        } for s in p.statements],
        "attempt_types": sorted({s.source.upper() for s in p.statements}),
        "account_type": p.account_type, "full_bank_name": p.full_bank_name,
    }


def _insights(rng: Random, session_id: str, link_id: str, accounts: List[Tuple[Profile, List[Txn]]],
              stamp: str) -> dict:
    entries, analyses = [], []
    for p, txns in accounts:
        data, analysis = _account_data(rng, session_id, p, txns, stamp)
        entries.append({"account_id": p.account_id, "data": data})
        analyses.append(analysis)
    query = _query(rng, stamp)
    return {
        "session_id": session_id,
        "link_id": link_id,
        "session_date_range": {"from_date": dates.iso(min(p.start for p, _ in accounts)),
                               "to_date": dates.iso(max(p.end for p, _ in accounts))},
        "accounts": entries,
        "aggregate_monthly_analysis": aggregate(analyses),
        "aggregate_xlsx_report_url": f"{_REPORTS}/entity_report_{session_id}.xlsx?{query}",
        "aggregate_xml_report_url": f"{_REPORTS}/xml_report/entity_report_{session_id}.xml?{query}",
    }


def _account_data(rng: Random, session_id: str, p: Profile, txns: List[Txn], stamp: str) -> tuple:
    views = month_views(txns, p.opening, p.start, p.end)
    employer = p.salary[0] if p.salary else None
    loan_total = sum(t.amount for t in txns if t.credit and t.description == "lender_transaction")
    # Salary figures go by salary_month, as salary_transactions lists them; a salary paying for a month before the
    # statement (credited early in its first month) is in no month of monthly_analysis.
    salaries = salaries_by_month(txns)
    metrics = [month_metrics(v, loan_total, p.od_limit, employer, salaries.get(v.month, ())) for v in views]
    analysis = monthly_analysis(metrics, [dates.mon_yyyy(v.month) for v in views])
    fraud, fraud_details = lists.fraud(p, txns)
    query = _query(rng, stamp)
    data = {
        "account_details": _details(p, views, txns),
        "fraud": fraud,
        "fraud_details": fraud_details,
        "transactions": [lists.transaction(t) for t in txns],
        "salary_transactions": lists.salary_transactions(txns, employer),
        "recurring_transactions": lists.recurring_transactions(txns, p.account_id),
        "lender_transactions": lists.lender_transactions(txns),
        "top_credits_debits": lists.top_credits_debits(views),
        "statement_stats": lists.statement_stats(session_id, p, txns),
        "expense_categories": lists.expense_categories(txns),
        "self_and_sister_transactions": lists.self_and_sister_transactions(txns),
        "bounced_or_penal_transactions": lists.bounced_or_penal_transactions(txns),
        "monthly_analysis": analysis,
        "predictors": predictors(p, txns, views, metrics, salaries),
        "eod_balances": eod_balances(views, p.opening),
        "score": _score(rng, p, txns, metrics),
        "xlsx_report_url": f"{_REPORTS}/account_report_{p.account_id}.xlsx?{query}",
        "xml_report_url": f"{_REPORTS}/xml_report/account_report_{p.account_id}.xml?{query}",
    }
    return data, analysis


def _details(p: Profile, views, txns: List[Txn]) -> dict:
    months = [dates.year_month(v.month) for v in views]
    return {
        "name": p.name, "address": p.address, "metadata_analysis": {"name_matches": []},
        "account_category": p.category, "account_number": p.number, "account_opening_date": None, "bank": p.bank,
        "credit_limit": 0.0, "ifsc": p.ifsc, "micr": p.micr,
        "missing_data": [{"from_date": dates.iso(p.gap[0]), "to_date": dates.iso(p.gap[1])}] if p.gap else [],
        "od_limit": p.od_limit / 100, "salary_confidence": 100.0 if p.salary else None,
        "statements": [s.statement_id for s in p.statements if s.status == "completed"],
        "months": months, "uploaded_months": months, "country_code": "IN", "currency_code": "INR",
        "dob": "", "email": "", "pan_number": p.pan, "phone_number": p.phone, "account_status": "", "holder_type": "",
        "account_date_range": {"from_date": dates.iso(p.start), "to_date": dates.iso(p.end)},
        "transaction_date_range": {"from_date": dates.iso(txns[0].day), "to_date": dates.iso(txns[-1].day)},
    }


def _score(rng: Random, p: Profile, txns: List[Txn], metrics: List[dict]) -> float:
    """A 300-900 score: salary and balances help, bounces and overdrawn days hurt."""
    bounces = sum(1 for t in txns if t.channel.endswith("_bounce"))
    overdrawn = sum(m["cnt_days_account_overdrawn"] for m in metrics)
    score = 560 + (90 if p.salary else 0) + min(120, p.level // 1_000_000) - 35 * bounces - overdrawn // 3
    return float(max(300, min(900, score + rng.randrange(-40, 41))))


def _query(rng: Random, stamp: str) -> str:
    # Presigned S3 report links: valid for an hour from X-Amz-Date.
    return f"X-Amz-Date={stamp}&X-Amz-Expires=3600&X-Amz-Signature={rng.getrandbits(256):064x}"
