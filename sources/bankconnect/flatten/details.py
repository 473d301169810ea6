"""Account-level parts: account_details (+ months, missing_data), fraud, statement stats, reports."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qs, urlsplit

from .builder import TableSet
from .values import to_json

_DETAIL_COLUMNS = (
    "name", "address", "account_category", "account_number", "account_opening_date", "bank",
    "credit_limit", "od_limit", "ifsc", "micr", "salary_confidence", "country_code", "currency_code",
    "pan_number", "phone_number", "email", "dob", "account_status", "holder_type",
)
_DETAIL_HANDLED = frozenset(_DETAIL_COLUMNS + (
    "missing_data", "statements", "months", "uploaded_months", "metadata_analysis",
    "account_date_range", "transaction_date_range",
))
_FRAUD_FIELDS = ("statement_id", "fraud_type", "fraud_category", "transaction_hash")
_STATS_FIELDS = {
    "statement_id": "statement_id", "bank": "bank", "source": "source", "upload_file_name": "upload_file_name",
    "page_count": "page_count", "transaction_count": "transaction_count",
    "first_transaction_timestamp": "first_transaction_date", "last_transaction_timestamp": "last_transaction_date",
    "from_date": "from_date", "to_date": "to_date", "is_scanned_pdf": "is_scanned_pdf",
}


def account_details(tables: TableSet, account_id: str, value: Dict[str, Any], path: str,
                    starting_balance: Any = None, month_starts: Optional[Dict[Any, Any]] = None) -> None:
    """One account_details row; months, uploaded_months and missing_data into their own tables."""
    row = {k: [value.get(k)] for k in _DETAIL_COLUMNS}
    for prefix, key in (("account", "account_date_range"), ("transaction", "transaction_date_range")):
        span = value.get(key)
        span = span if isinstance(span, dict) else {}
        row[f"{prefix}_from_date"] = [span.get("from_date")]
        row[f"{prefix}_to_date"] = [span.get("to_date")]
    row["starting_balance"] = [starting_balance]
    row["statement_ids"] = [_json_or_none(value.get("statements"))]
    analysis = value.get("metadata_analysis")
    row["name_matches"] = [_json_or_none(analysis.get("name_matches") if isinstance(analysis, dict) else analysis)]
    tables.add("account_details", row, account_id)
    if isinstance(analysis, dict):
        for extra in analysis.keys() - {"name_matches"}:
            tables.unknown(account_id, f"{path}.metadata_analysis.{extra}", analysis[extra])
    for extra in value.keys() - _DETAIL_HANDLED:
        tables.unknown(account_id, f"{path}.{extra}", value[extra])

    _account_months(tables, account_id, value, path, month_starts or {})
    missing = value.get("missing_data") or []
    ranges = [m for m in missing if isinstance(m, dict)] if isinstance(missing, list) else []
    if len(ranges) != (len(missing) if isinstance(missing, list) else 0) or not isinstance(missing, list):
        tables.unknown(account_id, f"{path}.missing_data", missing)
    tables.add("missing_data", {
        "seq": list(range(len(ranges))),
        "from_date": [m.get("from_date") for m in ranges],
        "to_date": [m.get("to_date") for m in ranges],
    }, account_id)


def fraud(tables: TableSet, account_id: str, value: List[Any], path: str) -> None:
    """`fraud[] {statement_id, fraud_type, transaction_hash, fraud_category}`; any fraud_type string."""
    items = _dicts(tables, account_id, value, path)
    tables.add("fraud", {"seq": [i for i, _ in items], **{f: [t.get(f) for _, t in items] for f in _FRAUD_FIELDS}},
               account_id)


def fraud_details(tables: TableSet, account_id: str, value: Dict[str, Any], path: str) -> None:
    """`fraud_details {statement[], account[]}`: the common fields, and each item as JSON."""
    for level, items in value.items():
        if not isinstance(items, list):
            tables.unknown(account_id, f"{path}.{level}", items)
            continue
        tables.add("fraud_details", {
            "level": [level] * len(items), "seq": list(range(len(items))),
            **{f: [t.get(f) if isinstance(t, dict) else None for t in items] for f in _FRAUD_FIELDS},
            "value_json": [to_json(t) for t in items],
        }, account_id)


def statement_stats(tables: TableSet, account_id: str, value: List[Any], path: str) -> None:
    """`statement_stats[]`: one row per statement (its own session/account ids are ours already)."""
    items = _dicts(tables, account_id, value, path)
    columns = {"seq": [i for i, _ in items]}
    columns.update({column: [t.get(key) for _, t in items] for key, column in _STATS_FIELDS.items()})
    tables.add("statement_stats", columns, account_id)
    for i, t in items:
        for extra in t.keys() - _STATS_FIELDS.keys() - {"session_id", "account_id"}:
            tables.unknown(account_id, f"{path}[{i}].{extra}", t[extra])


def expense_categories(tables: TableSet, account_id: str, value: List[Any], path: str) -> None:
    """`expense_categories[] {category, percentage}`."""
    items = _dicts(tables, account_id, value, path)
    tables.add("expense_categories", {"seq": [i for i, _ in items],
                                      "category": [t.get("category") for _, t in items],
                                      "percentage": [t.get("percentage") for _, t in items]}, account_id)


def score(tables: TableSet, account_id: str, value: Any, path: str) -> None:
    """`score` (300-900)."""
    tables.add("score", {"score": [value]}, account_id)


def report(tables: TableSet, account_id: Optional[str], url: Any, kind: str) -> None:
    """A presigned report URL and when it expires (X-Amz-Date + X-Amz-Expires)."""
    tables.add("reports", {"kind": [kind], "url": [url], "expires_at": [report_expiry(url)]}, account_id)


def report_expiry(url: Any) -> Optional[datetime]:
    """The expiry of an S3 presigned URL, or None when the URL does not say."""
    if not isinstance(url, str):
        return None
    query = parse_qs(urlsplit(url).query)
    try:
        signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        return signed + timedelta(seconds=int(query["X-Amz-Expires"][0]))
    except (KeyError, IndexError, ValueError):
        return None


def _account_months(tables: TableSet, account_id: str, value: Dict[str, Any], path: str,
                    month_starts: Dict[Any, Any]) -> None:
    listed = value.get("months") or []
    uploaded = value.get("uploaded_months") or []
    if not isinstance(listed, list) or not isinstance(uploaded, list):
        tables.unknown(account_id, f"{path}.months", [listed, uploaded])
        return
    listed_dates = tables.months(listed, account_id, f"{path}.months").to_pylist()
    uploaded_dates = set(tables.months(uploaded, account_id, f"{path}.uploaded_months").to_pylist())
    months = sorted({m for m in listed_dates if m} | {m for m in uploaded_dates if m} | set(month_starts))
    tables.add("account_months", {
        "month": months,
        "is_listed": [m in listed_dates for m in months],
        "is_uploaded": [m in uploaded_dates for m in months],
        "eod_start_date": [month_starts.get(m) for m in months],
    }, account_id)


def _dicts(tables: TableSet, account_id: str, value: List[Any], path: str) -> List[tuple]:
    out = []
    for i, item in enumerate(value):
        if isinstance(item, dict):
            out.append((i, item))
        else:
            tables.issue(account_id, f"{path}[{i}]", "not an object, kept in unknown_fields")
            tables.unknown(account_id, f"{path}[{i}]", item)
    return out


def _json_or_none(value: Any) -> Optional[str]:
    return None if value is None else to_json(value)
