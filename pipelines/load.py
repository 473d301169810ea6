"""`bankconnect load`: run the source into DuckDB (or another dlt destination) and summarise."""

from __future__ import annotations

import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, NamedTuple, Optional

from sources.bankconnect.bookkeeping import SessionBook
from sources.bankconnect.concurrency import ConcurrencyLimiter, fetch_limiter
from sources.bankconnect.errors import AuthError, BankConnectError, ConfigError
from sources.bankconnect.feed import SessionFeed, package_chunks
from sources.bankconnect.outcome import SessionOutcome
from sources.bankconnect.settings import COMPLETED, DEFAULT_MAX_WORKERS, DELETED, SOURCE_NAME
from sources.bankconnect.validation import session_ids as valid_session_ids

from .cleanup import finish_cleanup, owe_cleanup, purge_sessions, remove_replaced_rows
from .descriptions import describe_loaded_tables
from .runtime import (DEFAULT_DATABASE, append_only, can_merge, loader_file_format, make_pipeline,
                      missing_destination_config)
from .session_record import pending_sessions, read_book, sessions_of_loads
from .webhook_events import load_webhook_events

SESSIONS_PER_LOAD = 250
_ERROR_ORDER = ("failed", "not_found", "deleted", "not_requested", "pending")


class LoadError(BankConnectError):
    """Loading into the destination failed (the data of this run is not in the tables)."""


@dataclass
class LoadSummary:
    """What a load did: sessions by status, rows written per table, time taken."""

    database: str
    seconds: float = 0.0
    sessions: Dict[str, int] = field(default_factory=dict)
    rows: Dict[str, int] = field(default_factory=dict)
    problems: List[Dict[str, Optional[str]]] = field(default_factory=list)
    load_ids: List[str] = field(default_factory=list)
    fetching: Dict[str, int] = field(default_factory=dict)  # concurrency reached, throttled answers

    def as_dict(self) -> Dict[str, Any]:
        return {"database": self.database, "seconds": round(self.seconds, 3), "sessions": self.sessions,
                "rows": self.rows, "problems": self.problems, "load_ids": self.load_ids, "fetching": self.fetching}


class Credentials(NamedTuple):
    """BankConnect credentials handed over in code (else dlt config: SOURCES__BANKCONNECT__API_KEY, ...)."""

    api_key: str
    server_hash: str

    def __repr__(self) -> str:  # never show them
        return "Credentials(api_key='***', server_hash='***')"


def run_load(
    session_ids: Iterable[str] = (),
    *,
    duckdb_path: str = DEFAULT_DATABASE,
    base_url: Optional[str] = None,
    workers: Optional[int] = None,
    processes: Optional[int] = None,
    destination: Optional[str] = None,
    on_session: Optional[Callable[[SessionOutcome], None]] = None,
    pii: Optional[str] = None,
    keep_raw: Optional[bool] = None,
    purge_deleted: bool = False,
    sessions_per_load: int = SESSIONS_PER_LOAD,
    credentials: Optional[Credentials] = None,
) -> LoadSummary:
    """Load the given sessions plus every session an earlier run left not ready.

    Args:
        session_ids: sessions to fetch now (a completed one is fetched again).
        duckdb_path: the DuckDB file (default destination).
        base_url: overrides SOURCES__BANKCONNECT__BASE_URL.
        workers: pins the API requests in flight (default: SOURCES__BANKCONNECT__WORKERS, else
            adaptive from 4 up to SOURCES__BANKCONNECT__MAX_WORKERS, default 32).
        processes: worker processes reading (parsing, flattening) the fetched sessions; 0: this
            process (default: SOURCES__BANKCONNECT__PROCESSES, else the CPUs, at most 4, for 100
            sessions or more).
        destination: a dlt destination name instead of DuckDB (e.g. postgres, filesystem).
        on_session: called with each session's outcome as it finishes.
        pii: personal data: keep (default), mask, hash or drop (see sources.bankconnect.pii).
        keep_raw: keep fetched documents in raw_payloads (default: only with pii keep).
        purge_deleted: delete every row of sessions the API now reports as SESSION_DELETED.
        sessions_per_load: sessions per dlt load package (memory and durability per step).
        credentials: the API key and server hash (default: dlt config / secrets).

    Raises: ConfigError (bad ids, base URL, missing credentials), AuthError (credentials refused),
        LoadError (the destination did not take the data).
    """
    started = time.perf_counter()
    ids = valid_session_ids(session_ids)
    pipeline, where = make_pipeline(duckdb_path, destination)
    outcomes: List[SessionOutcome] = []
    limiter = fetch_limiter(workers or _configured("workers"), _configured("max_workers") or DEFAULT_MAX_WORKERS)
    options = _source_options(base_url, limiter, pii, keep_raw, credentials, outcomes.append, on_session)
    rows, load_ids = Counter(), []  # type: Counter, List[str]
    with load_errors(destination):
        todo = sessions_to_fetch(pipeline, ids)
        # One load package per chunk of sessions: the destination's work (and memory) per load
        # stays bounded, and each finished chunk is durable even if a later one fails. The feed
        # fetches and reads the next chunk while dlt loads one.
        chunks = package_chunks(todo, sessions_per_load)
        with reader_pool(pipeline, processes, len(todo)) as readers, session_feed(chunks, readers) as feed:
            for chunk in chunks:
                info = load_sessions(pipeline, chunk, feed, options)
                load_ids += info.loads_ids
                rows.update(row_counts(pipeline))
        rows.update(load_webhook_events(pipeline, load_ids, pii=pii))  # notifications from `serve` (issue 11)
    if load_ids:  # a run that loaded nothing leaves the database as it was
        describe_loaded_tables(pipeline)  # COMMENT ON every raw table and column (pipelines/descriptions.py)
    if purge_deleted:
        purge_sessions(pipeline, [o.session_id for o in outcomes if o.status == DELETED])
    return summarise(where, outcomes, rows, load_ids, started, fetching=fetch_figures(limiter))


def sessions_to_fetch(pipeline: Any, ids: List[str]) -> List[str]:
    """The named sessions, then those of load packages a killed run left unfinished, then those an
    earlier run left not ready: each once. Finishes what a killed run left first."""
    unfinished = finish_unfinished_loads(pipeline)
    return list(dict.fromkeys([*ids, *unfinished, *pending_sessions(pipeline)]))


def finish_unfinished_loads(pipeline: Any) -> List[str]:
    """Finish what a killed run left: its load packages (dlt would otherwise load only those and skip
    this run's sessions) and its clean-up. Returns the sessions of those packages: dlt may repeat
    copy jobs that had already committed, so they are fetched again in this run."""
    unfinished: List[str] = []
    if pipeline.has_pending_data:
        packages = set(pipeline.list_extracted_load_packages()) | set(pipeline.list_normalized_load_packages())
        pipeline.run()
        unfinished = sessions_of_loads(pipeline, packages)
        remove_replaced_rows(pipeline, unfinished)
    finish_cleanup(pipeline)
    return unfinished


def load_sessions(pipeline: Any, session_ids: List[str], feed: Any, options: Dict[str, Any]) -> Any:
    """One load package: take the sessions from the run's feed, load them, remove the rows they replaced."""
    book = read_book(pipeline, session_ids)
    replaced = book.with_rows(session_ids)
    # the run decided the readers and the sessions to fetch: the source takes them from the feed
    source = _make_source(session_ids=session_ids, feed=feed, known=book.entries(), **options)
    if not can_merge(pipeline):  # plain files: every load appends (docs/warehouses.md)
        append_only(source)
    elif not replaced:
        append_new_sessions(source, book, session_ids)
    owe_cleanup(pipeline, replaced)
    info = pipeline.run(source, loader_file_format=loader_file_format(pipeline))
    finish_cleanup(pipeline)
    return info


@contextmanager
def reader_pool(pipeline: Any, processes: Optional[int], sessions: int) -> Iterator[Any]:
    """The run's reader processes (None: read in this process), started once while this process is
    small (see sources.bankconnect.workers) and ended with the run."""
    from sources.bankconnect.workers import ReaderPool, default_processes

    if processes is None:
        processes = _configured("processes")
    count = default_processes(sessions) if processes is None else processes
    pool = ReaderPool(count, spool_root=pipeline.working_dir) if count > 0 else None
    try:
        yield pool
    finally:
        if pool is not None:
            pool.close()


@contextmanager
def session_feed(chunks: List[List[str]], readers: Any) -> Iterator[Any]:
    """The run's feed over its load packages (sources.bankconnect.feed), closed with the run."""
    feed = SessionFeed(chunks, readers)
    try:
        yield feed
    finally:
        feed.close()


@contextmanager
def load_errors(destination: Optional[str]) -> Iterator[None]:
    """dlt's step failures as our errors: the AuthError/ConfigError inside, or a one-line LoadError."""
    from dlt.pipeline.exceptions import PipelineStepFailed

    try:
        yield
    except PipelineStepFailed as exc:
        cause = _our_error(exc, destination)
        if cause is not None:
            raise cause from None
        raise LoadError(f"load failed at step {exc.step}: {_one_line(exc.exception)}") from None


def summarise(where: str, outcomes: List[SessionOutcome], rows: Dict[str, int], load_ids: List[str],
              started: float, fetching: Optional[Dict[str, int]] = None) -> LoadSummary:
    """A LoadSummary: sessions by status, problems worst first, rows per table, time since `started`."""
    problems = sorted((o for o in outcomes if o.status != COMPLETED),
                      key=lambda o: (_ERROR_ORDER.index(o.status) if o.status in _ERROR_ORDER else 9, o.session_id))
    return LoadSummary(
        database=where, load_ids=load_ids, rows=dict(sorted(rows.items())),
        sessions=dict(Counter(o.status for o in outcomes)),
        problems=[{"session_id": o.session_id, "status": o.status, "error_code": o.error_code,
                   "error_message": o.error_message} for o in problems],
        seconds=time.perf_counter() - started, fetching=fetching or {},
    )


def row_counts(pipeline: Any) -> Dict[str, int]:
    """Rows the last `pipeline.run` wrote per table (dlt's own tables left out)."""
    normalize = pipeline.last_trace.last_normalize_info if pipeline.last_trace else None
    if normalize is None:
        return {}
    return {t: n for t, n in normalize.row_counts.items() if not t.startswith("_dlt")}


def fetch_figures(limiter: ConcurrencyLimiter) -> Dict[str, int]:
    """What the summary says of fetching: requests in flight reached, limit reached, throttled answers."""
    stats = limiter.stats()
    return {"concurrency_reached": stats.peak_in_flight, "limit_reached": stats.peak_limit,
            "throttled": stats.throttled, "timeouts": stats.timeouts}


def _source_options(base_url: Optional[str], limiter: ConcurrencyLimiter, pii: Optional[str], keep_raw: Optional[bool],
                    credentials: Optional[Credentials], *callbacks: Optional[Callable[[SessionOutcome], None]]
                    ) -> Dict[str, Any]:
    """The source's keyword arguments that were given (the others come from dlt config)."""
    given = {"base_url": base_url, "limiter": limiter, "pii": pii, "keep_raw": keep_raw}
    options: Dict[str, Any] = {k: v for k, v in given.items() if v is not None and v != ""}
    if credentials is not None:
        options.update(api_key=credentials.api_key, server_hash=credentials.server_hash)
    wanted = [c for c in callbacks if c is not None]
    options["on_session"] = lambda outcome: [call(outcome) for call in wanted]
    return options


def _configured(key: str) -> Optional[int]:
    """SOURCES__BANKCONNECT__<KEY> (dlt config), if set."""
    import dlt

    return dlt.config.get(f"sources.{SOURCE_NAME}.{key}", int)


def _make_source(**options: Any) -> Any:
    from dlt.common.configuration.exceptions import ConfigFieldMissingException

    from sources.bankconnect.source import bankconnect_source

    try:
        return bankconnect_source(**options)
    except ConfigFieldMissingException as exc:
        missing = ", ".join(f"SOURCES__BANKCONNECT__{f.upper()}" for f in exc.fields)
        raise ConfigError(f"missing configuration: set {missing} (environment or .dlt/secrets.toml)") from None



def append_new_sessions(source: Any, book: SessionBook, session_ids: List[str]) -> None:
    """No session of this load has data rows yet: the data tables append instead of merging (merge
    costs the destination a staging copy and a delete per table), and so does `sessions` when none
    of them has a row either."""
    seen = any(book.knows(sid) for sid in session_ids)
    for name, resource in source.resources.items():
        if name != "sessions" or not seen:
            resource.apply_hints(write_disposition="append")


def _our_error(exc: BaseException, destination: Optional[str] = None) -> Optional[BankConnectError]:
    from dlt.common.configuration.exceptions import ConfigFieldMissingException

    seen = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (AuthError, ConfigError)):
            return current
        if isinstance(current, ConfigFieldMissingException):
            return missing_destination_config(current, destination)
        current = current.__cause__ or current.__context__ or getattr(current, "exception", None)
    return None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] + ("..." if len(text) > 300 else "")
