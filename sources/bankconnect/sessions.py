"""One session end to end without dlt: fetch its documents, decide its status, flatten its rows."""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, Union

import pyarrow as pa

from . import settings
from .client import BankConnectClient, Fetched, parse_json, not_json
from .errors import PayloadError, SessionError
from .flatten import InsightsHeader, flatten_session
from .flatten.dates import parse_day
from .pii import apply_pii
from .tables import TABLES


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
    checked_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    has_rows: bool = False  # set when read: this fetch gave the session rows (they are now its current ones)

    @property
    def should_retry(self) -> bool:
        """True when a later run should fetch it again without being told."""
        return self.status in settings.RETRY_STATUSES or (
            self.status == settings.FAILED and self.error_code in settings.RETRY_FAILURE_CODES)


@dataclass
class Documents:
    """One session's fetched documents, not yet read: what the fetching threads hand to the readers."""

    session_id: str
    status: Fetched
    insights: Optional[Fetched]  # None when every account failed (nothing to fetch)
    checked_at: datetime


Fetch = Union[SessionOutcome, Documents]  # an outcome already (an error), or documents to read
Prepare = Callable[[SessionOutcome], Dict[str, pa.Table]]


def fetch_session(client: BankConnectClient, session_id: str) -> SessionOutcome:
    """Fetch and flatten one session. Only AuthError escapes: every other problem is the outcome."""
    fetched = fetch_documents(client, session_id)
    return read_session(fetched) if isinstance(fetched, Documents) else fetched


def fetch_documents(client: BankConnectClient, session_id: str) -> Fetch:
    """The HTTP part of a session (session_status, then insights unparsed); errors are the outcome."""
    checked_at = datetime.now(timezone.utc)
    raw: Dict[str, bytes] = {}
    try:
        status_doc = client.session_status(session_id)
        raw["session_status"] = status_doc.raw
        if _all_accounts_failed(status_doc.data):
            return Documents(session_id, status_doc, None, checked_at)
        return Documents(session_id, status_doc, client.insights(session_id), checked_at)
    except SessionError as exc:
        return SessionOutcome(session_id, exc.status, exc.code, exc.message, raw=raw, checked_at=checked_at)


def read_session(documents: Documents) -> SessionOutcome:
    """The CPU part of a session: parse the insights document and flatten both (no I/O)."""
    session_id, status_doc, checked_at = documents.session_id, documents.status, documents.checked_at
    raw = {"session_status": status_doc.raw}
    status_payload = status_doc.data
    insights_available = status_payload.get("insights_available") if isinstance(status_payload, dict) else None
    try:
        if documents.insights is None:
            tables, _, _ = flatten_session(session_id, status_payload, None, _repairs(session_status=status_doc))
            first = status_payload["accounts"][0]
            return SessionOutcome(session_id, settings.FAILED, settings.ALL_ACCOUNTS_FAILED,
                                  f"every account failed (first: {first.get('error_code')}: {first.get('error_message')})",
                                  insights_available, None, tables, raw, checked_at)
        insights_doc = _parsed(documents.insights)
        raw["insights"] = insights_doc.raw
        tables, header, _ = flatten_session(session_id, status_payload, insights_doc.data,
                                            _repairs(session_status=status_doc, insights=insights_doc))
        return SessionOutcome(session_id, settings.COMPLETED, None, None, insights_available, header, tables, raw,
                              checked_at)
    except SessionError as exc:
        return SessionOutcome(session_id, exc.status, exc.code, exc.message, raw=raw, checked_at=checked_at)
    except PayloadError as exc:
        return SessionOutcome(session_id, settings.FAILED, settings.INVALID_PAYLOAD, str(exc), raw=raw,
                              checked_at=checked_at)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError,
            RecursionError, pa.ArrowException) as exc:
        # A payload shape no flattener foresaw: this session fails with the reason, the batch goes on.
        return SessionOutcome(session_id, settings.FAILED, settings.INVALID_PAYLOAD,
                              f"could not flatten: {type(exc).__name__}: {str(exc)[:300]}", raw=raw,
                              checked_at=checked_at)


def read_sessions(fetched: List[Fetch], prepare: Optional[Prepare] = None
                  ) -> Tuple[List[SessionOutcome], Dict[str, pa.Table]]:
    """Read fetched sessions; their outcomes (tables handed over) and their tables, one per table.

    `prepare` (personal-data treatment, compressing the raw documents) replaces an outcome's tables.
    """
    outcomes: List[SessionOutcome] = []
    batcher = Batcher(0)
    for item in fetched:
        outcome = read_session(item) if isinstance(item, Documents) else item
        tables = prepare(outcome) if prepare is not None else outcome.tables
        outcome.tables, outcome.raw, outcome.has_rows = {}, {}, bool(tables)
        outcomes.append(outcome)
        batcher.add(tables, hand_on=False)
    return outcomes, batcher.flush() or {}


def fetch_sessions(client: BankConnectClient, session_ids: Iterable[str], workers: int,
                   prepare: Optional[Prepare] = None, processes: int = 0, spool_root: Optional[str] = None
                   ) -> Iterator[Tuple[List[SessionOutcome], Dict[str, pa.Table]]]:
    """Fetch sessions on `workers` threads and read them as they arrive: (outcomes, their tables).

    Fetching is I/O and runs on a bounded thread pool (at most 2 x workers requests in flight).
    Reading (JSON, flattening, `prepare`) is CPU work: with processes=0 it runs in this thread;
    else on that many worker processes, a few sessions per task (see `workers.ReaderPool`; their
    tables come back through files under `spool_root`).
    An AuthError stops everything: queued sessions are cancelled and it is raised.
    """
    from .workers import ReaderPool

    ids = iter(session_ids)
    readers = ReaderPool(processes, prepare, spool_root) if processes > 0 else None
    fetching: set[Future] = set()
    ready: List[Fetch] = []
    more = True
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bankconnect") as pool:
        try:
            while True:
                while more and len(fetching) < 2 * workers and (readers is None or readers.has_room(len(ready))):
                    session_id = next(ids, None)
                    if session_id is None:
                        more = False
                        break
                    fetching.add(pool.submit(fetch_documents, client, session_id))
                if readers is None:
                    for item in ready:
                        yield read_sessions([item], prepare)
                    ready = []
                else:
                    ready = readers.submit(ready, last=not (more or fetching))
                    yield from readers.finished()
                if not fetching and (readers is None or readers.idle):
                    if not more and not ready:
                        return
                    continue  # fetch more, or send what is ready to the readers
                done, _ = wait(fetching | (readers.running if readers else set()), return_when=FIRST_COMPLETED)
                for future in done & fetching:
                    fetching.discard(future)
                    ready.append(future.result())
        finally:
            for future in fetching:
                future.cancel()
            if readers is not None:
                readers.close()


def session_row(outcome: SessionOutcome, first_seen_at: datetime, data_load_id: Optional[str],
                data_loaded_at: Optional[datetime]) -> pa.Table:
    """The `sessions` row for an outcome (first_seen/data_load come from earlier runs' state)."""
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


def data_tables(outcome: SessionOutcome, pii: str = "keep", hash_key: Optional[bytes] = None,
                keep_raw: bool = True) -> Dict[str, pa.Table]:
    """The outcome's tables with personal data treated per `pii`, plus its raw documents (zstd).

    Raw documents are kept only with the data they produced (so a re-fetch replaces them too).
    """
    tables = apply_pii(outcome.tables, pii, hash_key) if outcome.tables else {}
    if keep_raw and tables and outcome.raw:
        kinds = list(outcome.raw)
        tables = dict(tables)
        tables["raw_payloads"] = pa.Table.from_arrays([
            pa.array([outcome.session_id] * len(kinds), pa.string()),
            pa.array(kinds, pa.string()),
            pa.array([outcome.checked_at] * len(kinds), TABLES["raw_payloads"].schema.field("fetched_at").type),
            pa.array([len(outcome.raw[k]) for k in kinds], pa.int64()),
            pa.array([pa.compress(outcome.raw[k], codec="zstd", asbytes=True) for k in kinds], pa.binary()),
        ], schema=TABLES["raw_payloads"].schema)
    return tables


class Batcher:
    """Buffers per-session tables and hands them on in few, large Arrow tables.

    dlt's work per Arrow item does not depend on its size, so items should be large: when the
    buffer holds `max_rows` rows, the tables holding the most rows go on until it is below
    again, while small tables (one row per session or account) keep collecting.
    """

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self._chunks: Dict[str, List[pa.Table]] = {}
        self._table_rows: Dict[str, int] = {}
        self._rows = 0

    def add(self, tables: Dict[str, pa.Table], hand_on: bool = True) -> Optional[Dict[str, pa.Table]]:
        """Buffer tables; returns the tables that should go on now, if any (never, with hand_on=False)."""
        for name, table in tables.items():
            self._chunks.setdefault(name, []).append(table)
            self._table_rows[name] = self._table_rows.get(name, 0) + table.num_rows
            self._rows += table.num_rows
        if not hand_on:
            return None
        batch: Dict[str, pa.Table] = {}
        while self._rows >= self.max_rows and self._chunks:
            name = max(self._table_rows, key=self._table_rows.__getitem__)
            batch[name] = self._take(name)
        return batch or None

    def flush(self) -> Optional[Dict[str, pa.Table]]:
        """Everything buffered, or None when empty."""
        batch = {name: self._take(name) for name in list(self._chunks)}
        return batch or None

    def _take(self, name: str) -> pa.Table:
        chunks = self._chunks.pop(name)
        self._rows -= self._table_rows.pop(name)
        return chunks[0] if len(chunks) == 1 else pa.concat_tables(chunks)


def _repairs(**documents: Any) -> List[tuple]:
    """(document, what was repaired to read it) for data_issues (see client.parse_json)."""
    return [(name, repair) for name, doc in documents.items() for repair in getattr(doc, "repairs", ())]


def _parsed(insights: Fetched) -> Fetched:
    """The insights document parsed (the fetch leaves it unread)."""
    try:
        data, repairs = parse_json(insights.raw)
    except (ValueError, RecursionError):
        raise not_json("insights", None, len(insights.raw)) from None
    return Fetched(data, insights.raw, repairs)


def _all_accounts_failed(payload: Any) -> bool:
    if not isinstance(payload, dict) or payload.get("insights_available") is not False:
        return False
    accounts = payload.get("accounts")
    return bool(accounts) and isinstance(accounts, list) and all(
        isinstance(a, dict) and a.get("account_status") == "failed" for a in accounts)


def _day_or_none(value: Any):
    try:
        return parse_day(value)
    except ValueError:
        return None
