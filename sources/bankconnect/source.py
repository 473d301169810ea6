"""The BankConnect dlt source: sessions fetched, read and loaded as one typed table per part."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence

import dlt
import pyarrow as pa

from . import settings
from .batcher import Batcher
from .bookkeeping import LEGACY_STATE_KEY, SessionBook, SessionEntry
from .client import BankConnectClient
from .concurrency import ConcurrencyLimiter, fetch_limiter
from .fetching import fetch_sessions
from .outcome import SessionOutcome
from .stored import StoredDocuments
from .tables import TABLES
from .treatment import Treatment
from .validation import session_ids as valid_session_ids
from .workers import InlineReader, ReaderPool, default_processes

# Re-fetching a session replaces its rows in every table: rows whose session_id is in the new load
# are deleted first. (Tables where the session now has no rows are cleaned by `data_load_id`.) A load
# in which no session has rows yet appends instead (`pipelines.load.append_where_nothing_is_replaced`).
WRITE_DISPOSITION = {"disposition": "merge", "strategy": "delete-insert"}
MERGE_KEY = "session_id"
OnSession = Optional[Callable[[SessionOutcome], None]]


@dlt.source(name=settings.SOURCE_NAME, max_table_nesting=0)
def bankconnect_source(
    session_ids: Sequence[str] = (),
    api_key: str = dlt.secrets.value,
    server_hash: str = dlt.secrets.value,
    base_url: str = settings.DEFAULT_BASE_URL,
    workers: Optional[int] = None,
    max_workers: int = settings.DEFAULT_MAX_WORKERS,
    limiter: Any = None,
    processes: Optional[int] = None,
    readers: Any = None,
    feed: Any = None,
    batch_rows: int = settings.BATCH_ROWS,
    known: Optional[Mapping[str, SessionEntry]] = None,
    max_attempts: int = settings.REQUEST_MAX_ATTEMPTS,
    backoff_factor: float = settings.REQUEST_BACKOFF_FACTOR,
    timeout: float = settings.REQUEST_TIMEOUT_SECONDS,
    pii: str = settings.DEFAULT_PII_MODE,
    pii_hash_key: Optional[str] = None,
    keep_raw: Optional[bool] = None,
    on_session: OnSession = None,
) -> List[Any]:
    """Sessions by id: session_status and insights of each, flattened into the raw tables.

    Args:
        session_ids: sessions to (re)load now; a completed one is fetched again.
        api_key: BankConnect API key (secret: SOURCES__BANKCONNECT__API_KEY).
        server_hash: BankConnect server hash (secret: SOURCES__BANKCONNECT__SERVER_HASH).
        base_url: API base URL (SOURCES__BANKCONNECT__BASE_URL); http only for loopback.
        workers: pins the API requests in flight (SOURCES__BANKCONNECT__WORKERS); default: adaptive,
            from 4 up to `max_workers` while the API answers cleanly and faster, halved on 429/503.
        max_workers: the most requests in flight (SOURCES__BANKCONNECT__MAX_WORKERS, default 32).
        limiter: a `concurrency.ConcurrencyLimiter` the caller made for its whole run (replaces
            workers/max_workers; its stats tell the concurrency reached and the throttled answers).
        processes: worker processes that parse and flatten the fetched sessions (CPU work) when no
            `readers` are handed over; 0 reads them in the loading process; default: the CPUs (at
            most 4) when there are 100 sessions or more, else 0.
        readers: a `workers.ReaderPool` the caller started for its whole run (and closes).
        feed: a `feed.SessionFeed` the caller made for its whole run (and closes): these sessions
            come from it, fetched while the run's previous load package was loading; it takes
            over this source's client on its first package.
        batch_rows: rows buffered before a batch goes to dlt.
        known: what the `sessions` table records of these sessions (`pipelines.session_record`):
            their first_seen_at and the load whose rows are current carry over to the new row.
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
    limiter = limiter if limiter is not None else fetch_limiter(workers, max_workers)
    client = BankConnectClient(api_key, server_hash, base_url, timeout=timeout, max_attempts=max_attempts,
                               backoff_factor=backoff_factor, max_connections=limiter.ceiling, limiter=limiter)
    return session_resources(client, valid_session_ids(session_ids), limiter=limiter, processes=processes,
                             readers=readers, feed=feed, batch_rows=batch_rows, book=SessionBook(dict(known or {})),
                             treatment=Treatment.of(pii, pii_hash_key, keep_raw), on_session=on_session)


@dlt.source(name=settings.SOURCE_NAME, max_table_nesting=0)
def bankconnect_replay(
    documents: Any = None,
    session_ids: Sequence[str] = (),
    pii: str = settings.DEFAULT_PII_MODE,
    pii_hash_key: Optional[str] = None,
    keep_raw: Optional[bool] = None,
    batch_rows: int = settings.BATCH_ROWS,
    known: Optional[Mapping[str, SessionEntry]] = None,
    on_session: OnSession = None,
) -> List[Any]:
    """The same tables rebuilt from stored documents (`raw_payloads`), without the API.

    Args:
        documents: session id -> kind -> (zstd bytes, size), as read from raw_payloads.
        session_ids: the sessions to rebuild.
        pii, pii_hash_key, keep_raw: as for `bankconnect_source`.
        batch_rows: rows buffered before a batch goes to dlt.
        known: as for `bankconnect_source`.
        on_session: called with every SessionOutcome.
    """
    return session_resources(StoredDocuments(documents or {}), valid_session_ids(session_ids),
                             limiter=ConcurrencyLimiter(floor=1, ceiling=1),
                             processes=0, readers=None, feed=None, batch_rows=batch_rows, book=SessionBook(dict(known or {})),
                             treatment=Treatment.of(pii, pii_hash_key, keep_raw), on_session=on_session)


def session_resources(client: Any, ids: List[str], **options: Any) -> List[Any]:
    """The hidden `session_batches` resource over `client` and one merge resource per raw table.

    options: the keyword arguments of `session_batches` after `session_ids`.
    """
    batches = dlt.resource(session_batches, name="session_batches", selected=False)(client, ids, **options)
    return [batches, *[_table_resource(batches, name) for name in TABLES]]


def session_batches(client: Any, session_ids: List[str], *, limiter: Any, processes: Optional[int], readers: Any,
                    feed: Any, batch_rows: int, book: SessionBook, treatment: Treatment, on_session: OnSession
                    ) -> Iterator[Dict[str, pa.Table]]:
    """Fetch the sessions (or take them from the run's `feed`) and yield batches {table: Arrow table};
    each outcome's `sessions` row from the book."""
    dlt.current.source_state().pop(LEGACY_STATE_KEY, None)  # the table is the record now: keep the state small
    load_id = dlt.current.load_package_state()["load_id"]
    own_readers = readers is None and feed is None
    if own_readers:
        readers = _start_readers(default_processes(len(session_ids)) if processes is None else processes)
    reads = (feed.reads(session_ids, client, limiter, treatment) if feed is not None
             else fetch_sessions(client, session_ids, limiter, treatment, readers))
    batcher = Batcher(batch_rows)
    try:
        for outcomes, tables in reads:
            rows = [book.remember(outcome, load_id) for outcome in outcomes]
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
        reads.close()
        if feed is None:  # a feed owns the client it was given
            client.close()
        if own_readers:
            readers.close()


def _start_readers(processes: int) -> Any:
    """Readers for one source run: worker processes (spooling in the pipeline's working folder), or this thread."""
    if processes <= 0:
        return InlineReader()
    return ReaderPool(processes, spool_root=dlt.current.pipeline().working_dir)


def _table_resource(batches: Any, name: str) -> Any:
    def rows(batch: Dict[str, pa.Table]) -> Iterator[pa.Table]:
        table = batch.get(name)
        if table is not None:
            yield table

    return dlt.transformer(rows, data_from=batches, name=name, write_disposition=WRITE_DISPOSITION,
                           merge_key=MERGE_KEY)
