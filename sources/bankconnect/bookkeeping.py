"""Which sessions a pipeline has seen, their status and whose rows are current.

The record is the destination's `sessions` table (one row per session, written in the same load
package as its data): a run reads the rows of the sessions it fetches (`pipelines.session_record`),
and the SessionBook turns each new outcome into the session's next row. Nothing of it is kept in
dlt's pipeline state, which dlt rewrites in full on every load.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, TypedDict

import pyarrow as pa

from .flatten.dates import parse_day
from .outcome import SessionOutcome, should_retry
from .tables import TABLES

# Where releases before the `sessions` table was the record kept it: dlt source state, this key.
LEGACY_STATE_KEY = "sessions"
# The `sessions` columns the record reads.
RECORD_COLUMNS = ("session_id", "status", "error_code", "first_seen_at", "data_load_id", "data_loaded_at",
                  "last_checked_at", "_dlt_load_id")


class SessionEntry(TypedDict):
    """What the record holds of one session."""

    status: str
    error_code: Optional[str]
    first_seen_at: Optional[datetime]
    data_load_id: Optional[str]  # the load whose rows are the session's current ones
    data_loaded_at: Optional[datetime]
    last_checked_at: Optional[datetime]
    load_id: Optional[str]  # the load that wrote its `sessions` row


class SessionBook:
    """The record of some sessions, by id (those a run fetches); updated as their outcomes arrive."""

    def __init__(self, entries: Optional[Dict[str, SessionEntry]] = None) -> None:
        self._entries: Dict[str, SessionEntry] = dict(entries or {})

    @classmethod
    def from_rows(cls, rows: Iterable[tuple]) -> "SessionBook":
        """From `sessions` rows (RECORD_COLUMNS, in order); where a session has several rows (a
        destination that only appends), the last checked is its current one."""
        entries: Dict[str, SessionEntry] = {}
        for sid, status, code, first_seen, data_load, data_loaded, checked, load in rows:
            current = entries.get(sid)
            if current is None or _later(checked, current["last_checked_at"]):
                entries[sid] = SessionEntry(status=status, error_code=code, first_seen_at=first_seen,
                                            data_load_id=data_load, data_loaded_at=data_loaded,
                                            last_checked_at=checked, load_id=load)
        return cls(entries)

    def entries(self) -> Dict[str, SessionEntry]:
        return dict(self._entries)

    def pending(self) -> List[str]:
        """Sessions a run picks up again without being told (not ready, or failed transiently)."""
        return [sid for sid, e in self._entries.items() if should_retry(e["status"], e["error_code"])]

    def has_rows(self, session_id: str) -> bool:
        """Whether a load already wrote data rows of this session (a re-load replaces them)."""
        entry = self._entries.get(session_id)
        return bool(entry and entry["data_load_id"])

    def with_rows(self, session_ids: Iterable[str]) -> List[str]:
        """Those of the sessions whose data rows a load already wrote (a new load replaces them)."""
        return [sid for sid in session_ids if self.has_rows(sid)]

    def knows(self, session_id: str) -> bool:
        """Whether the session has a `sessions` row already."""
        return session_id in self._entries

    def remember(self, outcome: SessionOutcome, load_id: str) -> pa.Table:
        """Record the outcome of fetching a session in load `load_id`; returns its `sessions` row."""
        entry = self._entries.get(outcome.session_id)
        first_seen = (entry and entry["first_seen_at"]) or outcome.checked_at
        if outcome.has_rows or entry is None:
            data_load_id = load_id if outcome.has_rows else None
            data_loaded_at = outcome.checked_at if outcome.has_rows else None
        else:
            data_load_id, data_loaded_at = entry["data_load_id"], entry["data_loaded_at"]
        self._entries[outcome.session_id] = SessionEntry(
            status=outcome.status, error_code=outcome.error_code, first_seen_at=first_seen,
            data_load_id=data_load_id, data_loaded_at=data_loaded_at, last_checked_at=outcome.checked_at,
            load_id=load_id)
        return session_row(outcome, first_seen, data_load_id, data_loaded_at)


def session_row(outcome: SessionOutcome, first_seen_at: datetime, data_load_id: Optional[str],
                data_loaded_at: Optional[datetime]) -> pa.Table:
    """The `sessions` row for an outcome (first_seen/data_load come from earlier runs' record)."""
    header = outcome.header
    row = {
        "session_id": outcome.session_id,
        "status": outcome.status,
        "error_code": outcome.error_code,
        "error_message": outcome.error_message,
        "insights_available": outcome.insights_available if isinstance(outcome.insights_available, bool) else None,
        "payload_session_id": header.payload_session_id if header else None,
        "link_id": header.link_id if header else None,
        "from_date": _day_or_none(header.from_date) if header else None,
        "to_date": _day_or_none(header.to_date) if header else None,
        "account_count": header.account_count if header else None,
        "first_seen_at": first_seen_at,
        "last_checked_at": outcome.checked_at,
        "data_loaded_at": data_loaded_at,
        "data_load_id": data_load_id,
    }
    return pa.Table.from_pylist([row], schema=TABLES["sessions"].schema)


def _later(a: Optional[datetime], b: Optional[datetime]) -> bool:
    return b is None or (a is not None and a > b)


def _day_or_none(value: Any):
    try:
        return parse_day(value)
    except ValueError:
        return None
