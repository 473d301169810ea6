"""session_status: accounts and their statements."""

from __future__ import annotations

from typing import Any, Dict, List

from ..errors import PayloadError
from .builder import TableSet
from .values import to_json

_ACCOUNT_FIELDS = ("bank_name", "full_bank_name", "account_number", "account_status", "error_code",
                   "error_message", "account_category", "account_type", "name", "created_at", "last_updated_at")
_STATEMENT_FIELDS = ("statement_id", "statement_status", "error_code", "error_message", "source",
                     "upload_file_name", "created_at")
_ACCOUNT_KNOWN = frozenset(_ACCOUNT_FIELDS + ("account_id", "attempt_types", "statements"))
_STATEMENT_KNOWN = frozenset(_STATEMENT_FIELDS + ("statement_date_range",))


def session_status(tables: TableSet, payload: Any) -> List[Dict[str, Any]]:
    """accounts and statements rows from a session_status document; returns its account dicts.

    Raises:
        PayloadError: the document is not an object or has no list of accounts.
    """
    if not isinstance(payload, dict):
        raise PayloadError(f"session_status is a JSON {type(payload).__name__}, not an object")
    accounts = payload.get("accounts")
    if not isinstance(accounts, list):
        raise PayloadError("session_status has no 'accounts' list")
    for extra in payload.keys() - {"session_id", "insights_available", "accounts"}:
        tables.unknown(None, f"session_status.{extra}", payload[extra])
    good = []
    for i, account in enumerate(accounts):
        path = f"session_status.accounts[{i}]"
        if not isinstance(account, dict) or not account.get("account_id"):
            tables.issue(None, path, "account without account_id, kept in unknown_fields")
            tables.unknown(None, path, account)
            continue
        account_id = str(account["account_id"])
        good.append(account)
        attempts = account.get("attempt_types")
        tables.add("accounts", {
            "seq": [i], **{f: [account.get(f)] for f in _ACCOUNT_FIELDS},
            "attempt_types": [None if attempts is None else to_json(attempts)],
        }, account_id)
        for extra in account.keys() - _ACCOUNT_KNOWN:
            tables.unknown(account_id, f"{path}.{extra}", account[extra])
        _statements(tables, account_id, account.get("statements"), f"{path}.statements")
    return good


def _statements(tables: TableSet, account_id: str, statements: Any, path: str) -> None:
    if statements is None:
        return
    if not isinstance(statements, list):
        tables.unknown(account_id, path, statements)
        return
    items = [(i, s) for i, s in enumerate(statements) if isinstance(s, dict)]
    for i, s in enumerate(statements):
        if not isinstance(s, dict):
            tables.unknown(account_id, f"{path}[{i}]", s)
    ranges = [s.get("statement_date_range") if isinstance(s.get("statement_date_range"), dict) else {}
              for _, s in items]
    tables.add("statements", {
        "seq": [i for i, _ in items],
        **{f: [s.get(f) for _, s in items] for f in _STATEMENT_FIELDS},
        "from_date": [r.get("from_date") for r in ranges],
        "to_date": [r.get("to_date") for r in ranges],
    }, account_id)
    for i, s in items:
        for extra in s.keys() - _STATEMENT_KNOWN:
            tables.unknown(account_id, f"{path}[{i}].{extra}", s[extra])
