"""The BankConnect dlt source: sessions fetched, flattened and loaded as one typed table per part."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import dlt
import pyarrow as pa

from . import settings
from .client import BankConnectClient, validate_session_id
from .pii import DEFAULT_PII_MODE, PII_MODES
from .errors import ConfigError
from .sessions import Batcher, SessionOutcome, data_tables, fetch_sessions, session_row
from .tables import TABLES
from .workers import default_processes

# Re-fetching a session replaces its rows in every table: rows whose session_id is in the new load
# are deleted first. (Tables where the session now has no rows are cleaned by `data_load_id`.) A load
# in which no session has rows yet appends instead (`pipelines.load.append_where_nothing_is_replaced`).
WRITE_DISPOSITION = {"disposition": "merge", "strategy": "delete-insert"}
MERGE_KEY = "session_id"
STATE_KEY = "sessions"


@dlt.source(name="bankconnect", max_table_nesting=0)
def bankconnect_source(
    session_ids: Sequence[str] = (),
    api_key: str = dlt.secrets.value,
    server_hash: str = dlt.secrets.value,
    base_url: str = settings.DEFAULT_BASE_URL,
    workers: int = settings.DEFAULT_WORKERS,
    processes: Optional[int] = None,
    batch_rows: int = settings.BATCH_ROWS,
    retry_pending: bool = True,
    max_attempts: int = settings.REQUEST_MAX_ATTEMPTS,
    backoff_factor: float = settings.REQUEST_BACKOFF_FACTOR,
    timeout: float = settings.REQUEST_TIMEOUT_SECONDS,
    pii: str = DEFAULT_PII_MODE,
    pii_hash_key: Optional[str] = None,
    keep_raw: Optional[bool] = None,
    on_session: Optional[Callable[[SessionOutcome], None]] = None,
) -> List[Any]:
    """Sessions by id: session_status and insights of each, flattened into the raw tables.

    Args:
        session_ids: sessions to (re)load now; a completed one is fetched again.
        api_key: BankConnect API key (secret: SOURCES__BANKCONNECT__API_KEY).
        server_hash: BankConnect server hash (secret: SOURCES__BANKCONNECT__SERVER_HASH).
        base_url: API base URL (SOURCES__BANKCONNECT__BASE_URL); http only for loopback.
        workers: sessions fetched concurrently (threads: HTTP is I/O).
        processes: worker processes that parse and flatten the fetched sessions (CPU work); 0 reads
            them in the loading process; default: the CPUs (at most 4) when there are 100 sessions
            or more, else 0.
        batch_rows: rows buffered before a batch goes to dlt.
        retry_pending: also fetch sessions an earlier run left not ready or failed transiently.
        max_attempts: attempts per request before a session is recorded as failed.
        backoff_factor: exponential backoff multiplier in seconds (Retry-After wins when sent).
        timeout: seconds to wait for a response.
        pii: personal data in the tables: keep, mask, hash (keyed, stable) or drop.
        pii_hash_key: the key for `hash` (secret: SOURCES__BANKCONNECT__PII_HASH_KEY).
        keep_raw: keep the fetched documents (zstd) in `raw_payloads` for `rebuild`; default: only
            when pii is `keep` (raw documents hold the personal data the other modes remove).
        on_session: called with every SessionOutcome (progress, summaries).

    Returns:
        The resources: a hidden `session_batches` and one merge resource per raw table.
    """
    client = BankConnectClient(api_key, server_hash, base_url, timeout=timeout, max_attempts=max_attempts,
                               backoff_factor=backoff_factor, max_connections=max(workers, 1))
    ids = list(dict.fromkeys(validate_session_id(s) for s in session_ids))
    return session_resources(client, ids, workers=workers, processes=processes, batch_rows=batch_rows,
                             retry_pending=retry_pending, treatment=data_treatment(pii, pii_hash_key, keep_raw),
                             on_session=on_session)


@dlt.source(name="bankconnect", max_table_nesting=0)
def bankconnect_replay(
    documents: Any = None,
    session_ids: Sequence[str] = (),
    pii: str = DEFAULT_PII_MODE,
    pii_hash_key: Optional[str] = None,
    keep_raw: Optional[bool] = None,
    batch_rows: int = settings.BATCH_ROWS,
    on_session: Optional[Callable[[SessionOutcome], None]] = None,
) -> List[Any]:
    """The same tables rebuilt from stored documents (`raw_payloads`), without the API.

    Args:
        documents: session id -> kind -> (zstd bytes, size), as read from raw_payloads.
        session_ids: the sessions to rebuild.
        pii, pii_hash_key, keep_raw: as for `bankconnect_source`.
        batch_rows: rows buffered before a batch goes to dlt.
        on_session: called with every SessionOutcome.
    """
    from .stored import StoredDocuments

    ids = list(dict.fromkeys(validate_session_id(s) for s in session_ids))
    return session_resources(StoredDocuments(documents or {}), ids, workers=1, processes=0, batch_rows=batch_rows,
                             retry_pending=False, treatment=data_treatment(pii, pii_hash_key, keep_raw),
                             on_session=on_session)


def data_treatment(pii: str, pii_hash_key: Optional[str], keep_raw: Optional[bool]) -> Dict[str, Any]:
    """Validated personal-data options for `data_tables`."""
    if pii not in PII_MODES:
        raise ConfigError(f"unknown pii mode {pii!r}: use one of {', '.join(PII_MODES)}")
    if pii == "hash" and not pii_hash_key:
        raise ConfigError("pii mode 'hash' needs a key: set SOURCES__BANKCONNECT__PII_HASH_KEY")
    return {"pii": pii, "hash_key": pii_hash_key.encode() if pii_hash_key else None,
            "keep_raw": (pii == "keep") if keep_raw is None else keep_raw}


def session_resources(client: Any, ids: List[str], *, workers: int, processes: Optional[int], batch_rows: int,
                      retry_pending: bool, treatment: Dict[str, Any],
                      on_session: Optional[Callable[[SessionOutcome], None]]) -> List[Any]:
    """The hidden `session_batches` resource over `client` and one merge resource per raw table."""
    batches = dlt.resource(session_batches, name="session_batches", selected=False)(
        client, ids, workers, processes, batch_rows, retry_pending, treatment, on_session)
    return [batches, *[_table_resource(batches, name) for name in TABLES]]


def session_batches(client: Any, session_ids: List[str], workers: int, processes: Optional[int], batch_rows: int,
                    retry_pending: bool, treatment: Dict[str, Any],
                    on_session: Optional[Callable[[SessionOutcome], None]]) -> Iterator[Dict[str, pa.Table]]:
    """Fetch the sessions and yield batches {table: Arrow table}; remembers each session in state."""
    state = dlt.current.source_state()
    known: Dict[str, Dict[str, Any]] = state.setdefault(STATE_KEY, {})
    load_id = dlt.current.load_package_state()["load_id"]
    todo = session_ids
    if retry_pending:
        named = set(session_ids)
        todo = session_ids + [sid for sid in pending_sessions(state) if sid not in named]
    batcher = Batcher(batch_rows)
    if processes is None:
        processes = default_processes(len(todo))
    try:
        prepare = partial(data_tables, **treatment)
        # worker processes hand their tables over through files in the pipeline's working folder
        spool_root = dlt.current.pipeline().working_dir if processes else None
        for outcomes, tables in fetch_sessions(client, todo, workers, prepare, processes, spool_root):
            rows = [_remember(known, outcome, load_id) for outcome in outcomes]
            for outcome in outcomes:
                if on_session is not None:
                    on_session(outcome)
            batch = batcher.add({**tables, "sessions": pa.concat_tables(rows)})
            if batch:
                yield batch
        batch = batcher.flush()
        if batch:
            yield batch
    finally:
        client.close()


def pending_sessions(state: Dict[str, Any]) -> List[str]:
    """Session ids a run would pick up again, from a pipeline's source state."""
    return [sid for sid, entry in state.get(STATE_KEY, {}).items() if entry.get("retry")]


def _remember(known: Dict[str, Dict[str, Any]], outcome: SessionOutcome, load_id: str) -> pa.Table:
    """Update the session's state entry; return its `sessions` row."""
    entry = known.get(outcome.session_id, {})
    first_seen = _from_iso(entry.get("first_seen_at")) or outcome.checked_at
    if outcome.has_rows:
        data_load_id, data_loaded_at = load_id, outcome.checked_at
    else:
        data_load_id, data_loaded_at = entry.get("data_load_id"), _from_iso(entry.get("data_loaded_at"))
    known[outcome.session_id] = {
        "status": outcome.status,
        "error_code": outcome.error_code,
        "retry": outcome.should_retry,
        "first_seen_at": first_seen.isoformat(),
        "data_load_id": data_load_id,
        "data_loaded_at": data_loaded_at.isoformat() if data_loaded_at else None,
        "load_id": load_id,  # the load that last wrote its `sessions` row
    }
    return session_row(outcome, first_seen, data_load_id, data_loaded_at)


def _table_resource(batches: Any, name: str) -> Any:
    def rows(batch: Dict[str, pa.Table]) -> Iterator[pa.Table]:
        table = batch.get(name)
        if table is not None:
            yield table

    return dlt.transformer(rows, data_from=batches, name=name, write_disposition=WRITE_DISPOSITION,
                           merge_key=MERGE_KEY)


def _from_iso(value: Optional[str]) -> Optional[datetime]:
    return datetime.fromisoformat(value) if value else None
