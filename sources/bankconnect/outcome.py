"""What fetching and reading one session produce: the types every stage of a session passes on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Dict, Optional, Union

import pyarrow as pa

from . import settings
from .documents import Document, RawDocument
from .flatten.insights import InsightsHeader


def now() -> datetime:
    return datetime.now(timezone.utc)


def should_retry(status: str, error_code: Optional[str]) -> bool:
    """Whether a later run fetches a session with this status again without being told."""
    return status in settings.RETRY_STATUSES or (
        status == settings.FAILED and error_code in settings.RETRY_FAILURE_CODES)


@dataclass
class SessionOutcome:
    """What one fetch of one session produced."""

    session_id: str
    status: str
    error_code: Optional[str] = None
    error_message: Optional[str] = None
    insights_available: Optional[bool] = None
    header: Optional[InsightsHeader] = None
    tables: Dict[str, pa.Table] = field(default_factory=dict)
    raw: Dict[str, bytes] = field(default_factory=dict)
    checked_at: datetime = field(default_factory=now)
    has_rows: bool = False  # set when read: this fetch gave the session rows (they are now its current ones)

    @property
    def should_retry(self) -> bool:
        """True when a later run should fetch it again without being told."""
        return should_retry(self.status, self.error_code)


@dataclass
class FetchedSession:
    """One session's fetched documents, the insights not yet read: what fetching hands to reading."""

    session_id: str
    status: Document
    insights: Optional[RawDocument]  # None when every account failed (nothing to fetch)
    checked_at: datetime


Fetch = Union[SessionOutcome, FetchedSession]  # an outcome already (an error), or documents to read
# Run on every read session (personal-data treatment, stored documents): its tables as they load.
Prepare = Callable[[SessionOutcome], Dict[str, pa.Table]]
