"""Pure flattening: BankConnect documents in, typed Arrow tables out (no HTTP, no dlt)."""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import pyarrow as pa

from .builder import TableSet
from .insights import InsightsHeader
from .insights import insights as _insights
from .status import session_status as _session_status

__all__ = ["FlatSession", "TableSet", "InsightsHeader", "flatten_session"]


class FlatSession(NamedTuple):
    """One session flattened: its tables, the insights header (None without insights), the issues
    recorded while reading (also rows of its `data_issues` table)."""

    tables: Dict[str, pa.Table]
    header: Optional[InsightsHeader]
    issues: List[Any]


def flatten_session(session_id: str, status_payload: Any, insights_payload: Optional[Any],
                    repairs: Sequence[Tuple[str, str]] = ()) -> FlatSession:
    """All rows of one session, keyed by the requested session id.

    Args:
        session_id: the id the user asked for (rows are keyed by it, whatever the payload says).
        status_payload: the session_status document.
        insights_payload: the insights document, or None when insights were not fetched.
        repairs: (document, what was repaired) to read the documents at all, recorded as issues.

    Returns:
        FlatSession(tables: table name -> pa.Table, header: InsightsHeader or None, issues: list).

    Raises:
        PayloadError: a document does not have the documented top-level shape.
    """
    tables = TableSet(session_id)
    for document, repair in repairs:
        tables.issue(None, document, "coerced", repair)
    _session_status(tables, status_payload)
    header = _insights(tables, insights_payload) if insights_payload is not None else None
    if header and header.payload_session_id not in (None, session_id):
        tables.issue(None, "insights.session_id", "payload session_id differs from the requested id; "
                     "rows are keyed by the requested id", header.payload_session_id)
    issues = tables.issues  # before tables(), which turns them into the data_issues table
    return FlatSession(tables.tables(), header, issues)
