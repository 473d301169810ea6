"""Reading fetched sessions: parse the insights, flatten both documents, decide the outcome (no I/O).

Worker processes import this module (see `workers`); it imports neither HTTP nor dlt.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import pyarrow as pa

from . import settings
from .batcher import Batcher
from .documents import Document, parse_document
from .errors import PayloadError, SessionError
from .flatten import flatten_session
from .outcome import Fetch, FetchedSession, Prepare, SessionOutcome

# A payload shape no flattener foresaw: the session fails with the reason, the batch goes on.
_UNFORESEEN = (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError, RecursionError,
               pa.ArrowException)


def read_session(fetched: FetchedSession) -> SessionOutcome:
    """The CPU part of a session: parse the insights document and flatten both (no I/O)."""
    session_id, status_doc = fetched.session_id, fetched.status
    raw = {status_doc.kind: status_doc.raw}
    payload = status_doc.data
    insights_available = payload.get("insights_available") if isinstance(payload, dict) else None
    try:
        if fetched.insights is None:
            flat = flatten_session(session_id, payload, None, _repairs(status_doc))
            first = payload["accounts"][0]
            return SessionOutcome(session_id, settings.FAILED, settings.ALL_ACCOUNTS_FAILED,
                                  f"every account failed (first: {first.get('error_code')}: {first.get('error_message')})",
                                  insights_available, None, flat.tables, raw, fetched.checked_at)
        insights_doc = parse_document(fetched.insights)
        raw[insights_doc.kind] = insights_doc.raw
        flat = flatten_session(session_id, payload, insights_doc.data, _repairs(status_doc, insights_doc))
        return SessionOutcome(session_id, settings.COMPLETED, None, None, insights_available, flat.header,
                              flat.tables, raw, fetched.checked_at)
    except SessionError as exc:
        return SessionOutcome(session_id, exc.status, exc.code, exc.message, raw=raw, checked_at=fetched.checked_at)
    except PayloadError as exc:
        return SessionOutcome(session_id, settings.FAILED, settings.INVALID_PAYLOAD, str(exc), raw=raw,
                              checked_at=fetched.checked_at)
    except _UNFORESEEN as exc:
        return SessionOutcome(session_id, settings.FAILED, settings.INVALID_PAYLOAD,
                              f"could not flatten: {type(exc).__name__}: {str(exc)[:300]}", raw=raw,
                              checked_at=fetched.checked_at)


def read_sessions(fetched: List[Fetch], prepare: Optional[Prepare] = None
                  ) -> Tuple[List[SessionOutcome], Dict[str, pa.Table]]:
    """Read fetched sessions; their outcomes (tables handed over) and their tables, one per table.

    `prepare` (personal-data treatment, compressing the raw documents) replaces an outcome's tables.
    """
    outcomes: List[SessionOutcome] = []
    batcher = Batcher(0)
    for item in fetched:
        outcome = read_session(item) if isinstance(item, FetchedSession) else item
        tables = prepare(outcome) if prepare is not None else outcome.tables
        outcome.tables, outcome.raw, outcome.has_rows = {}, {}, bool(tables)
        outcomes.append(outcome)
        batcher.add(tables, hand_on=False)
    return outcomes, batcher.flush() or {}


def all_accounts_failed(payload: Any) -> bool:
    """Whether a session_status document says every account failed (there are no insights to fetch)."""
    if not isinstance(payload, dict) or payload.get("insights_available") is not False:
        return False
    accounts = payload.get("accounts")
    return bool(accounts) and isinstance(accounts, list) and all(
        isinstance(a, dict) and a.get("account_status") == "failed" for a in accounts)


def _repairs(*documents: Document) -> List[Tuple[str, str]]:
    """(document, what was repaired to read it) for data_issues (see documents.parse_json)."""
    return [(doc.kind, repair) for doc in documents for repair in doc.repairs]
