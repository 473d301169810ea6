"""The insights document: dispatch every part of every account to its flattener."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Dict, Optional, Tuple

from ..errors import PayloadError
from . import balances, details, monthly, predictors, transactions
from .builder import TableSet


@dataclass
class InsightsHeader:
    """Session-level fields of an insights document (they go on the `sessions` row)."""

    payload_session_id: Optional[str]
    link_id: Optional[str]
    from_date: Any
    to_date: Any
    account_count: int


# key in an account's `data` -> (expected JSON type, flattener(tables, account_id, value, path)).
# account_details and eod_balances are read together (starting_balance, month start days).
_ACCOUNT_PARTS: Dict[str, Tuple[type, Callable[..., None]]] = {
    "transactions": (list, partial(transactions.transaction_list, table="transactions")),
    "salary_transactions": (list, transactions.salary_transactions),
    "lender_transactions": (list, partial(transactions.transaction_list, table="lender_transactions")),
    "self_and_sister_transactions": (list, partial(transactions.transaction_list, table="self_and_sister_transactions")),
    "bounced_or_penal_transactions": (list, partial(transactions.transaction_list, table="bounced_or_penal_transactions")),
    "top_credits_debits": (list, transactions.top_credits_debits),
    "recurring_transactions": (dict, transactions.recurring_transactions),
    "monthly_analysis": (dict, monthly.monthly_analysis),
    "predictors": (dict, predictors.predictors),
    "eod_balances": (dict, balances.eod_balances),
    "fraud": (list, details.fraud),
    "fraud_details": (dict, details.fraud_details),
    "statement_stats": (list, details.statement_stats),
    "expense_categories": (list, details.expense_categories),
    "score": ((int, float), details.score),
    "account_details": (dict, lambda *a: None),  # read below, with eod_balances
    "xlsx_report_url": (str, lambda t, a, v, p: details.report(t, a, v, "xlsx")),
    "xml_report_url": (str, lambda t, a, v, p: details.report(t, a, v, "xml")),
}
_SESSION_KEYS = frozenset({"session_id", "link_id", "session_date_range", "accounts",
                           "aggregate_monthly_analysis", "aggregate_xlsx_report_url", "aggregate_xml_report_url"})


def insights(tables: TableSet, payload: Any) -> InsightsHeader:
    """Flatten an insights document into `tables`.

    Raises:
        PayloadError: the document is not an object, has no accounts list, or an account has no id.
    """
    if not isinstance(payload, dict):
        raise PayloadError(f"insights is a JSON {type(payload).__name__}, not an object")
    accounts = payload.get("accounts")
    if not isinstance(accounts, list):
        raise PayloadError("insights has no 'accounts' list")
    for i, account in enumerate(accounts):
        if not isinstance(account, dict) or not isinstance(account.get("account_id"), (str, int)):
            raise PayloadError(f"insights account #{i} has no account_id")
        _account(tables, str(account["account_id"]), account, f"accounts[{i}]")

    aggregate = payload.get("aggregate_monthly_analysis")
    if isinstance(aggregate, dict):
        monthly.monthly_analysis(tables, None, aggregate, "aggregate_monthly_analysis",
                                 table="aggregate_monthly_analysis")
    elif aggregate is not None:
        tables.unknown(None, "aggregate_monthly_analysis", aggregate)
    for kind in ("xlsx", "xml"):
        url = payload.get(f"aggregate_{kind}_report_url")
        if url is not None:
            details.report(tables, None, url, kind)
    for extra in payload.keys() - _SESSION_KEYS:
        tables.unknown(None, extra, payload[extra])

    span = payload.get("session_date_range")
    span = span if isinstance(span, dict) else {}
    own_id = payload.get("session_id")
    return InsightsHeader(
        payload_session_id=None if own_id is None else str(own_id),
        link_id=payload.get("link_id") if isinstance(payload.get("link_id"), str) else None,
        from_date=span.get("from_date"),
        to_date=span.get("to_date"),
        account_count=len(accounts),
    )


def _account(tables: TableSet, account_id: str, account: Dict[str, Any], path: str) -> None:
    data = account.get("data")
    for extra in account.keys() - {"account_id", "data"}:
        tables.unknown(account_id, f"{path}.{extra}", account[extra])
    if not isinstance(data, dict):
        tables.issue(account_id, f"{path}.data", "account has no data object; nothing loaded for it", data)
        return
    for key, value in data.items():
        part_path = key
        if value is None:
            continue
        known = _ACCOUNT_PARTS.get(key)
        if known is None:
            tables.unknown(account_id, part_path, value)
            continue
        expected, flatten = known
        if not isinstance(value, expected) or isinstance(value, bool):
            tables.issue(account_id, part_path, f"expected a JSON {_kind(expected)}, kept in unknown_fields")
            tables.unknown(account_id, part_path, value)
            continue
        flatten(tables, account_id, value, part_path)

    eod = data.get("eod_balances") if isinstance(data.get("eod_balances"), dict) else {}
    month_starts = balances.eod_month_starts(tables, account_id, eod, "eod_balances") if eod else {}
    account_details = data.get("account_details")
    if isinstance(account_details, dict):
        details.account_details(tables, account_id, account_details, "account_details",
                                starting_balance=eod.get("starting_balance"), month_starts=month_starts)


def _kind(expected: Any) -> str:
    names = {list: "array", dict: "object", str: "string"}
    return names.get(expected, "number")
