"""Which sessions a pipeline has seen, their status and whose rows are current: the one reader and
writer of that record (today in dlt's source state, written in the same load package as the data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, TypedDict

import pyarrow as pa

from .flatten.dates import parse_day
from .outcome import SessionOutcome
from .settings import SOURCE_NAME
from .tables import TABLES

STATE_KEY = "sessions"


class SessionEntry(TypedDict):
    """What the record keeps of one session (JSON in the state: times as ISO strings)."""

    status: str
    error_code: Optional[str]
    retry: bool  # a later run fetches it again without being told
    first_seen_at: str
    data_load_id: Optional[str]  # the load whose rows are the session's current ones
    data_loaded_at: Optional[str]
    load_id: str  # the load that last wrote its `sessions` row


class SessionBook:
    """Every session a pipeline has seen, by id."""

    def __init__(self, entries: Dict[str, SessionEntry]) -> None:
        self._entries = entries

    @classmethod
    def in_source_state(cls, source_state: Dict[str, Any]) -> "SessionBook":
        """The record inside the running source's state (`dlt.current.source_state()`), to update."""
        return cls(source_state.setdefault(STATE_KEY, {}))

    @classmethod
    def of_pipeline(cls, pipeline: Any) -> "SessionBook":
        """The record as a pipeline last stored it, to read."""
        return cls(pipeline.state.get("sources", {}).get(SOURCE_NAME, {}).get(STATE_KEY, {}))

    def __len__(self) -> int:
        return len(self._entries)

    def pending(self) -> List[str]:
        """Sessions a run picks up again without being told (not ready, or failed transiently)."""
        return [sid for sid, entry in self._entries.items() if entry.get("retry")]

    def has_rows(self, session_id: str) -> bool:
        """Whether a load already wrote data rows of this session (a re-load replaces them)."""
        return bool(self._entries.get(session_id, {}).get("data_load_id"))

    def knows(self, session_id: str) -> bool:
        """Whether the session has a `sessions` row already."""
        return session_id in self._entries

    def written_by(self, load_ids: Iterable[str]) -> List[str]:
        """Sessions with rows (their `sessions` row at least) in one of these loads."""
        loads = set(load_ids)
        return [sid for sid, entry in self._entries.items()
                if entry.get("load_id") in loads or entry.get("data_load_id") in loads]

    def remember(self, outcome: SessionOutcome, load_id: str) -> pa.Table:
        """Record the outcome of fetching a session in load `load_id`; returns its `sessions` row."""
        entry = self._entries.get(outcome.session_id, {})
        first_seen = _from_iso(entry.get("first_seen_at")) or outcome.checked_at
        if outcome.has_rows:
            data_load_id, data_loaded_at = load_id, outcome.checked_at
        else:
            data_load_id, data_loaded_at = entry.get("data_load_id"), _from_iso(entry.get("data_loaded_at"))
        self._entries[outcome.session_id] = SessionEntry(
            status=outcome.status, error_code=outcome.error_code, retry=outcome.should_retry,
            first_seen_at=first_seen.isoformat(), data_load_id=data_load_id,
            data_loaded_at=data_loaded_at.isoformat() if data_loaded_at else None, load_id=load_id)
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


def _from_iso(value: Optional[str]) -> Optional[datetime]:
    return datetime.fromisoformat(value) if value else None


def _day_or_none(value: Any):
    try:
        return parse_day(value)
    except ValueError:
        return None
